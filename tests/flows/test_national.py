"""`cutoff national` for real: a Prefect server on 127.0.0.1, the process work pool, two process
workers, three small regions (one with broken master data). Each region's outputs are what
`cutoff run` on its data dir alone gives; the national totals are the sums; the broken region
fails alone and `--only` reruns just it.

- embedded: no PREFECT_API_URL; the command starts its own full server and 2 local workers and
  stops them (nothing of it is left running afterwards).
- with PREFECT_API_URL: a `prefect server` and two `prefect worker start --pool ...` started by the
  test (each in its own process group, stopped by its handle); the command uses them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from tests import datasets
from tests.servers import PREFECT, PrefectServer, base_env, tail, wait_for

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-21"
MOONCAKE_PAID, MOONCAKE_NET = 512930, 414530      # the rulebook's mooncake example (tests/mooncake.py)
WEST_NET = 7 * 2990  # west has orders D, E, F: D and E are 2 participants of the 3 the mooncake group needs
#                      (cut, refunded); F's 7 bags of oranges at 29.90 are allocated
BROKEN_PRODUCTS = [{**datasets.PRODUCTS[0], "supplier_id": "S404"}, datasets.PRODUCTS[1]]
REGIONS = """\
[regions.east]
data_dir = "east"

[regions.north]
data_dir = "north"

