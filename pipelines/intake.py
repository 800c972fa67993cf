"""Check a delivered file and stage it as numbered UTF-8 lines for Spark (no Spark here)."""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import hashlib
import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from charset_normalizer import from_bytes

from lakehub.pipelines.errors import InputFileError
from lakehub.pipelines.sources import SourceSpec

log = logging.getLogger(__name__)

ROW_SEPARATOR = "\x1f"
"""Separates the row number from the delivered line in a staged file."""
JSON_KEY_SAMPLE = 10_000
_CHUNK = 1 << 20
_BLOCK = 16 << 20
_LastLine = tuple[int, str, bool]
"""(line number, text, ended with a newline) of a file's last line."""


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A delivery checked and rewritten as `row<US>line` UTF-8 lines."""

    source_path: Path
    staging_path: Path
    sha256: str
    size_bytes: int
    encoding: str
    payload: Literal["csv", "json"]
    columns: tuple[str, ...]
    """Spec column names in the order the delivery carries them."""
    rows: int
    """Non-blank data rows staged."""


def file_sha256(path: Path) -> str:
    """Content hash of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_exists(path: Path, spec: SourceSpec) -> None:
    """Fail clearly on a missing or empty delivery."""
    if not path.is_file():
        raise InputFileError(
            str(path),
            "file not found",
            f"check --path, or put the {spec.department} delivery where spec '{spec.id}' looks "
            f"(landing folder glob '{spec.file}')",
        )
    if path.stat().st_size == 0:
        raise InputFileError(
            str(path), "the file is empty (0 bytes)", f"ask {spec.department} to resend the {spec.title} file"
        )


def _guess_encoding(sample: bytes) -> str:
    best = from_bytes(sample).best()
    return best.encoding if best is not None else "unknown"


def _decode_error(path: Path, spec: SourceSpec, encoding: str, line_no: int, sample: bytes) -> InputFileError:
    guess = _guess_encoding(sample)
    looks = f"the file looks like {guess}" if guess != "unknown" else "its encoding cannot be recognised"
    fix = f"set `encoding: {guess}` in the '{spec.id}' source spec, or ask" if guess != "unknown" else "ask"
    return InputFileError(
        str(path),
        f"bytes are not valid {encoding} ({looks})",
        f"{fix} {spec.department} to resend it as {encoding}",
        row=max(line_no - 1, 1) if spec.format == "csv" else line_no,
    )


def map_header(path: Path, spec: SourceSpec, names: list[str]) -> tuple[str, ...]:
    by_title = {c.title: c.name for c in spec.columns}
    mapped = [n if n in spec.by_name else by_title.get(n, n) for n in (h.strip() for h in names)]
    unknown = [h for h, m in zip(names, mapped, strict=True) if m not in spec.by_name]
    seen: set[str] = set()
    doubled = [m for m in mapped if m in seen or seen.add(m)]  # type: ignore[func-returns-value]  # set.add in a filter
    missing = [c.name for c in spec.columns if c.name not in mapped]
    if doubled:
        raise InputFileError(
            str(path),
            f"column(s) {doubled} appear twice in the header",
            "remove the duplicate columns",
            row=0,
        )
    if unknown:
        raise InputFileError(
            str(path),
            f"unknown column(s) {unknown}; spec '{spec.id}' expects {list(spec.column_names)}",
            f"rename them to the spec's names or titles, or add them to the '{spec.id}' source spec",
            field=unknown[0],
        )
    if missing:
        raise InputFileError(
            str(path),
            f"missing column(s) {missing}",
            f"ask {spec.department} to include them, or remove them from the '{spec.id}' source spec",
            field=missing[0],
        )
    return tuple(mapped)


def _decode_block(
    path: Path, spec: SourceSpec, encoding: str, block: bytes, first_line: int, final: bool
) -> str:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return block.decode(codec)
    except UnicodeDecodeError as err:
        line_no = first_line + block.count(b"\n", 0, err.start)
        if final and err.end == len(block):
            raise truncation_error(path, line_no - 1, "a character is cut off") from err
        with path.open("rb") as handle:
            sample = handle.read(_CHUNK)
        raise _decode_error(path, spec, encoding, line_no, sample) from err


def _text_lines(path: Path, spec: SourceSpec, encoding: str) -> Iterator[tuple[int, str, bool]]:
    """(1-based line number, decoded line without newline, ended-with-newline), decoded in large blocks."""
    line_no = 0
    pending = b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            block = pending + block
            cut = block.rfind(b"\n") + 1
            pending, block = block[cut:], block[:cut]
            if not block:
                continue
            lines = _decode_block(path, spec, encoding, block, line_no + 1, final=False).split("\n")
            lines.pop()
            for line in lines:
                line_no += 1
                if line_no == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                yield line_no, line.removesuffix("\r"), True
    if pending:
        line = _decode_block(path, spec, encoding, pending, line_no + 1, final=True)
        line_no += 1
        if line_no == 1 and line.startswith("\ufeff"):
            line = line[1:]
        yield line_no, line.removesuffix("\r"), False


