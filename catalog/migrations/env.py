"""Alembic environment for the catalog: uses a given connection or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from lakehub.catalog.models import CatalogBase

target_metadata = CatalogBase.metadata


def _configure_and_run(connection: Connection) -> None:
    """Run the migrations on one connection; batch mode lets SQLite alter tables."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    """URL from `-x url=...` on the alembic command line, else from sqlalchemy.url."""
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("No catalog URL: set sqlalchemy.url or pass `alembic -x url=...`.")
    return url


def run_migrations_offline() -> None:
    """Emit the migration SQL without a database connection."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the connection lakehub passed in, or a fresh engine for the URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as fresh:
        _configure_and_run(fresh)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
