"""The local Prefect server a command owns (flows/local_server.py): up on a free port, stopped by
its handle; servers left by a dead command stopped by the next one, and nothing else touched.
(That it dies with a `cutoff run` killed by SIGKILL: tests/flows/test_faults.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from flows.local_server import PIDFILE_DIR, start_local_server, stop_orphaned_servers
from outputs.processes import is_running, process_start_time

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def health(api_url: str) -> bool:
    with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:
        return json.loads(response.read()) is True


@pytest.fixture
def sleepers():
    """Harmless processes standing in for "someone else's process"; killed by handle after."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(["sleep", "120"])
        started.append(process)
        return process
    yield start
    for process in started:
        process.kill()
        process.wait()


@pytest.mark.parametrize("ephemeral", [True, False], ids=["ephemeral", "full"])
def test_a_server_answers_on_127_0_0_1_and_is_stopped_by_its_handle(tmp_path, ephemeral):
    server = start_local_server(home=tmp_path, ephemeral=ephemeral, timeout=180)
    try:
        assert server.api_url.startswith("http://127.0.0.1:") and health(server.api_url)
        record = json.loads((tmp_path / PIDFILE_DIR / f"{server.pid}.json").read_text())
        assert (record["pid"], record["owner"], record["port"]) == (server.pid, os.getpid(), server.port)
        assert record["started"] == process_start_time(server.pid)
    finally:
        server.stop()
    assert server.process.returncode is not None and not is_running(server.pid, record["started"])
    assert list((tmp_path / PIDFILE_DIR).iterdir()) == []


def test_orphans_of_a_dead_command_are_stopped_and_nothing_else(tmp_path, sleepers):
    # a command that started a server which does not die with it, then went away (kill -9, a crash)
    log = tmp_path / "orphan-maker.log"
    with open(log, "w") as out:  # not a pipe: the orphan keeps what it inherits open
        made = subprocess.run(
            [sys.executable, "-c", "import os, sys; from pathlib import Path; "
             "from flows.local_server import start_local_server; "
             "print(start_local_server(home=Path(sys.argv[1]), die_with_owner=False, timeout=180).pid, flush=True); "
             "os._exit(0)", str(tmp_path)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=out, timeout=240)
    assert made.returncode == 0, log.read_text()
    orphan = int(log.read_text().split()[-1])
    orphan_started = process_start_time(orphan)
    assert is_running(orphan, orphan_started)
    pidfiles = tmp_path / PIDFILE_DIR
    # a server of a command that still runs (this test): left alone
    live = sleepers()
    (pidfiles / f"{live.pid}.json").write_text(json.dumps(
        {"pid": live.pid, "started": process_start_time(live.pid), "port": 1, "owner": os.getpid(),
         "owner_started": process_start_time(os.getpid())}))
    # a pidfile of a dead command whose pid now belongs to another process (other start time): not touched
    reused = sleepers()
    (pidfiles / f"{reused.pid}.json").write_text(json.dumps(
        {"pid": reused.pid, "started": process_start_time(reused.pid) - 1, "port": 2, "owner": ended_pid(),
         "owner_started": 1}))

    try:
        assert stop_orphaned_servers(tmp_path) == [orphan]
    finally:
        if is_running(orphan, orphan_started):
            os.kill(orphan, 9)

    assert not is_running(orphan, orphan_started)
    assert live.poll() is None and reused.poll() is None
    assert sorted(p.name for p in pidfiles.iterdir()) == [f"{live.pid}.json"]


def ended_pid() -> int:
    """A pid whose process has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_server_launched_early_is_the_one_the_command_uses_and_is_stopped_by_its_handle(monkeypatch):
    """`cutoff run` launches its server before it imports and plans (server_launched_early), and
    waits for it when Prefect starts: the same process, answering; stopped when the command ends."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.local_server import prefect_api_for_this_command, prefect_home, server_launched_early
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    # no server named by the settings either (an earlier test in this process may have named one)
    with temporary_settings(restore_defaults={PREFECT_API_URL}), server_launched_early() as early:
        assert early is not None and early.is_alive()
        with prefect_api_for_this_command(early=early) as server:
            assert server is early and os.environ["PREFECT_API_URL"] == early.api_url and health(early.api_url)
        assert not early.is_alive() and "PREFECT_API_URL" not in os.environ
    assert not (prefect_home() / PIDFILE_DIR / f"{early.pid}.json").exists()


def test_a_server_launched_early_and_never_used_is_stopped(monkeypatch):
    """A user error after the launch (bad input found while planning): the server goes anyway."""
    from flows.local_server import prefect_home, server_launched_early
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(RuntimeError, match="planning failed"), server_launched_early() as early:
        started = process_start_time(early.pid)
        raise RuntimeError("planning failed")
    assert not is_running(early.pid, started)
    assert not (prefect_home() / PIDFILE_DIR / f"{early.pid}.json").exists()


def test_no_server_is_launched_when_prefect_api_url_names_one(monkeypatch):
    from flows.local_server import server_launched_early
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    with server_launched_early() as early:
        assert early is None


def test_a_server_launched_early_goes_at_once_when_the_settings_name_a_server(monkeypatch):
    """PREFECT_API_URL in the profile (not the environment): the early server is not used, and
    stopped as soon as that is known, not at the end of the run."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.local_server import prefect_api_for_this_command, server_launched_early
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with server_launched_early() as early:
        assert early is not None and early.is_alive()
        with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}), \
                prefect_api_for_this_command(early=early) as server:
            assert server is None and not early.is_alive()
