"""Entry points of the lineage queries: one call per CLI command, SQL over the catalog, no JVM."""

from __future__ import annotations

from typing import Literal

from lakehub.catalog.lineage_graph import LineageQueryError, LineageResult, open_lineage_graph

QueryKind = Literal["upstream", "downstream", "impact", "column"]
QUERY_KINDS: tuple[QueryKind, ...] = ("upstream", "downstream", "impact", "column")


def query_lineage(
    catalog_url: str,
    kind: QueryKind,
    ref: str,
    *,
    depth: int | None = None,
    direction: Literal["up", "down"] = "up",
    as_of: str | None = None,
) -> LineageResult:
    """Run one lineage query (`lakehub lineage upstream|downstream|impact|column`)."""
    with open_lineage_graph(catalog_url) as graph:
        if kind == "impact":
            return graph.impact(ref, as_of=as_of)
        if kind == "column":
            if direction not in ("up", "down"):
                raise LineageQueryError(
                    f"--direction {direction!r} is not valid. Valid values are: up, down."
                )
            return graph.column(
                ref, "upstream" if direction == "up" else "downstream", depth=depth, as_of=as_of
            )
        return graph.walk(ref, kind, depth=depth, as_of=as_of)
