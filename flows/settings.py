"""Per-environment settings: environment variables `CUTOFF_*`, or the same names in lower case
without the prefix in an optional `cutoff.toml`. Secrets only from the environment (or a Prefect
Secret block, see flows/mailing.py), never from a committed file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from errors import UserError

SECRET_FIELDS = {"smtp_password", "alert_webhook"}  # a chat webhook URL carries its token
WEBHOOK_FORMATS = ("json", "wecom", "dingtalk", "feishu")
LABEL_SIZES = ("60x40", "80x60", "a4")  # labels.pdf.SIZES


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports")
    warehouse: Path | None = None  # default: <data_dir>/warehouse.duckdb
    timezone: str = "Asia/Shanghai"
    nightly_at: str = "20:00"
    lang: str = "zh"
    reject_limit_pct: float = 5.0
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: str = "none"
    smtp_timeout: float = 10.0
    mail_from: str = "cutoff@localhost"
    mail_cc: str = ""
    mail_reply_to: str = ""
    platform_name: str = "社区团购平台"
    warehouse_address: str = ""
    workers: int = 2
    pickup_hours: int = 48  # a line not scanned by the cutoff instant + this is unpicked (docs/fulfilment.md)
    label_size: str = "80x60"  # the PDF labels' page: 60x40, 80x60 (one a page), a4 (docs/labels.md)
    crate_units: int = 30      # units a crate holds (the crate labels)
    # the start of a run (docs/rules.md "Running", docs/ops.md "The 20:00 run")
    early_start_max_wait_seconds: float = 300.0  # a run started this early waits for its cutoff
    ready_marker: str = ""               # file name the exporter writes into each inbox folder
    settle_seconds: float = 0.0          # without a marker: quiet time of the inbox after the cutoff
    ready_deadline_seconds: float = 900.0  # after the cutoff instant: go on anyway, with a warning
    # alerts (docs/ops.md "Alerts"), set up by `cutoff serve`
    ops_email: str = ""
    alert_webhook: str = ""
    alert_webhook_format: str = "json"
    alert_deadline_minutes: float = 30.0
    # regions (docs/regions.md, flows/regions.py): `cutoff national` and the `national` deployment of `cutoff serve`
    regions: Path | None = None          # the regions.toml of the national deployment
    pool: str = "cutoff-regions"         # the Prefect work pool the regional cutoffs run on

    @property
    def readiness_enabled(self) -> bool:
        return bool(self.ready_marker) or self.settle_seconds > 0

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse or self.data_dir / "warehouse.duckdb"

    def with_overrides(self, **values) -> Settings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def _convert(name: str, kind: type | str, text: str):
    kind = str(kind)
    try:
        if "Path" in kind:
            return Path(text).expanduser()
        if "int" in kind:
            return int(text)
        if "float" in kind:
            return float(text)
    except ValueError as exc:
        raise UserError(f"setting {name} = {text!r} is not a valid value ({exc}).") from exc
    return text


def load_settings(config_file: Path | None = None, environ: dict | None = None) -> Settings:
    """Defaults, then `cutoff.toml` (if present), then `CUTOFF_*` environment variables."""
    environ = os.environ if environ is None else environ
    config_file = config_file or Path(environ.get("CUTOFF_CONFIG", "cutoff.toml"))
    values: dict = {}
    if config_file.is_file():
        try:
            from_file = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{config_file} is not valid TOML: {exc}") from exc
        for secret in SECRET_FIELDS & from_file.keys():
            raise UserError(f"{config_file} sets {secret}: secrets come only from the environment "
                            f"(CUTOFF_{secret.upper()}) or a Prefect Secret block.")
        values.update(from_file)
    for field in fields(Settings):
        env_value = environ.get(f"CUTOFF_{field.name.upper()}")
        if env_value is not None and env_value != "":
            values[field.name] = env_value
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UserError(f"unknown setting(s) in {config_file}: {', '.join(unknown)}")
    typed = {name: _convert(name, known[name].type, str(value)) if isinstance(value, str) else value
             for name, value in values.items()}
    settings = Settings(**typed)
    if settings.lang not in ("zh", "en"):
        raise UserError(f"CUTOFF_LANG must be zh or en, not {settings.lang!r}")
    if settings.smtp_security not in ("none", "starttls", "ssl"):
        raise UserError(f"CUTOFF_SMTP_SECURITY must be none, starttls or ssl, not {settings.smtp_security!r}")
    if settings.alert_webhook_format not in WEBHOOK_FORMATS:
        raise UserError(f"CUTOFF_ALERT_WEBHOOK_FORMAT must be one of {', '.join(WEBHOOK_FORMATS)}, "
                        f"not {settings.alert_webhook_format!r}")
    if settings.ready_marker and ("/" in settings.ready_marker or settings.ready_marker in (".", "..")):
        raise UserError(f"CUTOFF_READY_MARKER is a file name (such as _READY), not a path: "
                        f"{settings.ready_marker!r}")
    if settings.label_size not in LABEL_SIZES:
        raise UserError(f"CUTOFF_LABEL_SIZE must be one of {', '.join(LABEL_SIZES)}, not {settings.label_size!r}")
    if settings.crate_units < 1:
        raise UserError(f"CUTOFF_CRATE_UNITS must be 1 or more, not {settings.crate_units}")
    if settings.pickup_hours < 1:
        raise UserError(f"CUTOFF_PICKUP_HOURS must be 1 or more, not {settings.pickup_hours}")
    for name in ("early_start_max_wait_seconds", "settle_seconds", "ready_deadline_seconds",
                 "alert_deadline_minutes"):
        if getattr(settings, name) < 0:
            raise UserError(f"CUTOFF_{name.upper()} must be 0 or more, not {getattr(settings, name):g}")
    return settings

