"""Every warehouse table has its model, and the DDL made from the model is the table: the columns,
their order and types, for a new warehouse and for one made by the first release."""

from __future__ import annotations

import duckdb
import pytest

from inbox.master import load_master
from tests.datasets import mooncake_data_dir
from warehouse.connection import open_warehouse
from warehouse.tables import BY_NAME, MASTER_TABLES, TABLES, sql_type

FIRST_RELEASE_REJECTS = """CREATE TABLE rejects (source_file VARCHAR, row_number BIGINT, reason VARCHAR, raw VARCHAR,
    kind VARCHAR, file_hash VARCHAR, listing_id VARCHAR, created_at TIMESTAMPTZ, ingested_by VARCHAR)"""


def described(warehouse, table: str) -> dict[str, str]:
    rows = warehouse.con.sql(f"SELECT column_name, data_type FROM information_schema.columns "
                             f"WHERE table_name = '{table}' ORDER BY ordinal_position").fetchall()
    return {name: kind.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ") for name, kind in rows}


def test_every_table_of_the_contract_is_declared_once():
    names = [table.name for table in TABLES]
    assert len(names) == len(set(names))
    assert {"order_lines", "rejects", "allocations", "purchase_lines", "commission_ledger", "runs", "emails",
            "groups", "run_log", "settlements", "ingested_files"} <= set(names)
    assert MASTER_TABLES == ("suppliers", "products", "categories", "pickup_points", "distributors", "listings",
                             "pools")


@pytest.mark.parametrize("table", [t for t in TABLES if not t.replaced_whole], ids=lambda t: t.name)
def test_a_new_warehouse_has_each_table_as_its_model_says(tmp_path, table):
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        assert described(warehouse, table.name) == table.columns
    assert table.model.Config.strict is True


def test_the_master_tables_are_their_validated_frames(tmp_path):
    master = load_master(mooncake_data_dir(tmp_path / "data"), "Asia/Shanghai")
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        for name, frame in master.tables().items():
            warehouse.replace_table(name, frame)
            assert described(warehouse, name) == BY_NAME[name].columns, name


def test_a_warehouse_of_the_first_release_gets_the_columns_added_since(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(FIRST_RELEASE_REJECTS)
    con.close()
    with open_warehouse(path) as warehouse:
        assert described(warehouse, "rejects") == BY_NAME["rejects"].columns


def test_partitioned_tables_carry_the_partition():
    for table in TABLES:
        if table.partitioned:
            assert list(table.columns)[:2] == ["calendar", "cutoff_date"], table.name


def test_an_instant_is_stored_in_utc_only():
    import polars as pl
    assert sql_type(pl.Datetime("us", "UTC")) == "TIMESTAMPTZ"
    with pytest.raises(TypeError, match="UTC"):
        sql_type(pl.Datetime("us", "Asia/Shanghai"))
