"""The signing secrets of the suppliers on `po_transport = api` (docs/po-api.md, "Secrets").

A supplier's secret is its entry in the TOML file CUTOFF_PO_SECRETS names (outside the data dir),
else the Prefect Secret block `cutoff-po-<supplier id>`. A supplier on `api` without one stops the
run (exit 2) before any purchase order goes out, by email or API, with one line naming it: checked
when the run starts, before the cutoff computes (`check_po_secrets`), and again by the stage that
posts, on the master data the run validated (`po_secrets`).
"""

from __future__ import annotations

from errors import UserError
from flows.run_log import run_logger
from flows.settings import Settings
from supplier_api.secrets import ENV, api_suppliers_in, block_name, read_secrets_file


def _block_secret(supplier_id: str) -> tuple[str | None, str | None]:
    """(the secret of the Prefect Secret block `cutoff-po-<id>`, or None; why it could not be read)."""
    from prefect.blocks.system import Secret
    name = block_name(supplier_id)
    try:
        value = Secret.load(name).get()
    except ValueError:  # no block of that name
        return None, None
    except Exception as exc:  # the server cannot be asked: say so in the supplier's line
        return None, f"the Prefect Secret block {name} could not be read ({type(exc).__name__}: {exc})"
    return (str(value) if value else None), None


def po_secrets(settings: Settings, supplier_ids: list[str]) -> dict[str, str]:
    """{supplier_id: secret} for these suppliers (those on `api`). Raises UserError, one line per
    supplier without a secret, naming it and where its secret goes."""
    if not supplier_ids:
        return {}
    from_file: dict[str, str] = {}
    if settings.po_secrets is not None:
        from_file, warnings = read_secrets_file(settings.po_secrets, settings.data_dir, settings.reports_dir)
        for text in warnings:
            run_logger().warning(text)
    secrets, missing = {}, []
    for supplier_id in supplier_ids:
        secret, why = (from_file[supplier_id], None) if supplier_id in from_file else _block_secret(supplier_id)
        if secret:
            secrets[supplier_id] = secret
            continue
        where = f"the file {ENV} names ({settings.po_secrets})" if settings.po_secrets else \
            f"a TOML file named by {ENV} (outside the data dir)"
        missing.append(f"supplier {supplier_id} is on po_transport = api but has no signing secret: add "
                       f"[suppliers.{supplier_id}] secret = \"...\" to {where}, or create the Prefect Secret block "
                       f"{block_name(supplier_id)}" + (f"; {why}" if why else "") + ".")
    if missing:
        raise UserError("\n".join(missing) + "\nNo purchase order was sent, by email or API. Add the secret(s) "
                        "(docs/po-api.md, \"Secrets\") and run the cutoff again.")
    return secrets


def check_po_secrets(settings: Settings) -> None:
    """Before the run computes anything: every supplier on `api` in master/suppliers.csv has a
    secret (UserError otherwise). The file is read as it is; its validation comes later."""
    po_secrets(settings, api_suppliers_in(settings.data_dir))
