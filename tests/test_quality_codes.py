"""National-standard validators and masking: pure Python (cn_codes, masking) and Spark expressions agree."""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import ric

from lakehub.quality_rules.cn_codes import (
    ADMIN_CODE_PROVINCES,
    is_valid_admin_code,
    is_valid_mobile,
    is_valid_resident_id,
    is_valid_uscc,
    make_resident_id,
    make_uscc,
    resident_id_check_digit,
)
from lakehub.quality_rules.masking import (
    Sensitivity,
    mask_address,
    mask_name,
    mask_phone,
    mask_resident_id,
    mask_value,
)

TODAY = dt.date.today()  # fixed at import, passed to every validator: a run across midnight judges one day
TOMORROW = TODAY + dt.timedelta(days=1)
VALID_IDS = [
    "360404198503150015",
    "360404199007220023",
    "36040419590728864X",
    "360421196612113579",
    "110101190001010014",  # born on the earliest accepted day
    make_resident_id("360404", TODAY, 7),
    make_resident_id("440305", dt.date(2000, 2, 29), 123),
]
INVALID_IDS = [
    "360404198503150016",  # check digit
    "36040419590728864x",  # lowercase x
    "360404198502300014",  # 30 February
    "360404198513010011",  # month 13
    make_resident_id("360404", TOMORROW, 7),  # born in the future
    make_resident_id("360404", dt.date(1899, 12, 31), 1),  # before 1900
    "36040419850315001",  # 17 characters
    "3604041985031500150",  # 19 characters
    "36040419850315A015",  # letter in the body
    "+36040419850315001",
    " 36040419850315001",
    "",
]
VALID_USCC = [
    "91360404MAW52U3F4U",
    "93360404798850345C",
    "92360404MA70UMHCXR",
    "91350100M000100Y43",
    make_uscc("1", "360404", "MA7K2L3P"),
]
INVALID_USCC = [
    "91360404MAW52U3F4V",  # credit check character
    "91360404MAW52U3F5U",  # organisation check character
    "91360404MAW52U3I4U",  # I is not in the charset
    "91360404maw52u3f4u",  # lowercase
    "91360404MAW52U3F4",  # 17 characters
    "91360404MAW52U3F4UU",
]
MOBILES = [
    "13812345678",
    "19912345678",
    "14531328795",
    "12812345678",
    "1381234567",
    "138123456789",
    "+8613812345",
]
ADMIN_CODES = ["360404", "360421", "110101", "990101", "36040", "3604", "36", "820000", "36040a"]
SENSITIVITIES: tuple[Sensitivity, ...] = ("resident_id", "phone", "name", "address")
ALL_VALUES = VALID_IDS + INVALID_IDS + VALID_USCC + INVALID_USCC + MOBILES + ADMIN_CODES


def _random_codes(count: int, seed: int = 11) -> list[str]:
    """Valid resident IDs and credit codes, each also with one character replaced at random."""
    rng = random.Random(seed)
    org_chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    codes: list[str] = []
    for _ in range(count):
        born = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(46_000))
        area = rng.choice(["360404", "360421", "110101", "440305", "012345"])
        org = "".join(rng.choice(org_chars) for _ in range(8))
        for code in (
            make_resident_id(area, born, rng.randrange(1000)),
            make_uscc(rng.choice("123"), area, org),
        ):
            position = rng.randrange(len(code))
            codes += [code, code[:position] + rng.choice(org_chars + "xIO-+ ") + code[position + 1 :]]
    return codes


def test_resident_id_check_digits_agree_with_python_stdnum() -> None:
    for value in VALID_IDS:
        assert resident_id_check_digit(value[:17]) == ric.calc_check_digit(value) == value[17]
    assert ric.calc_check_digit("360404198503150016") != "6"


def test_python_validators_accept_the_valid_and_reject_the_invalid_examples() -> None:
    assert all(is_valid_resident_id(v, TODAY) for v in VALID_IDS)
    assert not any(is_valid_resident_id(v, TODAY) for v in INVALID_IDS)
    assert all(is_valid_uscc(v) for v in VALID_USCC)
    assert not any(is_valid_uscc(v) for v in INVALID_USCC)
    assert [is_valid_mobile(v) for v in MOBILES] == [True, True, True, False, False, False, False]
    assert [is_valid_admin_code(v) for v in ADMIN_CODES] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        True,
        False,
    ]
    assert is_valid_admin_code("3604", lengths=(2, 4, 6), prefixes=("3604",))
    assert not is_valid_admin_code("360101", prefixes=("3604",))


def test_masking_keeps_only_the_ends_of_sensitive_values() -> None:
    assert mask_resident_id("36040419850315123X") == "360404********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("欧阳娜娜") == "欧*" and mask_name("") == ""
    assert mask_address("江西省九江市柴桑区沙河街镇") == "江西省九江市****"
    assert mask_value("1234", "resident_id") == "****" and mask_value(None, "phone") is None
    assert mask_value("张伟", None) == "张伟"