def _resolve_encoding(path: Path, spec: SourceSpec) -> str:
    if spec.encoding != "auto":
        return spec.encoding
    with path.open("rb") as handle:
        guess = _guess_encoding(handle.read(_CHUNK))
    if guess == "unknown":
        raise InputFileError(
            str(path), "cannot detect the text encoding", f"set `encoding:` in the '{spec.id}' source spec"
        )
    return guess


def truncation_error(path: Path, line_no: int, what: str) -> InputFileError:
    return InputFileError(
        str(path),
        f"the file ends in the middle of a record ({what}); it looks truncated",
        "ask the department to resend the complete file; nothing was landed",
        row=line_no,
    )


def _csv_columns(path: Path, spec: SourceSpec, header: str | None) -> tuple[str, ...]:
    if header is None or not header.strip():
        raise InputFileError(str(path), "the first line (header) is blank", "put the column names on line 1")
    return map_header(path, spec, next(csv.reader([header], delimiter=spec.csv_delimiter)))


def _check_csv_tail(path: Path, spec: SourceSpec, columns: tuple[str, ...], last: _LastLine | None) -> None:
    """An unterminated last line must be a whole record."""
    if last is not None and not last[2] and last[1].strip():
        fields = next(csv.reader([last[1]], delimiter=spec.csv_delimiter), [])
        if last[1].count('"') % 2 or len(fields) < len(columns):
            raise truncation_error(path, last[0] - 1, f"{len(fields)} of {len(columns)} fields")


def _check_jsonl_tail(path: Path, last: _LastLine | None) -> None:
    if last is not None and not last[2] and last[1].strip():
        try:
            json.loads(last[1])
        except json.JSONDecodeError as err:
            raise truncation_error(path, last[0], "incomplete JSON") from err


def _json_keys(text: str) -> Iterable[str]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return ()
    return record if isinstance(record, dict) else ()


def _check_json_keys(path: Path, spec: SourceSpec, keys: set[str], rows: int) -> None:
    """The fields seen in the first records must be the spec's, with every required one present."""
    unknown = sorted(keys - set(spec.column_names))
    if unknown:
        raise InputFileError(
            str(path),
            f"unknown field(s) {unknown}; spec '{spec.id}' expects {list(spec.column_names)}",
            f"rename them to the spec's names, or add them to the '{spec.id}' source spec",
            field=unknown[0],
        )
    missing = [c.name for c in spec.columns if c.required and c.name not in keys]
    if rows and missing:
        raise InputFileError(
            str(path),
            f"required field(s) {missing} appear in none of the first {min(rows, JSON_KEY_SAMPLE)} records",
            f"ask {spec.department} to include them",
            field=missing[0],
        )


def _stage_csv(path: Path, spec: SourceSpec, encoding: str, out: IO[str]) -> tuple[tuple[str, ...], int]:
    lines = _text_lines(path, spec, encoding)
    header_line = next(lines, None)
    columns = _csv_columns(path, spec, None if header_line is None else header_line[1])
    rows = 0
    last: _LastLine | None = None
    for line_no, text, ended in lines:
        last = (line_no, text, ended)
        if not text.strip():
            continue
        out.write(f"{line_no - 1}{ROW_SEPARATOR}{text}\n")
        rows += 1
    _check_csv_tail(path, spec, columns, last)
    return columns, rows


def _stage_jsonl(path: Path, spec: SourceSpec, encoding: str, out: IO[str]) -> tuple[tuple[str, ...], int]:
    keys: set[str] = set()
    rows = 0
    last: _LastLine | None = None
    for line_no, text, ended in _text_lines(path, spec, encoding):
        last = (line_no, text, ended)
        if not text.strip():
            continue
        if rows < JSON_KEY_SAMPLE:
            keys.update(_json_keys(text))
        out.write(f"{line_no}{ROW_SEPARATOR}{text}\n")
        rows += 1
    _check_jsonl_tail(path, last)
    _check_json_keys(path, spec, keys, rows)
    return spec.column_names, rows


_DOUBLE_BYTE = frozenset({"gbk", "gb2312", "gb18030", "big5"})
"""Python codecs the JVM stager decodes through Python's own pair table (besides UTF-8)."""