[regions.west]
data_dir = "west"
lang = "en"
platform_name = "西部团购"
"""
FIGURES = ("order_lines", "units", "fen")


def make_regions(base: Path) -> Path:
    datasets.mooncake_data_dir(base / "east")
    datasets.write_master(base / "north", products=BROKEN_PRODUCTS)
    datasets.write_orders(base / "north", datasets.MOONCAKE_ORDERS)
    datasets.write_master(base / "west")
    datasets.write_orders(base / "west", datasets.MOONCAKE_ORDERS[3:])
    path = base / "regions.toml"
    path.write_text(REGIONS, encoding="utf-8")
    return path


def cutoff(*args: str, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def national(base: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    return cutoff("national", "--date", DAY, "--regions", "regions.toml", "--reports-dir", "reports", "--no-email",
                  "--workers", "2", *extra, cwd=base, env=env)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def regional(base: Path, region: str) -> dict:
    return read_json(base / "reports" / region / "nightly" / DAY / "summary.json")


def table(data_dir: Path, name: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def added(*summaries: dict) -> dict:
    """The figures of `summaries` added key by key, written out here (not the code under test's)."""
    def add(a: dict, b: dict) -> dict:
        return {k: add(a[k], b[k]) if isinstance(a[k], dict) else a[k] + b[k] for k in a}
    out = {key: summaries[0][key] for key in FIGURES}
    for summary in summaries[1:]:
        out = {key: add(out[key], summary[key]) for key in FIGURES}
    return out


def gone(pid: int | str) -> bool:
    """The process `pid` has ended (reaped, or a zombie its parent has not reaped yet)."""
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return True


def assert_clean(result: subprocess.CompletedProcess, code: int) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output, output


def check_regions_sheet(path: Path, expected: dict[str, tuple]) -> None:
    """national.xlsx's regions sheet: per region (status, order lines, net fen), and the totals."""
    ws = load_workbook(path)["各区域"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if row[:2] == ("区域", "状态"))
    labels = rows[head]
    lines, net = labels.index("订单行"), labels.index("净销售额")
    found = {row[0]: (row[1], row[lines], round(row[net] * 100) if row[net] is not None else None)
             for row in rows[head + 1:] if row[0]}
    assert found == expected


@pytest.mark.slow
def test_embedded_national_run_isolates_a_broken_region_and_only_reruns_it(tmp_path):
    base = tmp_path / "national"
    base.mkdir()
    make_regions(base)
    home = tmp_path / "prefect-home"
    env = base_env(home)
    subprocess.run([PREFECT, "server", "database", "upgrade", "-y"], env=env, check=True, capture_output=True,
                   timeout=180)

    result = national(base, env)
    assert_clean(result, 6)
    assert "1 of 3 region(s) did not complete the nightly 2026-11-21 cutoff: north: master data" in result.stderr
    assert "supplier_id 'S404' is not in suppliers.csv" in result.stderr
    assert "--only north" in result.stderr
    assert "north        FAILED" in result.stdout
    assert "work pool 'cutoff-regions': created (process), concurrency limit 2" in result.stderr  # --workers 2

    # nothing the command started is left: the server's pidfile is gone, the workers it named are gone
    assert not list((home / "cutoff-servers").glob("*.json"))
    pids = re.search(r"started 2 local worker\(s\) on the pool \(pid (\d+), (\d+);", result.stderr)
    assert pids, result.stderr
    for pid in pids.groups():
        assert gone(pid)

    east, west = regional(base, "east"), regional(base, "west")
    assert (east["fen"]["paid"], east["fen"]["net"]) == (MOONCAKE_PAID, MOONCAKE_NET)
    assert west["fen"]["net"] == WEST_NET
    assert not (base / "reports" / "north").exists() and not (base / "north" / "warehouse.duckdb").exists()

    folder = base / "reports" / "national" / "nightly" / DAY
    summary = read_json(folder / "summary.json")
    assert (summary["calendar"], summary["cutoff_date"], summary["failed"]) == ("nightly", DAY, ["north"])
    assert [(r["region_id"], r["status"]) for r in summary["regions"]] == \
        [("east", "completed"), ("north", "failed"), ("west", "completed")]
    assert summary["totals"] == added(east, west)
    assert summary["totals"]["fen"]["net"] == MOONCAKE_NET + WEST_NET
    for entry, own in ((summary["regions"][0], east), (summary["regions"][2], west)):
        assert {key: entry[key] for key in FIGURES} == {key: own[key] for key in FIGURES}
    check_regions_sheet(folder / "national.xlsx", {
        "east": ("完成", 6, MOONCAKE_NET), "north": ("未完成", None, None), "west": ("完成", 3, WEST_NET),
        "合计": (None, 9, MOONCAKE_NET + WEST_NET)})

    # a region's own settings reach its run: west's language (a parameter), west's platform name (env)
    west_po = load_workbook(base / "reports" / "west" / "nightly" / DAY / "purchase" / "S2.xlsx")
    assert west_po.sheetnames[0] == "Purchase order"
    assert west_po["Purchase order"]["A1"].value == "西部团购 purchase order"
    east_po = load_workbook(base / "reports" / "east" / "nightly" / DAY / "purchase" / "S1.xlsx")
    assert east_po["采购单"]["A1"].value == "社区团购平台 采购单"

    # each region's tables are what `cutoff run` on its data dir alone gives
    alone = tmp_path / "alone"
    datasets.mooncake_data_dir(alone / "data")
    assert_clean(cutoff("run", "--date", DAY, "--data-dir", "data", "--reports-dir", "reports", "--no-email",
                        cwd=alone, env=env, timeout=300), 0)
    for name in ("allocations", "purchase_lines", "groups", "commission_ledger"):
        assert table(base / "east", name) == table(alone / "data", name), name
    alone_summary = read_json(alone / "reports" / "nightly" / DAY / "summary.json")
    assert {k: east[k] for k in FIGURES} == {k: alone_summary[k] for k in FIGURES}

    # fix north's master data; --only north reruns it alone and refreshes the roll-up
    datasets.write_master(base / "north")
    east_written = (base / "reports" / "east" / "nightly" / DAY / "summary.json").stat().st_mtime_ns
    result = national(base, env, "--only", "north")
    assert_clean(result, 0)
    assert "1 region(s) of 3 to run on the work pool 'cutoff-regions': north" in result.stderr
    assert (base / "reports" / "east" / "nightly" / DAY / "summary.json").stat().st_mtime_ns == east_written
    north = regional(base, "north")
    assert north["fen"]["net"] == MOONCAKE_NET
    summary = read_json(folder / "summary.json")
    assert summary["failed"] == []
    assert summary["totals"] == added(east, north, west)
    assert summary["totals"]["fen"]["net"] == 2 * MOONCAKE_NET + WEST_NET
    check_regions_sheet(folder / "national.xlsx", {
        "east": ("完成", 6, MOONCAKE_NET), "north": ("完成", 6, MOONCAKE_NET), "west": ("完成", 3, WEST_NET),
        "合计": (None, 15, 2 * MOONCAKE_NET + WEST_NET)})


@pytest.mark.slow
def test_with_prefect_api_url_the_command_uses_that_servers_pool_and_workers(tmp_path):
    base = tmp_path / "national"
    base.mkdir()
    make_regions(base)
    datasets.write_master(base / "north")  # all three good here
    with PrefectServer(tmp_path / "server") as server:
        env = server.client_env()
        logs = []
        for number in (1, 2):
            log = tmp_path / f"worker-{number}.log"
            logs.append(log)
            with log.open("wb") as out:
                worker = subprocess.Popen(
                    [PREFECT, "worker", "start", "--pool", "cutoff-regions", "--type", "process", "--limit", "1",
                     "--name", f"test-worker-{number}"],
                    env=dict(env, PREFECT_WORKER_QUERY_SECONDS="2"), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True)
            server.started.append((worker, signal.SIGTERM))  # stopped by its handle on exit

        result = national(base, env)
        assert_clean(result, 0)
        assert "started a local Prefect server" not in result.stderr
        assert "started 2 local worker" not in result.stderr
        summary = read_json(base / "reports" / "national" / "nightly" / DAY / "summary.json")
        assert summary["failed"] == []
        assert summary["totals"]["fen"]["net"] == 2 * MOONCAKE_NET + WEST_NET

        with server.client() as client:
            from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["region"])))
            assert sorted(r.parameters["data_dir"] for r in runs) == \
                sorted(str((base / region).resolve()) for region in ("east", "north", "west"))
            assert {r.work_pool_name for r in runs} == {"cutoff-regions"}
            assert all(r.state.is_completed() for r in runs)
            pool = client.read_work_pool("cutoff-regions")
            workers = {w.name for w in client.read_workers_for_work_pool("cutoff-regions")}
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
            (artifact,) = client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["national-nightly"])))
        assert "3 of 3 region(s) completed" in artifact.data
        assert "| **total** |  | 15 | ¥12763.90 | ¥8499.90 | ¥5340.00 |  |" in artifact.data  # net 2 x 4145.30 + 209.30
        assert pool.type == "process"
        assert workers == {"test-worker-1", "test-worker-2"}
        taken = [log.read_text(errors="replace").count("submitted to infrastructure") for log in logs]
        assert sum(taken) == 3, "\n".join(tail(log) for log in logs)


