"""routes.csv (optional master data) and the group bot columns of pickup_points.csv."""

from datetime import time

import polars as pl
import pytest

from errors import MasterDataError
from inbox.master import load_master
from inbox.routes import load_routes
from tests import datasets


def write_routes(data_dir, text: str) -> None:
    (data_dir / "master" / "routes.csv").write_text(text, encoding="utf-8")


def test_routes_are_read_and_checked(tmp_path):
    data_dir = datasets.write_master(tmp_path / "data")
    assert load_routes(data_dir, "Asia/Shanghai").height == 0  # the file is optional
    write_routes(data_dir, "route_id,departs_at,contact_name,contact_phone\nR1,06:30,张师傅,13800001111\n")
    routes = load_routes(data_dir, "Asia/Shanghai", pl.Series(["R1"]))
    assert routes.row(0, named=True) == {"route_id": "R1", "departs_at": time(6, 30), "contact_name": "张师傅",
                                         "contact_phone": "13800001111"}


@pytest.mark.parametrize("text, problem", [
    ("route_id,departs_at\nR1,6:30\n", "master/routes.csv row 2: departs_at '6:30' has a bad format"),
    ("route_id,departs_at\nR1,24:00\n", "master/routes.csv row 2: departs_at '24:00' has a bad format"),
    ("route_id,departs_at\nR1,06:30\nR1,07:00\n", "duplicate route_id 'R1'"),
    ("route_id,departs_at\nR7,06:30\n", "master/routes.csv row 2: route_id 'R7' is not in pickup_points.csv"),
    ("route_id\nR1\n", "routes.csv: missing required column(s) departs_at"),
])
def test_a_bad_route_names_its_row(tmp_path, text, problem):
    data_dir = datasets.write_master(tmp_path / "data")
    write_routes(data_dir, text)
    with pytest.raises(MasterDataError) as raised:
        load_routes(data_dir, "Asia/Shanghai", pl.Series(["R1"]))
    assert problem in str(raised.value)


def points(**extra) -> list[dict]:
    return [{**datasets.PICKUP_POINTS[0], "arrives_after_min": "", "webhook": "", "webhook_format": "", **extra},
            {**datasets.PICKUP_POINTS[1], "arrives_after_min": "40", "webhook": "", "webhook_format": ""}]


@pytest.mark.parametrize("extra", [
    {"webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"},
    {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=abc"},
    {"webhook": "https://open.feishu.cn/open-apis/bot/v2/hook/abc"},
    {"webhook": "http://127.0.0.1:8080/hook", "webhook_format": "wecom"},
])
def test_a_group_bot_on_a_pickup_point(tmp_path, extra):
    data_dir = datasets.write_master(tmp_path / "data", pickup_points=points(**extra))
    master = load_master(data_dir, "Asia/Shanghai")
    assert master.pickup_points["webhook"][0] == extra["webhook"]
    assert master.pickup_points["arrives_after_min"].to_list() == [None, 40]


@pytest.mark.parametrize("extra, problem", [
    ({"webhook": "http://127.0.0.1:8080/hook"}, "webhook_format is empty and the webhook's host is none of"),
    ({"webhook": "qyapi.weixin.qq.com/send?key=abc"}, "webhook 'qyapi.weixin.qq.com/send?key=abc' has a bad format"),
    ({"webhook": "https://x.example/h", "webhook_format": "slack"}, "webhook_format 'slack' must be one of"),
    ({"arrives_after_min": "-5"}, "arrives_after_min '-5' must be >= 0"),
])
def test_a_bad_group_bot_stops_like_any_bad_master_data(tmp_path, extra, problem):
    data_dir = datasets.write_master(tmp_path / "data", pickup_points=points(**extra))
    with pytest.raises(MasterDataError) as raised:
        load_master(data_dir, "Asia/Shanghai")
    assert "master/pickup_points.csv row 2: " in str(raised.value) and problem in str(raised.value)
