"""The offline HTML report, the rectification list (CSV/XLSX) and quality objections (no Spark)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lakehub.catalog import (
    CatalogError,
    CatalogStore,
    ObjectionNotFoundError,
    ObjectionStatus,
    UnknownDepartmentError,
)
from lakehub.quality_rules import RuleError
from lakehub.quality_rules.objections import due_at, raise_objection
from lakehub.quality_rules.rectify import HEADERS, write_rectification
from lakehub.quality_rules.report import build_report, sparkline, write_report
from tests.helpers import ID_FEMALE_1990, ID_MALE_1985
from tests.quality_helpers import ID_RULE, PHONE_RULE, T0, population_result, record, register_base


@pytest.fixture
def store() -> Iterator[CatalogStore]:
    with CatalogStore.open("sqlite://") as opened:
        register_base(opened, "population")
        register_base(opened, "housing")
        yield opened


class _Resources(HTMLParser):
    """Collects every attribute that could load something, and the visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.references += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "data", "srcset")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_is_offline_chinese_and_shows_failing_rules_with_masked_samples(
    store: CatalogStore, tmp_path: Path
) -> None:
    for day, bad in enumerate((6, 2)):
        record(store, population_result(bad_ids=bad, bad_phones=5), at=T0 + timedelta(days=day), version=day)
    out = tmp_path / "out" / "report.html"
    summary = write_report(store, out)
    html = out.read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(html)
    assert not re.search(r"https?://", html, re.IGNORECASE), "no network reference of any kind"
    assert parser.references == [] and not {"script", "link", "img", "iframe"} & set(parser.tags)
    assert "svg" in parser.tags and "polyline" in parser.tags and "style" in parser.tags
    text = "".join(parser.text)
    assert "全区数据质量报告" in text and "按质量维度评分" in text and "区公安分局" in text
    assert "公民身份号码须符合GB 11643" in text and PHONE_RULE in text
    assert "360404********0011" in text and "138****5678" in text
    assert ID_MALE_1985 not in html and ID_FEMALE_1990 not in html
    assert summary.failing_rules == 2 and summary.datasets == 1 and summary.overall is not None
    data = build_report(store)
    id_rule = next(f for f in data.failing if f.rule_id == ID_RULE)
    assert id_rule.spark is not None and id_rule.spark.count == 2 and id_rule.unexpected == 2
    assert data.datasets[0].score.trend == "▲"


def test_report_for_one_department_and_an_unknown_department(store: CatalogStore, tmp_path: Path) -> None:
    record(store, population_result(), at=T0)
    summary = write_report(store, tmp_path / "r.html", department="区住房和城乡建设局")
    assert summary.datasets == 0 and summary.failing_rules == 0
    assert "尚无质量校验结果" in (tmp_path / "r.html").read_text(encoding="utf-8")
    with pytest.raises(UnknownDepartmentError, match="Valid departments"):
        write_report(store, tmp_path / "r.html", department="公安")
    with pytest.raises(RuleError, match=r"\.html"):
        write_report(store, tmp_path / "r.pdf")


def test_sparkline_scales_into_the_box() -> None:
    spark = sparkline([0.0, 50.0, 100.0], floor=0.0)
    assert (
        spark is not None
        and spark.points.split()[0] == "0.0,25.0"
        and spark.points.split()[-1] == "120.0,3.0"
    )
    assert sparkline([]) is None


def test_rectification_list_csv_has_masked_rows_with_source_row_and_fix(
    store: CatalogStore, tmp_path: Path
) -> None:
    record(store, population_result(bad_ids=2, bad_phones=1), at=T0)
    written = write_rectification(store, "区公安分局", tmp_path / "整改清单.csv")
    with (tmp_path / "整改清单.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == HEADERS and len(rows) == 3 and written.rows == 2
    by_rule = {r[6]: dict(zip(HEADERS, r, strict=True)) for r in rows[1:]}
    ids = by_rule[ID_RULE]
    assert (
        ids["业务主键（脱敏）"].count("*") == 8
        and ids["来源文件"] == "ga_population.csv"
        and ids["数据行号（不含表头）"] == "2"
    )
    assert ids["字段"] == "id_number" and "身份证原件" in ids["整改建议"] and ids["级别"] == "错误"
    assert (
        by_rule[PHONE_RULE]["当前值（脱敏）"] == "138***4567"
        and "11位手机号码" in by_rule[PHONE_RULE]["整改建议"]
    )
    raw = (tmp_path / "整改清单.csv").read_text(encoding="utf-8-sig")
    assert ID_MALE_1985 not in raw and ID_FEMALE_1990 not in raw and "1381234567" not in raw


def test_rectification_list_xlsx_and_errors(store: CatalogStore, tmp_path: Path) -> None:
    record(store, population_result(bad_ids=2, bad_phones=1), at=T0)
    write_rectification(store, "区公安分局", tmp_path / "list.xlsx")
    sheet = load_workbook(tmp_path / "list.xlsx").active
    assert sheet is not None and sheet.title == "整改清单"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == HEADERS and len(values) == 3
    empty = write_rectification(store, "区住房和城乡建设局", tmp_path / "housing.xlsx")
    assert empty.rows == 0
    with pytest.raises(UnknownDepartmentError, match="区公安分局"):
        write_rectification(store, "区教育局", tmp_path / "x.csv")
    with pytest.raises(RuleError, match=r"Valid extensions: \.csv, \.xlsx"):
        write_rectification(store, "区公安分局", tmp_path / "x.pdf")


def test_due_date_counts_working_days_on_the_china_calendar() -> None:
    friday_evening_utc = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)  # Saturday 01:00 in China
    # Monday 17:00 in China → end of the next Monday (23:59:59 China = 15:59:59 UTC)
    assert due_at(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)) == datetime(2026, 11, 9, 15, 59, 59, tzinfo=UTC)
    # raised on a Saturday in China: Monday is working day 1, Friday day 5
    assert due_at(friday_evening_utc) == datetime(2026, 11, 13, 15, 59, 59, tzinfo=UTC)
    assert due_at(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), 1) == datetime(2026, 11, 3, 15, 59, 59, tzinfo=UTC)
    with pytest.raises(RuleError, match="at least 1 working day"):
        due_at(T0, 0)


