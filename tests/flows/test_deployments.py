"""Running it the way ops do: the deployments on a real Prefect server, the backfill flow, and the
artifacts a run publishes."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from errors import UserError
from flows.artifacts import SHOWN, artifact_key, po_totals_table, publish_run_artifacts, render_run_markdown
from flows.backfill_flow import BackfillStopped, backfill_flow
from flows.deployments import SERVER_HELP, build_deployments, serve_deployments
from tests.datasets import MOONCAKE_ORDERS, mooncake_data_dir, order, write_orders
from tests.servers import PrefectServer, free_port, tail, wait_for, wait_for_deployment
from transforms.groups import rank_unformed_groups

MOONCAKE_PAID_FEN, MOONCAKE_NET_FEN = 512930, 414530


# ---- the deployments, without a server -------------------------------------------------------

def test_deployments_schedules_parameters_and_concurrency():
    deployments = {f"{d.flow_name}/{d.name}": d for d in build_deployments(include_settle=False)}
    assert set(deployments) == {"cutoff/nightly", "cutoff/weekly", "backfill/backfill", "alert/alert",
                                "receive/receive", "report/report", "resend/resend", "progress/nightly",
                                "progress/weekly", "notice/nightly", "notice/weekly", "forecast/forecast"}
    for name in ("progress/nightly", "progress/weekly", "notice/nightly", "notice/weekly"):
        deployments.pop(name)  # tests/flows/test_progress_deployments.py
    resend = deployments["resend/resend"]  # after an alert: a custom run from the UI, the cutoff's date required
    assert resend.schedules == [] and resend._parameter_openapi_schema.required == ["cutoff_date"]
    receive = deployments["receive/receive"]  # goods-in: custom runs from the UI, a date picker
    assert receive.schedules == [] and receive.parameters == {}
    form = receive._parameter_openapi_schema.properties
    assert form["cutoff_date"]["type"] == "string" and form["cutoff_date"]["format"] == "date"  # a plain date picker
    assert form["calendar"]["enum"] == ["nightly", "weekly"]  # a dropdown
    assert all(prop.get("description") for prop in form.values())  # help under every field
    alert = deployments.pop("alert/alert")  # started by the alert automations, several at once
    assert alert.schedules == [] and alert.concurrency_limit is None
    assert set(alert._parameter_openapi_schema.required) == {"kind", "subject", "body"}
    nightly, weekly = deployments["cutoff/nightly"], deployments["cutoff/weekly"]
    backfill = deployments["backfill/backfill"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in nightly.schedules] == [("0 20 * * *", "Asia/Shanghai")]
    assert [(s.schedule.cron, s.schedule.timezone) for s in weekly.schedules] == [("0 0 * * 1", "Asia/Shanghai")]
    assert backfill.schedules == []
    assert nightly.parameters == {"calendar": "nightly"} and weekly.parameters == {"calendar": "weekly"}
    for deployment in deployments.values():
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    # typed parameters: the UI's custom-run form shows a dropdown and date pickers, no "| None" switch
    schema = nightly._parameter_openapi_schema
    assert schema.properties["calendar"]["enum"] == ["nightly", "weekly"]
    cutoff_date = schema.properties["cutoff_date"]
    assert (cutoff_date["type"], cutoff_date["format"]) == ("string", "date") and "anyOf" not in cutoff_date
    assert "cutoff_date" not in (schema.required or []) and "default" not in cutoff_date
    assert schema.properties["lang"]["enum"] == ["zh", "en"] and "anyOf" not in schema.properties["lang"]
    for deployment in [*deployments.values(), alert]:  # every parameter explained in the form
        for name, prop in deployment._parameter_openapi_schema.properties.items():
            assert len(prop.get("description", "")) > 10 and "\n" not in prop["description"], (deployment.name, name)
    # ops' fields first, the run's own folders last; the developer-only ones (the console, the warehouse
    # file, a report's clock) are not in the form: a run from the UI takes their defaults
    assert list(schema.properties) == ["calendar", "cutoff_date", "force", "send_email", "lang", "data_dir",
                                       "reports_dir"]
    assert [p["position"] for p in schema.properties.values()] == list(range(7))
    for deployment in deployments.values():
        assert not {"progress", "warehouse", "now"} & set(deployment._parameter_openapi_schema.properties)
    backfill_schema = backfill._parameter_openapi_schema
    assert backfill_schema.properties["calendar"]["enum"] == ["nightly", "weekly", "both"]
    assert backfill_schema.properties["start"]["format"] == "date"
    assert backfill_schema.properties["end"]["format"] == "date"
    assert set(backfill_schema.required) == {"start", "end"}


def test_the_form_s_help_shows_every_word():
    """The run form renders each field's help as markdown: a bare <date> is taken for an HTML tag and
    dropped (`forecast//`); in a code span it shows."""
    for deployment in build_deployments(include_settle=False):
        for name, prop in deployment._parameter_openapi_schema.properties.items():
            outside_code = re.sub(r"`[^`]*`", "", prop.get("description", ""))
            assert "<" not in outside_code and ">" not in outside_code, (deployment.name, name, prop["description"])
    form = {d.flow_name: d._parameter_openapi_schema.properties for d in build_deployments(include_settle=False)}
    assert "`forecast/<date>/`" in form["forecast"]["reports_dir"]["description"]
    assert "`analysis/<from>_<to>/`" in form["report"]["reports_dir"]["description"]


def test_waiting_runs_get_the_name_their_flow_would_give_them():
    from flows.naming import expected_run_name
    from flows.settings import Settings
    shanghai = ZoneInfo("Asia/Shanghai")
    assert expected_run_name("cutoff", {"calendar": "nightly"}, datetime(2026, 12, 3, 20, 0, tzinfo=shanghai),
                             Settings()) == "nightly 2026-12-03"
    assert expected_run_name("cutoff", {"calendar": "weekly"}, datetime(2026, 11, 23, 0, 0, tzinfo=shanghai),
                             Settings()) == "weekly 2026-11-22"
    assert expected_run_name("cutoff", {"calendar": "nightly", "cutoff_date": "2026-11-21"}, None,
                             Settings()) == "nightly 2026-11-21"
    assert expected_run_name("backfill", {"start": "2026-11-01", "end": "2026-11-07"}, None,
                             Settings()) == "backfill nightly 2026-11-01..2026-11-07"
    assert expected_run_name("alert", {"kind": "failed"}, None, Settings()) is None


def test_serve_without_a_server_says_how_to_start_one(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    from prefect.settings import PREFECT_API_URL, temporary_settings
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        with pytest.raises(UserError) as raised:
            serve_deployments()
    assert str(raised.value) == SERVER_HELP
    assert "prefect server start --host 127.0.0.1 --port 4200" in SERVER_HELP
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in SERVER_HELP


def test_serve_with_no_server_answering_says_so():
    from prefect.settings import PREFECT_API_URL, temporary_settings
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}):
        with pytest.raises(UserError, match="no Prefect server answers"):
            serve_deployments()


# ---- artifacts -------------------------------------------------------------------------------

SUMMARY = {
    "calendar": "nightly", "cutoff_date": "2026-11-21",
    "window": {"start": "2026-11-20T20:00:00+08:00", "end": "2026-11-21T20:00:00+08:00"},
    "listings_closed": 2, "groups_not_formed": 1,
    "order_lines": {"eligible": 6, "allocated": 5, "cut": 2, "rejected": 3},
    "units": {"ordered": 22, "allocated": 19, "purchased": 24, "surplus": 5},
    "fen": {"paid": 512930, "net": 414530, "refund": 98400, "forfeit": 0, "purchase_cost": 249000,
            "commission": {"leader": 0, "dist_l1": 0, "dist_l2": 0, "clawback": 0}},
    "suppliers": [
        {"supplier_id": "S1", "name": "广州月饼食品有限公司", "po_fen": 240000, "file": "purchase/S1.xlsx",
         "below_minimum": False, "min_order_fen": 0, "email": "sent"},
        {"supplier_id": "S2", "name": "从化鲜果合作社", "po_fen": 9000, "file": "purchase/S2.xlsx",
         "below_minimum": True, "min_order_fen": 1000000, "email": ""},
    ],
    "warnings": ["below_supplier_minimum: S2 purchase order 90.00 < minimum 10000.00",
                 "group_not_formed: L3 at P1 (2 units of min 5, 2 participants)"],
}


def test_artifact_keys_are_lowercase_letters_digits_and_dashes():
    assert artifact_key("cutoff", "nightly") == "cutoff-nightly"
    assert artifact_key("po-totals", "Weekly_Presale") == "po-totals-weekly-presale"


def test_run_markdown_shows_figures_in_yuan_warnings_rejects_and_email():
    markdown = render_run_markdown(SUMMARY, {"S2": "failed: connection refused"})
    assert markdown.startswith("# nightly cutoff 2026-11-21\n")
    assert "Run folder: `reports/nightly/2026-11-21/` (under the reports dir)" in markdown
    assert "| paid | ¥5,129.30 |" in markdown and "| net (kept) | ¥4,145.30 |" in markdown
    # what ops act on comes first: the email that failed
    assert markdown.index("## Attention (1)") < markdown.index("## Figures")
    assert "- **Purchase orders not emailed** (1): S2." in markdown
    assert "## Groups not formed (1)" in markdown and "sheet 未成团" in markdown
    assert "## Suppliers below their minimum (1)" in markdown
    assert "| S2 | 从化鲜果合作社 | ¥90.00 | ¥10,000.00 | ¥9,910.00 |" in markdown
    assert "## Rejected rows (3)" in markdown
    assert "| S1 | 广州月饼食品有限公司 | ¥2,400.00 | no | emailed |" in markdown
    assert ("| S2 | 从化鲜果合作社 | ¥90.00 | yes | not sent: the mail server refused or failed (connection refused) |"
            in markdown)


def _unformed(n: int) -> pl.DataFrame:
    """n groups not formed at pickup points P000.., group i with i units of a minimum of 100."""
    groups = pl.DataFrame({"listing_id": ["L1"] * n, "group_pickup_point_id": [f"P{i:03d}" for i in range(n)],
                           "units": list(range(n)), "min_qty": [100] * n, "participants": [1] * n,
                           "lowest_threshold": [None] * n, "is_formed": [False] * n},
                          schema_overrides={"lowest_threshold": pl.Int64})
    return rank_unformed_groups(groups, pl.DataFrame({"listing_id": ["L1"], "sku_id": ["SKU1"]}),
                                pl.DataFrame({"sku_id": ["SKU1"], "name": ["流心奶黄月礼盒"]}))


def test_run_markdown_lists_groups_not_formed_closest_first_capped_with_the_count(tmp_path):
    rejects = pl.DataFrame({"source_file": ["inbox/orders/a.csv"] * 12, "row_number": list(range(2, 14)),
                            "reason": ["qty '-1' must be >= 1"] * 12, "raw": [""] * 12})
    summary = {**SUMMARY, "groups_not_formed": 90}
    markdown = render_run_markdown(summary, folder=tmp_path / "nightly" / "2026-11-21", unformed=_unformed(90),
                                   rejects=rejects)
    folder = f"{(tmp_path / 'nightly' / '2026-11-21').resolve()}/"
    assert f"Run folder: `{folder}`" in markdown
    groups = markdown[markdown.index("## Groups not formed (90)"):]
    rows = [line for line in groups.splitlines() if line.startswith("| L1 ")]
    assert len(rows) == SHOWN
    assert rows[0] == "| L1 | SKU1 流心奶黄月礼盒 | P089 | 89 / 100 | 1 | 11 unit(s) |"  # closest to forming
    assert rows[1].startswith("| L1 | SKU1 流心奶黄月礼盒 | P088 | 88 / 100 |")
    assert f"Showing 20 of 90: the full list is in `{folder}summary.xlsx`, sheet 未成团" in groups
    assert "## Rejected rows (12)" in markdown and f"`{folder}rejects.csv`" in markdown
    assert "Most frequent: qty '-1' must be >= 1 (12)" in markdown
    assert "Showing 10 of 12" in markdown
    assert len(markdown) < 6000  # a few kilobytes, however many groups


def test_po_totals_table_has_fen_and_yuan_and_says_when_no_email_went():
    assert po_totals_table(SUMMARY) == [
        {"supplier_id": "S1", "name": "广州月饼食品有限公司", "po_fen": 240000, "po": "¥2,400.00",
         "below_minimum": False, "email": "sent", "po_transport": "email", "api": ""},
        {"supplier_id": "S2", "name": "从化鲜果合作社", "po_fen": 9000, "po": "¥90.00",
         "below_minimum": True, "email": "not sent", "po_transport": "email", "api": ""},
    ]


@pytest.mark.slow
def test_publish_run_artifacts_creates_both_keyed_artifacts(prefect_harness):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    @flow(name="artifact-probe")
    def probe() -> None:
        publish_run_artifacts(SUMMARY, {"S1": "sent", "S2": "sent"})

    run_id = probe(return_state=True).state_details.flow_run_id
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["cutoff-nightly", "po-totals-nightly"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    by_key = {a.key: a for a in found}
    assert set(by_key) == {"cutoff-nightly", "po-totals-nightly"}
    assert by_key["cutoff-nightly"].type == "markdown" and "¥4,145.30" in by_key["cutoff-nightly"].data
    table = by_key["po-totals-nightly"].data
    table = json.loads(table) if isinstance(table, str) else table
    assert [row["po"] for row in table] == ["¥2,400.00", "¥90.00"]


@pytest.mark.slow
def test_name_cutoff_run_names_a_flow_run_from_its_parameters_and_scheduled_time(prefect_harness):
    from datetime import timezone

    from prefect import flow
    from prefect.runtime import flow_run

    from flows.naming import name_cutoff_run
    from transforms.windows import cutoff_date_for_instant

    @flow(name="name-probe", flow_run_name=name_cutoff_run)
    def probe(calendar: str = "nightly", cutoff_date: date | None = None) -> str:
        return flow_run.name

    assert probe(cutoff_date=date(2026, 11, 19)) == "nightly 2026-11-19"
    expected = cutoff_date_for_instant("weekly", datetime.now(timezone.utc))
    assert probe(calendar="weekly") == f"weekly {expected.isoformat()}"  # no date: the scheduled start's


def test_publish_run_artifacts_never_fails_a_run(caplog):
    publish_run_artifacts({"calendar": "nightly"})  # no figures at all: a warning, no exception
    assert "could not publish the run's artifacts" in caplog.text


# ---- backfill under the test harness ----------------------------------------------------------

def _summary(reports: Path, day: str) -> dict:
    return json.loads((reports / "nightly" / day / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_backfill_runs_each_cutoff_oldest_first(prefect_harness, mooncake_dirs, capsys):
    from prefect.client.orchestration import get_client
    data_dir, reports = mooncake_dirs
    state = backfill_flow(calendar="nightly", start=date(2026, 11, 20), end=date(2026, 11, 21),
                          send_email=False, data_dir=str(data_dir), reports_dir=str(reports), return_state=True)
    entries = state.result()
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(state.state_details.flow_run_id).name == "backfill nightly 2026-11-20..2026-11-21"
    assert [(e["cutoff_date"], e["status"]) for e in entries] == [("2026-11-20", "completed"),
                                                                  ("2026-11-21", "completed")]
    assert entries[0]["listings_closed"] == 0 and entries[0]["net_fen"] == 0  # a quiet night is still a cutoff
    assert entries[1]["listings_closed"] == 2 and entries[1]["net_fen"] == MOONCAKE_NET_FEN
    assert _summary(reports, "2026-11-20")["fen"]["paid"] == 0
    assert _summary(reports, "2026-11-21")["fen"]["paid"] == MOONCAKE_PAID_FEN
    err = capsys.readouterr().err
    assert err.index("backfill nightly 2026-11-20 (1/2): completed") < err.index("backfill nightly 2026-11-21 (2/2)")
    # the Logs tab of the backfill run tells the same story, one line per date
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    with get_client(sync_client=True) as client:
        def logged():
            logs = client.read_logs(log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])))
            text = [log.message for log in logs]
            return text if any(m.startswith("backfill nightly 2026-11-21 (2/2): completed") for m in text) else None
        text = wait_for(logged, 30, "the backfill's per-date log lines")
    assert "backfill nightly: 2 cutoff(s), 2026-11-20 .. 2026-11-21" in text
    assert any(m.startswith("backfill nightly 2026-11-20 (1/2): completed") for m in text)


@pytest.mark.slow
def test_a_settle_user_error_fails_the_run_with_its_message_alone(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    from flows.settle_flow import settle_flow
    (tmp_path / "data").mkdir()
    state = settle_flow(week="2026-W47", data_dir=str(tmp_path / "data"), reports_dir=str(tmp_path / "reports"),
                        return_state=True)
    assert state.is_failed()
    assert state.message == (f"there is no warehouse at {tmp_path / 'data' / 'warehouse.duckdb'}: run a cutoff "
                             "first, or pass --data-dir (or set CUTOFF_DATA_DIR) to the data dir whose ledger to "
                             "settle.")
    with get_client(sync_client=True) as client:
        def logged():
            logs = client.read_logs(log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])))
            return logs if any(log.message.startswith("Finished in state") for log in logs) else None
        logs = wait_for(logged, 30, "the settle run's log")
    assert [log.message for log in logs if log.level >= 40] == [state.message]
    assert not [log.message for log in logs if "Traceback" in log.message]


@pytest.mark.slow
def test_backfill_stops_at_the_first_failure_and_keeps_what_is_done(prefect_harness, mooncake_dirs):
    data_dir, reports = mooncake_dirs
    # unreadable quantities on the 21st's listing: its cutoff trips the bad-row breaker
    bad = [order(f"X{n}", f"cX{n}", "two", "2026-11-21T11:00:00") for n in range(3)]
    write_orders(data_dir, MOONCAKE_ORDERS + bad)
    with pytest.raises(BackfillStopped) as raised:
        backfill_flow(calendar="nightly", start=date(2026, 11, 20), end=date(2026, 11, 21),
                      send_email=False, data_dir=str(data_dir), reports_dir=str(reports))
    message = str(raised.value)
    assert "backfill stopped at nightly 2026-11-21 (2 of 2)" in message
    assert "rejected" in message and "stay done (2026-11-20 .. 2026-11-20)" in message
    assert "--from 2026-11-21 --to 2026-11-21" in message
    assert raised.value.exit_code == 4  # the breaker's exit code, through the backfill
    assert _summary(reports, "2026-11-20")["listings_closed"] == 0  # the date before it stays done
    assert not (reports / "nightly" / "2026-11-21" / "summary.json").exists()


@pytest.mark.slow
def test_backfill_refuses_a_future_range_before_running_anything(prefect_harness, mooncake_dirs):
    data_dir, reports = mooncake_dirs
    with pytest.raises(UserError, match="in the future"):
        backfill_flow(calendar="nightly", start=date(2026, 11, 21), end=date(2099, 1, 1),
                      send_email=False, data_dir=str(data_dir), reports_dir=str(reports))
    assert not (reports / "nightly").exists()


# ---- a real server, the deployments served in a subprocess -------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real `prefect server` on a free port with its own PREFECT_HOME, and the deployments
    served from a subprocess against a mooncake data dir. Yields a dict of what tests need."""
    base = tmp_path_factory.mktemp("served")
    data_dir, reports = mooncake_data_dir(base / "data"), base / "reports"
    serve_log = base / "serve.log"
    with PrefectServer(base) as server:
        serve = server.serve({"CUTOFF_DATA_DIR": str(data_dir), "CUTOFF_REPORTS_DIR": str(reports)}, serve_log)
        with server.client() as client:
            deployment = wait_for_deployment(client, "cutoff/nightly", serve, serve_log)
            yield {"client": client, "deployment": deployment, "data_dir": data_dir, "reports": reports,
                   "serve_log": serve_log}


