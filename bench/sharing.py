"""Sharing export and audit verification time on a synthetic population table (delta-rs, no Spark).

    .venv/bin/python bench/sharing.py --rows 100000 --entries 2000

Prints one JSON document: seconds to export an approved request (id_number, name, phone masked) as CSV,
XLSX and Parquet, and seconds to verify an audit log of `--entries` entries.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from lakehub.catalog import AuditAction, CatalogStore, ColumnSpec, DatasetSpec
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.sharing import export_share


def _table(location: Path, rows: int) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(
        str(location),
        pa.table(
            {
                "id_number": [f"360404{19500101 + i % 9000:08d}{i % 1000:03d}X" for i in range(rows)],
                "name": [f"张{i % 97}" for i in range(rows)],
                "phone": [f"138{i:08d}" for i in range(rows)],
                "town": ["新合镇"] * rows,
            }
        ),
    )


def main() -> None:
    """Run the measurements and print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=2_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lakehub-bench-sharing-"))
    config = LakehubConfig(warehouse=str(root / "lakehouse"), base_dir=str(root))
    location = root / "lakehouse" / "base" / "population"
    _table(location, args.rows)
    result: dict[str, object] = {
        "rows": args.rows,
        "entries": args.entries,
        "load_average": os.getloadavg()[0],
    }
    with CatalogStore.open(config.effective_catalog_url) as store:
        store.register_dataset(
            DatasetSpec(
                name="base.population",
                title="户籍人口",
                department="区公安分局",
                location=str(location),
                sharing_class="有条件共享",
                columns=(
                    ColumnSpec(name="id_number", data_type="string", sensitivity="resident_id"),
                    ColumnSpec(name="name", data_type="string", sensitivity="name"),
                    ColumnSpec(name="phone", data_type="string", sensitivity="phone"),
                    ColumnSpec(name="town", data_type="string"),
                ),
            )
        )
        request = store.request_share(
            "base.population", department="区民政局", purpose="bench", requested_by="b"
        )
        store.decide_share(request.id, approve=True, decided_by="b")
        for suffix in ("csv", "xlsx", "parquet"):
            started = time.perf_counter()
            export_share(config, request.id, root / f"out.{suffix}", actor="b")
            result[f"export_{suffix}_s"] = round(time.perf_counter() - started, 2)
        for n in range(args.entries - len(store.audit_log())):
            store.append_audit(
                AuditAction.SENSITIVE_READ, actor="b", dataset="base.population", details={"n": n}
            )
        started = time.perf_counter()
        verified = store.verify_audit()
        result["verify_s"] = round(time.perf_counter() - started, 3)
        result["verify_passed"] = verified.passed
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
