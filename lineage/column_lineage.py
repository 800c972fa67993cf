"""Column lineage of SQL models, derived with openlineage-sql (no Spark, no JVM)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from .report import FieldSource

log = logging.getLogger(__name__)

SQL_DIALECT = "sparksql"


def _short_name(qualified: str, known: Sequence[str]) -> str:
    """Map a table name as written in SQL to one of the job's short names ``tier.name``."""
    if qualified in known:
        return qualified
    bare = qualified.rsplit(".", 1)[-1]
    matches = [name for name in known if name.rsplit(".", 1)[-1] == bare]
    return matches[0] if len(matches) == 1 else qualified


def derive_sql_lineage(sql: str, inputs: Sequence[str] = ()) -> dict[str, tuple[FieldSource, ...]]:
    """Output column → input fields of a SQL model's final SELECT (or INSERT ... SELECT).

    Tables are matched to the job's input short names (``base.population``); a column computed from
    a single same-named input column selected as is (``p.name`` or ``p.name AS name``) is IDENTITY,
    anything else TRANSFORMATION.
    """
    import openlineage_sql

    try:
        meta = openlineage_sql.parse([sql], dialect=SQL_DIALECT)
    except Exception as err:  # openlineage-sql raises its own error types from Rust
        log.warning(
            "openlineage-sql could not parse a model's SQL (%s); no column lineage", type(err).__name__
        )
        return {}
    if meta is None:
        return {}
    for error in meta.errors:
        log.warning("openlineage-sql: %s", error.message)
    # Tables the SQL reads; an origin outside them is a CTE or subquery column with no base column behind
    # it (e.g. COUNT(*) in a CTE), which must not become a dataset of its own.
    read = {_short_name(t.qualified_name, inputs) for t in meta.in_tables} | set(inputs)
    lineage: dict[str, tuple[FieldSource, ...]] = {}
    for column in meta.column_lineage:
        origins = [
            c
            for c in column.lineage
            if c.origin is not None and _short_name(c.origin.qualified_name, inputs) in read
        ]
        if not origins:
            continue
        single = len(origins) == 1 and origins[0].name == column.descendant.name
        single = single and _selected_as_is(sql, column.descendant.name)
        lineage[column.descendant.name] = tuple(
            FieldSource(
                dataset=_short_name(c.origin.qualified_name, inputs),
                column=c.name,
                transformation="DIRECT",
                subtype="IDENTITY" if single else "TRANSFORMATION",
                description="derived from SQL by openlineage-sql",
            )
            for c in sorted(origins, key=lambda c: (c.origin.qualified_name, c.name))
        )
    return lineage


def _select_items(sql: str) -> list[str]:
    """Items of every SELECT list in ``sql`` (split on commas outside parentheses)."""
    items: list[str] = []
    for match in re.finditer(r"\bSELECT\b(.*?)\bFROM\b", sql, flags=re.IGNORECASE | re.DOTALL):
        depth, current = 0, list[str]()
        for char in match.group(1):
            depth += (char == "(") - (char == ")")
            if char == "," and depth == 0:
                items.append("".join(current).strip())
                current = []
            else:
                current.append(char)
        items.append("".join(current).strip())
    return items


def _selected_as_is(sql: str, column: str) -> bool:
    """Whether a SELECT list holds ``column`` bare (optionally qualified and aliased to itself)."""
    name = re.escape(column)
    pattern = re.compile(rf"(?:DISTINCT\s+)?(?:\w+\.)?{name}(?:\s+(?:AS\s+)?{name})?", re.IGNORECASE)
    return any(pattern.fullmatch(item) for item in _select_items(sql))