@pytest.mark.parametrize("args, toml, words", [
    ([], None, "no regions file: pass --regions FILE or set CUTOFF_REGIONS"),
    (["--regions", "regions.toml"], '[regions.east]\ndata_dir = "e"\nnightly = "20:00"\n',
     "regions.toml, line 3: region 'east': unknown key 'nightly'"),
    (["--regions", "regions.toml", "--only", "south"], '[regions.east]\ndata_dir = "e"\n',
     "--only south: no such region in regions.toml (its regions: east)"),
    (["--regions", "regions.toml", "--data-dir", "nowhere"], '[regions.east]\ndata_dir = "e"\n',
     "data dir nowhere does not exist (--data-dir: the folder relative paths in regions.toml are relative to)"),
    (["--regions", "regions.toml", "--workers", "0"], '[regions.east]\ndata_dir = "e"\n',
     "--workers must be at least 1, not 0"),
    (["--regions", "regions.toml", "--date", "2099-01-01"], '[regions.east]\ndata_dir = "e"\n',
     "the nightly 2099-01-01 cutoff is in the future for region(s) east"),
])
def test_national_user_errors_before_anything_starts(tmp_path, args, toml, words):
    if toml is not None:
        (tmp_path / "regions.toml").write_text(toml, encoding="utf-8")
    env = base_env(tmp_path / "prefect-home")
    date = [] if "--date" in args else ["--date", DAY]
    result = cutoff("national", *date, *args, cwd=tmp_path, env=env, timeout=120)
    assert_clean(result, 2)
    assert words in result.stderr
    assert not (tmp_path / "prefect-home" / "cutoff-servers").exists()  # no server was started


