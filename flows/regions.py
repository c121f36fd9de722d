"""regions.toml: the regional warehouses (中心仓) of a national platform (contract "Regions",
docs/regions.md).

```toml
[regions.east]                       # the region id: an id (letters, digits, _ . -)
data_dir = "/srv/cutoff/east"        # its master/, inbox/ and warehouse.duckdb
reports_dir = "/srv/reports/east"    # optional; default <reports dir>/east
timezone = "Asia/Shanghai"           # optional: any setting CUTOFF_<NAME> but the secrets
nightly_at = "20:00"

[regions.east.job_variables]         # optional: the work pool's job variables for its run
data_claim = "cutoff-east"           # (a Kubernetes pool: the volume claim of its data dir)
```

A region is read into its own `Settings`: this environment's (CUTOFF_*, cutoff.toml), with the
region's keys over them, checked as `load_settings` checks them. Relative paths are relative to
the file (or to `cutoff national --data-dir`). Any problem is a UserError naming the file, the
line, the region and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from errors import UserError
from flows.settings import SECRET_FIELDS, Settings, load_settings

REGION_PATHS = ("data_dir", "reports_dir", "warehouse")  # sent to the region's run as flow parameters
NATIONAL_ONLY = {"regions", "pool"}                       # settings of the national run, not of a region
NATIONAL_FOLDER = "national"                               # <reports dir>/national: the roll-up's own


@dataclass(frozen=True)
class Region:
    """One regional warehouse of regions.toml: a data dir of its own and the settings its cutoff
    runs with. `overrides` are the settings regions.toml sets for it besides its paths, by field
    name, as text (what `CUTOFF_<NAME>` would hold)."""

    region_id: str
    data_dir: Path
    reports_dir: Path
    settings: Settings
    overrides: dict[str, str]
    warehouse: Path | None = None
    job_variables: dict = field(default_factory=dict)

    @property
    def lang(self) -> str | None:
        return self.overrides.get("lang")

    def environment(self) -> dict[str, str]:
        """The region's settings for its run's process (`CUTOFF_TIMEZONE`, ...), sent as the job
        variable `env`; the language goes as a flow parameter, like the paths."""
        return {f"CUTOFF_{name.upper()}": value for name, value in self.overrides.items() if name != "lang"}

    def run_job_variables(self) -> dict:
        """The job variables of the region's run: its [regions.<id>.job_variables] (e.g. the volume
        claim of its warehouse on a Kubernetes pool), with `env` holding its settings."""
        env = {**(self.job_variables.get("env") or {}), **self.environment()}
        return {**self.job_variables, "env": env}


def line_of(text: str, region_id: str, key: str | None = None) -> int | None:
    """The line (1-based) of `key` in the table [regions.<region_id>] of `text`, else of the table's
    header; None when neither is found (an inline table, say)."""
    header = re.compile(r"^\s*\[\s*regions\s*\.\s*(\"?)" + re.escape(region_id) + r"\1\s*\]")
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if header.match(line):
            if key is not None:
                for offset, below in enumerate(lines[number:], number + 1):
                    if re.match(r"^\s*\[", below):
                        break
                    if re.match(r"^\s*\"?" + re.escape(key) + r"\"?\s*=", below):
                        return offset
            return number
    return None


@dataclass(frozen=True)
class _File:
    path: Path
    text: str
    base: Path  # what relative paths in it are relative to

    def error(self, region_id: str, problem: str, key: str | None = None) -> UserError:
        line = line_of(self.text, region_id, key)
        where = f"{self.path}, line {line}" if line else str(self.path)
        return UserError(f"{where}: region {region_id!r}: {problem}. See docs/regions.md for the format of "
                         "regions.toml.")


def _text_value(file: _File, region_id: str, key: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise file.error(region_id, f"{key} must be a string or a number, not {value!r}", key)
    return str(value)


def _check_clock_and_zone(file: _File, region_id: str, settings: Settings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from transforms.windows import parse_clock
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise file.error(region_id, f"timezone = {settings.timezone!r} is not a time zone name (such as "
                                    "Asia/Shanghai or Asia/Urumqi)", "timezone") from None
    try:
        clock = parse_clock(settings.nightly_at)
    except ValueError:
        clock = None
    if clock is None or not re.fullmatch(r"\d{1,2}:\d{2}", settings.nightly_at.strip()):
        raise file.error(region_id, f"nightly_at = {settings.nightly_at!r} is not a time of day (HH:MM, such "
                                    "as 20:00)", "nightly_at")


def _load_region(file: _File, region_id: str, table, inherited: dict[str, str], reports_root: Path) -> Region:
    from schemas.columns import ID_PATTERN
    if not re.fullmatch(ID_PATTERN, region_id):
        raise file.error(region_id, "a region id is an id (letters, digits, '_', '.', '-'; at most 64, starting "
                                    "with a letter or digit), since it names folders and runs")
    if not isinstance(table, dict):
        raise file.error(region_id, "must be a table: [regions.<id>] with data_dir = \"...\" under it")
    known = {f.name for f in fields(Settings)}
    table = dict(table)
    job_variables = table.pop("job_variables", {})
    if not isinstance(job_variables, dict):
        raise file.error(region_id, "job_variables must be a table: [regions.<id>.job_variables] with the "
                                    "work pool's variables (e.g. a Kubernetes pool's volume claim)", "job_variables")
    for key in table:
        if key in SECRET_FIELDS:
            raise file.error(region_id, f"sets {key}: secrets come only from the environment "
                                        f"(CUTOFF_{key.upper()}) or a Prefect Secret block", key)
        if key not in known or key in NATIONAL_ONLY:
            allowed = ", ".join(sorted(known - NATIONAL_ONLY - SECRET_FIELDS))
            raise file.error(region_id, f"unknown key {key!r} (a region may set: {allowed})", key)
    if "data_dir" not in table:
        raise file.error(region_id, "data_dir is required (the folder of the region's master/, inbox/ and "
                                    "warehouse.duckdb)")
    text = {key: _text_value(file, region_id, key, value) for key, value in table.items()}
    for key in REGION_PATHS:
        if key in text and not text[key].strip():
            raise file.error(region_id, f"{key} is empty", key)
    paths = {key: (file.base / Path(text.pop(key)).expanduser()).resolve()
             for key in REGION_PATHS if key in text}
    paths.setdefault("reports_dir", reports_root / region_id)
    if paths["reports_dir"] == reports_root / NATIONAL_FOLDER:
        raise file.error(region_id, f"its reports dir would be {paths['reports_dir']}, the national roll-up's "
                                    "folder: name the region otherwise or give it a reports_dir", "reports_dir")
    environ = {**inherited, **{f"CUTOFF_{key.upper()}": value for key, value in text.items()}}
    try:
        settings = load_settings(environ=environ).with_overrides(**paths)
    except UserError as exc:
        raise file.error(region_id, str(exc).rstrip(".")) from None
    _check_clock_and_zone(file, region_id, settings)
    return Region(region_id, paths["data_dir"], paths["reports_dir"], settings, text, paths.get("warehouse"),
                  job_variables)


def _read(path: Path, base: Path) -> tuple[_File, dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"regions file {path} does not exist. Pass --regions FILE (or set CUTOFF_REGIONS); "
                        "docs/regions.md shows the format.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"regions file {path} cannot be read: {exc}") from None
    try:
        return _File(path, text, base), tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message names the line and column
        raise UserError(f"regions file {path} is not valid TOML: {exc}. docs/regions.md shows the format.") from None


def load_regions(path: Path, reports_root: Path, environ: dict | None = None,
                 base: Path | None = None) -> list[Region]:
    """The regions of `path` (regions.toml), in file order. Relative paths in it are relative to
    `base` (`cutoff national --data-dir`), by default the file's folder. A region's reports dir
    defaults to `reports_root/<region_id>`. Raises UserError naming the file, line, region and
    problem."""
    environ = dict(os.environ if environ is None else environ)
    inherited = {k: v for k, v in environ.items()
                 if not (k.startswith("CUTOFF_") and k[7:].lower() in REGION_PATHS)}
    file, document = _read(path, base if base is not None else path.parent)
    extra = sorted(set(document) - {"regions"})
    if extra:
        raise UserError(f"{path}: unknown top-level key(s) {', '.join(extra)}: the file holds [regions.<id>] "
                        "tables only (docs/regions.md).")
    tables = document.get("regions")
    if not isinstance(tables, dict) or not tables:
        raise UserError(f"{path} names no region: add a table [regions.<id>] with data_dir = \"...\" for each "
                        "regional warehouse (docs/regions.md).")
    regions = [_load_region(file, region_id, table, inherited, reports_root.resolve())
               for region_id, table in tables.items()]
    for key in ("data_dir", "reports_dir"):
        seen: dict[Path, str] = {}
        for region in regions:
            where = getattr(region, key)
            if where in seen:
                own = "warehouse" if key == "data_dir" else "outputs"
                raise file.error(region.region_id, f"{key} {where} is also that of region {seen[where]!r}: each "
                                 f"region has its own {own}", key)
            seen[where] = region.region_id
    return regions


def select_regions(regions: list[Region], only: list[str] | None, path: Path) -> list[Region]:
    """The regions named by --only, in file order; all without --only. An unknown id is a UserError."""
    if not only:
        return regions
    known = {region.region_id for region in regions}
    unknown = [region_id for region_id in only if region_id not in known]
    if unknown:
        raise UserError(f"--only {', '.join(unknown)}: no such region in {path} (its regions: "
                        f"{', '.join(r.region_id for r in regions)}).")
    return [region for region in regions if region.region_id in set(only)]
