"""What a cutoff run knows of its inputs before it decides anything: when they last changed (the
sheets' "generated at") and what the settings leave out that people will miss."""

from __future__ import annotations

from datetime import datetime, timezone

from flows.settings import Settings
from inbox.master import master_files_changed_at
from warehouse.connection import Warehouse
from warehouse.queries import latest_ingestion


def inputs_as_of(warehouse: Warehouse, settings: Settings) -> datetime:
    """When the run's inputs last changed: the latest of the master files' modification times and
    the inbox files' ingestion. Printed as the sheets' "generated at", so a rerun on the same
    inputs leaves the same sheet contents."""
    times = [latest_ingestion(warehouse), *master_files_changed_at(settings.data_dir)]
    return max([t for t in times if t is not None] or [datetime.now(timezone.utc)])


def settings_warnings(settings: Settings) -> list[str]:
    """What the settings leave out that people will miss: warned at run start (the log, the
    command line) and in summary.json `warnings`."""
    if settings.warehouse_address.strip():
        return []
    return ["warehouse_address_missing: CUTOFF_WAREHOUSE_ADDRESS is not set, so the purchase orders print an "
            "empty 收货地址 (deliver to). Set it in the environment of `cutoff serve` (or in cutoff.toml) and "
            "run the cutoff again: the suppliers get their purchase orders again as a revision (修订版)."]
