"""The start of a run: a run started a little before its cutoff waits for it (0.5 s and 30 s
early), a run started far too early is refused; late exports: the ready marker, the settle time,
the deadline and its warning in summary.json and the artifact. Real files appear from threads;
the clock is injected where that keeps a test fast."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from errors import UserError
from flows.artifacts import render_run_markdown
from flows.planning import plan_run
from flows.readiness import wait_for_cutoff, wait_for_inbox
from flows.settings import Settings, load_settings
from inbox.ingest import read_inbox
from inbox.snapshot import inbox_snapshot, missing_markers
from tests.datasets import mooncake_closing_at, mooncake_data_dir, write_orders
from transforms.windows import window_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
CUTOFF = datetime(2026, 12, 2, 20, 0, tzinfo=SHANGHAI)  # the nightly 2026-12-02 cutoff instant
MOONCAKE_PAID_FEN, MOONCAKE_NET_FEN = 512930, 414530
LATE_ORDER_FEN = 7 * 2990  # order F, the late export


class FakeClock:
    """A clock that only moves when the code under test sleeps: every sleep is recorded."""

    def __init__(self, now: datetime):
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return mooncake_data_dir(tmp_path / "data")


# ---- a run started before its cutoff -----------------------------------------------------------

@pytest.mark.parametrize("early", [0.5, 30.0, 300.0])
def test_a_run_started_up_to_the_grace_before_its_cutoff_is_planned(data_dir, early):
    plan = plan_run("nightly", date(2026, 12, 2), Settings(data_dir=data_dir), now=CUTOFF - timedelta(seconds=early))
    assert plan.window.end == CUTOFF


def test_a_run_started_further_ahead_than_the_grace_is_refused_and_says_why(data_dir):
    with pytest.raises(UserError) as raised:
        plan_run("nightly", date(2026, 12, 2), Settings(data_dir=data_dir), now=CUTOFF - timedelta(seconds=301))
    message = str(raised.value)
    assert message.startswith("the nightly 2026-12-02 cutoff is at 2026-12-02 20:00 Asia/Shanghai, in the future "
                              "(5 min 1 s from now): its orders are not locked yet. To run it anyway, with the "
                              "orders there are now, turn on force (in the run form; --force on the command line)")
    assert "waits for it, up to 5 min 0 s (CUTOFF_EARLY_START_MAX_WAIT_SECONDS)" in message
    assert message.endswith("a start this early means it was started by hand or its schedule is wrong.")
    with pytest.raises(UserError, match=r"\(5 h 0 min from now\)"):
        plan_run("nightly", date(2026, 12, 2), Settings(data_dir=data_dir), now=CUTOFF - timedelta(hours=5))


def test_force_plans_a_future_cutoff_and_a_zero_grace_refuses_half_a_second(data_dir):
    assert plan_run("nightly", date(2026, 12, 2), Settings(data_dir=data_dir), force=True,
                    now=CUTOFF - timedelta(days=3)).cutoff_date == date(2026, 12, 2)
    with pytest.raises(UserError, match="0.5 s from now"):
        plan_run("nightly", date(2026, 12, 2), Settings(data_dir=data_dir, early_start_max_wait_seconds=0),
                 now=CUTOFF - timedelta(seconds=0.5))


@pytest.mark.parametrize("early, sleeps, line", [
    (0.5, [0.5], "waiting 0.5 s for the 20:00 cutoff (nightly 2026-12-02, Asia/Shanghai): the run started before it"),
    (30.0, [30.0], "waiting 30.0 s for the 20:00 cutoff (nightly 2026-12-02, Asia/Shanghai): "
                   "the run started before it"),
    (75.0, [30.0, 30.0, 15.0], "waiting 75.0 s for the 20:00 cutoff (nightly 2026-12-02, Asia/Shanghai): "
                               "the run started before it"),
])
def test_a_run_started_early_sleeps_until_its_cutoff_instant(early, sleeps, line):
    clock, said = FakeClock(CUTOFF - timedelta(seconds=early)), []
    waited = wait_for_cutoff(window_for("nightly", date(2026, 12, 2)), clock=clock, sleep=clock.sleep, say=said.append)
    assert waited == early
    assert clock.sleeps == sleeps
    assert clock.now == CUTOFF  # it goes on at the cutoff instant, not before
    assert said == [line]


@pytest.mark.parametrize("late", [0.0, 0.5, 3600.0])
def test_a_run_started_at_or_after_its_cutoff_does_not_wait(late):
    clock, said = FakeClock(CUTOFF + timedelta(seconds=late)), []
    assert wait_for_cutoff(window_for("nightly", date(2026, 12, 2)), clock=clock, sleep=clock.sleep,
                           say=said.append) == 0.0
    assert clock.sleeps == [] and said == []


def test_a_weekly_run_waits_for_sunday_24_00():
    window = window_for("weekly", date(2026, 11, 22))
    clock, said = FakeClock(window.end - timedelta(seconds=8)), []
    wait_for_cutoff(window, clock=clock, sleep=clock.sleep, say=said.append)
    assert said == ["waiting 8.0 s for the 00:00 cutoff (weekly 2026-11-22, Asia/Shanghai): the run started before it"]
    assert clock.now == datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)


# ---- the inbox: off, marker, settle, deadline --------------------------------------------------------

def _settings(data_dir: Path, **values) -> Settings:
    return Settings(data_dir=data_dir, **values)


def _write_later(delay: float, *writes) -> threading.Thread:
    """A thread that sleeps `delay` s, then calls each write (an exporter landing late)."""
    def run():
        time.sleep(delay)
        for write in writes:
            write()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _window_ending(instant: datetime):
    """A nightly window whose cutoff instant is `instant` (any second, for these unit tests)."""
    from transforms.windows import CutoffWindow
    return CutoffWindow("nightly", instant.astimezone(SHANGHAI).date(), instant - timedelta(days=1), instant,
                        "Asia/Shanghai")


def test_without_a_marker_or_settle_time_nothing_is_checked(data_dir):
    clock = FakeClock(CUTOFF)
    readiness = wait_for_inbox(_window_ending(CUTOFF), _settings(data_dir), clock=clock, sleep=clock.sleep)
    assert (readiness.checked, readiness.ready, readiness.warning) == (False, True, None)
    assert clock.sleeps == []


def test_a_run_after_the_deadline_neither_checks_nor_waits(data_dir):
    """A rerun or a backfill of a past cutoff: the marker of that day is long gone or rewritten."""
    clock = FakeClock(CUTOFF + timedelta(seconds=901))
    readiness = wait_for_inbox(_window_ending(CUTOFF), _settings(data_dir, ready_marker="_READY"), clock=clock,
                               sleep=clock.sleep)
    assert readiness.checked is False and readiness.ready is True and clock.sleeps == []
    assert readiness.detail == "started after the readiness deadline 20:15:00: not checked"


def test_the_run_waits_for_the_marker_and_reads_the_late_export(tmp_path):
    instant = datetime.now(timezone.utc) - timedelta(seconds=1)
    data_dir = tmp_path / "data"
    late = mooncake_closing_at(data_dir, instant)
    exporter = _write_later(0.6, lambda: write_orders(data_dir, late, name="orders-2.csv"),
                            lambda: (data_dir / "inbox" / "orders" / "_READY").write_text("done\n"))
    said: list[str] = []
    readiness = wait_for_inbox(_window_ending(instant), _settings(data_dir, ready_marker="_READY"),
                               say=said.append, poll_seconds=0.1)
    exporter.join()
    assert readiness.ready and readiness.checked and readiness.warning is None
    assert 0.5 <= readiness.waited_seconds < 10
    assert said[0].startswith("waiting for the inbox (the ready marker _READY) until ")
    assert said[0].endswith("at the latest: no _READY written since the cutoff in inbox/orders")
    assert said[-1].startswith("inbox ready (the ready marker _READY) after waiting ")
    assert (data_dir / "inbox" / "orders" / "orders-2.csv").is_file()  # it was there before the run went on


def test_a_marker_older_than_the_cutoff_does_not_count_and_refunds_need_theirs(tmp_path):
    data_dir = mooncake_data_dir(tmp_path / "data")
    marker = data_dir / "inbox" / "orders" / "_READY"
    marker.write_text("")
    yesterday = (CUTOFF - timedelta(days=1)).timestamp()
    os.utime(marker, (yesterday, yesterday))
    assert missing_markers(data_dir, "_READY", CUTOFF) == ["inbox/orders"]
    os.utime(marker, (CUTOFF.timestamp(), CUTOFF.timestamp()))  # written at the cutoff instant: counts
    assert missing_markers(data_dir, "_READY", CUTOFF) == []
    (data_dir / "inbox" / "refunds").mkdir()
    assert missing_markers(data_dir, "_READY", CUTOFF) == ["inbox/refunds"]


def test_the_deadline_passes_the_run_goes_on_and_says_so(data_dir):
    """The marker never comes: the run polls until 20:15 (simulated), then goes on with a warning."""
    clock = FakeClock(CUTOFF + timedelta(seconds=5))
    said: list[str] = []
    readiness = wait_for_inbox(_window_ending(CUTOFF), _settings(data_dir, ready_marker="_READY"), clock=clock,
                               sleep=clock.sleep, say=said.append)
    assert readiness.ready is False and readiness.checked is True
    assert readiness.waited_seconds == 895.0 and clock.now == CUTOFF + timedelta(seconds=900)
    assert len(clock.sleeps) == 448 and max(clock.sleeps) == 2.0  # polled every 2 s
    assert readiness.warning == (
        "inbox_not_ready: no _READY written since the cutoff in inbox/orders by the deadline 20:15:00 (900 s "
        "after the cutoff, CUTOFF_READY_DEADLINE_SECONDS); the run went on with the files present then. "
        "Rerun this cutoff once the export is complete.")
    assert said == ["waiting for the inbox (the ready marker _READY) until 20:15:00 at the latest: no _READY "
                    "written since the cutoff in inbox/orders", readiness.warning]


def test_settle_time_counts_from_the_cutoff_and_restarts_with_each_new_file(tmp_path):
    instant = datetime.now(timezone.utc) - timedelta(seconds=0.2)
    data_dir = tmp_path / "data"
    late = mooncake_closing_at(data_dir, instant)
    exporter = _write_later(0.5, lambda: write_orders(data_dir, late, name="orders-2.csv"))
    started = time.monotonic()
    readiness = wait_for_inbox(_window_ending(instant), _settings(data_dir, settle_seconds=1.0), poll_seconds=0.05)
    exporter.join()
    assert readiness.ready and readiness.warning is None
    # the file landed at +0.5 s: quiet from then on for 1 s, so not before +1.5 s
    assert 1.4 <= time.monotonic() - started < 8
    assert "orders-2.csv" in " ".join(inbox_snapshot(data_dir))


def test_settle_time_without_new_files_ends_settle_seconds_after_the_cutoff(data_dir):
    before = (CUTOFF - timedelta(minutes=5)).timestamp()
    for path in (data_dir / "inbox").rglob("*.csv"):  # exported before the (simulated) cutoff
        os.utime(path, (before, before))
    clock = FakeClock(CUTOFF)
    readiness = wait_for_inbox(_window_ending(CUTOFF), _settings(data_dir, settle_seconds=120), clock=clock,
                               sleep=clock.sleep)
    assert readiness.ready and clock.now == CUTOFF + timedelta(seconds=120)


def test_a_changing_inbox_at_the_deadline_is_a_warning(tmp_path):
    data_dir = mooncake_data_dir(tmp_path / "data")
    instant = datetime.now(timezone.utc) - timedelta(seconds=0.1)
    stop = threading.Event()

    def keep_exporting():
        n = 0
        while not stop.is_set():
            write_orders(data_dir, [], name=f"part-{n}.csv")
            n += 1
            time.sleep(0.2)
    thread = threading.Thread(target=keep_exporting, daemon=True)
    thread.start()
    try:
        readiness = wait_for_inbox(_window_ending(instant), _settings(data_dir, settle_seconds=1.0,
                                                                      ready_deadline_seconds=1.5),
                                   poll_seconds=0.05)
    finally:
        stop.set()
        thread.join()
    assert readiness.ready is False
    assert readiness.warning.startswith("inbox_not_ready: the inbox last changed at ")
    assert "of 1 s quiet by the deadline" in readiness.warning


def test_ingest_never_reads_the_marker_as_an_input(data_dir):
    (data_dir / "inbox" / "orders" / "_READY").write_text("2026-12-02T20:03:00+08:00\n")
    assert [f.relative for f in read_inbox(data_dir, set(), "_READY")] == ["inbox/orders/orders-1.csv"]
    unconfigured = {f.relative: f.problem for f in read_inbox(data_dir, set())}
    assert unconfigured["inbox/orders/_READY"].startswith("unknown file type")  # why the setting matters


def test_settings_for_readiness_and_alerts_are_checked(tmp_path):
    settings = load_settings(tmp_path / "none.toml", {"CUTOFF_READY_MARKER": "_READY", "CUTOFF_SETTLE_SECONDS": "90",
                                                      "CUTOFF_READY_DEADLINE_SECONDS": "600",
                                                      "CUTOFF_EARLY_START_MAX_WAIT_SECONDS": "120"})
    assert (settings.ready_marker, settings.settle_seconds, settings.ready_deadline_seconds,
            settings.early_start_max_wait_seconds) == ("_READY", 90.0, 600.0, 120.0)
    assert settings.readiness_enabled and not Settings().readiness_enabled
    with pytest.raises(UserError, match="a file name .* not a path"):
        load_settings(tmp_path / "none.toml", {"CUTOFF_READY_MARKER": "inbox/_READY"})
    with pytest.raises(UserError, match="CUTOFF_ALERT_WEBHOOK_FORMAT must be one of json, wecom, dingtalk, feishu"):
        load_settings(tmp_path / "none.toml", {"CUTOFF_ALERT_WEBHOOK_FORMAT": "slack"})
    with pytest.raises(UserError, match="CUTOFF_SETTLE_SECONDS must be 0 or more"):
        load_settings(tmp_path / "none.toml", {"CUTOFF_SETTLE_SECONDS": "-1"})
    toml = tmp_path / "cutoff.toml"
    toml.write_text('alert_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret"\n')
    with pytest.raises(UserError, match="sets alert_webhook: secrets come only from the environment"):
        load_settings(toml, {})


def test_the_artifact_puts_an_unready_inbox_and_an_empty_cutoff_first():
    from tests.flows.test_deployments import SUMMARY
    summary = dict(SUMMARY, warnings=[
        "inbox_not_ready: no _READY written since the cutoff in inbox/orders by the deadline 20:15:00 (...)",
        "empty_cutoff: no paid order line belongs to this cutoff (2 listing(s) closed, 0 rejected row(s)); ...",
        *SUMMARY["warnings"]])
    markdown = render_run_markdown(summary)
    assert "## Attention (2)\n\n- **Inbox not ready**: no _READY written since the cutoff in inbox/orders" in markdown
    assert "- **No order lines**: no paid order line belongs to this cutoff" in markdown
    assert markdown.index("## Attention") < markdown.index("## Groups not formed (1)")
    assert "## Attention" not in render_run_markdown(SUMMARY)


# ---- the flow, under the Prefect test harness ------------------------------------------------------

def _current_cutoff(monkeypatch) -> datetime:
    """A nightly cutoff at the current minute (Shanghai): CUTOFF_NIGHTLY_AT set to it."""
    now = datetime.now(SHANGHAI)
    if now.second > 50:  # keep the whole test inside one minute of the clock
        time.sleep(61 - now.second)
        now = datetime.now(SHANGHAI)
    instant = now.replace(second=0, microsecond=0)
    monkeypatch.setenv("CUTOFF_NIGHTLY_AT", instant.strftime("%H:%M"))
    return instant


def _run(data_dir: Path, reports: Path, day: date):
    from flows.cutoff_flow import cutoff_flow
    return cutoff_flow(calendar="nightly", cutoff_date=day, send_email=False, data_dir=str(data_dir),
                       reports_dir=str(reports), return_state=True)


@pytest.mark.slow
def test_a_run_waits_for_the_marker_and_its_figures_include_the_late_export(prefect_harness, tmp_path, monkeypatch):
    instant = _current_cutoff(monkeypatch)
    data_dir, reports = tmp_path / "data", tmp_path / "reports"
    late = mooncake_closing_at(data_dir, instant)
    monkeypatch.setenv("CUTOFF_READY_MARKER", "_READY")
    exporter = _write_later(1.0, lambda: write_orders(data_dir, late, name="orders-2.csv"),
                            lambda: (data_dir / "inbox" / "orders" / "_READY").write_text(""))
    state = _run(data_dir, reports, instant.date())
    exporter.join()
    assert state.is_completed(), state.message
    summary = json.loads((reports / "nightly" / instant.date().isoformat() / "summary.json").read_text())
    assert summary["fen"]["paid"] == MOONCAKE_PAID_FEN and summary["fen"]["net"] == MOONCAKE_NET_FEN
    assert not [w for w in summary["warnings"] if w.startswith("inbox_not_ready")]


@pytest.mark.slow
def test_past_the_deadline_the_run_goes_on_and_the_summary_and_artifact_say_so(prefect_harness, tmp_path,
                                                                              monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
    instant = _current_cutoff(monkeypatch)
    data_dir, reports = tmp_path / "data", tmp_path / "reports"
    mooncake_closing_at(data_dir, instant)  # the late export never comes
    deadline = (datetime.now(timezone.utc) - instant).total_seconds() + 2
    monkeypatch.setenv("CUTOFF_WAREHOUSE_ADDRESS", "广州市白云区仓库路8号")  # the inbox is the one thing amiss
    monkeypatch.setenv("CUTOFF_READY_MARKER", "_READY")
    monkeypatch.setenv("CUTOFF_READY_DEADLINE_SECONDS", f"{deadline:.1f}")
    state = _run(data_dir, reports, instant.date())
    assert state.is_completed(), state.message
    summary = json.loads((reports / "nightly" / instant.date().isoformat() / "summary.json").read_text())
    assert summary["fen"]["paid"] == MOONCAKE_PAID_FEN - LATE_ORDER_FEN  # order F was not in
    assert summary["warnings"][0].startswith(
        "inbox_not_ready: no _READY written since the cutoff in inbox/orders by the deadline ")
    assert "the run went on with the files present then" in summary["warnings"][0]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["cutoff-nightly"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    assert "## Attention (1)" in artifacts[0].data and "**Inbox not ready**: no _READY written" in artifacts[0].data
    assert artifacts[0].description.endswith("; INBOX NOT READY")
