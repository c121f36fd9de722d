"""The suppliers' signing secrets: the TOML file that CUTOFF_PO_SECRETS names, outside the data dir
(`[suppliers.S001]` `secret = "..."`), and which suppliers of a data dir are on `api`. A Prefect
Secret block `cutoff-po-<supplier id>` is the other source; flows/po_api.py reads it (only flows/
imports Prefect). A secret is used as written: its UTF-8 bytes key the HMAC."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

import polars as pl

from errors import UserError
from inbox.readers import read_master_file
from schemas.suppliers import COLUMNS
from transforms.staging import parse_columns

ENV = "CUTOFF_PO_SECRETS"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def read_secrets_file(path: Path, data_dir: Path, reports_dir: Path) -> tuple[dict[str, str], list[str]]:
    """{supplier_id: secret} from the file, and warnings (a file others may read). Refused: a file
    inside the data dir or the reports dir (both are copied, backed up and shared with people who
    must not sign purchase orders), a missing or unreadable file, bad TOML, an entry without a
    `secret` text. The message never shows a secret."""
    for folder, what in ((data_dir, "data dir"), (reports_dir, "reports dir")):
        if _inside(path, folder):
            raise UserError(f"{ENV} names {path}, which is inside the {what} {folder}: the signing secrets must sit "
                            f"outside it (the {what} is copied and shared). Move the file, e.g. to "
                            f"/etc/cutoff/po-secrets.toml, readable only by the user that runs cutoff (chmod 600).")
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except OSError as exc:
        raise UserError(f"{ENV} names {path}, which cannot be read ({exc.strerror or exc}).") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{ENV} file {path} is not UTF-8 text.") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{ENV} file {path} is not valid TOML: {exc}. It holds `[suppliers.<supplier id>]` "
                        f"tables with `secret = \"...\"`.") from exc
    suppliers = document.get("suppliers", {})
    if not isinstance(suppliers, dict):
        raise UserError(f"{ENV} file {path}: `suppliers` must be tables, `[suppliers.<supplier id>]` with "
                        f"`secret = \"...\"`.")
    secrets: dict[str, str] = {}
    for supplier_id, entry in suppliers.items():
        secret = entry.get("secret") if isinstance(entry, dict) else None
        if not isinstance(secret, str) or not secret:
            raise UserError(f"{ENV} file {path}: [suppliers.{supplier_id}] has no `secret = \"...\"` (a non-empty "
                            f"text).")
        secrets[str(supplier_id)] = secret
    warnings = []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.append(f"{ENV} file {path} can be read by other users (mode {stat.filemode(mode)}): "
                        f"`chmod 600 {path}`.")
    return secrets, warnings


def block_name(supplier_id: str) -> str:
    """The Prefect Secret block of a supplier's secret: `cutoff-po-<supplier id>`, lower case, with
    `_` and `.` as `-` (block names are lower-case letters, digits and dashes)."""
    return "cutoff-po-" + re.sub(r"[^a-z0-9-]", "-", supplier_id.lower())


def api_suppliers_in(data_dir: Path) -> list[str]:
    """The suppliers of `master/suppliers.csv` on `po_transport = api`, read before the run loads
    and validates the master data (so a missing secret stops the run before anything is computed).
    A file that cannot be read gives none here: the run's validation reports it."""
    try:
        raw = read_master_file(data_dir / "master" / "suppliers.csv")
        typed = parse_columns(raw, COLUMNS, "UTC")
    except (UserError, pl.exceptions.PolarsError, OSError):
        return []
    api = typed.filter((pl.col("po_transport") == "api") & pl.col("supplier_id").is_not_null())
    return sorted(set(api["supplier_id"].to_list()))
