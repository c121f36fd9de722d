"""Faults against real processes (issue 10): the `cutoff` command killed with SIGKILL at the worst
moments, a mail server that is down, a reports dir that cannot be written. Nothing is sent twice,
nothing is left behind, and an operator's mistake is one paragraph, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller

from flows.local_server import PIDFILE_DIR
from outputs.processes import is_running, process_start_time
from synthetic.dataset import generate_dataset
from tests import datasets
from tests.mail.test_mailer import Mailbox, free_port

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-21"
RUN = ["run", "--date", DAY, "--data-dir", "data", "--reports-dir", "reports"]

pytestmark = pytest.mark.slow


def cutoff_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOFF_")}
    # a configured machine (without the warehouse address every run starts with a warning about it)
    env.update(PYTHONPATH=str(ROOT), CUTOFF_WAREHOUSE_ADDRESS="广州市白云区仓库路8号", **extra)
    return env


def start_cutoff(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`cutoff ...` in the background, its output in `log`; umask 022 as on a usual server."""
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "flows", *args], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, umask=0o022, start_new_session=True)


def run_cutoff(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, umask=0o022)


def wait_until(predicate, timeout: float, what: str, every: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, start time) of every process under `pid`, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            started = process_start_time(child)
            if started is not None:
                found.append((child, started))
                todo.append(child)
    return found


def servers_of(owner: int) -> list[dict]:
    """The pidfiles of the Prefect servers `owner` started (flows/local_server.py)."""
    home = Path(os.environ["PREFECT_HOME"])
    records = [json.loads(p.read_text()) for p in (home / PIDFILE_DIR).glob("*.json")]
    return [r for r in records if r["owner"] == owner]


def query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.fixture
def mail_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1: start(port=None) -> Mailbox with `.port`."""
    controllers = []

    def start(port: int | None = None) -> Mailbox:
        mailbox = Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        controllers.append(controller)
        mailbox.port = controller.port
        return mailbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def killed():
    """Processes a test starts in the background: killed (their own group) if the test fails early."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_killed_after_the_server_accepted_the_message_the_rerun_sends_nothing_twice(tmp_path, mail_server,
                                                                                    killed):
    """kill -9 of `cutoff run` right after the mail server's 250, as the client says QUIT: the
    delivery was recorded at the 250, so the rerun sends S1 nothing and S2 its purchase order."""
    datasets.mooncake_data_dir(tmp_path / "data")
    mailbox = mail_server()
    env = cutoff_env(CUTOFF_SMTP_HOST="127.0.0.1", CUTOFF_SMTP_PORT=str(mailbox.port),
                     CUTOFF_MAIL_FROM="po@tuangou.cn")
    process = start_cutoff(RUN, tmp_path, env, tmp_path / "first.log")
    killed.append(process)
    mailbox.on_quit = lambda: os.kill(process.pid, signal.SIGKILL)  # the first QUIT: S1 was accepted

    assert process.wait(timeout=300) == -signal.SIGKILL, (tmp_path / "first.log").read_text()
    mailbox.on_quit = None
    assert [m["X-Cutoff-PO"] for m in mailbox.messages()] == [f"PO-nightly-{DAY}-S1"]

    rerun = run_cutoff(RUN, tmp_path, env)

    assert rerun.returncode == 0, rerun.stderr
    assert sorted(m["X-Cutoff-PO"] for m in mailbox.messages()) == [f"PO-nightly-{DAY}-S1", f"PO-nightly-{DAY}-S2"]
    summary = json.loads((tmp_path / "reports" / "nightly" / DAY / "summary.json").read_text(encoding="utf-8"))
    assert {s["supplier_id"]: s["email"] for s in summary["suppliers"]} == {"S1": "unchanged", "S2": "sent"}
    assert query(tmp_path / "data", "SELECT supplier_id, status, revision FROM emails ORDER BY sent_at") == [
        ("S1", "sent", 1), ("S2", "sent", 1)]


def test_a_run_killed_while_writing_workbooks_leaves_nothing_behind(tmp_path, killed):
    """kill -9 while the workbook workers write handout lists (customer names) into the staging
    folder: the processes it started die with it, and the rerun clears what it left."""
    generate_dataset(tmp_path / "data", 20_000, date.fromisoformat(DAY), 7)  # ~200 handout lists: 2 workers
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = cutoff_env(TMPDIR=str(temp))
    process = start_cutoff([*RUN, "--no-email"], tmp_path, env, tmp_path / "first.log")
    killed.append(process)
    calendar = tmp_path / "reports" / "nightly"

    def writing_workbooks() -> Path | None:
        for staging in calendar.glob(f".{DAY}.staging-*"):
            if any((staging / "handout").glob("*.xlsx")):  # sheets are spooled in memory: no openpyxl*
                return staging
        return None

    staging = wait_until(writing_workbooks, 240, "the workers to write handout lists into the staging folder")
    started = descendants(process.pid)  # the Prefect server, the workbook workers, multiprocessing's helper
    [server] = servers_of(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    assert (server["pid"], server["started"]) in started and len(started) >= 3, started
    wait_until(lambda: not [p for p in started if is_running(*p)], 30, "the processes of the killed run to end")
    assert staging.is_dir()  # what it left: partial handout lists with customer names
    assert not (calendar / DAY).exists()

    rerun = run_cutoff([*RUN, "--no-email"], tmp_path, env)

    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in calendar.iterdir()) == [DAY]  # no .staging-*, no .old-*
    assert sorted(temp.rglob("*")) == []  # nothing in the temporary dir either
    assert servers_of(process.pid) == []  # the dead run's pidfile went at the next start
    final = calendar / DAY
    assert len(list((final / "handout").glob("*.xlsx"))) > 150
    modes = {p.relative_to(final).as_posix(): p.stat().st_mode & 0o777 for p in [final, *final.rglob("*")]}
    assert {name for name, mode in modes.items() if mode != (0o755 if (final / name).is_dir() else 0o644)} == set()
    assert {modes["."], modes["summary.json"], modes["rejects.csv"], modes["handout"]} == {0o755, 0o644}
    assert "Traceback" not in rerun.stderr and "stopped" not in rerun.stderr