def test_objection_is_masked_routed_due_and_turns_overdue_then_resolves(store: CatalogStore) -> None:
    raised = raise_objection(
        store,
        "population",
        key=ID_MALE_1985,
        field="phone",
        reason="电话已停机",
        raised_by="社区网格员",
        now=T0,
    )
    assert raised.record_key == "360404********0015" and raised.department == "区公安分局"
    assert raised.status is ObjectionStatus.OPEN and raised.due_at == due_at(T0) == datetime(
        2026, 11, 9, 15, 59, 59, tzinfo=UTC
    )
    assert not raised.overdue
    (late,) = store.list_objections(status="open", now=T0 + timedelta(days=8))
    assert late.overdue and late.id == raised.id
    assert store.list_objections(department="区住房和城乡建设局") == []
    done = store.resolve_objection(
        raised.id, resolution="已核实并更正", resolved_by="公安户政科", now=T0 + timedelta(days=2)
    )
    assert done.status is ObjectionStatus.RESOLVED and not done.overdue and done.resolved_by == "公安户政科"
    assert store.list_objections(status="open") == []
    with pytest.raises(CatalogError, match="already resolved"):
        store.resolve_objection(raised.id, resolution="again", resolved_by="x")
    with pytest.raises(ObjectionNotFoundError, match="objection list"):
        store.resolve_objection(999, resolution="x", resolved_by="x")


def test_objection_on_an_unknown_field_or_status_names_the_valid_ones(store: CatalogStore) -> None:
    with pytest.raises(CatalogError, match="Valid fields: id_number, name"):
        raise_objection(store, "base.population", key="x", field="phnoe", reason="r", raised_by="u")
    with pytest.raises(CatalogError, match="Valid values are: open, resolved"):
        store.list_objections(status="closed")


def test_objection_key_of_a_non_sensitive_key_is_kept(store: CatalogStore) -> None:
    register_base(store, "market_entity")
    record_ = raise_objection(
        store,
        "base.market_entity",
        key="91360404MA35XXXX1X",
        field="entity_name",
        reason="名称错误",
        raised_by="u",
    )
    assert record_.record_key == "91360404MA35XXXX1X" and record_.department == "区市场监督管理局"


def test_department_report_keeps_only_that_departments_failing_rules(store: CatalogStore) -> None:
    record(store, population_result(bad_ids=3, bad_phones=0), at=T0)
    template = population_result(bad_ids=4, bad_phones=0)
    # rules without their own department belong to the dataset's owner
    housing = replace(template, results=tuple(replace(r, department=None) for r in template.results))
    record(store, housing, at=T0, dataset="base.housing", department="区住房和城乡建设局")
    everyone = build_report(store)
    assert {f.dataset for f in everyone.failing} == {"base.population", "base.housing"}
    police = build_report(store, department="区公安分局")
    assert {f.department for f in police.failing} == {
        "区公安分局"
    } and police.title == "区公安分局数据质量报告"
    assert {f.dataset for f in police.failing} == {"base.population"}
    assert [s.group for s in police.departments] == ["区公安分局"]
    housing_only = build_report(store, department="区住房和城乡建设局")
    assert {f.dataset for f in housing_only.failing} == {"base.housing"}


def test_deadlines_skip_public_holidays_and_count_adjusted_working_weekends() -> None:
    from lakehub.catalog.deadlines import calendar_covers, working_day_deadline

    # 2025 National Day + Mid-Autumn: 1–8 October off; Sunday 28 September and Saturday 11 October worked.
    friday = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)  # 10:00 in China
    assert working_day_deadline(friday, 1) == datetime(2025, 9, 28, 15, 59, 59, tzinfo=UTC), "调休 Sunday"
    assert working_day_deadline(friday, 4) == datetime(2025, 10, 9, 15, 59, 59, tzinfo=UTC), "holiday skipped"
    assert working_day_deadline(friday, 6) == datetime(2025, 10, 11, 15, 59, 59, tzinfo=UTC), "调休 Saturday"
    # a year whose schedule the installed calendar lacks: Monday–Friday stand in
    far = datetime(2099, 1, 2, 2, 0, tzinfo=UTC)  # Friday
    assert not calendar_covers(far.date()) and calendar_covers(friday.date())
    assert working_day_deadline(far, 1) == datetime(2099, 1, 5, 15, 59, 59, tzinfo=UTC)


def test_a_deadline_counted_without_the_holiday_schedule_says_so_and_how_to_fix_it() -> None:
    from lakehub.catalog.deadlines import calendar_covers, calendar_gap

    known = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
    assert calendar_gap(known, datetime(2025, 10, 9, 15, 59, 59, tzinfo=UTC)) is None
    unknown = datetime(2098, 12, 30, 2, 0, tzinfo=UTC)
    assert not calendar_covers(datetime(2099, 1, 5).date())
    note = calendar_gap(unknown, datetime(2099, 1, 5, 15, 59, 59, tzinfo=UTC))
    assert note is not None and "2098、2099" in note and "upgrade chinesecalendar" in note
