"""Schema revisions: Alembic config pointing into the package, current revision, upgrade to head."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from .errors import CatalogUnavailableError

if TYPE_CHECKING:
    from alembic.config import Config

PACKAGE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
VERSION_TABLE = "alembic_version"
# Newest revision in migrations/versions; kept here so read paths need not import Alembic.
# A test checks it against the scripts: bump it with every new revision.
HEAD_REVISION = "0004"

log = logging.getLogger(__name__)


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Alembic Config for the catalog migrations, independent of the working directory."""
    from alembic.config import Config

    config = Config(ALEMBIC_INI if ALEMBIC_INI.exists() else None)
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_head() -> str | None:
    """Head revision according to the migration scripts themselves."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head


def current_revision(connection: Connection) -> str | None:
    """Revision the database is at, or None when it has never been migrated."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revisions = list(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    if len(revisions) > 1:
        raise CatalogUnavailableError(
            f"The catalog has several schema revisions {revisions} in {VERSION_TABLE}; expected one. "
            "Merge the branches with `alembic merge` before using this catalog."
        )
    return str(revisions[0]) if revisions else None


def upgrade_to_head(engine: Engine, where: str) -> tuple[str | None, str]:
    """Upgrade the database to head unless it is there already; return (before, after)."""
    with engine.connect() as connection:
        before = current_revision(connection)
    if before == HEAD_REVISION:
        return before, HEAD_REVISION
    from alembic import command
    from alembic.util.exc import CommandError

    log.info("Upgrading catalog schema at %s from %s to %s", where, before or "empty", HEAD_REVISION)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection=connection), "head")
    except CommandError as err:
        raise CatalogUnavailableError(
            f"Cannot upgrade the catalog at {where}: {err}. It may have been created by a newer "
            "lakehub; upgrade lakehub or point the catalog URL at another database."
        ) from err
    return before, HEAD_REVISION