def _run_to_end(served: dict, timeout: float = 120, **create) -> object:
    client = served["client"]
    run = client.create_flow_run_from_deployment(served["deployment"].id, **create)
    return _wait_for_final(served, run.id, timeout)


def _wait_for_final(served: dict, run_id, timeout: float = 120):
    client = served["client"]

    def final():
        current = client.read_flow_run(run_id)
        return current if current.state and current.state.is_final() else None
    return wait_for(final, timeout, f"flow run {run_id} to end", served["serve_log"], interval=1)


def _runs_logged(data_dir: Path, day: str) -> int:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql("SELECT count(*) FROM run_log WHERE calendar = 'nightly' AND cutoff_date = ?::DATE "
                       "AND status = 'success'", params=[day]).fetchall()[0][0]


@pytest.mark.slow
def test_custom_run_of_nightly_with_a_past_date(served):
    """What ops do in the UI: Deployments -> cutoff/nightly -> Run -> Custom run, cutoff_date set."""
    run = _run_to_end(served, parameters={"cutoff_date": "2026-11-21"})
    assert run.state.is_completed(), f"{run.state.type}: {run.state.message}\n{tail(served['serve_log'])}"
    assert run.name == "nightly 2026-11-21"
    assert run.parameters["calendar"] == "nightly"  # from the deployment
    summary = json.loads((served["reports"] / "nightly" / "2026-11-21" / "summary.json").read_text(encoding="utf-8"))
    assert summary["fen"]["paid"] == MOONCAKE_PAID_FEN and summary["fen"]["net"] == MOONCAKE_NET_FEN

    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
    artifacts = served["client"].read_artifacts(artifact_filter=ArtifactFilter(
        key=ArtifactFilterKey(any_=["cutoff-nightly"]), flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    assert artifacts, "the run published no `cutoff-nightly` markdown artifact (publish_run_artifacts not called?)"
    markdown = artifacts[0].data
    folder = (served["reports"] / "nightly" / "2026-11-21").resolve()
    assert f"Run folder: `{folder}/`" in markdown and "| net (kept) | ¥4,145.30 |" in markdown
    assert "- **No warehouse address**: CUTOFF_WAREHOUSE_ADDRESS is not set, so the purchase orders print an empty " \
           "收货地址. Set it for `cutoff serve` (or in cutoff.toml) and run this cutoff again: the suppliers get a " \
           "revision (修订版)." in markdown

    # the Logs tab tells the story: the window, each stage with its figures, the totals
    messages = [(log.level, log.message) for log in _logs(served["client"], run.id)]
    text = "\n".join(message for _, message in messages)
    assert "nightly 2026-11-21: orders of (2026-11-20T20:00:00+08:00, 2026-11-21T20:00:00+08:00]" in text
    for stage in ("ingest ", "validate ", "close ", "write ", "email "):
        assert any(message.startswith(stage) for _, message in messages), stage
    assert "2 purchase order(s), 1 sorting book(s), 2 handout list(s)" in text
    assert ("done: paid ¥5,129.30, net ¥4,145.30, refunds owed ¥984.00, purchase ¥2,580.00; "
            f"the run folder is {folder}") in text
    assert (30, "CUTOFF_WAREHOUSE_ADDRESS is not set, so the purchase orders print an "
                "empty 收货地址 (deliver to). Set it in the environment of `cutoff serve` (or in cutoff.toml) and run "
                "the cutoff again: the suppliers get their purchase orders again as a revision (修订版).") in messages


def _logs(client, run_id) -> list:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort

    seen: list[int] = []

    def logged():  # logs reach the server in batches, in any order: the run's last line, then no new line
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])),
                                sort=LogSort.TIMESTAMP_ASC)
        finished = any(log.message.startswith("Finished in state") for log in logs)
        settled = finished and seen[-2:] == [len(logs), len(logs)]
        seen.append(len(logs))
        return logs if settled else None
    return wait_for(logged, 60, f"the logs of flow run {run_id}", interval=1)