def test_an_unwritable_reports_dir_is_one_paragraph_its_own_exit_code_and_a_failed_run(tmp_path):
    data_dir = datasets.mooncake_data_dir(tmp_path / "data")
    (tmp_path / "taken").write_text("a file where the reports dir should be\n")
    env = cutoff_env()
    advice = ("Make the reports dir (--reports-dir or CUTOFF_REPORTS_DIR) a folder this user can write to, on "
              "a disk with free space, then run the same cutoff again: the rerun replaces this cutoff's tables "
              "and files, and sends no purchase order twice.")

    first = run_cutoff(["run", "--date", DAY, "--data-dir", "data", "--reports-dir", "taken/reports", "--no-email"],
                       tmp_path, env)

    assert first.returncode == 5
    assert first.stderr == (f"cutoff: cannot write the run's files under taken/reports: taken: not a folder (a "
                            f"file is in the way). {advice}\n")
    assert first.stdout == ""
    # a reports dir whose calendar folder is a link to a share that is not mounted: found while writing
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "nightly").symlink_to(tmp_path / "share-not-mounted")

    second = run_cutoff([*RUN, "--no-email"], tmp_path, env)

    assert second.returncode == 5
    assert second.stderr.endswith(f"cutoff: cannot write the run's files under reports: reports/nightly: not a "
                                  f"folder (a file, or a link to something that is not there, is in the way). "
                                  f"{advice}\n"), second.stderr
    assert [line for line in second.stderr.splitlines() if not line.startswith("  ")] == [
        second.stderr.splitlines()[-1]]  # the stage lines before it (ingest, validate, close), then one paragraph
    assert query(data_dir, "SELECT count(*) FROM allocations") == [(6,)]  # the tables were written
    (tmp_path / "reports" / "nightly").unlink()

    third = run_cutoff([*RUN, "--no-email"], tmp_path, env)

    assert third.returncode == 0, third.stderr
    for result in (first, second, third):
        assert "Traceback" not in result.stdout + result.stderr and "leaked" not in result.stderr
    log = query(data_dir, "SELECT status, message FROM run_log ORDER BY started_at")
    assert [status for status, _ in log] == ["failed", "failed", "success"]
    assert log[0][1] == first.stderr.removeprefix("cutoff: ").rstrip("\n")
    assert log[1][1].startswith("cannot write the run's files under reports: reports/nightly: not a folder")
    assert query(data_dir, "SELECT status, attempts FROM runs") == [("success", 3)]
    assert sorted(p.name for p in (tmp_path / "reports" / "nightly").iterdir()) == [DAY]


def test_smtp_down_is_one_warning_per_supplier_and_exit_0_then_each_gets_one_message(tmp_path, mail_server):
    datasets.mooncake_data_dir(tmp_path / "data")
    port = free_port()  # nothing listens here
    env = cutoff_env(CUTOFF_SMTP_HOST="127.0.0.1", CUTOFF_SMTP_PORT=str(port), CUTOFF_MAIL_FROM="po@tuangou.cn")

    down = run_cutoff(RUN, tmp_path, env)

    assert down.returncode == 0, down.stderr
    assert "Traceback" not in down.stdout + down.stderr
    why = "ConnectionRefusedError: [Errno 111] Connection refused, after 3 attempts"
    warnings = [line for line in down.stderr.splitlines() if line.startswith("cutoff: warning:")]
    assert warnings == [
        f"cutoff: warning: purchase order of supplier S1 not emailed: {why}",
        f"cutoff: warning: purchase order of supplier S2 not emailed: {why}",
        "cutoff: warning: 2 of 2 purchase order email(s) failed (recorded `failed` in the emails table; "
        "`email_failed` in summary.json). The data and sheets are complete. Run the same cutoff again when "
        "the mail server answers: it sends only what has not gone out."]
    assert [line for line in down.stderr.splitlines() if not line.startswith(("cutoff: warning:", "  "))] == []
    summary = json.loads((tmp_path / "reports" / "nightly" / DAY / "summary.json").read_text(encoding="utf-8"))
    assert [w for w in summary["warnings"] if w.startswith("email_failed")] == [
        f"email_failed: S1 not emailed: {why}", f"email_failed: S2 not emailed: {why}"]
    assert {s["supplier_id"]: s["email"] for s in summary["suppliers"]} == {"S1": "failed", "S2": "failed"}

    mailbox = mail_server(port)  # the mail server is back
    up = run_cutoff(RUN, tmp_path, env)

    assert up.returncode == 0, up.stderr
    assert "warning" not in up.stderr
    assert sorted(m["X-Cutoff-PO"] for m in mailbox.messages()) == [f"PO-nightly-{DAY}-S1", f"PO-nightly-{DAY}-S2"]
    summary = json.loads((tmp_path / "reports" / "nightly" / DAY / "summary.json").read_text(encoding="utf-8"))
    assert not [w for w in summary["warnings"] if w.startswith("email_failed")]
