"""The warehouse connection: DuckDB's memory limit (its block cache is resident memory held while a
run writes its workbooks)."""

from __future__ import annotations

import pytest

from errors import UserError
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
