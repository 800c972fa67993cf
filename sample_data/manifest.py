"""The ground-truth manifest of a generated sample: files written and every injected defect."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from json.encoder import encode_basestring  # the C string encoder json.dumps uses
from pathlib import Path
from typing import Any, Final

from .defects import DEFECT_KINDS
from .errors import SampleDataError
from .sources import SOURCE_IDS

GENERATOR: Final = "lakehub.sample_data"
MANIFEST_VERSION: Final = 1
MANIFEST_FILE: Final = "manifest.json"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One written source file."""

    file: str
    format: str
    encoding: str
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Defect:
    """One injected defect: source, 1-based data row, raw business key, column, kind, detail, expected."""

    source: str
    row: int
    key: str
    column: str
    kind: str
    detail: str
    expected: str | None


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a generation run wrote and which rows carry which defect."""

    seed: int
    scale: int
    county_code: str
    sources: dict[str, SourceFile]
    defects: tuple[Defect, ...]
    generator: str = GENERATOR
    version: int = MANIFEST_VERSION

    @property
    def defect_counts(self) -> dict[str, int]:
        """Number of defects per kind (every kind listed, sorted by name)."""
        counts = Counter(defect.kind for defect in self.defects)
        return {kind: counts.get(kind, 0) for kind in sorted(DEFECT_KINDS)}

    def _head(self) -> dict[str, Any]:
        """Return the top-level fields that precede the defect list."""
        return {
            "generator": self.generator,
            "version": self.version,
            "seed": self.seed,
            "scale": self.scale,
            "county_code": self.county_code,
            "sources": {source: asdict(entry) for source, entry in self.sources.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the manifest as JSON-ready data in its documented key order."""
        return {
            **self._head(),
            "defects": [asdict(defect) for defect in self.defects],
            "defect_counts": self.defect_counts,
        }

    def write(self, path: Path) -> None:
        """Write the manifest exactly as json.dumps(to_dict(), indent=2, ensure_ascii=False), streaming."""
        head = self._head()
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write("{\n")
            for name, value in head.items():
                handle.write(f"  {_dumps(name)}: {_dumps(value, 2)},\n")
            handle.write('  "defects": [')
            for index, defect in enumerate(self.defects):
                handle.write(("," if index else "") + _defect_json(defect))
            handle.write("\n  ]" if self.defects else "]")
            handle.write(f',\n  "defect_counts": {_dumps(self.defect_counts, 2)}\n}}\n')


def _dumps(value: object, indent: int = 0) -> str:
    """Dump a value as indented JSON, shifted right by indent spaces after the first line."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + " " * indent)


def _defect_json(defect: Defect) -> str:
    """Render one defect exactly as json.dumps(indent=2) renders it inside the defects list."""
    text = encode_basestring
    expected = "null" if defect.expected is None else text(defect.expected)
    return (
        f'\n    {{\n      "source": {text(defect.source)},\n      "row": {defect.row},'
        f'\n      "key": {text(defect.key)},\n      "column": {text(defect.column)},'
        f'\n      "kind": {text(defect.kind)},\n      "detail": {text(defect.detail)},'
        f'\n      "expected": {expected}\n    }}'
    )


def sort_defects(defects: Iterable[Defect]) -> tuple[Defect, ...]:
    """Sort defects by source order, row, column and kind."""
    order = {source: index for index, source in enumerate(SOURCE_IDS)}
    return tuple(sorted(defects, key=lambda d: (order[d.source], d.row, d.column, d.kind)))


def read_manifest(path: Path) -> Manifest:
    """Read a manifest.json written by generate_sample (pass the file or its directory)."""
    if path.is_dir():
        path = path / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(
            seed=data["seed"],
            scale=data["scale"],
            county_code=data["county_code"],
            sources={source: SourceFile(**entry) for source, entry in data["sources"].items()},
            defects=tuple(Defect(**entry) for entry in data["defects"]),
            generator=data["generator"],
            version=data["version"],
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SampleDataError(
            f"Cannot read sample manifest {path}: {error}. Regenerate it with `lakehub sample generate`."
        ) from error
