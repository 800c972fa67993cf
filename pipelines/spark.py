"""The one place lakehub builds a SparkSession with Delta Lake (imported only by jobs)."""

from __future__ import annotations

import glob
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import SparkUnavailableError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

PROJECT_JARS = Path(__file__).resolve().parent.parent / "jars" / "lib"
UDF_JAR = PROJECT_JARS.parent / "lakehub-udf.jar"
"""lakehub's own JVM functions (quality_rules/jvm), built by scripts/install.sh or on first use."""
UDF_SOURCES = Path(__file__).resolve().parent.parent / "quality_rules" / "jvm"
_VERSION_SUFFIX = re.compile(r"-\d[\w.\-]*\.jar$")

UNIQUE_PER_ROW_COLUMNS = ("_row_hash", "_line_hash", "_line_check", "_source_row")
"""lakehub's provenance columns that hold a different value in every row (content hashes, delivered row numbers).

Parquet's writer starts every column with a dictionary; for these it finds at the end of the first page
(~130K values) that the dictionary does not pay and writes plainly after all (a 1M-row base write builds four
such dictionaries in vain). Written plainly from the start: the same encoding in the file, 0.2 CPU-s less per
940K-row write (alternating runs).
"""
BASE_CONF: dict[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "Asia/Shanghai",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.ansi.enabled": "false",
    # Delta rebuilds a table's state (its log replayed into the list of files) in this many tasks, after
    # every commit and on every new snapshot read. Each task generates the code of the log's row
    # serialiser afresh (~0.1 s); a hub table's log (hundreds of files at most) fits one task, and a
    # 5,000-row landing's two post-commit rebuilds took 0.48/0.85 s in 5 tasks, 0.29/0.27 s in 2.
    "spark.databricks.delta.snapshotPartitions": "1",
    "spark.databricks.delta.stats.collect": "true",
    # After every commit Delta 4 checks the file list it keeps in the version's checksum (.crc) against a
    # full replay of the log (two Spark jobs) whenever the session's time zone is not UTC, ours being
    # Asia/Shanghai: a diagnostic for timestamps before 1883 that non-UTC zones serialise differently in
    # file statistics and timestamp partition values. lakehub partitions no table and keeps statistics on
    # key, run and file-hash columns only, so the check has nothing to find; it cost every write two jobs
    # (a 200K-row append 0.69 s → 0.32 s; README, "Session 21"). A failed check only dropped the list
    # from the checksum, so skipping it changes no data; UTC sessions never run it.
    "spark.databricks.delta.allFilesInCrc.verificationMode.forceOnNonUTC.enabled": "false",
    "spark.sql.adaptive.enabled": "true",
    # Aggregations put a small first-level hash map in front of the general one; lakehub's big ones group by
    # keys that are almost all distinct (a landing's business keys, uniqueness rules), where the small map
    # only adds a failed lookup per row. Without it the landing's standardise-and-tally jobs on 1M
    # population rows took 6.8 s instead of 7.7 s (seven paired runs in one JVM, every pair faster).
    "spark.sql.codegen.aggregate.map.twolevel.enabled": "false",
    # Spark keeps the classes it generates in a cache of 100 (Guava's size limit is per quarter of the cache,
    # so some are evicted from 25 on), keyed by the code and the compiling thread's class loader (the
    # driver's and the executor's: most code is compiled once for each). One 1M-row landing generates 67;
    # with the default, every landing in a JVM compiled ~22 of them again (Janino, then the JIT from the
    # interpreter up, as brand-new classes). Alternating loads in one JVM with the cache kept and emptied:
    # 6.8/7.5 s kept against 8.1/8.9 s emptied (README, "Session 21").
    "spark.sql.codegen.cache.maxEntries": "1000",
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.databricks.delta.properties.defaults.enableChangeDataFeed": "true",
    "spark.databricks.delta.schema.autoMerge.enabled": "true",
    # Suites guard expensive expressions (sample texts, masks) behind AND/OR; without this, common
    # subexpressions under those guards are hoisted and computed for every row.
    "spark.sql.subexpressionElimination.skipForShortcutExpr": "true",
    # PySpark otherwise records the Python call site of every Column function for error context: four
    # extra JVM round trips each, 60 % of the 6,700 it takes to plan one landing (0.1-0.2 s per file).
    "spark.python.sql.dataFrameDebugging.enabled": "false",
    # Parquet's own min/max statistics (per row group and page, and the page index built from them) cost a
    # comparison per string value written: 0.45 CPU-s of a 940K-row base write's ~4.9 (six alternating
    # pairs), ~0.3 s per 1M-row landing. lakehub's tables are in delivery order, not sorted by what
    # anyone filters on, so those ranges prune nothing; file skipping uses Delta's own statistics,
    # collected separately on the columns lakehub filters on (`delta_io.stats_columns`).
    "spark.hadoop.parquet.column.statistics.enabled": "false",
    **{f"spark.hadoop.parquet.enable.dictionary#{c}": "false" for c in UNIQUE_PER_ROW_COLUMNS},
}
LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"
FAIR_POOLS = Path(__file__).resolve().parent / "fairscheduler.xml"


