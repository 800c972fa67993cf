"""lakehub.toml: typed, frozen configuration with environment-variable overrides."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from lakehub.pipelines.errors import ConfigError, first_problem

CONFIG_FILE = "lakehub.toml"

ENV_OVERRIDES: Mapping[str, tuple[str, ...]] = {
    "LAKEHUB_WAREHOUSE": ("warehouse",),
    "LAKEHUB_CATALOG_URL": ("catalog_url",),
    "LAKEHUB_LANDING_DIR": ("landing_dir",),
    "LAKEHUB_SOURCES_DIR": ("sources_dir",),
    "LAKEHUB_SPARK_MASTER": ("spark", "master"),
    "LAKEHUB_SPARK_DRIVER_MEMORY": ("spark", "driver_memory"),
    "LAKEHUB_JARS_DIR": ("spark", "jars_dir"),
    "LAKEHUB_PSEUDONYM_SECRET": ("pseudonym_secret",),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SparkSettings(_Frozen):
    """How lakehub starts Spark."""

    master: str = "local[*]"
    """Spark master URL: local[*] (embedded default), spark://host:7077, yarn, k8s://..."""
    driver_memory: str = "6g"
    """JVM heap of the driver; in local mode this is all the memory Spark gets."""
    shuffle_partitions: int = 8
    """spark.sql.shuffle.partitions; small for one machine, raise on a cluster."""
    jars_dir: str | None = None
    """Folder with pre-fetched Delta Lake jars; default: the project's jars/lib."""
    conf: dict[str, str] = Field(default_factory=dict)
    """Extra Spark settings, applied last (they win over lakehub's defaults)."""


class TransportSettings(_Frozen):
    """One OpenLineage transport; several may be configured at once."""

    kind: Literal["catalog", "file", "http"] = "catalog"
    path: str | None = None
    """NDJSON file path (kind = file)."""
    url: str | None = None
    """OpenLineage endpoint base URL (kind = http), e.g. a Marquez server."""
    endpoint: str = "api/v1/lineage"
    """Path of the lineage endpoint under url (kind = http)."""
    timeout: float = Field(default=5.0, gt=0)
    """Seconds to wait for the endpoint (kind = http)."""
    retries: int = Field(default=2, ge=0, le=10)
    """Retries on connection errors and 5xx answers (kind = http); then the event waits in pending."""

    @model_validator(mode="after")
    def _target_given(self) -> TransportSettings:
        if self.kind == "file" and not self.path:
            raise ValueError("a file transport needs path (the NDJSON file to append to)")
        if self.kind == "http" and not self.url:
            raise ValueError("an http transport needs url (e.g. http://127.0.0.1:5000)")
        return self


class LineageSettings(_Frozen):
    """Where OpenLineage events go."""

    namespace: str | None = None
    """OpenLineage namespace of lakehub's jobs; default lakehub://<county code>."""
    transports: tuple[TransportSettings, ...] = (TransportSettings(),)


class LakehubConfig(_Frozen):
    """The whole configuration; defaults give the embedded single-machine hub."""

    warehouse: str = "./lakehouse"
    """Root of the Delta lakehouse: <warehouse>/<tier>/<name>; any Hadoop-compatible URI."""
    catalog_url: str | None = None
    """SQLAlchemy URL of the catalog; default SQLite at <warehouse>/_catalog.db."""
    landing_dir: str = "./landing"
    """Where departments drop their files (source specs glob inside it)."""
    sources_dir: str | None = None
    """Extra folder of source spec YAML files, added to (and overriding) the built-in ones."""
    pseudonym_secret: SecretStr | None = Field(default=None, min_length=16)
    """Hub secret keying the pseudonymous join keys of the theme tier (person_key); default: a random
    key generated once and kept in <warehouse>/_secrets/pseudonym.key. Never logged or printed."""
    landing_parallelism: int = Field(default=2, ge=1, le=16)
    """How many sources `lakehub run`/`demo` land at once (they share one SparkSession)."""
    model_parallelism: int = Field(default=2, ge=1, le=16)
    """How many models `lakehub run`/`demo` build at once (theme and business are one DAG), each once the
    models it reads are built."""
    spark: SparkSettings = Field(default_factory=SparkSettings)
    lineage: LineageSettings = Field(default_factory=LineageSettings)
    base_dir: str = "."
    """Folder relative paths are resolved against (the folder holding lakehub.toml)."""

    def resolve(self, value: str) -> str:
        """Return a path relative to base_dir as absolute; URIs are returned unchanged."""
        if "://" in value or value.startswith("/"):
            return value
        return str((Path(self.base_dir) / value).resolve())

    @property
    def warehouse_path(self) -> str:
        """Absolute warehouse location."""
        return self.resolve(self.warehouse)

    @property
    def local_warehouse(self) -> Path | None:
        """The warehouse as a local folder, or None when it is a remote URI (hdfs://, s3a://, ...)."""
        warehouse = self.warehouse_path
        if "://" in warehouse and not warehouse.startswith("file://"):
            return None
        return Path(warehouse.removeprefix("file://"))

    @property
    def landing_path(self) -> Path:
        """Absolute landing folder."""
        return Path(self.resolve(self.landing_dir))

    @property
    def effective_catalog_url(self) -> str:
        """Catalog URL with the SQLite default filled in."""
        if self.catalog_url:
            return self.catalog_url
        return f"sqlite:///{self.warehouse_path}/_catalog.db"

    def table_path(self, tier: str, name: str) -> str:
        """Location of the Delta table tier.name."""
        return f"{self.warehouse_path.rstrip('/')}/{tier}/{name}"


