"""Per-environment settings: environment variables `CUTOFF_*`, or the same names in lower case
without the prefix in an optional `cutoff.toml`. Secrets only from the environment (or a Prefect
Secret block, see flows/mailer.py), never from a committed file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from flows.errors import UserError

SECRET_FIELDS = {"smtp_password"}


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

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse or self.data_dir / "warehouse.duckdb"

    def with_overrides(self, **values) -> "Settings":
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
    return settings
