"""Builders for sharing tests without Spark: registered datasets, tiny Delta tables written with delta-rs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lakehub.catalog import CatalogStore, ColumnSpec, DatasetSpec
from tests.helpers import ID_FEMALE_1990, ID_MALE_1985
from tests.quality_helpers import register_base

POPULATION_ROWS = [
    {
        "id_number": ID_MALE_1985,
        "name": "张三丰",
        "gender": "男",
        "birth_date": date(1985, 3, 1),
        "phone": "13800138000",
        "town": "新合镇",
        "_source_row": 1,
    },
    {
        "id_number": ID_FEMALE_1990,
        "name": "李四",
        "gender": "女",
        "birth_date": date(1990, 7, 9),
        "phone": None,
        "town": "涌泉乡",
        "_source_row": 2,
    },
]


def register_negative_list(store: CatalogStore, name: str = "quarantine.population") -> None:
    """A dataset on the negative list (不予共享), like every quarantine table."""
    store.register_dataset(
        DatasetSpec(
            name=name,
            title="户籍人口（隔离区）",
            department="区公安分局",
            location=f"/srv/lakehouse/{name.replace('.', '/')}",
            sharing_class="不予共享",
            security_level="核心数据",
            columns=(ColumnSpec(name="id_number", data_type="string", sensitivity="resident_id"),),
        )
    )


def population_delta(store: CatalogStore, root: Path, **changes: object) -> Path:
    """Register base.population at a folder under root and write two rows there as a Delta table."""
    import pyarrow as pa
    from deltalake import write_deltalake

    location = root / "lakehouse" / "base" / "population"
    table = pa.Table.from_pylist(POPULATION_ROWS)
    write_deltalake(str(location), table)
    columns = (
        ColumnSpec(name="id_number", data_type="string", title="公民身份号码", sensitivity="resident_id"),
        ColumnSpec(name="name", data_type="string", title="姓名", sensitivity="name"),
        ColumnSpec(name="gender", data_type="string", title="性别"),
        ColumnSpec(name="birth_date", data_type="date", title="出生日期"),
        ColumnSpec(name="phone", data_type="string", title="联系电话", sensitivity="phone"),
        ColumnSpec(name="town", data_type="string", title="乡镇（街道）"),
        ColumnSpec(name="_source_row", data_type="bigint", title="来源行号"),
    )
    register_base(store, "population", location=str(location), columns=columns, **changes)
    return location