@functools.cache
def _pair_table(codec: str) -> str | None:
    """What Python's `codec` decodes each lead/trail byte pair to, for the JVM stager; None if unsuitable.

    128 × 256 characters (lead 0x80 + i // 256, trail i % 256), U+FFFF where the pair does not decode to
    exactly one character (the JVM stager then declines the file, and Python stages it). A codec in which a
    high byte decodes on its own is not a plain double-byte one: None.
    """
    for byte in range(0x80, 0x100):
        with contextlib.suppress(UnicodeDecodeError):
            bytes([byte]).decode(codec)
            return None
    table: list[str] = []
    for lead in range(0x80, 0x100):
        for trail in range(0x100):
            try:
                text = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                text = ""
            table.append(text if len(text) == 1 else "\uffff")
    return "".join(table)


def _stage_text_in_jvm(
    jvm: Any, path: Path, spec: SourceSpec, encoding: str, staging_path: Path
) -> tuple[tuple[str, ...], int] | None:
    """Stage a CSV or JSON-lines file with lakehub's JVM stager; None when it declines (Python then stages)."""
    codec = codecs.lookup(encoding).name
    pairs = _pair_table(codec) if codec in _DOUBLE_BYTE else None
    if pairs is None and codec not in ("utf-8", "utf-8-sig"):
        return None
    header = spec.format == "csv"
    try:
        answer = list(jvm.lakehub.udf.StageText.stage(str(path), str(staging_path), pairs, header))
    except Exception as err:  # py4j's errors (the JVM's IOException, a lost gateway): Python can still stage
        log.warning("%s: the JVM stager failed (%s); staging in Python", path.name, type(err).__name__)
        return None
    if answer[0] != "ok":
        log.info("%s: staging in Python (%s)", path.name, answer[1])
        return None
    header_text, rows, last_no, last_text, last_ended = answer[1:]
    last: _LastLine | None = (int(last_no), last_text, last_ended == "1") if int(last_no) else None
    if header:
        columns = _csv_columns(path, spec, header_text)
        _check_csv_tail(path, spec, columns, last)
        return columns, int(rows)
    _check_jsonl_tail(path, last)
    keys: set[str] = set()
    with staging_path.open(encoding="utf-8", newline="\n") as staged:
        for line in itertools.islice(staged, JSON_KEY_SAMPLE):
            keys.update(_json_keys(line.rstrip("\n").partition(ROW_SEPARATOR)[2]))
    _check_json_keys(path, spec, keys, int(rows))
    return spec.column_names, int(rows)


def stage_file(
    path: Path, spec: SourceSpec, staging_path: Path, *, sha256: str | None = None, jvm: Any = None
) -> StagedFile:
    """Validate a delivery (encoding, header, completeness) and write its numbered UTF-8 lines.

    `sha256` is the file's content hash when the caller has computed it already (saves a read of the file).
    `jvm` (a running Spark's `spark._jvm`) lets CSV and JSON-lines files in UTF-8 or a double-byte Chinese
    encoding (GBK, GB2312, GB18030's two-byte part, Big5), and XLSX workbooks, be staged by lakehub's JVM
    stagers (`StageText`, `StageXlsx`), which write the same bytes several times faster and without holding
    Python's interpreter lock; anything they cannot reproduce exactly is staged here in Python.
    """
    from lakehub.pipelines.intake_xlsx import stage_xlsx, stage_xlsx_in_jvm  # it imports this module

    check_exists(path, spec)
    encoding = "utf-8" if spec.format == "xlsx" else _resolve_encoding(path, spec)
    staging_path.parent.mkdir(parents=True, exist_ok=True)
    staged = None
    if jvm is not None:
        if spec.format == "xlsx":
            staged = stage_xlsx_in_jvm(jvm, path, spec, staging_path)
        else:
            staged = _stage_text_in_jvm(jvm, path, spec, encoding, staging_path)
    if staged is not None:
        columns, rows = staged
    else:
        with staging_path.open("w", encoding="utf-8", newline="\n") as out:
            if spec.format == "csv":
                columns, rows = _stage_csv(path, spec, encoding, out)
            elif spec.format == "jsonl":
                columns, rows = _stage_jsonl(path, spec, encoding, out)
            else:
                columns, rows = stage_xlsx(path, spec, out)
    if rows == 0:
        raise InputFileError(
            str(path),
            "the file has a header but no data rows" if spec.format != "jsonl" else "the file has no records",
            f"ask {spec.department} to resend the {spec.title} file with its data; nothing was landed",
        )
    log.info("staged %s: %d rows, encoding %s", path.name, rows, encoding)
    return StagedFile(
        source_path=path,
        staging_path=staging_path,
        sha256=sha256 or file_sha256(path),
        size_bytes=path.stat().st_size,
        encoding=encoding,
        payload="csv" if spec.format == "csv" else "json",
        columns=columns,
        rows=rows,
    )
