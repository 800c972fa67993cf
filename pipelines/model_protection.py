"""Protecting what models publish: masked or pseudonymised classified columns, and clear columns only where
granted and read from the base tier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakehub.pipelines.model_code import python_column_lineage
from lakehub.pipelines.model_specs import ModelSpec, ModelSpecError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def mask_frame(frame: DataFrame, masks: Mapping[str, str], key: bytes | None = None) -> DataFrame:
    """Replace each classified column with its masked form, or its keyed pseudonym when its protection
    is ``pseudonym`` (quality_rules.masking), keeping order."""
    if not masks:
        return frame
    from pyspark.sql import functions as F

    from lakehub.quality_rules.masking import PSEUDONYM, mask_column, pseudonym_column

    def protect(column: str) -> Column:
        how = masks[column]
        if how == PSEUDONYM:
            if key is None:
                raise ModelSpecError(f"Column {column} is a pseudonym but no pseudonym key was given.")
            return pseudonym_column(column, key).alias(column)
        return mask_column(F.col(column).cast("string"), how).alias(column)  # type: ignore[arg-type]  # masks values are Sensitivity names from the sidecar

    return frame.select(*(protect(c) if c in masks else F.col(c) for c in frame.columns))


def check_grants(model: ModelSpec) -> None:
    """A granted (clear) business column must be read from the base tier, where clear values live: the
    theme tier only holds masked values and pseudonyms, so a grant on a column drawn from it would
    publish nothing useful and hide where the clear value really comes from."""
    if not model.meta.grants:
        return
    from lakehub.lineage.column_lineage import derive_sql_lineage

    if model.kind == "sql":
        lineage = derive_sql_lineage(model.render_sql(), list(model.refs))
    else:
        lineage = python_column_lineage(model, {})
    for column in model.meta.grants:
        sources = lineage.get(column, ())
        direct = {s.dataset for s in sources if s.transformation == "DIRECT"}
        if not direct or any(not d.startswith("base.") for d in direct):
            found = ", ".join(sorted(direct)) or "no input column"
            raise ModelSpecError(
                f"{model.path}: granted column {column} comes from {found}; a clear value must be read "
                "from the base tier explicitly (e.g. join ref('base.population') on person_key(id_number)). "
                "Fix: select it from a base dataset, or remove it from grants."
            )


def protection_note(how: str | None) -> str:
    """What the catalog says about a protected column."""
    if how is None:
        return ""
    return "（假名化：主题库统一假名键，不可还原）" if how == "pseudonym" else "（已脱敏）"