def find_config_file(start: Path | None = None) -> Path | None:
    """The config file named by LAKEHUB_CONFIG, else lakehub.toml in the current folder."""
    named = os.environ.get("LAKEHUB_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(
                f"LAKEHUB_CONFIG points at {path}, which does not exist. "
                "Fix: create it with `lakehub init` or unset LAKEHUB_CONFIG."
            )
        return path
    candidate = (start or Path.cwd()) / CONFIG_FILE
    return candidate if candidate.is_file() else None


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> LakehubConfig:
    """Read lakehub.toml (defaults when absent) and apply LAKEHUB_* environment overrides."""
    env = os.environ if env is None else env
    path = path or find_config_file()
    data: dict[str, object] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path} is not valid TOML: {err}. Fix: correct the line it names.") from err
        data["base_dir"] = str(path.parent.resolve())
    for var, keys in ENV_OVERRIDES.items():
        if env.get(var):
            target = data
            for key in keys[:-1]:
                nested = target.setdefault(key, {})
                if not isinstance(nested, dict):
                    raise ConfigError(f"[{key}] in {path} must be a table. Fix: write it as [{key}].")
                target = nested
            target[keys[-1]] = env[var]
    try:
        return LakehubConfig.model_validate(data)
    except ValidationError as err:
        where, problem = first_problem(err)
        raise ConfigError(
            f"Invalid setting '{where}' in {path or 'the environment'}: {problem}. "
            "Fix: correct it or delete it to use the default (see `lakehub init` for a commented example)."
        ) from err


CONFIG_TEMPLATE = """\
# lakehub configuration. Every setting is optional; environment variables override them:
# LAKEHUB_WAREHOUSE, LAKEHUB_CATALOG_URL, LAKEHUB_LANDING_DIR, LAKEHUB_SOURCES_DIR,
# LAKEHUB_SPARK_MASTER, LAKEHUB_SPARK_DRIVER_MEMORY, LAKEHUB_JARS_DIR, LAKEHUB_PSEUDONYM_SECRET.

# Root of the Delta lakehouse (<warehouse>/<tier>/<name>); any Hadoop-compatible URI works.
warehouse = "./lakehouse"

# Metadata catalog. Default: SQLite inside the warehouse. PostgreSQL example:
# catalog_url = "postgresql+psycopg://lakehub@127.0.0.1:5432/lakehub"

# Where departments drop their files; each source spec globs inside it.
landing_dir = "./landing"

# How many sources `lakehub run` and `lakehub demo` land at once (one shared SparkSession).
landing_parallelism = 2

# How many models are built at once (each starts once the models it reads are built, in any tier).
model_parallelism = 2

# Extra source specs (YAML), added to the built-in departmental sources.
# sources_dir = "./sources"

# Secret (at least 16 characters) keying the theme tier's pseudonymous person_key. Prefer the
# LAKEHUB_PSEUDONYM_SECRET environment variable; by default a random key is generated once and kept
# in <warehouse>/_secrets/pseudonym.key (back it up: a new key gives every person a new key).
# pseudonym_secret = "..."

[spark]
master = "local[*]"          # or spark://host:7077, yarn, k8s://...
driver_memory = "6g"
shuffle_partitions = 8
# jars_dir = "./jars/lib"    # pre-fetched Delta Lake jars

[spark.conf]
# "spark.executor.memory" = "4g"

[lineage]
# namespace = "lakehub://360404"

[[lineage.transports]]
kind = "catalog"

# [[lineage.transports]]
# kind = "file"
# path = "./lakehouse/_lineage/events.ndjson"

# [[lineage.transports]]
# kind = "http"
# url = "http://127.0.0.1:5000"   # Marquez or any OpenLineage endpoint
# timeout = 5.0
# retries = 2
"""


def write_config_template(folder: Path) -> Path:
    """Create folder/lakehub.toml with commented defaults; refuse to overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CONFIG_FILE
    if target.exists():
        raise ConfigError(
            f"{target} already exists. Fix: edit it, or delete it and run `lakehub init` again."
        )
    target.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    return target
