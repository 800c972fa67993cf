#!/usr/bin/env bash
# The full check: install (idempotent), lint, format, type-check the non-Spark packages, run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# mypy cannot follow setuptools' package-dir mapping, so give it a lakehub/ tree of symlinks.
rm -rf .mypy_src && mkdir -p .mypy_src/lakehub
for pkg in catalog lineage sample_data cli pipelines quality_rules; do ln -s "../../$pkg" ".mypy_src/lakehub/$pkg"; done
MYPYPATH=.mypy_src .venv/bin/mypy --strict -p lakehub.catalog -p lakehub.lineage -p lakehub.sample_data -p lakehub.cli -p lakehub.quality_rules
.venv/bin/pytest "$@"
