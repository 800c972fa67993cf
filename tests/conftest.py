"""Shared fixtures: one SparkSession for the whole run, per-test warehouse/catalog/landing folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakehub.catalog import CatalogStore
from lakehub.pipelines.config import LakehubConfig, SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REPO = Path(__file__).resolve().parent.parent


def make_config(root: Path) -> LakehubConfig:
    """An embedded-default config rooted in a temporary folder."""
    return LakehubConfig(
        warehouse=str(root / "lakehouse"),
        landing_dir=str(root / "landing"),
        spark=SparkSettings(master="local[2]", shuffle_partitions=2, driver_memory="3g"),
        base_dir=str(root),
    )


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """The one SparkSession of the test run (local[2], Delta, 2 shuffle partitions, UI off)."""
    from lakehub.pipelines.spark import build_spark

    session = build_spark(make_config(tmp_path_factory.mktemp("spark")), app_name="lakehub-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database for catalog tests: LAKEHUB_TEST_POSTGRES_URL, or a loopback server we start."""
    given = os.environ.get("LAKEHUB_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    from tests.postgres import loopback_postgres

    with loopback_postgres() as url:
        yield url


@pytest.fixture
def lakehub_config(tmp_path: Path) -> LakehubConfig:
    """Config with warehouse, landing folder and SQLite catalog under tmp_path."""
    return make_config(tmp_path)


@pytest.fixture
def catalog_store(lakehub_config: LakehubConfig) -> CatalogStore:
    """A migrated SQLite catalog inside the test's warehouse."""
    return CatalogStore.open(lakehub_config.effective_catalog_url)