def test_serve_has_a_national_deployment_with_cutoff_regions(tmp_path):
    from flows.deployments import build_deployments
    from flows.settings import Settings
    regions = make_regions(tmp_path)
    without = {f"{d.flow_name}/{d.name}" for d in build_deployments(Settings(), include_settle=False)}
    assert "national/nightly" not in without
    deployments = {f"{d.flow_name}/{d.name}": d
                   for d in build_deployments(Settings(regions=regions, pool="east-pool"), include_settle=False)}
    national = deployments["national/nightly"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in national.schedules] == [("0 20 * * *", "Asia/Shanghai")]
    assert national.parameters == {"calendar": "nightly", "regions_file": str(regions.resolve()), "pool": "east-pool"}
    assert national.concurrency_limit == 1


def test_the_region_deployment_runs_the_cutoff_flow_on_the_pool():
    from flows.workers import region_deployment
    process = region_deployment("cutoff-regions", "process")
    assert (process.flow_name, process.name, process.work_pool_name) == ("cutoff", "region", "cutoff-regions")
    assert process.entrypoint == "flows.cutoff_flow.cutoff_flow"
    assert process.job_variables["command"].endswith(" -m flows.launch")
    assert process.job_variables["env"] == {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}
    assert str(process.storage.to_pull_step()["prefect.deployments.steps.set_working_directory"]["directory"]) == \
        str(ROOT)
    kubernetes = region_deployment("cutoff-k8s", "kubernetes")
    assert "command" not in kubernetes.job_variables  # the pool's job template runs the image's command
    assert kubernetes.storage is None  # the project is installed in the image: nothing to pull


