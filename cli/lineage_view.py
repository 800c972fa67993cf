"""Rendering of lineage query results: JSON with stable keys, or a rich table (imported only then)."""

from __future__ import annotations

import json
from typing import Any

from lakehub.catalog.lineage_graph import LineageResult, Reached


def _reached(node: Reached) -> dict[str, Any]:
    return {
        "name": node.name,
        "depth": node.depth,
        "dataset": node.dataset,
        "column": node.column,
        "tier": node.tier,
        "title": node.title,
        "owner": node.owner,
        "jobs": list(node.jobs),
        "via": list(node.via),
        "columns": list(node.columns),
    }


def result_json(result: LineageResult) -> str:
    """The result as one JSON document (keys: query, root, direction, level, as_of, cycle, nodes, columns)."""
    document = {
        "query": result.query,
        "root": result.root,
        "direction": result.direction,
        "level": result.level,
        "as_of": result.as_of,
        "cycle": result.cycle,
        "nodes": [_reached(n) for n in result.nodes],
        "columns": [_reached(c) for c in result.columns],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def print_result(result: LineageResult, json_output: bool) -> None:
    """Print a query result on stdout."""
    if json_output:
        print(result_json(result))
        return
    from lakehub.cli.output import console, print_table

    titles = {"upstream": "上游", "downstream": "下游"}
    heading = f"{result.root} 的{'影响范围' if result.query == 'impact' else titles[result.direction]}"
    if result.as_of:
        heading += f"（截至 {result.as_of}）"
    rows: list[list[Any]] = [
        [
            n.depth,
            n.name,
            n.tier or "",
            n.title or "",
            n.owner or "",
            ", ".join(n.jobs),
            ", ".join(n.columns) if n.columns else "",
        ]
        for n in result.nodes
    ]
    print_table(heading, ["深度", "名称", "层级", "标题", "责任部门", "经由作业", "涉及列"], rows)
    if result.columns and result.query == "impact" and result.level == "dataset":
        print_table(
            "受影响的列",
            ["深度", "列", "责任部门", "经由作业", "来自"],
            [[c.depth, c.name, c.owner or "", ", ".join(c.jobs), ", ".join(c.via)] for c in result.columns],
        )
    if result.cycle:
        console.print("[yellow]注意：血缘中存在回到起点的环路（含自环），已在首次到达处停止。[/]")
    if not result.nodes:
        console.print("（没有找到血缘关系）")
