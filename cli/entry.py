"""Console-script entry: lineage queries take a lean path, everything else the Typer app.

`lakehub lineage upstream|downstream|impact|column` answer in well under a second on large graphs:
importing the Typer app (and through it SQLAlchemy, pydantic and pipelines) alone costs over a
second, so these four commands are parsed here with argparse, the catalog URL is read straight from
lakehub.toml/the environment, and SQLite catalogs are queried with the stdlib sqlite3 module. Any
other command, ``--help``, or arguments this parser does not accept go to the full Typer app, so
the CLI contract and its error messages stay the same.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

FAST_COMMANDS = ("upstream", "downstream", "impact", "column")


class _Fallback(Exception):
    """The lean parser does not handle these arguments; use the Typer app."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # argparse's error exits; we fall back
        raise _Fallback(message)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = _Parser(add_help=False, allow_abbrev=False)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("domain", choices=["lineage"])
    parser.add_argument("kind", choices=FAST_COMMANDS)
    parser.add_argument("ref")
    parser.add_argument("--depth", type=int)
    parser.add_argument("--as-of", dest="as_of")
    parser.add_argument("--direction", default="up")
    parser.add_argument("--json", dest="json_output", action="store_true")
    args = parser.parse_args(argv)
    if args.depth is not None and args.depth < 1:
        raise _Fallback("--depth below 1")
    if args.kind != "column" and args.direction != "up":
        raise _Fallback("--direction only applies to column")
    if args.kind == "impact" and args.depth is not None:
        raise _Fallback("impact takes no --depth")
    return args


def catalog_url(config_path: Path | None, env: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The catalog URL as `lakehub.pipelines.config.load_config` resolves it, without pydantic.

    Reads only ``catalog_url`` and ``warehouse`` (with LAKEHUB_CATALOG_URL, LAKEHUB_WAREHOUSE and
    LAKEHUB_CONFIG); a config file it cannot read sends the command to the full app, which reports it.
    """
    if env.get("LAKEHUB_CATALOG_URL"):
        return env["LAKEHUB_CATALOG_URL"]
    path = config_path or (Path(env["LAKEHUB_CONFIG"]) if env.get("LAKEHUB_CONFIG") else None)
    if path is None and Path("lakehub.toml").is_file():
        path = Path("lakehub.toml")
    data: dict[str, object] = {}
    base = Path.cwd()
    if path is not None:
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise _Fallback(f"config {path}: {err}") from err
        base = path.parent.resolve()
    if isinstance(data.get("catalog_url"), str) and data["catalog_url"]:
        return str(data["catalog_url"])
    warehouse = env.get("LAKEHUB_WAREHOUSE") or data.get("warehouse") or "./lakehouse"
    if not isinstance(warehouse, str):
        raise _Fallback("warehouse is not a string")
    if not ("://" in warehouse or warehouse.startswith("/")):
        warehouse = str((base / warehouse).resolve())
    return f"sqlite:///{warehouse}/_catalog.db"


def _fast(argv: Sequence[str]) -> int:
    args = _parse(argv)
    url = catalog_url(args.config)
    from lakehub.catalog.errors import CatalogError
    from lakehub.cli.lineage_view import print_result
    from lakehub.lineage.query import query_lineage

    try:
        result = query_lineage(
            url, args.kind, args.ref, depth=args.depth, direction=args.direction, as_of=args.as_of
        )
    except CatalogError as err:
        if args.debug:
            raise
        from lakehub.cli.output import print_error

        print_error(str(err))
        return 2
    try:
        print_result(result, args.json_output)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) closed the pipe; stop quietly like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def run() -> None:
    """`lakehub`: the lean lineage-query path when it applies, else the Typer app."""
    argv = sys.argv[1:]
    if "lineage" in argv and any(kind in argv for kind in FAST_COMMANDS) and not {"--help", "-h"} & set(argv):
        try:
            code = _fast(argv)
        except _Fallback:
            pass
        else:
            sys.stdout.flush()
            sys.exit(code)
    from lakehub.cli.main import run as run_app

    run_app()
