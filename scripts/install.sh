#!/usr/bin/env bash
# Installs everything lakehub needs: Debian packages it lacks (Java 17, Maven, Chromium, PostgreSQL for tests), the Python
# dependencies from requirements.lock into ./.venv, lakehub itself (editable), and the Delta Lake
# jars from Maven Central into ./jars/lib so later runs work offline, and builds lakehub's JVM functions
# (quality_rules/jvm, javac) into ./jars/lakehub-udf.jar. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# A JDK, not only a JRE: javac builds lakehub's JVM functions (quality_rules/jvm) into jars/lakehub-udf.jar.
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# Headless Chromium and its WebDriver for the asset-map browser test (tests/test_lineage_map.py).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)  # Chinese labels in the map screenshot
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || missing+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
# The test suite starts a throwaway PostgreSQL on loopback to run the catalog tests against it.
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q "uv==0.13.9"
.venv/bin/uv pip sync -q --python .venv/bin/python requirements.lock
.venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .

if ! ls jars/lib/delta-spark_*.jar >/dev/null 2>&1; then
  echo "fetching Delta Lake jars from Maven Central into jars/lib"
  mvn -q -B -f jars/pom.xml dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime
fi
.venv/bin/python -c 'from lakehub.pipelines.spark import udf_jar; udf_jar()'
echo "lakehub installed: $(.venv/bin/lakehub --help >/dev/null && echo ok) (.venv/bin/lakehub)"