@pytest.mark.spark
def test_spark_validators_and_masks_agree_with_python_on_every_example(spark: Any) -> None:
    from pyspark.sql import functions as F

    from lakehub.quality_rules.cn_spark import admin_code_valid, mobile_valid, resident_id_valid, uscc_valid
    from lakehub.quality_rules.masking import mask_column

    values = [*ALL_VALUES, *_random_codes(150), "张伟", "江西省九江市柴桑区", "欧", None]
    frame = spark.createDataFrame([(v,) for v in values], "value string")
    checks = {
        "id": resident_id_valid("value", F.lit(TODAY)),
        "uscc": uscc_valid("value"),
        "mobile": mobile_valid("value"),
        "admin": admin_code_valid("value"),
        "admin_prefix": admin_code_valid("value", (2, 4, 6), ("3604",)),
        **{
            f"mask_{kind}": mask_column(F.col("value"), kind)
            for kind in ("resident_id", "phone", "name", "address")
        },
    }
    rows = frame.select("value", *[c.alias(n) for n, c in checks.items()]).collect()
    for row in rows:
        value = row["value"]
        if value is None:
            assert all(row[n] is (None if n.startswith("mask_") else False) for n in checks), (
                "null: invalid, unmasked"
            )
            continue
        expected = {
            "id": is_valid_resident_id(value, TODAY),
            "uscc": is_valid_uscc(value),
            "mobile": is_valid_mobile(value),
            "admin": is_valid_admin_code(value),
            "admin_prefix": is_valid_admin_code(value, lengths=(2, 4, 6), prefixes=("3604",)),
            **{f"mask_{k}": mask_value(value, k) for k in SENSITIVITIES},
        }
        assert {n: row[n] for n in checks} == expected, value


@pytest.mark.spark
def test_resident_id_facts_encode_birth_date_check_and_sex(spark: Any) -> None:
    from lakehub.quality_rules.cn_spark import (
        BIRTH_DAY_OFFSET,
        MALFORMED,
        resident_id_birth_day,
        resident_id_facts,
    )

    born = dt.date(1985, 3, 15)
    man = next(i for i in (make_resident_id("360404", born, s) for s in range(1, 999, 2)) if i[17] == "X")
    woman = make_resident_id("360404", born, 124)
    bad_check = woman[:17] + ("0" if woman[17] != "0" else "1")
    unreal = "36040419850230124"
    unreal += resident_id_check_digit(unreal)
    not_leap = "36040419000229124"  # 1900 is not a leap year
    not_leap += resident_id_check_digit(not_leap)
    values = [
        man,
        woman,
        bad_check,
        unreal,
        not_leap,
        man.lower(),
        woman[:17],
        "３６" + woman[2:],
        woman + "0",
        None,
    ]
    frame = spark.createDataFrame([(v,) for v in values], "v string")
    facts = [row["f"] for row in frame.select(resident_id_facts("v").alias("f")).collect()]
    # (birth epoch day + offset) * 100 + 10 (check right) + 1 (odd sex digit); 0 for an unreal date; MALFORMED
    # (-1) if malformed or null
    day = ((born - dt.date(1970, 1, 1)).days + BIRTH_DAY_OFFSET) * 100
    assert facts == [day + 11, day + 10, day, 10, 10, *[MALFORMED] * 5]
    far = spark.createDataFrame([(make_resident_id("360404", d, 1),) for d in EDGE_DAYS], "v string")
    decoded = far.select(resident_id_birth_day("v").alias("d")).collect()
    assert [row["d"] for row in decoded] == [(d - dt.date(1970, 1, 1)).days for d in EDGE_DAYS]


@pytest.mark.spark
def test_national_code_functions_are_native_expressions_not_udfs(spark: Any) -> None:
    """The checks compile into the query's generated code as static calls on Spark's UTF-8 strings."""
    frame = spark.createDataFrame([(360404, "13812345678")], "code int, phone string")
    checked = frame.selectExpr(
        "lakehub_cn_admin_code_length(code) AS n",  # an int argument is cast to STRING by the analyser
        "lakehub_cn_mobile_valid(phone) AS m",
        "lakehub_cn_mobile_valid(NULL) AS null_m",
        "lakehub_cn_resident_id_facts(NULL) AS null_f",
    )
    assert checked.collect()[0].asDict() == {"n": 6, "m": True, "null_m": False, "null_f": -1}
    plan = checked._jdf.queryExecution().executedPlan().toString()
    assert "static_invoke(lakehub.udf.CnAdminCodeLength.of(cast(code" in plan and "UDF" not in plan
    assert not any(f.nullable for f in checked.schema.fields)


