"""The nine departmental source files: name, format, encoding, columns and business key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class SourceLayout:
    """How one source file is written; columns and key follow pipelines/source_specs/<id>.yaml."""

    id: str
    file: str
    format: str
    encoding: str
    columns: tuple[str, ...]
    business_key: tuple[str, ...]

    def key_of(self, row: Sequence[object]) -> str:
        """Return the raw business-key value(s) of a written row, joined with '|'."""
        if len(self.business_key) == 1:
            value = row[self.columns.index(self.business_key[0])]
            return "" if value is None else str(value)
        return "|".join("" if row[i] is None else str(row[i]) for i in self.key_positions)

    @property
    def key_positions(self) -> tuple[int, ...]:
        """Positions of the business-key columns."""
        return tuple(self.columns.index(column) for column in self.business_key)


POPULATION: Final = SourceLayout(
    "population",
    "ga_population.csv",
    "csv",
    "gbk",
    (
        "id_number",
        "name",
        "gender",
        "birth_date",
        "ethnicity",
        "household_address",
        "town",
        "phone",
        "registered_date",
        "status",
        "death_date",
    ),
    ("id_number",),
)
MARKET_ENTITY: Final = SourceLayout(
    "market_entity",
    "scjg_market_entities.jsonl",
    "jsonl",
    "utf-8",
    (
        "uscc",
        "entity_name",
        "entity_type",
        "legal_rep_name",
        "legal_rep_id",
        "registered_capital",
        "established_date",
        "address",
        "town",
        "phone",
        "status",
        "deregistered_date",
        "industry",
    ),
    ("uscc",),
)
SOCIAL_INSURANCE: Final = SourceLayout(
    "social_insurance",
    "rs_social_insurance.csv",
    "csv",
    "utf-8-sig",
    (
        "id_number",
        "name",
        "insurance_type",
        "employer_uscc",
        "start_date",
        "monthly_base",
        "status",
        "phone",
        "address",
    ),
    ("id_number", "insurance_type"),
)
ASSISTANCE_PAYMENT: Final = SourceLayout(
    "assistance_payment",
    "mz_assistance_payments.xlsx",
    "xlsx",
    "utf-8",
    ("payment_id", "id_number", "name", "program", "amount", "pay_date", "town"),
    ("payment_id",),
)
HOUSING: Final = SourceLayout(
    "housing",
    "zj_housing.csv",
    "csv",
    "utf-8",
    (
        "house_id",
        "owner_id_number",
        "owner_name",
        "address",
        "town",
        "area_sqm",
        "registered_date",
        "demolition_project",
        "compensation_amount",
        "lon",
        "lat",
    ),
    ("house_id",),
)
GRID_EVENT: Final = SourceLayout(
    "grid_event",
    "cg_grid_events.jsonl",
    "jsonl",
    "utf-8",
    (
        "event_id",
        "channel",
        "category",
        "reporter_name",
        "reporter_phone",
        "address",
        "town",
        "grid_code",
        "lon",
        "lat",
        "created_at",
        "closed_at",
        "status",
    ),
    ("event_id",),
)
HAZARD_ENTERPRISE: Final = SourceLayout(
    "hazard_enterprise",
    "yj_hazard_enterprises.csv",
    "csv",
    "gbk",
    (
        "uscc",
        "enterprise_name",
        "hazard_category",
        "risk_level",
        "town",
        "address",
        "lon",
        "lat",
        "contact_name",
        "contact_phone",
        "last_inspection_date",
        "open_hazards",
    ),
    ("uscc",),
)
AGRI_OPERATOR: Final = SourceLayout(
    "agri_operator",
    "ny_agri_operators.csv",
    "csv",
    "utf-8-sig",
    (
        "operator_id",
        "operator_type",
        "operator_name",
        "uscc",
        "head_id_number",
        "head_name",
        "phone",
        "town",
        "village",
        "farmland_mu",
        "subsidy_amount",
        "registered_date",
        "lon",
        "lat",
    ),
    ("operator_id",),
)
CUSTODY: Final = SourceLayout(
    "custody",
    "ga_custody.csv",
    "csv",
    "gbk",
    (
        "custody_id",
        "id_number",
        "name",
        "custody_type",
        "facility",
        "custody_start_date",
        "release_date",
        "custody_status",
    ),
    ("custody_id",),
)

LAYOUTS: Final = {
    layout.id: layout
    for layout in (
        POPULATION,
        MARKET_ENTITY,
        SOCIAL_INSURANCE,
        ASSISTANCE_PAYMENT,
        HOUSING,
        GRID_EVENT,
        HAZARD_ENTERPRISE,
        AGRI_OPERATOR,
        CUSTODY,
    )
}
SOURCE_IDS: Final = tuple(LAYOUTS)