@pytest.mark.slow
def test_a_killed_worker_fails_its_region_alone_and_the_rerun_completes(tmp_path):
    """SIGKILL of the worker running a region (as the OOM killer does): its run dies with it
    (flows/launch.py), the national run reports that region failed, the other completes, and
    `--only` reruns the region on the worker left."""
    from datetime import date

    from synthetic.dataset import generate_dataset
    base = tmp_path / "national"
    datasets.mooncake_data_dir(base / "east")
    generate_dataset(base / "big", 100_000, date.fromisoformat(DAY), 7)  # long enough to be killed mid-run
    (base / "regions.toml").write_text('[regions.east]\ndata_dir = "east"\n\n[regions.big]\ndata_dir = "big"\n',
                                       encoding="utf-8")
    with PrefectServer(tmp_path / "server") as server:
        env = server.client_env()
        workers = []
        for number in (1, 2):
            with (tmp_path / f"worker-{number}.log").open("wb") as out:
                worker = subprocess.Popen(
                    [PREFECT, "worker", "start", "--pool", "cutoff-regions", "--type", "process", "--limit", "1",
                     "--name", f"test-worker-{number}"],
                    env=dict(env, PREFECT_WORKER_QUERY_SECONDS="2"), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True)
            server.started.append((worker, signal.SIGTERM))
            workers.append(worker)

        err = tmp_path / "national.err"
        with err.open("wb") as errors, (tmp_path / "national.out").open("wb") as output:
            command = subprocess.Popen(
                [sys.executable, "-m", "flows", "national", "--date", DAY, "--regions", "regions.toml",
                 "--reports-dir", "reports", "--no-email"], cwd=base, env=env, stdout=output, stderr=errors,
                start_new_session=True)
        server.started.append((command, signal.SIGTERM))
        seen = wait_for(lambda: re.search(r"region big: running \(pid (\d+) on this machine\)", err.read_text()),
                        300, "the national run to see region big running", err)
        run_pid = int(seen.group(1))
        parent = int(Path(f"/proc/{run_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        (victim,) = [w for w in workers if w.pid == parent]  # the worker running big: one of ours
        victim.kill()  # SIGKILL, the worker alone (not its group)
        victim.wait(10)
        assert command.wait(300) == 6, tail(err)
        assert gone(run_pid)  # it died with its worker
        stderr = err.read_text()
        assert "Traceback" not in stderr
        assert f"big: the process running it (pid {run_pid}) is gone and its run never ended" in stderr
        summary = read_json(base / "reports" / "national" / "nightly" / DAY / "summary.json")
        assert summary["failed"] == ["big"]
        assert [(r["region_id"], r["status"], r["state"]) for r in summary["regions"]] == \
            [("east", "completed", "Completed"), ("big", "failed", "Crashed")]
        assert summary["totals"]["fen"]["net"] == MOONCAKE_NET

        result = national(base, env, "--only", "big")
        assert_clean(result, 0)
        summary = read_json(base / "reports" / "national" / "nightly" / DAY / "summary.json")
        big = regional(base, "big")
        assert summary["failed"] == []
        assert summary["totals"]["fen"]["net"] == MOONCAKE_NET + big["fen"]["net"]
        assert big["order_lines"]["eligible"] > 80_000


@pytest.mark.slow
def test_cutoff_serve_serves_national_nightly_and_its_custom_run_rolls_up(tmp_path):
    """`cutoff serve` with CUTOFF_REGIONS: national/nightly on the nightly schedule; a custom run
    with a cutoff_date (what ops do in the UI) runs every region on the pool's worker."""
    from tests.servers import wait_for_deployment
    base = tmp_path / "national"
    base.mkdir()
    regions = make_regions(base)
    datasets.write_master(base / "north")
    reports = tmp_path / "reports"
    with PrefectServer(tmp_path / "server") as server:
        serve_log = tmp_path / "serve.log"
        serve = server.serve({"CUTOFF_REGIONS": str(regions), "CUTOFF_REPORTS_DIR": str(reports)}, serve_log)
        with server.client() as client:
            deployment = wait_for_deployment(client, "national/nightly", serve, serve_log)
            assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == \
                [("0 20 * * *", "Asia/Shanghai")]
            assert client.read_deployment_by_name("cutoff/region").work_pool_name == "cutoff-regions"
            assert client.read_work_pool("cutoff-regions").concurrency_limit == (os.cpu_count() or 1)
            with (tmp_path / "worker.log").open("wb") as out:
                worker = subprocess.Popen(
                    [PREFECT, "worker", "start", "--pool", "cutoff-regions", "--type", "process", "--limit", "1"],
                    env=dict(server.client_env(), PREFECT_WORKER_QUERY_SECONDS="2"), cwd=ROOT, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True)
            server.started.append((worker, signal.SIGTERM))
            run = client.create_flow_run_from_deployment(deployment.id, parameters={"cutoff_date": DAY,
                                                                                    "send_email": False})

            def ended():
                current = client.read_flow_run(run.id)
                return current if current.state and current.state.is_final() else None
            run = wait_for(ended, 600, "the national run to end", serve_log, interval=1)
        assert run.state.is_completed(), f"{run.state.message}\n{tail(serve_log)}"
        assert run.name == f"national nightly {DAY}"
    summary = read_json(reports / "national" / "nightly" / DAY / "summary.json")
    assert summary["failed"] == []
    assert summary["totals"]["fen"]["net"] == 2 * MOONCAKE_NET + WEST_NET
    assert regional(tmp_path, "east")["fen"]["net"] == MOONCAKE_NET  # reports/east, the default
