"""Suite YAML → frozen models; every error names the file, the line, the rule and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lakehub.quality_rules.errors import (
    RuleConfigError,
    SuiteFileError,
    SuiteNotFoundError,
    UnknownExpectationError,
)
from lakehub.quality_rules.kwargs import ExpectationKwargs
from lakehub.quality_rules.masking import Sensitivity
from lakehub.quality_rules.registry import REGISTRY

Severity = Literal["error", "warn"]
Dimension = Literal["规范性", "完整性", "准确性", "一致性", "时效性", "可访问性"]
"""GB/T 36344 data-quality dimensions."""
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
BUILTIN_FOLDER = "suites"
BUILTIN_ORIGIN = "quality_rules/suites"
CROSS_FOLDER = "cross"
"""Sub-folder of the built-in cross-table suites (suites/cross/*.yml)."""
BATCH_ALIAS = "batch"
"""Alias every suite may use for its own dataset (GE's `{batch}`)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleSpec(_Frozen):
    """One rule of a suite: an expectation with its kwargs, severity, dimension and owner."""

    id: str
    """Unique within the suite; names the rule in `_failures` and in reason codes."""
    expectation: str
    kwargs: ExpectationKwargs
    severity: Severity
    dimension: Dimension
    department: str | None
    description: str | None
    origin: str
    line: int

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the rule reads."""
        return self.kwargs.columns


class Suite(_Frozen):
    """A rule suite for one dataset."""

    suite: str
    dataset: str
    department: str | None
    description: str | None
    sensitive: Mapping[str, Sensitivity]
    """Columns whose sample values are masked, beyond those a rule implies or the caller names."""
    rules: tuple[RuleSpec, ...]
    origin: str
    datasets: Mapping[str, str] = {}
    """Cross-table suites: alias → `tier.name` of every dataset their rules read."""

    @property
    def is_cross(self) -> bool:
        """Whether some rule reads several datasets (validate with `validate_datasets`)."""
        return any(REGISTRY[rule.expectation].is_cross for rule in self.rules)

    def dataset_of(self, alias: str) -> str:
        """The `tier.name` behind an alias (`batch` is the suite's own dataset)."""
        if alias in self.datasets:
            return self.datasets[alias]
        if alias == BATCH_ALIAS:
            return self.dataset
        raise KeyError(alias)

    @property
    def required_datasets(self) -> tuple[str, ...]:
        """Every `tier.name` validating the suite reads: its own dataset for single-table rules, then the rest."""
        names: list[str] = []
        for rule in self.rules:
            aliases = rule.kwargs.dataset_aliases if REGISTRY[rule.expectation].is_cross else (BATCH_ALIAS,)
            names += [self.dataset_of(alias) for alias in aliases]
        return tuple(dict.fromkeys(names))

    def rule(self, rule_id: str) -> RuleSpec:
        """The rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class _SuiteHeader(_Frozen):
    suite: str = Field(min_length=1)
    dataset: str = Field(pattern=r"^\S+$")
    datasets: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Annotated[str, Field(pattern=r"^\S+$")]
    ] = {}
    department: str | None = None
    description: str | None = None
    sensitive: dict[str, Sensitivity] = {}
    rules: list[Any] = Field(min_length=1)


class _RuleHeader(_Frozen):
    expectation: str
    id: str | None = Field(None, pattern=r"^\S+$")
    severity: Severity = "error"
    dimension: Dimension
    department: str | None = None
    description: str | None = None


RULE_KEYS = frozenset(_RuleHeader.model_fields)


def _key_lines(node: yaml.Node) -> dict[str, int]:
    """1-based line of each key of a mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def _value_node(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node  # type: ignore[no-any-return]  # PyYAML node tuples are untyped
    return None


def _compose(text: str, origin: str) -> tuple[yaml.Node, Any]:
    """Parse YAML keeping the node tree (for line numbers) and the constructed data."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = getattr(err, "problem", None) or "syntax error"
        raise SuiteFileError(
            origin,
            mark.line + 1 if mark else None,
            f"Invalid YAML ({problem})",
            "Fix: correct the YAML syntax.",
        ) from err
    finally:
        loader.dispose()
    if node is None or not isinstance(data, dict):
        raise SuiteFileError(
            origin,
            1,
            "A suite must be a mapping with suite, dataset and rules",
            "Fix: see quality_rules/suites/.",
        )
    return node, data


def _problem(err: ValidationError) -> tuple[str, str, str]:
    """(field, kind, message) of the first problem pydantic found."""
    first = err.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    return field, first["type"], first["msg"]


def _fields_text(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _rule_error(
    origin: str, lines: dict[str, int], rule_line: int, index: int, expectation: str, err: ValidationError
) -> RuleConfigError:
    field, kind, message = _problem(err)
    model = REGISTRY[expectation].kwargs_model if expectation in REGISTRY else _RuleHeader
    accepted = sorted(RULE_KEYS | set(model.model_fields))
    if not field:
        problem = f"Rule {index} ({expectation}) is invalid: {message}"
        advice = f"Fix: correct the rule; {expectation} accepts: {', '.join(accepted)}."
    elif kind == "extra_forbidden":
        close = difflib.get_close_matches(field, accepted, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        problem = f"Rule {index} ({expectation}) has unknown field '{field}'"
        advice = f"{hint} Fix: use only the fields it accepts: {', '.join(accepted)}.".lstrip()
    elif kind == "missing":
        problem = f"Rule {index} ({expectation}) lacks required field '{field}'"
        advice = f"Fix: add '{field}:' to the rule."
    else:
        problem = f"Rule {index} ({expectation}) has an invalid value for field '{field}': {message}"
        advice = f"Fix: correct '{field}'."
    return RuleConfigError(origin, lines.get(field, rule_line), problem, advice)


def _unknown_expectation(origin: str, line: int, name: str) -> UnknownExpectationError:
    close = difflib.get_close_matches(name, list(REGISTRY), n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return UnknownExpectationError(
        origin,
        line,
        f"Unknown expectation '{name}'",
        f"Valid names: {', '.join(sorted(REGISTRY))}.{hint} "
        "Fix: correct the name, or add the expectation to quality_rules/registry.py.",
    )


def _parse_rule(
    origin: str, index: int, node: yaml.Node, data: Any, default_department: str | None
) -> RuleSpec:
    rule_line = node.start_mark.line + 1
    if not isinstance(data, dict):
        raise RuleConfigError(
            origin, rule_line, f"Rule {index} is not a mapping", "Fix: write it as `- expectation: ...`."
        )
    lines = _key_lines(node)
    name = data.get("expectation")
    if not isinstance(name, str):
        raise RuleConfigError(
            origin, rule_line, f"Rule {index} has no expectation name", "Fix: add `expectation: expect_...`."
        )
    if name not in REGISTRY:
        raise _unknown_expectation(origin, lines.get("expectation", rule_line), name)
    try:
        header = _RuleHeader.model_validate({k: v for k, v in data.items() if k in RULE_KEYS})
        kwargs = REGISTRY[name].kwargs_model.model_validate(
            {k: v for k, v in data.items() if k not in RULE_KEYS}
        )
    except ValidationError as err:
        raise _rule_error(origin, lines, rule_line, index, name, err) from err
    return RuleSpec(
        id=header.id or "",
        expectation=name,
        kwargs=kwargs,
        severity=header.severity,
        dimension=header.dimension,
        department=header.department or default_department,
        description=header.description,
        origin=origin,
        line=rule_line,
    )


def _assign_ids(rules: list[RuleSpec]) -> tuple[RuleSpec, ...]:
    """Default ids `expectation:col1,col2` (suffixed #2, #3 when repeated); explicit ids must be unique."""
    taken: set[str] = set()
    named: list[RuleSpec] = []
    for rule in rules:
        if rule.id:
            if rule.id in taken:
                raise RuleConfigError(
                    rule.origin,
                    rule.line,
                    f"Rule id '{rule.id}' is used twice",
                    "Fix: give each rule its own id.",
                )
            taken.add(rule.id)
    for rule in rules:
        if not rule.id:
            base = f"{rule.expectation}:{','.join(rule.columns)}" if rule.columns else rule.expectation
            candidate, copy = base, 1
            while candidate in taken:
                copy += 1
                candidate = f"{base}#{copy}"
            taken.add(candidate)
            rule = rule.model_copy(update={"id": candidate})
        named.append(rule)
    return tuple(named)


def _check_aliases(rule: RuleSpec, datasets: Mapping[str, str]) -> None:
    """A rule may name only the datasets the suite declares (and `batch`, the suite's own)."""
    for alias in rule.kwargs.dataset_aliases:
        if alias not in datasets and alias != BATCH_ALIAS:
            declared = ", ".join(datasets) if datasets else "none"
            raise RuleConfigError(
                rule.origin,
                rule.line,
                f"Rule {rule.id or rule.expectation} names dataset '{alias}', which the suite does not declare "
                f"(declared: {declared})",
                f"Fix: add `{alias}: tier.name` (e.g. `{alias}: base.population`) under the suite's `datasets:`.",
            )


def parse_suite(text: str, origin: str) -> Suite:
    """Parse suite YAML text; origin names the file in error messages."""
    node, data = _compose(text, origin)
    lines = _key_lines(node)
    datasets = data.get("datasets")
    if "dataset" not in data and isinstance(datasets, dict) and datasets:
        data = {**data, "dataset": next(iter(datasets.values()))}
    try:
        header = _SuiteHeader.model_validate(data)
    except ValidationError as err:
        field, _, message = _problem(err)
        raise SuiteFileError(
            origin,
            lines.get(field, 1),
            f"Invalid suite field '{field}': {message}",
            f"Fix: a suite has {_fields_text(_SuiteHeader)}.",
        ) from err
    rules_node = _value_node(node, "rules")
    items = rules_node.value if isinstance(rules_node, yaml.SequenceNode) else []
    if len(items) != len(header.rules):
        raise SuiteFileError(
            origin, lines.get("rules"), "`rules` must be a list", "Fix: write `rules:` as a list."
        )
    rules = [
        _parse_rule(origin, index, item, entry, header.department)
        for index, (item, entry) in enumerate(zip(items, header.rules, strict=True), start=1)
    ]
    for rule in rules:
        _check_aliases(rule, header.datasets)
    return Suite(
        suite=header.suite,
        dataset=header.dataset,
        department=header.department,
        description=header.description,
        sensitive=header.sensitive,
        rules=_assign_ids(rules),
        origin=origin,
        datasets=header.datasets,
    )


def load_suite(path: Path) -> Suite:
    """Load a suite YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SuiteFileError(
            str(path),
            None,
            f"Cannot read the suite file ({type(err).__name__})",
            "Fix: check the path and encoding.",
        ) from err
    return parse_suite(text, str(path))


def _builtin_entries(cross: bool = False) -> Iterator[tuple[str, Any, str]]:
    """(name, file, origin) of the built-in suites: per-dataset ones, or the cross-table ones in suites/cross."""
    folder = resources.files("lakehub.quality_rules").joinpath(BUILTIN_FOLDER)
    prefix = BUILTIN_ORIGIN
    if cross:
        folder, prefix = folder.joinpath(CROSS_FOLDER), f"{BUILTIN_ORIGIN}/{CROSS_FOLDER}"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yml", ".yaml")):
            yield entry.name.rsplit(".", 1)[0], entry, f"{prefix}/{entry.name}"


def builtin_suite_names() -> tuple[str, ...]:
    """Names of the per-dataset suites shipped in quality_rules/suites (one per sample source)."""
    return tuple(name for name, _, _ in _builtin_entries())


def builtin_cross_suite_names() -> tuple[str, ...]:
    """Names of the cross-table suites shipped in quality_rules/suites/cross."""
    return tuple(name for name, _, _ in _builtin_entries(cross=True))


def load_builtin_suite(name: str) -> Suite:
    """A suite shipped with lakehub, by name (e.g. 'population', or the cross-table 'cross_people')."""
    for entry_name, entry, origin in (*_builtin_entries(), *_builtin_entries(cross=True)):
        if entry_name == name:
            return parse_suite(entry.read_text(encoding="utf-8"), origin)
    names = builtin_suite_names() + builtin_cross_suite_names()
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise SuiteNotFoundError(
        f"No suite file '{name}' and no built-in suite of that name.{hint} "
        f"Built-in suites: {', '.join(names)}. Fix: pass a suite YAML path or one of these names."
    )


def resolve_suite(reference: str | Path) -> Suite:
    """A suite from a YAML path, or a built-in suite by name."""
    path = Path(reference)
    if path.is_file():
        return load_suite(path)
    if path.suffix in (".yml", ".yaml") or len(path.parts) > 1:
        raise SuiteNotFoundError(
            f"Suite file {path} does not exist. Fix: check the path, or name a built-in suite "
            f"({', '.join(builtin_suite_names())})."
        )
    return load_builtin_suite(str(reference))
