"""The warehouse connection: DuckDB's memory limit (its block cache is resident memory held while a
run writes its workbooks)."""

from __future__ import annotations

import pytest

from errors import MemoryLimitTooSmall, UserError
from warehouse.connection import open_warehouse


def _limit(path) -> str:
    with open_warehouse(path) as warehouse:
        return warehouse.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_duckdb_keeps_at_most_256_mib_unless_told_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("CUTOFF_DUCKDB_MEMORY_LIMIT", raising=False)
    assert _limit(tmp_path / "w.duckdb") == "244.1 MiB"  # 256MB, as DuckDB prints it
    monkeypatch.setenv("CUTOFF_DUCKDB_MEMORY_LIMIT", "2GB")
    assert _limit(tmp_path / "w.duckdb") == "1.8 GiB"


@pytest.mark.parametrize("bad", ["lots", "256", "1GB'; DROP TABLE runs; --"])
def test_a_memory_limit_that_is_not_a_size_is_a_user_error_naming_it(tmp_path, monkeypatch, bad):
    monkeypatch.setenv("CUTOFF_DUCKDB_MEMORY_LIMIT", bad)
    with pytest.raises(UserError, match=r"CUTOFF_DUCKDB_MEMORY_LIMIT=.* is not a size: write it as DuckDB does"):
        _limit(tmp_path / "w.duckdb")


@pytest.mark.parametrize("configured", [None, "1GB"])
def test_releasing_the_cache_keeps_the_limit_and_the_data(tmp_path, monkeypatch, configured):
    """After a run stores its tables, DuckDB's cached blocks are let go (the limit is lowered and
    set back): the limit is the configured one again and every row is still there."""
    if configured:
        monkeypatch.setenv("CUTOFF_DUCKDB_MEMORY_LIMIT", configured)
    else:
        monkeypatch.delenv("CUTOFF_DUCKDB_MEMORY_LIMIT", raising=False)
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        limit = lambda: warehouse.scalar("SELECT current_setting('memory_limit')")  # noqa: E731
        before = limit()
        warehouse.execute("CREATE TABLE big AS SELECT range AS n, repeat('x', 50) AS s FROM range(2000000)")
        warehouse.release_cache()
        assert limit() == before == ("244.1 MiB" if configured is None else "953.6 MiB")
        assert warehouse.scalar("SELECT count(*) FROM big") == 2_000_000
        assert warehouse.scalar("SELECT sum(n) FROM big") == 1_999_999 * 2_000_000 // 2


