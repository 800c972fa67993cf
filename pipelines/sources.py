"""Source specs: one YAML per departmental source, loaded into frozen pydantic models."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lakehub.pipelines.errors import SourceSpecError, first_problem

ColumnType = Literal[
    "string", "int", "decimal", "amount", "date", "timestamp", "resident_id", "uscc", "mobile", "lon", "lat"
]
Sensitivity = Literal["resident_id", "phone", "name", "address"]
FileFormat = Literal["csv", "jsonl", "xlsx"]
Encoding = Literal["utf-8", "utf-8-sig", "gbk", "gb18030", "auto"]

SPARK_TYPES = {
    "int": "bigint",
    "decimal": "decimal(18,2)",
    "amount": "decimal(18,2)",
    "date": "date",
    "timestamp": "timestamp_ntz",
    "lon": "double",
    "lat": "double",
}
DEFAULT_SENTINELS = ("-9999", "-9999.0", "-9999.00", "-99999", "NULL", "null", "None", "N/A", "#N/A", "无")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnSpec(_Frozen):
    """One delivered column: its type, meaning and classification."""

    name: str
    type: ColumnType = "string"
    title: str
    """Chinese title; also accepted as the header of a delivered file."""
    description: str | None = None
    required: bool = False
    values: tuple[str, ...] | None = None
    """Allowed values (checked by the rule library, recorded in the catalog)."""
    unit: Literal["元", "万元"] | None = None
    """Unit assumed for amounts written without one; landing stores every amount in 元."""
    sensitivity: Sensitivity | None = None
    """Personal data kind; masked wherever it leaves the base tier."""
    security_level: Literal["一般数据", "重要数据", "核心数据"] | None = None

    @property
    def spark_type(self) -> str:
        """Spark SQL type of the standardised column."""
        return SPARK_TYPES.get(self.type, "string")

    @model_validator(mode="after")
    def _unit_only_for_amounts(self) -> ColumnSpec:
        if self.unit and self.type != "amount":
            raise ValueError(f"column '{self.name}': unit applies only to type amount")
        return self


class SourceSpec(_Frozen):
    """A departmental source: where its files are, how to read them, how they land."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    department: str
    department_code: str
    description: str
    format: FileFormat
    encoding: Encoding = "utf-8"
    file: str
    """Glob (relative to the landing folder) matching this source's deliveries."""
    business_key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    base_library: str | None = None
    sharing_class: Literal["无条件共享", "有条件共享", "不予共享"] = "有条件共享"
    security_level: Literal["一般数据", "重要数据", "核心数据"] = "一般数据"
    freshness_sla_days: int = 1
    csv_delimiter: str = ","
    sentinels: tuple[str, ...] = DEFAULT_SENTINELS
    """Values meaning 'unknown' that land as null."""
    target: str | None = None
    """Base table name; default: the source id."""
    suite: str | None = None
    """Rule suite checked at landing: a built-in suite name (quality_rules/suites) or a suite YAML path.

    Rows failing one of its error-severity row rules are quarantined with the rule id as reason code;
    warn rules are only counted."""

    @model_validator(mode="after")
    def _keys_are_columns(self) -> SourceSpec:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate column names: {duplicates}")
        missing = [k for k in self.business_key if k not in names]
        if missing:
            raise ValueError(f"business_key {missing} not among columns {names}")
        if not self.business_key:
            raise ValueError("business_key must name at least one column")
        return self

    @property
    def table_name(self) -> str:
        """Name of the base and quarantine tables."""
        return self.target or self.id

    @cached_property
    def by_name(self) -> dict[str, ColumnSpec]:
        """Columns keyed by name."""
        return {c.name: c for c in self.columns}

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in spec order."""
        return tuple(c.name for c in self.columns)


def _parse_spec(text: str, origin: str) -> SourceSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise SourceSpecError(
            f"{origin}{line}: not valid YAML ({err}). Fix: correct the YAML syntax."
        ) from err
    try:
        return SourceSpec.model_validate(data)
    except ValidationError as err:
        where, problem = first_problem(err)
        raise SourceSpecError(
            f"{origin}: invalid source spec at '{where}': {problem}. "
            "Fix: correct that key (see the built-in specs in pipelines/source_specs/ for examples)."
        ) from err


def builtin_spec_texts() -> Iterable[tuple[str, str]]:
    """(origin, YAML text) of the specs shipped with lakehub."""
    folder = resources.files("lakehub.pipelines").joinpath("source_specs")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            yield f"pipelines/source_specs/{entry.name}", entry.read_text(encoding="utf-8")


def load_sources(extra_dir: Path | None = None) -> dict[str, SourceSpec]:
    """All registered sources: built-ins, then specs in extra_dir (same id overrides)."""
    texts = list(builtin_spec_texts())
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise SourceSpecError(
                f"Source spec folder {extra_dir} does not exist. Fix: create it or correct sources_dir."
            )
        texts += [(str(p), p.read_text(encoding="utf-8")) for p in sorted(extra_dir.glob("*.y*ml"))]
    specs: dict[str, SourceSpec] = {}
    for origin, text in texts:
        spec = _parse_spec(text, origin)
        specs[spec.id] = spec
    return specs


def get_source(specs: dict[str, SourceSpec], source_id: str) -> SourceSpec:
    """Look a source up by id; unknown ids list the close and the valid ones."""
    if source_id in specs:
        return specs[source_id]
    close = difflib.get_close_matches(source_id, list(specs), n=3)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise SourceSpecError(
        f"Unknown source '{source_id}'.{hint} Valid sources: {', '.join(sorted(specs))}. "
        "Fix: use one of them, or add a spec YAML to sources_dir."
    )