def _artifact(jar: str) -> str:
    return _VERSION_SUFFIX.sub("", os.path.basename(jar))


def pyspark_home() -> str:
    """Folder of the installed pyspark package, found without importing it (no JVM, no py4j)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise SparkUnavailableError("pyspark is not installed. Fix: run `bash scripts/install.sh`.")
    return str(next(iter(spec.submodule_search_locations)))


def find_delta_jars(config: LakehubConfig) -> list[str]:
    """Pre-fetched Delta jars that Spark does not already ship (same artifact, other version)."""
    folder = Path(config.resolve(config.spark.jars_dir)) if config.spark.jars_dir else PROJECT_JARS
    jars = sorted(glob.glob(str(folder / "*.jar")))
    if not any("delta-spark" in os.path.basename(j) for j in jars):
        raise SparkUnavailableError(
            f"No Delta Lake jars in {folder}. Fix: run `bash scripts/install.sh` (fetches them from Maven "
            "Central), or set spark.jars_dir / LAKEHUB_JARS_DIR to a folder holding delta-spark_*.jar."
        )
    shipped = {_artifact(j) for j in glob.glob(os.path.join(pyspark_home(), "jars", "*.jar"))}
    return [j for j in jars if _artifact(j) not in shipped]


def _jdk_tool(name: str) -> str | None:
    """Path of a JDK program (`java`, `javac`): under JAVA_HOME when set, else on PATH; None when absent."""
    home = os.environ.get("JAVA_HOME")
    tool = str(Path(home) / "bin" / name) if home else shutil.which(name)
    return tool if tool and Path(tool).exists() else None


def check_java() -> str:
    """Path of the java binary Spark will use; raises with a fix when there is none."""
    java = _jdk_tool("java")
    if java is None:
        raise SparkUnavailableError(
            "Java was not found (Spark needs Java 17 or 21). Fix: `apt-get install openjdk-17-jdk-headless` "
            "or set JAVA_HOME."
        )
    return java


def _javac() -> str:
    javac = _jdk_tool("javac")
    if javac is None:
        raise SparkUnavailableError(
            f"{UDF_JAR} is missing or older than its sources and there is no Java compiler to build it. "
            "Fix: run `bash scripts/install.sh` (installs openjdk-17-jdk-headless and builds it)."
        )
    return javac


def udf_jar() -> str:
    """Path of lakehub's JVM-function jar, compiled (javac against pyspark's jars) when missing or stale.

    The jar is written to a temporary file and renamed, so concurrent first uses never read half a jar.
    """
    sources = sorted(UDF_SOURCES.rglob("*.java"))
    newest = max((f.stat().st_mtime for f in sources), default=0.0)
    if UDF_JAR.exists() and UDF_JAR.stat().st_mtime >= newest:
        return str(UDF_JAR)
    spark_jars = os.path.join(pyspark_home(), "jars", "*")
    with tempfile.TemporaryDirectory() as folder:
        classes = Path(folder) / "classes"
        command = [_javac(), "--release", "17", "-nowarn", "-cp", spark_jars, "-d", str(classes)]
        done = subprocess.run([*command, *map(str, sources)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SparkUnavailableError(
                f"javac could not build {UDF_JAR.name}: {' '.join(done.stderr.split())[:300]}. "
                "Fix: run `bash scripts/install.sh` (needs openjdk-17-jdk-headless)."
            )
        UDF_JAR.parent.mkdir(parents=True, exist_ok=True)
        partial = UDF_JAR.with_name(f".{UDF_JAR.name}.{os.getpid()}")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as jar:
            for item in sorted(classes.rglob("*.class")):
                jar.write(item, item.relative_to(classes).as_posix())
        os.replace(partial, UDF_JAR)
    log.info("built %s from %d Java sources", UDF_JAR, len(sources))
    return str(UDF_JAR)


def build_spark(config: LakehubConfig, app_name: str = "lakehub") -> SparkSession:
    """Get or create the process's SparkSession configured for Delta and this config."""
    check_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    conf = dict(BASE_CONF)
    conf["spark.jars"] = ",".join([*find_delta_jars(config), udf_jar()])
    conf["spark.driver.memory"] = config.spark.driver_memory
    conf["spark.sql.shuffle.partitions"] = str(config.spark.shuffle_partitions)
    # Suites and standardisation compile to methods over 8 KB, which the JIT skips by default (3-4x slower).
    # The parallel (throughput) collector instead of G1: lakehub's jobs are batch work, and G1's concurrent
    # marking, started again and again by the 2-16 MB buffers Spark and Parquet allocate (humongous objects
    # for G1), took ~10 % of the CPU of landing the 1M-row sample (two cores); with it the landing took
    # 51-62 s (three of four runs 51-56 s) against 59-67 s, and 97-120 CPU-s against 114-130 (same JVM
    # settings otherwise, separate JVMs alternating).
    # The heap starts at the driver memory (-Xms) and metadata at 256 MB: growing from the JVM's default start
    # (1/64 of the machine's memory) the collector ran full collections of 0.3-0.6 s each (2 cores: the whole
    # landing waits) while the landing's kept rows filled the old generation. Landing the 1M-row sample,
    # three alternating pairs of JVMs: 20-26 CPU-s instead of 25-30, first load / plain copy 0.51-0.52x
    # instead of 0.44-0.52x. The price: the driver's memory use grows to the young generation (a third of
    # the heap) before its first collection, whatever the data size.
    conf["spark.driver.extraJavaOptions"] = (
        f"-Dlog4j.configurationFile=file:{LOG4J_CONFIG} -Dderby.system.home=/tmp -XX:-DontCompileHugeMethods "
        f"-XX:+UseParallelGC -Xms{config.spark.driver_memory} -XX:MetaspaceSize=256m"
    )
    conf["spark.executor.extraJavaOptions"] = "-XX:-DontCompileHugeMethods -XX:+UseParallelGC"
    conf["spark.sql.warehouse.dir"] = f"{config.warehouse_path}/_spark_warehouse"
    # Landings and models run side by side from threads: share the cores between their jobs.
    conf["spark.scheduler.mode"] = "FAIR"
    conf["spark.scheduler.allocation.file"] = f"file:{FAIR_POOLS}"
    conf.update(config.spark.conf)
    builder = SparkSession.builder.master(config.spark.master).appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    log.info("starting Spark (master %s)", config.spark.master)
    try:
        spark = builder.getOrCreate()
    except Exception as err:
        raise SparkUnavailableError(
            f"Spark did not start ({type(err).__name__}: {str(err).splitlines()[0][:200]}). "
            "Fix: run `lakehub doctor` to see what is missing."
        ) from err
    spark.sparkContext.setLogLevel("ERROR")
    from lakehub.pipelines.standardise import register_standardisation
    from lakehub.quality_rules.cn_spark import register_functions

    register_functions(spark)
    register_standardisation(spark)
    return spark
