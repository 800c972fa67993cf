"""Shared helpers of the lineage tests: the official spec folder, a validator, graph builders."""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lakehub.catalog.lineage_store import LineageRepository, to_stored
from lakehub.lineage.events import EventBuilder, event_to_dict
from lakehub.lineage.report import ColumnInfo, DatasetIO, FieldSource, JobRun
from lakehub.lineage.spec import SpecValidator

REPO = Path(__file__).resolve().parent.parent


def official_spec_dir() -> Path:
    """The official OpenLineage JSON schemas shared with the project (../shared/reference/openlineage-spec)."""
    candidates = [
        Path(os.environ["LAKEHUB_OPENLINEAGE_SPEC"]) if os.environ.get("LAKEHUB_OPENLINEAGE_SPEC") else None,
        REPO.parent / "shared" / "reference" / "openlineage-spec",
        REPO.parent.parent / "shared" / "reference" / "openlineage-spec",
        Path("/work/shared/reference/openlineage-spec"),
    ]
    for candidate in candidates:
        if candidate is not None and (candidate / "OpenLineage.json").is_file():
            return candidate
    pytest.fail(
        "The official OpenLineage spec (shared/reference/openlineage-spec) is not beside the repository."
    )


def official_validator() -> SpecValidator:
    """A validator over the official schemas (not lakehub's vendored copy)."""
    return SpecValidator(official_spec_dir())


def dataset(name: str, root: Path, columns: Sequence[str] = ("id_number", "name"), **extra: Any) -> DatasetIO:
    """A DatasetIO named tier.name stored under root/tier/name."""
    tier, _, table = name.partition(".")
    return DatasetIO(
        name=name,
        location=str(root / tier / table),
        title=f"{table}表",
        tier=tier,
        columns=tuple(ColumnInfo(c, "string") for c in columns),
        owner=extra.pop("owner", "区公安分局"),
        **extra,
    )


def run_job(
    repository: LineageRepository,
    builder: EventBuilder,
    root: Path,
    job: str,
    inputs: Sequence[str],
    outputs: Sequence[str],
    *,
    sql: str | None = None,
    lineage: dict[str, tuple[FieldSource, ...]] | None = None,
    columns: Sequence[str] = ("id_number", "name"),
    when: datetime | None = None,
) -> str:
    """Store START + COMPLETE of one job run and return its run id."""
    run = JobRun(str(uuid.uuid4()), job, "MODEL", sql=sql)
    ins = [dataset(i, root) for i in inputs]
    outs = [dataclasses.replace(dataset(o, root, columns), column_lineage=lineage or {}) for o in outputs]
    when = when or datetime.now(UTC)
    events = [
        builder.build("START", run, ins, event_time=when),
        builder.build("COMPLETE", run, ins, outs, event_time=when),
    ]
    repository.add_events([to_stored(event_to_dict(e)) for e in events])
    return run.run_id


def headless_chromium() -> Any:
    """A headless Chromium WebDriver (Debian chromium + chromedriver, installed by scripts/install.sh)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail(
            "headless Chromium and chromedriver are not installed. Fix: run `bash scripts/install.sh`."
        )
    options = Options()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(driver), options=options)
