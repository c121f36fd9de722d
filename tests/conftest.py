"""Shared fixtures: a project-local Prefect home, one Prefect test harness per session, and
small data dirs in the contract's format."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
for name in list(os.environ):  # tests never pick up a developer's settings or SMTP server
    if name.startswith("CUTOFF_"):
        del os.environ[name]


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server for the flow tests (about 9 s, once)."""
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def mooncake_dirs(tmp_path):
    """A data dir with the rulebook's mooncake example, and an empty reports dir."""
    from tests.datasets import mooncake_data_dir
    data_dir = mooncake_data_dir(tmp_path / "data")
    return data_dir, tmp_path / "reports"


@pytest.fixture
def settings_for(tmp_path):
    """Settings for a data dir under tmp_path (warehouse in it), reports under tmp_path/reports."""
    from flows.settings import Settings

    def make(data_dir: Path, **extra) -> Settings:
        return Settings(data_dir=data_dir, reports_dir=tmp_path / "reports", **extra)
    return make


