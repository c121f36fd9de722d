"""What was sent to the leaders' group bots: a JSON-lines file per kind and cutoff
(`<run folder>/progress/messages.jsonl`, `<run folder>/notice/messages.jsonl`), one line per
attempt. A message goes out when its content differs from the last one delivered to that pickup
point's group (`last_delivered`); a failed attempt is recorded and tried again by the next run.

The file lives in the run folder, which a cutoff rerun swaps whole: the records are appended under
the folder lock (outputs/locks.py) that the swap takes, so a line is never lost in the swap."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from outputs.locks import folder_lock

SENT = "sent"
FILE = "file"      # a point without a group bot: the message was written for the leader to paste
FAILED = "failed"
DELIVERED = (SENT, FILE)


class DeliveryLog:
    def __init__(self, path: Path, lock_folder: Path):
        self.path = path
        self.lock_folder = lock_folder

    def entries(self) -> list[dict]:
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def last_delivered(self) -> dict[str, dict]:
        """pickup_point_id -> the last entry delivered to it (sent, or written as a file)."""
        last: dict[str, dict] = {}
        for entry in self.entries():
            if entry.get("status") in DELIVERED:
                last[entry["pickup_point_id"]] = entry
        return last

    def append(self, entry: dict) -> None:
        stamped = {**entry, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        with folder_lock(self.lock_folder):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(stamped, ensure_ascii=False) + "\n")
