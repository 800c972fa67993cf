"""Small builders shared by tests: spec-conforming delivery files."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from lakehub.pipelines.sources import SourceSpec, load_sources

SPECS = load_sources()
POPULATION = SPECS["population"]

# Valid GB 11643 IDs (check digits computed by the standard's weights).
ID_MALE_1985 = "360404198503150015"
ID_FEMALE_1990 = "360404199007220023"
DELIVERY_HEADER_IDS = ["id_number", "name"]


def population_row(**overrides: str) -> dict[str, str]:
    """One clean population row; overrides replace fields."""
    row = {
        "id_number": ID_MALE_1985,
        "name": "张伟",
        "gender": "男",
        "birth_date": "1985-03-15",
        "ethnicity": "汉族",
        "household_address": "江西省九江市柴桑区沙河街镇桥头村3组12号",
        "town": "沙河街镇",
        "phone": "13812345678",
        "registered_date": "2005-06-01",
        "status": "正常",
        "death_date": "",
    }
    row.update(overrides)
    return row


def csv_text(spec: SourceSpec, rows: Sequence[dict[str, str]], header: Sequence[str] | None = None) -> str:
    """CSV text with a header and one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = list(header or spec.column_names)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue()


def write_population(path: Path, rows: Sequence[dict[str, str]], *, encoding: str = "gbk") -> Path:
    """A population delivery (GBK CSV, as the spec says) at path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_text(POPULATION, rows).encode(encoding))
    return path
