"""`cutoff progress` and `cutoff notice` as a user meets them: one paragraph and exit 2 for a
mistake, before anything starts; the deployments of the day."""

import pytest

from errors import UserError
from flows.progress_deployments import progress_deployments
from flows.settings import Settings
from tests import datasets
from tests.flows.test_cli import assert_user_error, cutoff


@pytest.mark.parametrize("args, words", [
    (["progress", "--date", "2026-11-21", "--as-of", "2026-11-21T20:00"],
     "the as-of instant 2026-11-21 20:00 is not before the nightly 2026-11-21 cutoff (2026-11-21 20:00)"),
    (["progress", "--date", "2026-11-21", "--as-of", "yesterday"], "--as-of 'yesterday' is not an ISO 8601 instant"),
    (["progress", "--date", "2099-11-21", "--as-of", "2099-11-21T10:00+08:00"], "is in the future"),
    (["progress", "--calendar", "weekly", "--date", "2026-11-21", "--as-of", "2026-11-18T10:00"],
     "2026-11-21 is a Saturday"),
    (["progress", "--date", "2026-11-21", "--as-of", "2026-11-21T10:00", "--data-dir", "nowhere"],
     "data dir nowhere does not exist"),
    (["notice", "--date", "2099-01-01"], "has not happened yet"),
    (["notice", "--date", "2026-11-21", "--data-dir", "data"], "there is no warehouse at data/warehouse.duckdb"),
])
def test_mistakes_are_one_paragraph(tmp_path, args, words):
    datasets.mooncake_data_dir(tmp_path / "data")
    result = cutoff(*args, cwd=tmp_path)
    assert_user_error(result, words)


def test_the_deployments_of_the_day():
    deployments = {f"{d.flow_name}/{d.name}": d for d in progress_deployments(Settings())}
    assert {name: ([(s.schedule.cron, s.schedule.timezone) for s in d.schedules], d.parameters)
            for name, d in deployments.items()} == {
        "progress/nightly": ([("0 8-19 * * *", "Asia/Shanghai")], {"calendar": "nightly"}),
        "progress/weekly": ([("0 12 * * *", "Asia/Shanghai")], {"calendar": "weekly"}),
        "notice/nightly": ([("*/10 4-11 * * *", "Asia/Shanghai")], {"calendar": "nightly"}),
        "notice/weekly": ([("*/10 4-11 * * *", "Asia/Shanghai")], {"calendar": "weekly"}),
    }
    for deployment in deployments.values():  # "progress now" from the UI waits for a scheduled run, not dropped
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
        assert "CUTOFF_" in deployment.description
    form = deployments["progress/nightly"]._parameter_openapi_schema.properties
    assert set(form) == {"calendar", "cutoff_date", "as_of", "send", "data_dir", "reports_dir", "lang", "progress"}
    custom = Settings(progress_schedule="*/30 9-19 * * *")
    assert progress_deployments(custom)[0].schedules[0].schedule.cron == "*/30 9-19 * * *"
    with pytest.raises(UserError, match="CUTOFF_NOTICE_SCHEDULE='every morning' is not a cron schedule"):
        progress_deployments(Settings(notice_schedule="every morning"))
