"""`lakehub sample generate`: synthetic departmental deliveries with a defect manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakehub.cli.output import console, print_json, print_table

app = typer.Typer(help="Synthetic sample data of the county's departments.", no_args_is_help=True)


@app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files and manifest.json into.")],
    scale: Annotated[
        int, typer.Option(help="Rows of the population source; other sources grow with it.", min=10)
    ] = 2000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives byte-identical files.")
    ] = 20260101,
    sources: Annotated[
        str | None, typer.Option(help="Comma-separated subset of sources, e.g. population.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Write the nine departmental sources with injected defects and manifest.json."""
    from lakehub.sample_data import generate_sample

    chosen = [s.strip() for s in sources.split(",")] if sources else None
    with console.status("generating sample data…"):
        manifest = generate_sample(out, scale=scale, seed=seed, sources=chosen)
    summary = {
        "out": str(out),
        "seed": manifest.seed,
        "scale": manifest.scale,
        "sources": {k: {"file": v.file, "rows": v.rows} for k, v in manifest.sources.items()},
        "defects": len(manifest.defects),
        "defect_counts": dict(manifest.defect_counts),
    }
    if json_output:
        print_json(summary)
        return
    print_table(
        f"样例数据 → {out}",
        ["source", "file", "rows"],
        [[k, v["file"], v["rows"]] for k, v in summary["sources"].items()],  # type: ignore[attr-defined]  # dict built above
    )
    console.print(f"{summary['defects']} injected defects recorded in {out / 'manifest.json'}")
