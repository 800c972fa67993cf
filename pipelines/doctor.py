"""`lakehub doctor`: check the machine and the configuration, saying how to fix each problem."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import PipelineError


class CheckOutcome(StrEnum):
    """Result of one doctor check."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class DoctorCheck:
    """One line of the doctor's report."""

    name: str
    outcome: CheckOutcome
    detail: str
    fix: str = ""


def _java(config: LakehubConfig) -> DoctorCheck:
    from lakehub.pipelines.spark import check_java

    try:
        java = check_java()
    except PipelineError as err:
        return DoctorCheck(
            "java", CheckOutcome.FAIL, str(err).split(". Fix:")[0], "apt-get install openjdk-17-jdk-headless"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)', out)
    major = int(match.group(1)) if match else 0
    if major < 17:
        return DoctorCheck(
            "java",
            CheckOutcome.FAIL,
            f"{java} is Java {major or '?'}; Spark 4 needs 17+",
            "install openjdk-17 and set JAVA_HOME",
        )
    return DoctorCheck("java", CheckOutcome.OK, f"Java {major} at {java}")


def _packages(config: LakehubConfig) -> DoctorCheck:
    try:
        spark = importlib.metadata.version("pyspark")
        delta = importlib.metadata.version("delta-spark")
    except importlib.metadata.PackageNotFoundError as err:
        return DoctorCheck(
            "python packages", CheckOutcome.FAIL, f"{err.name} is not installed", "bash scripts/install.sh"
        )
    return DoctorCheck(
        "python packages",
        CheckOutcome.OK,
        f"pyspark {spark}, delta-spark {delta}, Python {sys.version.split()[0]}",
    )


def _jars(config: LakehubConfig) -> DoctorCheck:
    from lakehub.pipelines.spark import find_delta_jars, udf_jar

    try:
        jars = [*find_delta_jars(config), udf_jar()]
    except PipelineError as err:
        return DoctorCheck(
            "delta jars", CheckOutcome.FAIL, str(err).split(". Fix:")[0], "bash scripts/install.sh"
        )
    minor = ".".join(importlib.metadata.version("pyspark").split(".")[:2])
    core = [Path(j).name for j in jars if "delta-spark" in Path(j).name]
    if not any(f"_{minor}_" in name for name in core):
        return DoctorCheck(
            "delta jars",
            CheckOutcome.FAIL,
            f"{core} are not built for Spark {minor}",
            "bash scripts/install.sh",
        )
    return DoctorCheck(
        "delta jars", CheckOutcome.OK, f"{len(jars)} jars ({', '.join(core)}, {Path(jars[-1]).name})"
    )


def _warehouse(config: LakehubConfig) -> DoctorCheck:
    folder = config.local_warehouse
    if folder is None:
        where = config.warehouse_path
        return DoctorCheck("warehouse", CheckOutcome.WARN, f"{where} is remote; checked by Spark only", "")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as err:
        return DoctorCheck(
            "warehouse",
            CheckOutcome.FAIL,
            f"{folder} is not writable ({err.strerror})",
            "set warehouse in lakehub.toml to a writable folder",
        )
    return DoctorCheck("warehouse", CheckOutcome.OK, f"{folder} is writable")


def _catalog(config: LakehubConfig) -> DoctorCheck:
    from lakehub.catalog import CatalogError, CatalogStore

    try:
        store = CatalogStore.open(config.effective_catalog_url)
        revision = store.check()
    except CatalogError as err:
        return DoctorCheck("catalog", CheckOutcome.FAIL, str(err), "check catalog_url in lakehub.toml")
    return DoctorCheck("catalog", CheckOutcome.OK, f"{store!r} at revision {revision}")


def _landing(config: LakehubConfig) -> DoctorCheck:
    folder = config.landing_path
    if not folder.is_dir():
        return DoctorCheck(
            "landing folder",
            CheckOutcome.WARN,
            f"{folder} does not exist yet",
            "run `lakehub demo` or `lakehub sample generate --out " + str(folder) + "`",
        )
    return DoctorCheck(
        "landing folder", CheckOutcome.OK, f"{folder} ({sum(1 for _ in folder.iterdir())} entries)"
    )


def _spark_smoke(config: LakehubConfig) -> DoctorCheck:
    from lakehub.pipelines.spark import build_spark

    try:
        spark = build_spark(config, app_name="lakehub-doctor")
        with tempfile.TemporaryDirectory() as folder:
            spark.range(3).write.format("delta").save(folder + "/t")
            rows = spark.read.format("delta").load(folder + "/t").count()
    except Exception as err:
        return DoctorCheck(
            "spark + delta",
            CheckOutcome.FAIL,
            f"{type(err).__name__}: {str(err).splitlines()[0][:160]}",
            "fix the failures above first",
        )
    return DoctorCheck(
        "spark + delta",
        CheckOutcome.OK,
        f"Spark {spark.version} ({config.spark.master}) wrote and read a Delta table ({rows} rows)",
    )


def run_doctor(config: LakehubConfig, *, start_spark: bool = True) -> list[DoctorCheck]:
    """Run every check; the Spark smoke test (starts a JVM) only when asked and the basics pass."""
    checks: list[Callable[[LakehubConfig], DoctorCheck]] = [
        _packages,
        _java,
        _jars,
        _warehouse,
        _catalog,
        _landing,
    ]
    results = [check(config) for check in checks]
    if start_spark and all(r.outcome != CheckOutcome.FAIL for r in results):
        results.append(_spark_smoke(config))
    return results
