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