def test_spills_go_beside_the_warehouse_unless_told_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("CUTOFF_DUCKDB_TEMP_DIRECTORY", raising=False)
    monkeypatch.delenv("CUTOFF_DUCKDB_MAX_TEMP_SIZE", raising=False)
    with open_warehouse(tmp_path / "data" / "w.duckdb") as warehouse:
        assert warehouse.scalar("SELECT current_setting('temp_directory')") == str(tmp_path / "data" / "w.duckdb.tmp")
    monkeypatch.setenv("CUTOFF_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    monkeypatch.setenv("CUTOFF_DUCKDB_MAX_TEMP_SIZE", "1GB")
    with open_warehouse(tmp_path / "data" / "w.duckdb") as warehouse:
        assert warehouse.scalar("SELECT current_setting('temp_directory')") == str(tmp_path / "spill")
        assert warehouse.scalar("SELECT current_setting('max_temp_directory_size')") == "953.6 MiB"
    monkeypatch.setenv("CUTOFF_DUCKDB_MAX_TEMP_SIZE", "plenty")
    with pytest.raises(UserError, match=r"CUTOFF_DUCKDB_MAX_TEMP_SIZE='plenty' is not a size"):
        _limit(tmp_path / "w.duckdb")


def test_a_sort_past_the_memory_limit_spills_into_the_temp_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("CUTOFF_DUCKDB_MEMORY_LIMIT", "20MB")
    monkeypatch.delenv("CUTOFF_DUCKDB_TEMP_DIRECTORY", raising=False)
    monkeypatch.delenv("CUTOFF_DUCKDB_MAX_TEMP_SIZE", raising=False)
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        warehouse.execute("SET threads = 1")
        warehouse.execute("CREATE TABLE big AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(250000)")
        warehouse.execute("CREATE TABLE sorted AS SELECT * FROM big ORDER BY s")
        assert (tmp_path / "w.duckdb.tmp").is_dir()  # it spilled there
        assert warehouse.scalar("SELECT count(*) FROM sorted") == 250_000
        assert warehouse.scalar("SELECT min(s) = (SELECT s FROM sorted LIMIT 1) FROM big")


def test_a_memory_limit_too_small_for_the_data_is_a_user_error_naming_the_setting(tmp_path, monkeypatch):
    """Not an out-of-memory kill, nor DuckDB's own message: the setting to raise, and its value."""
    monkeypatch.setenv("CUTOFF_DUCKDB_MEMORY_LIMIT", "8MB")
    monkeypatch.delenv("CUTOFF_DUCKDB_TEMP_DIRECTORY", raising=False)
    monkeypatch.delenv("CUTOFF_DUCKDB_MAX_TEMP_SIZE", raising=False)
    with pytest.raises(MemoryLimitTooSmall) as raised:
        with open_warehouse(tmp_path / "w.duckdb") as warehouse:
            warehouse.execute("CREATE TABLE t AS SELECT range AS n, repeat('x', 20) AS s FROM range(1000000)")
            warehouse.frame("SELECT s, list(n) AS ns FROM t GROUP BY s")  # one group's list: it cannot spill
    assert str(raised.value).startswith("the warehouse's memory limit CUTOFF_DUCKDB_MEMORY_LIMIT=8MB is too small "
                                        "for this data (Out of Memory Error")
    assert "Raise CUTOFF_DUCKDB_MEMORY_LIMIT" in str(raised.value)
    assert raised.value.exit_code == 7


def test_spill_space_too_small_names_its_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("CUTOFF_DUCKDB_MEMORY_LIMIT", "20MB")
    monkeypatch.setenv("CUTOFF_DUCKDB_MAX_TEMP_SIZE", "1MB")
    monkeypatch.setenv("CUTOFF_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    with pytest.raises(MemoryLimitTooSmall,
                       match=r"ran out of spill space in .*spill .*Raise CUTOFF_DUCKDB_MAX_TEMP_SIZE \(now 1MB\)"):
        with open_warehouse(tmp_path / "w.duckdb") as warehouse:
            warehouse.execute("SET threads = 1")
            warehouse.execute("CREATE TABLE big AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(250000)")
            warehouse.execute("CREATE TABLE sorted AS SELECT * FROM big ORDER BY s")


def test_a_large_frame_is_inserted_through_a_file_and_lands_as_a_small_one_does(tmp_path, monkeypatch):
    """Past FILE_INSERT_ROWS a frame goes through a Parquet file in the spill folder: the same rows
    and types as the direct way (text, fen, dates, instants in UTC, nulls), and no file is left."""
    from datetime import date, datetime, timezone

    import polars as pl

    import warehouse.connection as connection

    frame = pl.DataFrame({
        "order_id": ["O1", "O2", "订单3", None], "line_no": [1, 2, 3, 4], "amount_fen": [100, -5, 0, None],
        "cutoff_date": [date(2026, 11, 21)] * 4,
        "created_at": [datetime(2026, 11, 21, 11, 59, 59, 123456, tzinfo=timezone.utc)] * 3 + [None],
        "is_formed": [True, False, None, True]}).with_columns(pl.col("created_at").dt.convert_time_zone("UTC"))
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        for table in ("direct", "through_file"):
            warehouse.execute(f"""CREATE TABLE {table} (order_id VARCHAR, line_no BIGINT, amount_fen BIGINT,
                                  cutoff_date DATE, created_at TIMESTAMPTZ, is_formed BOOLEAN)""")
        warehouse.insert("direct", frame)
        monkeypatch.setattr(connection, "FILE_INSERT_ROWS", 2)
        written = []
        original = pl.DataFrame.write_parquet
        monkeypatch.setattr(pl.DataFrame, "write_parquet",
                            lambda self, path, **kw: (written.append(path), original(self, path, **kw))[1])
        with warehouse.transaction():
            warehouse.insert("through_file", frame)
        direct = warehouse.frame("SELECT * FROM direct ORDER BY line_no")
        through = warehouse.frame("SELECT * FROM through_file ORDER BY line_no")
        assert written and written[0].parent == warehouse.temp_directory
        assert list(warehouse.temp_directory.iterdir()) == []
    assert through.equals(direct)
    assert through["order_id"].to_list() == ["O1", "O2", "订单3", None]
    assert through["created_at"][0] == datetime(2026, 11, 21, 11, 59, 59, 123456, tzinfo=timezone.utc)
