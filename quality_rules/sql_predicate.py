"""Custom SQL per row: every row satisfies a Spark SQL boolean expression (checked in the suite's one pass)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from lakehub.quality_rules.compiled import CompileContext, RowCheck
from lakehub.quality_rules.kwargs import ExpectationKwargs

if TYPE_CHECKING:
    from pyspark.sql import Column


class SqlPredicateKwargs(ExpectationKwargs):
    """Every row satisfies predicate, a Spark SQL boolean expression; null counts as satisfied (like CHECK).

    `column_list` names the columns the predicate reads: they are checked to exist before any data is read
    and illustrate failing rows in samples. Every row (or every row_condition row) is an element.
    """

    predicate: str = Field(min_length=1)
    column_list: tuple[str, ...] = ()
    mostly: float = Field(1.0, ge=0.0, le=1.0)

    @property
    def columns(self) -> tuple[str, ...]:
        """The declared column list."""
        return self.column_list

    @property
    def fraction(self) -> float | None:
        """The `mostly` share."""
        return self.mostly


def predicate_column(predicate: str) -> Column:
    """The predicate as a Spark Column (raises pyspark's ParseException when it is not Spark SQL)."""
    from pyspark.sql import functions as F

    return F.expr(predicate)


def predicate_violated(predicate: str) -> Column:
    """True exactly where the predicate is false (null satisfies it): the rule's unexpected rows in both engines."""
    from pyspark.sql import functions as F

    return F.coalesce(~predicate_column(predicate), F.lit(False))


def compile_predicate(kwargs: SqlPredicateKwargs, context: CompileContext) -> RowCheck:
    """Rows where the predicate is false are unexpected."""
    from pyspark.sql import functions as F

    return RowCheck(
        unexpected=predicate_violated(kwargs.predicate),
        element=F.lit(True),
        sample_columns=kwargs.column_list,
    )