@pytest.mark.slow
def test_the_custom_run_form_has_a_calendar_dropdown_a_date_picker_and_help(served):
    """What the UI's custom-run form is drawn from: the deployment's parameter schema, read back
    from the server."""
    deployment = served["client"].read_deployment(served["deployment"].id)
    schema = deployment.parameter_openapi_schema
    properties = schema["properties"]
    assert properties["calendar"]["enum"] == ["nightly", "weekly"]
    assert properties["cutoff_date"]["type"] == "string" and properties["cutoff_date"]["format"] == "date"
    assert "anyOf" not in properties["cutoff_date"] and "cutoff_date" not in schema.get("required", [])
    assert properties["cutoff_date"]["description"].startswith("The cutoff to run (weekly: its Sunday).")
    assert all(prop.get("description") for prop in properties.values())
    assert deployment.parameters == {"calendar": "nightly"}


@pytest.mark.slow
def test_a_user_error_reaches_the_ui_as_one_message_without_a_traceback(served):
    """A weekly cutoff on a Saturday: the run fails with the message as its state message and
    once in its log, with no traceback anywhere in the log."""
    run = _run_to_end(served, parameters={"calendar": "weekly", "cutoff_date": "2026-11-21"})
    assert run.state.is_failed()
    message = run.state.message
    assert "2026-11-21" in message and "Sunday" in message and "Traceback" not in message
    logs = _logs(served["client"], run.id)
    errors = [log.message for log in logs if log.level >= 40]
    assert errors == [message], errors
    assert not [log.message for log in logs if "Traceback" in log.message or "UserError" in log.message]
    assert [log.message for log in logs if log.message.startswith("Finished in state")] == [
        "Finished in state Failed (its message is above)"]


