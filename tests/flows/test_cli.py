"""The command line as a user meets it: one clear paragraph and a non-zero exit, no traceback."""

import os
import subprocess
import sys

import duckdb
import pytest

from tests import datasets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cutoff(*args, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOFF_")}
    env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-m", "flows", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def assert_user_error(result, words, code=2):
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert words in result.stderr
    assert "Traceback" not in output and "leaked" not in output


@pytest.mark.parametrize("args, words", [
    (["run", "--date", "2026-02-30"], "'2026-02-30' is not a date"),
    (["run", "--date", "21/11/2026"], "write it as YYYY-MM-DD"),
    (["run", "--calendar", "weekly", "--date", "2026-11-21"], "2026-11-21 is a Saturday"),
    (["run", "--date", "2099-01-01"], "from now): its orders are not locked yet. To run it anyway, with the "
                                      "orders there are now, turn on force (in the run form; --force on the command"),
    (["run", "--date", "2026-11-21", "--data-dir", "nowhere"], "data dir nowhere does not exist"),
    (["run", "--calendar", "monthly", "--date", "2026-11-21"], "invalid choice: 'monthly'"),
    (["settle", "--week", "2026-47"], "bad ISO week '2026-47': write it like 2026-W47"),
    (["receive", "--date", "2026-11-21"], "data dir data does not exist"),
    (["receive", "--calendar", "weekly", "--date", "2026-11-21"], "2026-11-21 is a Saturday"),
])
def test_user_errors_before_anything_starts(tmp_path, args, words):
    result = cutoff(*args, cwd=tmp_path)
    assert_user_error(result, words)


def test_a_goods_in_run_of_a_cutoff_not_run_is_refused_before_prefect_starts(tmp_path):
    datasets.mooncake_data_dir(tmp_path / "data")
    result = cutoff("receive", "--date", "2026-11-21", "--data-dir", "data", cwd=tmp_path)
    assert_user_error(result, "the nightly 2026-11-21 cutoff has not been run (there is no warehouse at data/")
    assert "run `cutoff run --calendar nightly --date 2026-11-21` first" in result.stderr
    assert result.stdout == "" and not (tmp_path / "data" / "warehouse.duckdb").exists()


def test_a_held_warehouse_is_refused_clearly(tmp_path):
    data_dir = datasets.mooncake_data_dir(tmp_path / "data")
    holder = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    try:
        result = cutoff("run", "--date", "2026-11-21", "--data-dir", "data", cwd=tmp_path)
    finally:
        holder.close()
    assert_user_error(result, "another run holds the warehouse", code=3)


@pytest.mark.slow
def test_bad_master_data_is_one_paragraph(tmp_path):
    datasets.write_master(tmp_path / "data", products=[{**datasets.PRODUCTS[0], "supplier_id": "S404"}])
    result = cutoff("run", "--date", "2026-11-21", "--data-dir", "data", "--no-email", cwd=tmp_path)
    assert_user_error(result, "master/products.csv row 2: supplier_id 'S404' is not in suppliers.csv")


@pytest.mark.slow
def test_run_prints_progress_and_where_the_outputs_are(tmp_path):
    datasets.mooncake_data_dir(tmp_path / "data")
    result = cutoff("run", "--date", "2026-11-21", "--data-dir", "data", "--reports-dir", "reports", "--no-email",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for stage in ("ingest", "validate", "close", "write"):
        assert f"  {stage}" in result.stderr
    assert "order lines: 6 eligible, 5 allocated, 1 cut, 0 rejected" in result.stdout
    assert "money: paid ¥5,129.30, net ¥4,145.30, refund ¥984.00, purchase ¥2,580.00" in result.stdout
    assert "cutoff: warning: CUTOFF_WAREHOUSE_ADDRESS is not set, so the purchase orders print an empty 收货地址" \
        in result.stderr
    assert result.stderr.count("CUTOFF_WAREHOUSE_ADDRESS") == 1  # the run log's copy stays off the terminal
    assert "reports/nightly/2026-11-21" in result.stdout
    assert (tmp_path / "reports" / "nightly" / "2026-11-21" / "summary.json").is_file()


def test_generate_writes_the_contract_files(tmp_path):
    result = cutoff("generate", "--orders", "500", "--date", "2026-11-21", "--seed", "3", "--data-dir", "gen",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("suppliers", "products", "categories", "pickup_points", "distributors", "listings"):
        assert (tmp_path / "gen" / "master" / f"{name}.csv").is_file()
    assert any((tmp_path / "gen" / "inbox" / "orders").iterdir())


@pytest.mark.slow
def test_a_cutoff_out_of_turn_of_its_stock_pool_names_the_command_to_run_first(tmp_path):
    """The presale's weekly cutoff before the nightly group buy that draws on the same pool first."""
    data_dir = datasets.presale_story_data_dir(tmp_path / "data")
    result = cutoff("run", "--calendar", "weekly", "--date", "2026-11-22", "--data-dir", str(data_dir),
                    "--reports-dir", str(tmp_path / "reports"), "--no-email", cwd=tmp_path)
    assert_user_error(result, "Run `cutoff run --calendar nightly --date 2026-11-19` first")
    assert "Nothing was written" in result.stderr and not (data_dir / "warehouse.duckdb").exists()