EDGE_DAYS = [
    dt.date(1000, 1, 1),
    dt.date(1600, 2, 29),
    dt.date(1900, 2, 28),
    dt.date(1900, 3, 1),
    dt.date(1969, 12, 31),
    dt.date(2000, 2, 29),
    dt.date(2000, 3, 1),
    dt.date(2024, 12, 31),
    dt.date(9999, 12, 31),
]


@pytest.mark.spark
def test_admin_code_province_table_matches_python_for_every_two_digit_prefix(spark: Any) -> None:
    from lakehub.quality_rules.cn_spark import admin_code_valid

    codes = [f"{p:02d}0404" for p in range(100)]
    frame = spark.createDataFrame([(c,) for c in codes], "v string")
    got = [row["ok"] for row in frame.select(admin_code_valid("v").alias("ok")).collect()]
    assert got == [is_valid_admin_code(c) for c in codes] and sum(got) == len(ADMIN_CODE_PROVINCES)


def test_udf_jar_is_rebuilt_when_a_java_source_is_newer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from lakehub.pipelines import spark as spark_module

    jar = tmp_path / "lakehub-udf.jar"
    monkeypatch.setattr(spark_module, "UDF_JAR", jar)
    built = spark_module.udf_jar()
    names = zipfile.ZipFile(built).namelist()
    assert "lakehub/udf/CnResidentIdFacts.class" in names and "lakehub/udf/CnUsccValid.class" in names
    stamp = jar.stat().st_mtime_ns
    assert spark_module.udf_jar() == built and jar.stat().st_mtime_ns == stamp  # fresh: not rebuilt
    os.utime(jar, ns=(0, 0))  # older than the sources
    spark_module.udf_jar()
    assert jar.stat().st_mtime_ns > 0 and not list(tmp_path.glob(".lakehub-udf.jar.*"))


@pytest.mark.spark
def test_native_regex_find_agrees_with_rlike(spark: Any) -> None:
    """Same java.util.regex search as Spark's RLIKE on ASCII, non-ASCII and null values, several patterns
    in one projection (each thread caches one Matcher per pattern)."""
    from pyspark.sql import functions as F

    from lakehub.quality_rules.cn_spark import regex_find

    values = [
        "R0123456789",
        "R012345678",
        "xR0123456789",
        "张伟R0123456789",
        "R０123456789",
        "",
        None,
        "ab\ncd",
    ]
    patterns = [r"^R[0-9]{10}$", r"R\d{10}", r"^\p{IsHan}", "cd$", "(?s)b.c", "^$"]
    frame = spark.createDataFrame([(v,) for v in values], "v string").repartition(3)
    native = frame.select("v", *[regex_find(F.col("v"), p).alias(f"n{i}") for i, p in enumerate(patterns)])
    both = native.select("*", *[F.col("v").rlike(p).alias(f"r{i}") for i, p in enumerate(patterns)]).collect()
    assert len(both) == len(values)
    for row in both:
        assert [row[f"n{i}"] for i in range(len(patterns))] == [row[f"r{i}"] for i in range(len(patterns))], (
            row
        )
    assert any(row["n0"] for row in both) and any(row["n2"] for row in both)
    assert "static_invoke(lakehub.udf.RegexFind.of(" in native._jdf.queryExecution().executedPlan().toString()


# Atoms of SimplePattern's shape, each with characters it matches (to build matching values) — tests only.
_SIMPLE_ATOMS = {
    "a": "a",
    "R": "R",
    "0": "0",
    "-": "-",
    " ": " ",
    ".": "a0-_ .x",
    r"\d": "0159",
    r"\D": "a-_ .\n",
    r"\w": "aR0_z",
    r"\W": "- .\\\n",
    r"\s": " \t\n\r",
    r"\S": "aR0-.",
    r"\.": ".",
    r"\-": "-",
    r"\\": "\\",
    "[0-9]": "059",
    "[a-z]": "axz",
    "[A-Z0-9]": "AZR05",
    "[^0-9]": "aR-\n",
    "[-a]": "-a",
    "[a-]": "-a",
    r"[\d_]": "0_9",
    r"[^\s]": "aR0-",
    "[.]": ".",
    r"[\]]": "]",
    "[x-z1]": "xz1",
    "[^a-c]": "dR0\r",
}
_QUANTIFIERS = {
    "": (1, 1),
    "?": (0, 1),
    "*": (0, 3),
    "+": (1, 3),
    "{2}": (2, 2),
    "{0,3}": (0, 3),
    "{1,}": (1, 4),
}


