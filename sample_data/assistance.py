"""The assistance-payment source (救助补贴发放): monthly 2025 payments to a subset of residents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from random import Random
from typing import Final

from .custody import CustodyPlan
from .dates import PAY_YEAR, DateFormat, iso
from .defects import DefectNote, DefectSchedule, date_note, wan_yuan, yuan
from .people import Person
from .population import Population

WEIGHTS: Final = {"amount_in_wan": 1.5, "mixed_date_format": 1.5}
XLSX_DATE_FORMATS: Final[tuple[DateFormat, ...]] = (
    "excel_serial",
    "excel_serial",
    "yyyymmdd",
    "y/m/d",
    "y年m月d日",
)
MEAN_MONTHS: Final = 7.5
REFERABLE_SHARE: Final = 0.85
EXTRA_PAYMENT_SHARE: Final = 0.3

Cell = str | int | None
Row = list[Cell]


def _program(person: Person, rng: Random) -> tuple[str, int]:
    """Choose the assistance program and its monthly amount in whole yuan."""
    if person.age >= 80 and rng.random() < 0.8:
        return "高龄补贴", 50 if person.age < 90 else (100 if person.age < 100 else 300)
    roll = rng.random()
    if roll < 0.6:
        return "最低生活保障", 400 + 10 * int(rng.random() * 50)
    if roll < 0.75:
        return "特困人员供养", 1100 + 10 * int(rng.random() * 40)
    return "残疾人两项补贴", (90, 100, 180, 200)[int(rng.random() * 4)]


def _refuse_all(kind: str) -> bool:
    """Refuse every planned defect (rows of residents paid after death or in custody stay otherwise clean)."""
    return False


def assistance_rows(
    population: Population, target_rows: int, custody: CustodyPlan
) -> Iterator[tuple[list[Row], list[tuple[int, DefectNote]]]]:
    """Yield the payment file, one population block at a time; nobody is paid while in custody
    except the imprisoned_still_paid cases."""
    enrol = min(1.0, target_rows / (REFERABLE_SHARE * population.scale * MEAN_MONTHS))
    schedule = DefectSchedule(population.seed, "assistance_payment", WEIGHTS)
    written = 0
    for block, people in enumerate(population.blocks()):
        rng = Random(f"{population.seed}:assistance_payment:{block}")
        spells = custody.spells(block)
        rows: list[Row] = []
        notes: list[tuple[int, DefectNote]] = []
        for position, person in enumerate(people):
            spell = spells.get(position)
            held_paid = spell is not None and spell.paid
            if not person.referable or not (person.paid_after_death or held_paid or rng.random() < enrol):
                continue
            program, amount = _program(person, rng)
            first_month = 1 if person.paid_after_death or held_paid else 1 + int(rng.random() * 10)
            day = 5 + int(rng.random() * 16)
            extra = 1 + (rng.random() < EXTRA_PAYMENT_SHARE) if person.paid_after_death or held_paid else 0
            for month in range(first_month, 13):
                paid_on = date(PAY_YEAR, month, day).toordinal()
                after_death = bool(person.death) and paid_on > person.death
                in_custody = spell is not None and spell.holds(paid_on)
                if (after_death or in_custody) and extra == 0:
                    if in_custody and not held_paid:
                        continue
                    break
                extra -= after_death or in_custody
                written += 1
                row: Row = [
                    f"MZ{PAY_YEAR}{month:02d}{written:08d}",
                    person.id_number,
                    person.name,
                    program,
                    yuan(amount),
                    iso(paid_on),
                    person.town,
                ]
                note = None
                kind = schedule.take(
                    written - 1, _refuse_all if person.paid_after_death or held_paid else None
                )
                if after_death:
                    detail = f"paid {iso(paid_on)} after death on {person.death_date}"
                    note = DefectNote("pay_date", "deceased_still_paid", detail)
                elif in_custody and spell is not None:
                    detail = f"paid {iso(paid_on)} in custody since {iso(spell.start)} ({spell.facility})"
                    note = DefectNote("pay_date", "imprisoned_still_paid", detail)
                elif kind == "amount_in_wan":
                    row[4] = wan_yuan(amount)
                    note = DefectNote("amount", kind, f"{row[4]} = {yuan(amount)} 元", yuan(amount))
                elif kind == "mixed_date_format":
                    row[5], note = date_note("pay_date", paid_on, rng, XLSX_DATE_FORMATS)
                if note is not None:
                    notes.append((len(rows), note))
                rows.append(row)
        yield rows, notes
