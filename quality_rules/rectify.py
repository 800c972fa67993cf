"""The rectification list (整改清单): a department's failing rows with reasons and suggested fixes, as CSV or XLSX."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lakehub.quality_rules.errors import RuleError
from lakehub.quality_rules.spreadsheet import csv_cell, xlsx_row

if TYPE_CHECKING:
    from lakehub.catalog import CatalogStore, IssueRecord

log = logging.getLogger(__name__)

# expectation → (what the rule means when a rule has no description, how the department fixes the row)
_GUIDANCE: dict[str, tuple[str, str]] = {
    "expect_column_values_to_not_be_null": (
        "必填字段为空",
        "补录该字段的值后重新报送；确无数据的应注明原因。",
    ),
    "expect_column_values_to_be_between": (
        "取值超出允许范围",
        "核对原始凭证，更正为允许范围内的数值（注意单位：元/万元）。",
    ),
    "expect_column_values_to_be_in_set": (
        "取值不在代码表内",
        "按规定代码表（如GB/T 2261.1）填写标准取值，不使用简称或自定义值。",
    ),
    "expect_column_values_to_match_regex": ("格式不符合规定", "按字段规定的格式更正后重新报送。"),
    "expect_column_value_lengths_to_be_between": (
        "长度不符合规定",
        "检查是否多录、漏录或截断，按规定长度更正。",
    ),
    "expect_column_values_to_be_unique": (
        "同一值重复登记",
        "核实重复记录，合并或删除多余记录，确保一人（一户、一企）一条。",
    ),
    "expect_compound_columns_to_be_unique": ("组合主键重复", "核实重复记录，合并或删除多余记录。"),
    "expect_column_values_to_be_of_type": ("字段类型不符", "按数据规范调整字段类型后重新报送。"),
    "expect_column_max_to_be_within_days": ("数据未及时更新", "按更新周期报送最新数据。"),
    "expect_table_row_count_to_be_between": (
        "记录数不在预期范围",
        "检查导出是否完整，重新导出全量数据报送。",
    ),
    "expect_column_values_to_be_valid_cn_resident_id": (
        "公民身份号码不符合GB 11643",
        "对照户籍档案或身份证原件更正公民身份号码（18位，校验码正确，出生日期真实）。",
    ),
    "expect_column_values_to_be_valid_cn_uscc": (
        "统一社会信用代码不符合GB 32100",
        "对照营业执照或登记系统更正18位统一社会信用代码（校验码正确）。",
    ),
    "expect_column_values_to_be_valid_cn_mobile": (
        "手机号码格式不正确",
        "向当事人核实并更正为11位手机号码，去掉空格、横线和+86前缀。",
    ),
    "expect_column_values_to_be_valid_cn_admin_code": (
        "行政区划代码不符合GB/T 2260",
        "按现行GB/T 2260行政区划代码更正。",
    ),
    "expect_column_pair_values_to_be_in_bbox": (
        "经纬度不在辖区范围内",
        "核对坐标，检查经度、纬度是否填反，按GCJ-02/WGS-84规定坐标系重新采集。",
    ),
    "expect_column_pair_values_A_to_be_greater_than_B": (
        "两个日期（或数值）先后关系矛盾",
        "核对两个字段的原始记录，更正错误的一方。",
    ),
    "expect_column_pair_values_to_match_cn_resident_id_gender": (
        "性别与公民身份号码第17位不一致",
        "以户籍档案为准核对性别或身份号码，更正错误的一方。",
    ),
    "expect_column_pair_values_to_match_cn_resident_id_birth_date": (
        "出生日期与公民身份号码第7-14位不一致",
        "以户籍档案为准核对出生日期或身份号码，更正错误的一方。",
    ),
}
_DEFAULT_GUIDANCE = ("不符合质量规则", "核对原始记录，按规则要求更正后重新报送。")

HEADERS = (
    "数据集",
    "业务主键（脱敏）",
    "来源文件",
    "数据行号（不含表头）",
    "字段",
    "当前值（脱敏）",
    "规则",
    "维度",
    "级别",
    "问题原因",
    "整改建议",
)
FORMATS = (".csv", ".xlsx")


def default_reason(expectation: str) -> str:
    """Chinese text saying what failing the expectation means."""
    return _GUIDANCE.get(expectation, _DEFAULT_GUIDANCE)[0]


def suggest_fix(expectation: str) -> str:
    """Chinese advice on how a department fixes a row failing the expectation."""
    return _GUIDANCE.get(expectation, _DEFAULT_GUIDANCE)[1]


@dataclass(frozen=True, slots=True)
class RectificationList:
    """A department's rectification list and where it was written."""

    department: str
    path: str
    rows: int
    datasets: tuple[str, ...]
    rules: tuple[str, ...]


def _cells(issue: IssueRecord) -> list[object]:
    return [
        issue.dataset,
        issue.record_key,
        issue.source_file or "",
        issue.source_row if issue.source_row is not None else "",
        issue.field or "",
        issue.value if issue.value is not None else "",
        issue.rule_id,
        issue.dimension,
        "错误" if issue.severity == "error" else "警告",
        issue.reason,
        issue.suggested_fix,
    ]


def _write_csv(path: Path, issues: Sequence[IssueRecord]) -> None:
    # UTF-8 with BOM: Excel on Chinese Windows opens it without garbling.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows([csv_cell(cell) for cell in _cells(issue)] for issue in issues)


def _write_xlsx(path: Path, department: str, issues: Sequence[IssueRecord]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "整改清单"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for issue in issues:
        sheet.append(xlsx_row(sheet, _cells(issue)))
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJK", (22, 24, 28, 8, 18, 24, 40, 8, 6, 40, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    book.properties.title = f"{department}数据质量整改清单"
    book.save(path)


def write_rectification(store: CatalogStore, department: str, out: Path) -> RectificationList:
    """Write the department's rectification list (.csv or .xlsx by extension) from the newest validations."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise RuleError(
            f"Cannot write a rectification list to {out}: '{suffix or 'no extension'}' is not supported. "
            f"Valid extensions: {', '.join(FORMATS)}. Fix: name the file e.g. 整改清单.xlsx."
        )
    issues = store.list_issues(department=department)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        _write_csv(out, issues)
    else:
        _write_xlsx(out, department, issues)
    log.info("wrote %d rectification rows for %s to %s", len(issues), department, out)
    return RectificationList(
        department=department,
        path=str(out),
        rows=len(issues),
        datasets=tuple(sorted({i.dataset for i in issues})),
        rules=tuple(sorted({i.rule_id for i in issues})),
    )
