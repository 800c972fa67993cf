"""The hub's pseudonym key and keyed pseudonyms (no Spark): HMAC-SHA256, key handling, idempotence."""

from __future__ import annotations

import hashlib
import hmac
import logging
import stat
from pathlib import Path
from typing import Any

import pytest

from lakehub.pipelines.config import LakehubConfig, load_config
from lakehub.pipelines.errors import ConfigError
from lakehub.pipelines.pseudonym import KEY_FILE, pseudonym_key
from lakehub.quality_rules.masking import key_id, pseudonym_sql, pseudonymise

ID = "36040419850315001X"


def test_pseudonym_is_hmac_sha256_of_the_standardised_identifier() -> None:
    key = b"k" * 32
    expected = hmac.new(key, ID.encode(), hashlib.sha256).hexdigest()
    assert pseudonymise(ID, key) == expected
    assert pseudonymise(" 36040419850315001x ", key) == expected, "trimmed and upper-cased first"
    assert pseudonymise(ID, b"other key of 32 bytes..........") != expected
    assert pseudonymise(expected, key) == expected, "a pseudonym passes unchanged (idempotent, like masks)"
    assert pseudonymise(None, key) is None
    long_key = b"x" * 100  # HMAC hashes keys longer than a block
    assert pseudonymise(ID, long_key) == hmac.new(long_key, ID.encode(), hashlib.sha256).hexdigest()


def test_pseudonym_sql_never_contains_the_key_itself() -> None:
    key = b"secret-key-material-0123456789ab"
    sql = pseudonym_sql("id_number", key)
    assert key.hex() not in sql and key.decode() not in sql
    assert sql.startswith("lakehub_pseudonym(CAST(id_number AS STRING), '")
    assert key_id(key) == key_id(key) != key_id(key + b"!") and key.hex()[:12] != key_id(key)


def test_generated_key_is_created_once_private_and_stable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = LakehubConfig(warehouse=str(tmp_path / "lakehouse"))
    with caplog.at_level(logging.DEBUG):
        first = pseudonym_key(config)
    path = tmp_path / "lakehouse" / KEY_FILE
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 32 and pseudonym_key(config) == first
    assert first.hex() not in caplog.text
    other = LakehubConfig(warehouse=str(tmp_path / "elsewhere"))
    assert pseudonym_key(other) != first


def test_configured_secret_wins_and_is_never_shown(tmp_path: Path) -> None:
    secret = "county-hub-secret-2026"
    config = load_config(env={"LAKEHUB_PSEUDONYM_SECRET": secret, "LAKEHUB_WAREHOUSE": str(tmp_path)})
    assert pseudonym_key(config) == secret.encode()
    assert secret not in repr(config) and secret not in str(config.model_dump())
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(ConfigError, match="pseudonym_secret"):
        load_config(env={"LAKEHUB_PSEUDONYM_SECRET": "short"})


def test_remote_warehouse_without_a_secret_says_how_to_configure_one() -> None:
    with pytest.raises(ConfigError, match="LAKEHUB_PSEUDONYM_SECRET"):
        pseudonym_key(LakehubConfig(warehouse="hdfs://namenode:8020/lakehouse"))


def test_a_damaged_key_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.parent.mkdir(parents=True)
    path.write_text("not hex\n", encoding="ascii")
    with pytest.raises(ConfigError, match=r"pseudonym\.key.*restore it from backup"):
        pseudonym_key(LakehubConfig(warehouse=str(tmp_path)))


@pytest.mark.spark
def test_spark_pseudonyms_and_the_sql_function_equal_the_python_hmac(spark: Any) -> None:
    from lakehub.pipelines.model_runner import mask_frame
    from lakehub.pipelines.pseudonym import register_pseudonym_function

    key = b"spark-test-key-0123456789abcdef!"
    values = [(ID,), (" 36040419850315001x ",), (None,), (pseudonymise(ID, key),), ("张伟",), ("",)]
    frame = spark.createDataFrame(values, "id string")
    masked = mask_frame(frame, {"id": "pseudonym"}, key)
    got = [r.id for r in masked.collect()]
    assert got == [pseudonymise(v, key) for (v,) in values]
    assert got[0] == got[1] == got[3] and got[2] is None
    plan = masked._jdf.queryExecution().executedPlan().toString()
    assert "static_invoke(lakehub.udf.Pseudonym.of(" in plan, "native HMAC, not sha2 over SQL"
    long_key = bytes(range(100))  # longer than a block: HMAC hashes it first
    other = [r.id for r in mask_frame(frame, {"id": "pseudonym"}, long_key).collect()]
    assert other == [pseudonymise(v, long_key) for (v,) in values] and other[0] != got[0]
    register_pseudonym_function(spark, key)
    frame.createOrReplaceTempView("pseudonym_ids")
    via_sql = [r.k for r in spark.sql("SELECT person_key(id) AS k FROM pseudonym_ids").collect()]
    assert via_sql == got
