"""Engine creation for the catalog database: URL checks, SQLite pragmas, safe URL rendering."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from .errors import CatalogUnavailableError

log = logging.getLogger(__name__)

DEFAULT_CATALOG_URL = "sqlite:///lakehouse/_catalog.db"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 5
URL_HINT = "Check catalog_url in lakehub.toml (or LAKEHUB_CATALOG_URL), then run `lakehub doctor`."
EXAMPLE_URLS = "sqlite:///lakehouse/_catalog.db or postgresql+psycopg://user@host:5432/lakehub"
_DRIVER_PACKAGES = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "psycopg[binary]",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
}
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def parse_url(url: str | URL) -> URL:
    """Parse a catalog URL or raise CatalogUnavailableError with an example of a valid one."""
    try:
        return make_url(url)
    except ArgumentError as err:
        shown = _PASSWORD_IN_URL.sub(r"\1***@", str(url))
        raise CatalogUnavailableError(
            f"Catalog URL {shown!r} is not a valid database URL. Use e.g. {EXAMPLE_URLS}."
        ) from err


def is_memory_sqlite(url: URL) -> bool:
    """Whether the URL names a private in-memory SQLite database."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def render_url(url: str | URL) -> str:
    """Render a URL for messages: password hidden, SQLite paths made absolute."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and not is_memory_sqlite(parsed):
        database = parsed.database or ""
        if not database.startswith("file:"):
            parsed = parsed.set(database=str(Path(database).resolve()))
    return parsed.render_as_string(hide_password=True)


def scrub(message: str, url: URL) -> str:
    """Remove the URL's password from a driver message."""
    if url.password:
        message = message.replace(str(url.password), "***")
    return message


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign-key enforcement, which SQLite leaves off by default."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _ensure_sqlite_directory(url: URL, where: str) -> None:
    """Create the parent directory of a SQLite database file."""
    database = url.database or ""
    if is_memory_sqlite(url) or database.startswith("file:"):
        return
    parent = Path(database).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CatalogUnavailableError(
            f"Cannot create the directory {parent} for the catalog at {where}: {err.strerror}. "
            f"Point the catalog URL at a writable directory. {URL_HINT}"
        ) from err


def create_catalog_engine(url: str | URL) -> Engine:
    """Create an engine for the catalog, creating the SQLite directory when needed."""
    parsed = parse_url(url)
    where = render_url(parsed)
    options: dict[str, Any] = {"pool_pre_ping": True}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _ensure_sqlite_directory(parsed, where)
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        if is_memory_sqlite(parsed):
            options["poolclass"] = StaticPool
            options["connect_args"]["check_same_thread"] = False
    elif backend == "postgresql" and parsed.get_driver_name() in ("psycopg2", "psycopg"):
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    try:
        engine = create_engine(parsed, **options)
    except (NoSuchModuleError, ImportError) as err:
        package = _DRIVER_PACKAGES.get(parsed.get_driver_name())
        install = f"Install it with `pip install '{package}'`" if package else "Install its Python driver"
        raise CatalogUnavailableError(
            f"No database driver for the catalog at {where} ({parsed.drivername}). "
            f"{install}, or use a supported URL such as {EXAMPLE_URLS}."
        ) from err
    if backend == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    log.debug("Created catalog engine for %s", where)
    return engine
