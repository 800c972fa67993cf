"""The hub's pseudonym key: from config (LAKEHUB_PSEUDONYM_SECRET / lakehub.toml) or generated once.

Theme tables replace resident IDs with ``person_key`` = HMAC-SHA256 of the standardised ID under this key
(``quality_rules.masking.pseudonymise``). Without a configured secret, a random 256-bit key is created on
first use in ``<warehouse>/_secrets/pseudonym.key`` (mode 0600) and read back on later runs, so keys are
stable for the life of the warehouse. The key is never logged, printed, or put in lineage or the catalog;
only ``key_id`` (an HMAC of a constant under it) is recorded, so a changed key forces full rebuilds.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Final

from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import ConfigError
from lakehub.quality_rules.masking import pseudonym_sql

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

KEY_FILE: Final = "_secrets/pseudonym.key"
SQL_FUNCTION: Final = "person_key"
"""SQL function models call to pseudonymise a base identifier, e.g. ``person_key(a.id_number)``."""
_KEY_BYTES: Final = 32


def key_file(config: LakehubConfig) -> Path | None:
    """Where the generated key lives (None for a remote warehouse, which needs a configured secret)."""
    warehouse = config.local_warehouse
    return None if warehouse is None else warehouse / KEY_FILE


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as err:
        raise ConfigError(
            f"{path} does not hold a hex pseudonym key. Fix: restore it from backup, or set "
            "LAKEHUB_PSEUDONYM_SECRET (every person_key changes with the key; rebuild with --full-refresh)."
        ) from err
    if len(key) < 16:
        raise ConfigError(f"{path} holds a key shorter than 16 bytes. Fix: restore it from backup.")
    return key


def pseudonym_key(config: LakehubConfig) -> bytes:
    """The hub's pseudonym key: the configured secret, else the warehouse key file (created if absent)."""
    if config.pseudonym_secret is not None:
        return config.pseudonym_secret.get_secret_value().encode("utf-8")
    path = key_file(config)
    if path is None:
        raise ConfigError(
            f"The warehouse {config.warehouse_path} is remote, so lakehub cannot keep a generated "
            "pseudonym key in it. Fix: set LAKEHUB_PSEUDONYM_SECRET (or pseudonym_secret in lakehub.toml) "
            "to a secret of at least 16 characters."
        )
    if path.is_file():
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(_KEY_BYTES) + "\n")
    try:
        os.link(draft, path)  # atomic and exclusive: concurrent first runs all end up with one key
        log.info("generated a new pseudonym key in %s", path)
    except FileExistsError:
        log.debug("another run created the pseudonym key first")
    finally:
        draft.unlink()
    return _read_key(path)


def register_pseudonym_function(spark: SparkSession, key: bytes) -> None:
    """Define the session's SQL function ``person_key(value)`` (the same HMAC as the theme tier's keys)."""
    spark.sql(
        f"CREATE OR REPLACE TEMPORARY FUNCTION {SQL_FUNCTION}(value STRING) RETURNS STRING "
        f"RETURN {pseudonym_sql('value', key)}"
    )