@pytest.mark.slow
def test_a_late_scheduled_run_without_a_date_processes_its_scheduled_cutoff(served):
    """A run scheduled for 2026-11-21 20:00 Shanghai that starts now (hours late) leaves
    cutoff_date empty and still processes 2026-11-21, not today's cutoff."""
    from prefect.states import Scheduled
    before = _runs_logged(served["data_dir"], "2026-11-21")
    scheduled_at = datetime(2026, 11, 21, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    run = _run_to_end(served, state=Scheduled(scheduled_time=scheduled_at))
    assert run.state.is_completed(), f"{run.state.type}: {run.state.message}\n{tail(served['serve_log'])}"
    assert run.parameters.get("cutoff_date") is None
    assert _runs_logged(served["data_dir"], "2026-11-21") == before + 1
    from flows.cutoff_flow import cutoff_flow
    from flows.naming import name_cutoff_run
    if cutoff_flow.flow_run_name is name_cutoff_run:
        assert run.name == "nightly 2026-11-21"
    else:  # until cutoff_flow names its runs with name_cutoff_run, the template shows the empty date
        assert run.name == "nightly None"


@pytest.mark.slow
def test_a_second_run_of_a_deployment_at_once_is_refused_and_named_after_its_cutoff(served):
    client = served["client"]
    first = client.create_flow_run_from_deployment(served["deployment"].id, parameters={"cutoff_date": "2026-11-21"})
    second = client.create_flow_run_from_deployment(served["deployment"].id, parameters={"cutoff_date": "2026-11-21"})
    ends = [_wait_for_final(served, first.id), _wait_for_final(served, second.id)]
    states = sorted((r.state.type.value, r.state.message or "") for r in ends)
    assert states[0][0] == "CANCELLED" and "concurrency limit" in states[0][1]
    assert states[1][0] == "COMPLETED"
    # the cancelled twin never ran flow code (never Running); `cutoff serve` names it all the same
    twin = next(r for r in ends if r.state.is_cancelled())
    assert [state.type.value for state in client.read_flow_run_states(twin.id)] == ["SCHEDULED", "CANCELLED"]
    assert wait_for(lambda: client.read_flow_run(twin.id).name == "nightly 2026-11-21", 30,
                    "the cancelled run to be named after its cutoff", served["serve_log"])


@pytest.mark.slow
def test_upcoming_scheduled_runs_are_named_after_their_cutoff(served):
    """The UI's upcoming runs read `nightly 2026-12-03`, not a random name, before they start."""
    from datetime import timedelta, timezone

    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    from transforms.windows import cutoff_date_for_instant
    client = served["client"]

    def upcoming():
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=dict(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
                expected_start_time=FlowRunFilterExpectedStartTime(
                    before_=datetime.now(timezone.utc) + timedelta(days=1, hours=12))),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[served["deployment"].id])))
        runs = [r for r in runs if r.auto_scheduled]
        return runs if runs and all(r.name.startswith("nightly 20") for r in runs) else None
    runs = wait_for(upcoming, 60, "the scheduled nightly runs to be named", served["serve_log"])
    for run in runs:
        assert run.name == f"nightly {cutoff_date_for_instant('nightly', run.expected_start_time).isoformat()}"
        assert run.expected_start_time.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M:%S") == "20:00:00"
