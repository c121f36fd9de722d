"""A leader's group bot, through a real HTTP server on 127.0.0.1: what each chat tool is sent, and
how its answer is read."""

import pytest

from chat.webhook import format_of, masked, payload, post_text
from tests.servers import WebhookReceiver, free_port

TEXT = "【成团进度】幸福里3栋\n1. 流心奶黄月礼盒：本小区已售 6 份；全团已售 8 件，还差 2 件成团；再 3 人享 ¥308"


@pytest.mark.parametrize("kind, answer, body", [
    ("wecom", {"errcode": 0, "errmsg": "ok"}, {"msgtype": "text", "text": {"content": TEXT}}),
    ("dingtalk", {"errcode": 0, "errmsg": "ok"}, {"msgtype": "text", "text": {"content": TEXT}}),
    ("feishu", {"code": 0, "msg": "success", "data": {}}, {"msg_type": "text", "content": {"text": TEXT}}),
    ("feishu", {"StatusCode": 0, "StatusMessage": "success"}, {"msg_type": "text", "content": {"text": TEXT}}),
])
def test_each_bot_gets_its_own_body(kind, answer, body):
    with WebhookReceiver(reply=lambda post: (200, answer)) as bot:
        delivery = post_text(bot.url + "?key=secret", kind, TEXT)
    assert delivery.ok, delivery.detail
    (post,) = bot.posts()
    assert post["json"] == body  # Chinese as UTF-8 JSON, exactly
    assert post["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert post["path"] == "/hook?key=secret"


@pytest.mark.parametrize("status, answer, detail", [
    (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, "the bot answered errcode 93000: invalid webhook url"),
    (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, "errcode 45009"),
    (200, {"code": 19021, "msg": "sign match fail"}, "the bot answered code 19021: sign match fail"),
    (500, {"error": "boom"}, "HTTP 500"),
])
def test_a_bot_that_says_no_is_a_failure(status, answer, detail):
    with WebhookReceiver(reply=lambda post: (status, answer)) as bot:
        delivery = post_text(bot.url, "wecom", TEXT)
    assert not delivery.ok and detail in delivery.detail


def test_a_bot_that_is_not_there_is_a_failure_not_an_exception():
    delivery = post_text(f"http://127.0.0.1:{free_port()}/hook", "wecom", TEXT, timeout=2)
    assert not delivery.ok and "Connection refused" in delivery.detail


@pytest.mark.parametrize("url, given, expected", [
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", None, "wecom"),
    ("https://oapi.dingtalk.com/robot/send?access_token=x", "", "dingtalk"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/x", None, "feishu"),
    ("https://open.larksuite.com/open-apis/bot/v2/hook/x", None, "feishu"),
    ("http://127.0.0.1:9/hook", "dingtalk", "dingtalk"),
])
def test_the_format_comes_from_the_column_or_the_host(url, given, expected):
    assert format_of(url, given) == expected
    assert set(payload(expected, "x")) in ({"msgtype", "text"}, {"msg_type", "content"})


def test_a_bots_key_is_never_shown():
    assert masked("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx") == \
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    assert masked("https://open.feishu.cn/open-apis/bot/v2/hook/2f3c8a1e-0b7d-4c5e-9f10-aa11bb22cc33") == \
        "https://open.feishu.cn/open-apis/bot/v2/hook/***"
