"""A cutoff is never delayed by a progress run: real processes, at once.

`cutoff progress` is started and held in flight (its leaders' group bot, a real HTTP server,
keeps the first message's request open); `cutoff run` of the same cutoff is started meanwhile and
completes, exit 0, while the progress run is still in flight; then the progress run completes too,
and its snapshot sits in the run folder the cutoff wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import datasets
from tests.servers import WebhookReceiver, stop, tail, wait_for

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOLD_SECONDS = 9.0  # each message's request is held this long at most (the bot's timeout is 10 s)
POINTS = 80        # eight posted at a time: a progress run stays in flight up to 90 s, unless released

pytestmark = pytest.mark.slow


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CUTOFF_")}
    return {**clean, "PYTHONPATH": str(ROOT), "CUTOFF_WAREHOUSE_ADDRESS": "广州市白云区仓库路8号"}


def start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "flows", *args], cwd=cwd, env=env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def test_a_cutoff_started_while_progress_runs_completes_on_its_own(tmp_path):
    release = threading.Event()

    def slow_bot(post):
        release.wait(HOLD_SECONDS)
        return 200, {"errcode": 0, "errmsg": "ok"}

    local = datetime.now(SHANGHAI)
    cutoff = local.replace(hour=20, minute=0, second=0, microsecond=0)
    cutoff = cutoff if cutoff > local + timedelta(minutes=10) else cutoff + timedelta(days=1)
    day = cutoff.date().isoformat()
    data_dir = tmp_path / "data"
    stamp = lambda t: t.isoformat(timespec="seconds")  # noqa: E731
    listings = [dict(row, opens_at=stamp(cutoff - timedelta(days=2)), closes_at=stamp(cutoff))
                for row in datasets.LISTINGS]
    # 80 pickup points, an order each: 80 messages, each held up to HOLD_SECONDS by the bot
    placed = [datasets.order(f"O{n}", f"c{n}", 1, stamp(local - timedelta(seconds=30 * (POINTS - n))), point=f"P{n}")
              for n in range(POINTS)]
    with WebhookReceiver(reply=slow_bot) as bot:
        points = [dict(datasets.PICKUP_POINTS[0], pickup_point_id=f"P{n}", name=f"幸福里{n}栋", leader_id=f"T{n}",
                       route_seq=str(n), webhook=bot.url, webhook_format="wecom") for n in range(POINTS)]
        datasets.write_master(data_dir, listings=listings, pickup_points=points)
        datasets.write_orders(data_dir, placed)
        dirs = ["--data-dir", "data", "--reports-dir", "reports"]
        progress = start(["progress", "--date", day, *dirs], tmp_path, tmp_path / "progress.log")
        cutoff_run = None
        try:
            wait_for(lambda: bot.posts() or progress.poll() is not None, 120, "the progress run's first message",
                     tmp_path / "progress.log")
            assert progress.poll() is None, tail(tmp_path / "progress.log")  # in flight: its bot holds it
            started = time.monotonic()
            cutoff_run = start(["run", "--date", day, "--force", "--no-email", *dirs], tmp_path, tmp_path / "run.log")
            assert cutoff_run.wait(timeout=180) == 0, tail(tmp_path / "run.log")
            took = time.monotonic() - started
            assert progress.poll() is None, "the progress run ended before the cutoff: nothing was proven"
        finally:
            release.set()
            code = progress.wait(timeout=120)
            for process in (progress, cutoff_run):
                if process is not None:
                    stop(process)
        assert code == 0, tail(tmp_path / "progress.log")
    assert took < 120
    run = tmp_path / "reports" / "nightly" / day
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["order_lines"]["eligible"] == POINTS and summary["units"]["allocated"] == datasets.mooncake.STOCK_CAP
    (snapshot,) = (run / "progress").glob("*/progress.json")  # the cutoff's folder holds the progress run's
    assert json.loads(snapshot.read_text(encoding="utf-8"))["order_lines"] == POINTS
    assert "another run holds the warehouse" not in (tmp_path / "run.log").read_text()
    assert len(bot.posts()) == POINTS  # every leader's message went out, the cutoff's run folder written meanwhile
    sent = (run / "progress" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(sent) == POINTS  # the record of what was sent, kept across the cutoff's swap of its folder
