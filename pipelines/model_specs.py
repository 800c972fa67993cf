"""Theme and business models: a SQL file or a Python function, each with a YAML sidecar.

A model is ``pipelines/models/<tier>/<name>.sql`` (a Spark SQL SELECT whose inputs are written
``ref('base.population')``) or ``<name>.py`` (a ``build(inputs)`` function over declared inputs),
next to ``<name>.yml`` holding its owner department, description, columns with classification,
quality suite and materialisation. Loading is pure Python (no Spark).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lakehub.pipelines.errors import PipelineError, first_problem
from lakehub.quality_rules.masking import PSEUDONYM

ModelTier = Literal["theme", "business"]
MODEL_TIERS: tuple[str, ...] = ("theme", "business")
Sensitivity = Literal["resident_id", "phone", "name", "address"]
SecurityLevel = Literal["一般数据", "重要数据", "核心数据"]
REF = re.compile(r"""ref\(\s*['"]([A-Za-z_][\w]*\.[A-Za-z_][\w]*)['"]\s*\)""")
MODELS_FOLDER = "models"


class ModelSpecError(PipelineError):
    """A model file or its sidecar is invalid."""


class ModelGraphError(PipelineError):
    """The models do not form a valid DAG: an unknown reference, a cycle, or an unknown selection."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelColumn(_Frozen):
    """One output column: its meaning and classification."""

    name: str
    title: str
    description: str = ""
    classification: Sensitivity | None = None
    """Personal-data kind; theme and business tables mask it (business: unless the column is granted)."""
    pseudonym: bool = False
    """Replace the (classified) value with the hub's keyed pseudonym instead of masking it: a join key
    that is stable across runs and tables but reveals nothing (``person_key``)."""
    security_level: SecurityLevel | None = None

    @model_validator(mode="after")
    def _pseudonym_needs_classification(self) -> ModelColumn:
        if self.pseudonym and self.classification is None:
            raise ValueError(
                f"column '{self.name}' is a pseudonym but has no classification; "
                "add the classification of the identifier it replaces (e.g. resident_id)"
            )
        return self


class _Sidecar(_Frozen):
    title: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    """Owning department (e.g. 区数据管理局)."""
    description: str = Field(min_length=1)
    suite: str | None = None
    """Quality suite name (quality_rules/suites) or YAML path relative to the sidecar."""
    materialization: Literal["full", "incremental"] = "full"
    unique_key: tuple[str, ...] = ()
    change_keys: dict[str, str] = {}
    """Input → its column holding the output key: the output row for key k depends only on that
    input's rows whose column equals k. Changes of inputs not named here force a full rebuild."""
    inputs: tuple[str, ...] = ()
    """Inputs of a Python model (SQL models take theirs from ref())."""
    python: str = "build"
    """Function of a Python model's module that builds the output."""
    columns: tuple[ModelColumn, ...] = Field(min_length=1)
    grants: tuple[str, ...] = ()
    """Business-tier columns explicitly granted unmasked (read them from base: theme holds no clear values)."""
    sharing_class: str = "有条件共享"
    security_level: SecurityLevel = "重要数据"

    @model_validator(mode="after")
    def _consistent(self) -> _Sidecar:
        names = [c.name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"columns declared more than once: {', '.join(duplicated)}")
        for what, listed in (("unique_key", self.unique_key), ("grants", self.grants)):
            unknown = [c for c in listed if c not in names]
            if unknown:
                raise ValueError(f"{what} names undeclared columns: {', '.join(unknown)}")
        if self.materialization == "incremental" and len(self.unique_key) != 1:
            raise ValueError("an incremental model needs a unique_key of exactly one column")
        return self


class ModelSpec(_Frozen):
    """A loaded model: identity, code and sidecar metadata."""

    tier: ModelTier
    name: str
    kind: Literal["sql", "python"]
    path: str
    """The SQL or Python file."""
    code: str
    """SQL text with ref() calls, or the Python module source."""
    refs: tuple[str, ...]
    """Datasets the model reads (``tier.name``), in first-use order."""
    meta: _Sidecar

    @property
    def full_name(self) -> str:
        """``tier.name``."""
        return f"{self.tier}.{self.name}"

    @property
    def job_name(self) -> str:
        """Job name of the model's runs and lineage events."""
        return f"model.{self.full_name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        """Declared output columns in order."""
        return tuple(c.name for c in self.meta.columns)

    def render_sql(self, names: Mapping[str, str] | None = None) -> str:
        """The SQL with each ref('x.y') replaced by names[x.y] (default: the short name x.y itself)."""
        if self.kind != "sql":
            raise ModelSpecError(f"{self.full_name} is a Python model and has no SQL.")
        return REF.sub(lambda m: (names or {}).get(m.group(1), m.group(1)), self.code)

    def masked_columns(self) -> dict[str, str]:
        """Column → protection for every classified column not granted: its classification (masked with
        quality_rules.masking) or ``pseudonym`` (replaced by the keyed pseudonym). Theme and business
        tiers alike: no clear identifier leaves the base tier unless a business model grants it."""
        return {
            c.name: PSEUDONYM if c.pseudonym else c.classification
            for c in self.meta.columns
            if c.classification is not None and c.name not in self.meta.grants
        }

    @property
    def pseudonym_columns(self) -> tuple[str, ...]:
        """Columns replaced by the keyed pseudonym."""
        return tuple(c for c, how in self.masked_columns().items() if how == PSEUDONYM)


def parse_refs(sql: str) -> tuple[str, ...]:
    """Datasets named by ref('tier.name') in SQL, first use first, without repeats."""
    return tuple(dict.fromkeys(m.group(1) for m in REF.finditer(sql)))


def _read_sidecar(path: Path) -> _Sidecar:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ModelSpecError(f"{path}{line}: invalid YAML ({err}). Fix: correct the YAML syntax.") from err
    except OSError as err:
        raise ModelSpecError(f"Cannot read {path} ({type(err).__name__}). Fix: check the file.") from err
    if not isinstance(data, dict):
        raise ModelSpecError(f"{path}: expected a mapping of model settings. Fix: see pipelines/models/.")
    try:
        return _Sidecar.model_validate(data)
    except ValidationError as err:
        where, message = first_problem(err)
        raise ModelSpecError(
            f"{path}: field '{where or '(top)'}': {message}. Fix: correct the sidecar "
            f"(fields: {', '.join(_Sidecar.model_fields)})."
        ) from err


def load_model(code_path: Path, tier: str) -> ModelSpec:
    """Load one model file and its sidecar ``<stem>.yml``."""
    if tier not in MODEL_TIERS:
        raise ModelSpecError(
            f"{code_path}: tier '{tier}' is not a model tier. Valid values are: theme, business."
        )
    sidecar = code_path.with_suffix(".yml")
    if not sidecar.is_file():
        raise ModelSpecError(
            f"{code_path} has no sidecar {sidecar.name}. Fix: add it with title, owner, description, columns."
        )
    meta = _read_sidecar(sidecar)
    code = code_path.read_text(encoding="utf-8")
    if code_path.suffix == ".sql":
        refs = parse_refs(code)
        if meta.inputs:
            raise ModelSpecError(
                f"{sidecar}: 'inputs' is for Python models; a SQL model names them with ref()."
            )
        if not refs:
            raise ModelSpecError(
                f"{code_path}: the SQL reads no ref('tier.name'). Fix: name inputs with ref()."
            )
        kind: Literal["sql", "python"] = "sql"
    else:
        refs = meta.inputs
        if not refs:
            raise ModelSpecError(
                f"{sidecar}: a Python model must declare its inputs. Fix: add `inputs: [...]`."
            )
        kind = "python"
    unknown = [k for k in meta.change_keys if k not in refs]
    if unknown:
        raise ModelSpecError(
            f"{sidecar}: change_keys names datasets the model does not read: {', '.join(unknown)}."
        )
    model = ModelSpec(
        tier=tier,  # type: ignore[arg-type]  # checked against MODEL_TIERS above
        name=code_path.stem,
        kind=kind,
        path=str(code_path),
        code=code,
        refs=refs,
        meta=meta,
    )
    if tier == "theme" and meta.grants:
        raise ModelSpecError(
            f"{sidecar}: grants ({', '.join(meta.grants)}) are for business models; the theme tier never holds "
            "clear identifiers. Fix: remove grants, and grant the column in the business model that needs "
            "it, reading it from base there."
        )
    masked = model.masked_columns()
    masked_keys = [c for c in meta.unique_key if masked.get(c, PSEUDONYM) != PSEUDONYM]
    if masked_keys:
        raise ModelSpecError(
            f"{sidecar}: unique_key {', '.join(masked_keys)} is masked in the {tier} tier, and masked values "
            "are not unique. Fix: key the table on a pseudonym column (`pseudonym: true`, e.g. person_key) "
            "or an unclassified column"
            + (", or list the column under grants." if tier == "business" else ".")
        )
    return model


def _model_files(folder: Path) -> Iterable[tuple[Path, str]]:
    for tier in MODEL_TIERS:
        tier_dir = folder / tier
        if tier_dir.is_dir():
            for path in sorted(tier_dir.iterdir()):
                if path.suffix in (".sql", ".py") and not path.name.startswith("_"):
                    yield path, tier


def builtin_models_dir() -> Path:
    """The models shipped with lakehub (pipelines/models)."""
    return Path(str(resources.files("lakehub.pipelines").joinpath(MODELS_FOLDER)))


def load_models(extra_dir: Path | None = None) -> dict[str, ModelSpec]:
    """Built-in models plus those in ``extra_dir/<tier>/`` (same name: the extra one wins), by tier.name."""
    models: dict[str, ModelSpec] = {}
    for folder in (builtin_models_dir(), extra_dir):
        if folder is None:
            continue
        if not folder.is_dir():
            raise ModelSpecError(f"Models folder {folder} does not exist. Fix: create it or fix models_dir.")
        for path, tier in _model_files(folder):
            model = load_model(path, tier)
            models[model.full_name] = model
    return models


def get_model(models: Mapping[str, ModelSpec], name: str) -> ModelSpec:
    """A model by ``tier.name`` or bare name, or an error listing close matches."""
    if name in models:
        return models[name]
    bare = [m for m in models.values() if m.name == name]
    if len(bare) == 1:
        return bare[0]
    close = difflib.get_close_matches(name, list(models) + [m.name for m in models.values()], n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise ModelGraphError(
        f"Unknown model '{name}'.{hint} Models: {', '.join(sorted(models))}. Fix: pass one of these to --select."
    )
