"""regions.toml: read per the contract ("Regions"), and a bad file refused with its file, line,
region and problem (no traceback, nothing started)."""

from pathlib import Path

import pytest

from errors import UserError
from flows.regions import line_of, load_regions, select_regions

GOOD = """\
# the national platform's regional warehouses
[regions.east]
data_dir = "east"                    # relative to this file
reports_dir = "/srv/reports/east"
timezone = "Asia/Shanghai"
nightly_at = "20:00"

[regions.west]
data_dir = "/srv/cutoff/west"
timezone = "Asia/Urumqi"
nightly_at = "21:30"
lang = "en"
reject_limit_pct = 2
workers = 1
warehouse = "/fast/west.duckdb"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf" / "regions.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_contract_example_is_read_in_file_order(tmp_path):
    path = write(tmp_path, GOOD)
    east, west = load_regions(path, tmp_path / "reports", environ={"CUTOFF_SMTP_HOST": "mail.example"})
    assert east.region_id == "east"
    assert east.data_dir == (tmp_path / "conf" / "east").resolve()
    assert east.reports_dir == Path("/srv/reports/east")
    assert east.settings.timezone == "Asia/Shanghai" and east.settings.nightly_at == "20:00"
    assert east.settings.smtp_host == "mail.example"  # the environment's, under the region's keys
    assert east.environment() == {"CUTOFF_TIMEZONE": "Asia/Shanghai", "CUTOFF_NIGHTLY_AT": "20:00"}
    assert east.lang is None and east.warehouse is None

    assert west.data_dir == Path("/srv/cutoff/west")
    assert west.reports_dir == (tmp_path / "reports" / "west").resolve()  # default: <reports dir>/<region id>
    assert west.settings.reject_limit_pct == 2.0 and west.settings.lang == "en"
    assert west.settings.workers == 1  # its workbook processes: a small region's own
    assert west.lang == "en"  # sent as the flow parameter, not in env
    assert west.environment() == {"CUTOFF_TIMEZONE": "Asia/Urumqi", "CUTOFF_NIGHTLY_AT": "21:30",
                                  "CUTOFF_REJECT_LIMIT_PCT": "2", "CUTOFF_WORKERS": "1"}
    assert west.warehouse == Path("/fast/west.duckdb") and west.settings.warehouse_path == west.warehouse


def test_the_environments_data_dir_is_not_a_regions(tmp_path):
    path = write(tmp_path, '[regions.east]\ndata_dir = "/d/east"\n')
    (east,) = load_regions(path, tmp_path / "r", environ={"CUTOFF_DATA_DIR": "/elsewhere",
                                                         "CUTOFF_WAREHOUSE": "/elsewhere/w.duckdb"})
    assert east.settings.data_dir == Path("/d/east")
    assert east.settings.warehouse_path == Path("/d/east/warehouse.duckdb")


@pytest.mark.parametrize("text, words", [
    ('[regions.east]\ndata_dir = "e"\n[regions.west]\ntimezone = "Asia/Shanghai"\n',
     "regions.toml, line 3: region 'west': data_dir is required"),
    ('[regions.east]\ndata_dir = "e"\nnightly = "20:00"\n',
     "regions.toml, line 3: region 'east': unknown key 'nightly' (a region may set: "),
    ('[regions.east]\ndata_dir = "e"\n\ntimezone = "Asia/Beijing"\n',
     "regions.toml, line 4: region 'east': timezone = 'Asia/Beijing' is not a time zone name"),
    ('[regions.east]\ndata_dir = "e"\nnightly_at = "8pm"\n',
     "regions.toml, line 3: region 'east': nightly_at = '8pm' is not a time of day (HH:MM"),
    ('[regions.east]\ndata_dir = "e"\nnightly_at = "25:00"\n', "line 3: region 'east': nightly_at = '25:00'"),
    ('[regions.east]\ndata_dir = "e"\nlang = "fr"\n', "line 1: region 'east': CUTOFF_LANG must be zh or en"),
    ('[regions.east]\ndata_dir = "e"\nsmtp_password = "hunter2"\n',
     "line 3: region 'east': sets smtp_password: secrets come only from the environment"),
    ('[regions.east]\ndata_dir = "e"\npool = "p"\n', "line 3: region 'east': unknown key 'pool'"),
    ('[regions.east]\ndata_dir = ["e"]\n', "line 2: region 'east': data_dir must be a string or a number"),
    ('[regions.east]\ndata_dir = ""\n', "line 2: region 'east': data_dir is empty"),
    ('[regions."a b"]\ndata_dir = "e"\n', "line 1: region 'a b': a region id is an id"),
    ('[regions.east]\ndata_dir = "shared"\n[regions.west]\ndata_dir = "./shared"\n',
     "line 4: region 'west': data_dir "),
    ('[regions.east]\ndata_dir = "e"\nreports_dir = "/r/x"\n[regions.west]\ndata_dir = "w"\nreports_dir = "/r/x"\n',
     "line 6: region 'west': reports_dir /r/x is also that of region 'east': each region has its own outputs"),
    ('[regions.national]\ndata_dir = "n"\n', "region 'national': its reports dir would be"),
    ('[regions.east]\ndata_dir = "e"\nreject_limit_pct = "lots"\n', "region 'east': setting reject_limit_pct"),
    ('[region.east]\ndata_dir = "e"\n', "unknown top-level key(s) region: the file holds [regions.<id>]"),
    ('# nothing yet\n', "names no region: add a table [regions.<id>]"),
    ('[regions.east]\ndata_dir = "e\n', "is not valid TOML: "),
    ('[regions.east]\ndata_dir = "e"\n[regions.east]\ndata_dir = "f"\n', "is not valid TOML: Cannot declare"),
    ('regions = "east"\n', "names no region"),
])
def test_a_bad_file_names_file_line_region_and_problem(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        load_regions(path, tmp_path / "reports", environ={})
    message = str(caught.value)
    assert words in message, message
    assert str(path) in message


def test_invalid_toml_says_the_line(tmp_path):
    path = write(tmp_path, '[regions.east]\ndata_dir = "e"\ntimezone = Asia/Shanghai\n')
    with pytest.raises(UserError, match=r"not valid TOML: .*line 3"):
        load_regions(path, tmp_path, environ={})


def test_a_missing_file_says_how_to_name_one(tmp_path):
    with pytest.raises(UserError, match="regions file .*nowhere.toml does not exist. Pass --regions FILE"):
        load_regions(tmp_path / "nowhere.toml", tmp_path, environ={})


def test_line_of_finds_the_key_in_its_own_table():
    text = '[regions.a]\ndata_dir = "a"\n\n[regions."b"]\n  data_dir = "b"\ntimezone = "x"\n'
    assert line_of(text, "a", "data_dir") == 2
    assert line_of(text, "b", "data_dir") == 5
    assert line_of(text, "b", "timezone") == 6
    assert line_of(text, "a", "timezone") == 1  # not in its table: the table's header
    assert line_of(text, "c") is None


def test_only_selects_in_file_order_and_refuses_an_unknown_region(tmp_path):
    path = write(tmp_path, '[regions.a]\ndata_dir = "a"\n[regions.b]\ndata_dir = "b"\n[regions.c]\ndata_dir = "c"\n')
    regions = load_regions(path, tmp_path, environ={})
    assert [r.region_id for r in select_regions(regions, ["c", "a"], path)] == ["a", "c"]
    assert [r.region_id for r in select_regions(regions, None, path)] == ["a", "b", "c"]
    with pytest.raises(UserError, match=r"--only x, y: no such region in .*regions.toml \(its regions: a, b, c\)"):
        select_regions(regions, ["a", "x", "y"], path)


def test_a_regions_job_variables_go_with_its_run_and_env_carries_its_settings(tmp_path):
    path = write(tmp_path, '[regions.east]\ndata_dir = "/d/east"\nnightly_at = "19:30"\n\n'
                           '[regions.east.job_variables]\ndata_claim = "cutoff-east"\nmemory = "4Gi"\n'
                           'env = { TZ = "Asia/Shanghai" }\n\n[regions.west]\ndata_dir = "/d/west"\n')
    east, west = load_regions(path, tmp_path, environ={})
    assert east.run_job_variables() == {"data_claim": "cutoff-east", "memory": "4Gi",
                                        "env": {"TZ": "Asia/Shanghai", "CUTOFF_NIGHTLY_AT": "19:30"}}
    assert west.run_job_variables() == {"env": {}}


def test_job_variables_must_be_a_table(tmp_path):
    path = write(tmp_path, '[regions.east]\ndata_dir = "e"\njob_variables = "big"\n')
    with pytest.raises(UserError, match="line 3: region 'east': job_variables must be a table"):
        load_regions(path, tmp_path, environ={})


def test_relative_paths_are_relative_to_the_data_dir_when_given(tmp_path):
    path = write(tmp_path, '[regions.east]\ndata_dir = "east"\nwarehouse = "w/east.duckdb"\n'
                           '[regions.west]\ndata_dir = "/abs/west"\n')
    east, west = load_regions(path, tmp_path / "reports", environ={}, base=tmp_path / "srv")
    assert east.data_dir == (tmp_path / "srv" / "east").resolve()
    assert east.warehouse == (tmp_path / "srv" / "w" / "east.duckdb").resolve()
    assert west.data_dir == Path("/abs/west")