def _simple_cases(seed: int, patterns: int) -> list[tuple[str, list[str]]]:
    """Random patterns of SimplePattern's shape, each with values built to match it and random near-misses."""
    rng = random.Random(seed)
    noise = "aR0159-_ .\\xz]AZ\n\r\t"
    cases = []
    for _ in range(patterns):
        parts = [
            (rng.choice(list(_SIMPLE_ATOMS)), rng.choice(list(_QUANTIFIERS)))
            for _ in range(rng.randint(0, 4))
        ]
        start, end = rng.random() < 0.6, rng.random() < 0.6
        pattern = ("^" if start else "") + "".join(a + q for a, q in parts) + ("$" if end else "")
        values = []
        for _ in range(6):
            body = "".join(
                rng.choice(_SIMPLE_ATOMS[a]) for a, q in parts for _ in range(rng.randint(*_QUANTIFIERS[q]))
            )
            values.append(body)
            values.append("".join(rng.choice(noise) for _ in range(rng.randint(0, 3))) + body)
            values.append(body + rng.choice(["", "x", "\n", "\r\n", "0"]))
            values.append("".join(rng.choice(noise) for _ in range(rng.randint(0, 12))))
        cases.append((pattern, values))
    return cases


@pytest.mark.spark
def test_simple_patterns_agree_with_rlike(spark: Any) -> None:
    """Patterns of the simple shape (anchors, one-character atoms, greedy quantifiers) are decided without
    java.util.regex on ASCII values: same verdict as Spark's RLIKE for generated patterns and for values
    built to match them, near-misses, line terminators and values too long or non-ASCII for the fast path."""
    from pyspark.sql import functions as F

    from lakehub.quality_rules.cn_spark import REGEX_FIND

    jvm: Any = spark._jvm
    cases = _simple_cases(seed=11, patterns=120)
    decided = matched = 0
    for pattern, _ in cases:
        assert jvm.lakehub.udf.RegexFind.isSimple(pattern), pattern
    rows = [(p, v) for p, values in cases for v in values]
    # Edges: what `.`, `\s`, `\w` and negated classes take; `$` before a final line terminator; values
    # too long or non-ASCII for the fast path.
    edges = ["\r", "\n", "\t", "\x0b", "\x0c", " ", "_", "-", "a", "\x7f", "\x01"]
    rows += [
        (f"^{atom}$", value) for atom in (".", r"\s", r"\S", r"\w", r"\W", "[^a]", r"[\s]") for value in edges
    ]
    rows += [("a.b", "a\rb"), ("a.b", "a\nb"), ("a$", "a\n"), ("a$", "a\r\n"), ("a$", "a\r"), ("a$", "a\n\n")]
    rows += [(r"^R[0-9]{10}$", "R" + "0" * 70), ("^a+$", "a" * 80), (r"\d{3}", "张伟123"), ("0$", "10\n")]
    # Fixed-length patterns (anchored, every step a fixed count) are checked position by position: a value
    # of another length, a final line terminator, and non-ASCII values of the same byte length.
    fixed = r"^R[0-9]{10}$"
    rows += [
        (fixed, v)
        for v in ("R0123456789", "R012345678\n", "R0123456789\n", "R0123456789\r\n", "R01234567８9")
    ]
    rows += [
        (fixed, v) for v in ("R012345678", "R01234567890", "r0123456789", "R01234567x9", "", "R0123456789 ")
    ]
    rows += [
        ("^.{3}$", "中ab"),
        ("^.{3}$", "中"),
        ("^$", ""),
        ("^$", "\n"),
        ("^a{0}b$", "b"),
        ("^[^a]{2}$", "é"),
    ]
    rows += [("^a{30}b{40}$", "a" * 30 + "b" * 40), ("^a{30}b{40}$", "a" * 30 + "b" * 39)]  # longer than 62
    frame = spark.createDataFrame(rows, "p string, v string").repartition(4)
    # The pattern is a column here, so RLIKE and the native function both meet every pattern.
    native = frame.select(
        "p",
        "v",
        F.expr("v rlike p").alias("r"),
        F.call_function(REGEX_FIND, F.col("v"), F.col("p")).alias("n"),
    ).collect()
    assert len(native) == len(rows)
    for row in native:
        assert row["n"] == row["r"], (row["p"], row["v"])
        verdict = jvm.lakehub.udf.RegexFind.simpleFind(row["p"], row["v"])
        if verdict != -1:
            decided += 1
            matched += verdict
            assert (verdict == 1) == row["r"], (row["p"], row["v"])
    assert decided > len(rows) * 3 // 4 and matched > len(rows) // 4  # the fast path did the deciding
    for declined in [
        r"^\p{IsHan}",
        "(?s)b.c",
        "a|b",
        "(ab)",
        "a*?",
        "a++",
        r"\bx",
        "[a&&b]",
        "[[a]]",
        "x{,2}",
    ]:
        assert not jvm.lakehub.udf.RegexFind.isSimple(declined), declined
