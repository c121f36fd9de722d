"""Once per content: what goes to the group bots (a real HTTP server) and what is recorded."""

from chat.deliver import Outgoing, deliver
from chat.record import DeliveryLog
from tests.servers import WebhookReceiver
from transforms.leader_messages import content_hash


def message(point: str, content: str, url: str | None) -> Outgoing:
    return Outgoing(point, f"T-{point}", url, "wecom" if url else None, content_hash(content), content)


def open_log(tmp_path) -> DeliveryLog:
    return DeliveryLog(tmp_path / "run" / "progress" / "messages.jsonl", tmp_path)


def statuses(results) -> dict[str, str]:
    return {r["pickup_point_id"]: r["status"] for r in results}


def never():
    return None


def test_no_message_twice_for_the_same_content(tmp_path):
    log = open_log(tmp_path)
    with WebhookReceiver(reply=lambda post: (200, {"errcode": 0, "errmsg": "ok"})) as bot:
        first = [message("P1", "还差 2 件成团", bot.url), message("P2", "已成团", bot.url),
                 message("P3", "已成团", None)]
        assert statuses(deliver(first, log, never)) == {"P1": "sent", "P2": "sent", "P3": "file"}
        assert statuses(deliver(first, log, never)) == {"P1": "unchanged", "P2": "unchanged", "P3": "unchanged"}
        second = [message("P1", "已成团", bot.url), message("P2", "已成团", bot.url), message("P3", "仅剩 2 盒", None)]
        results = deliver(second, log, never)
        assert statuses(results) == {"P1": "sent", "P2": "unchanged", "P3": "file"}
        assert [r["revision"] for r in results] == [2, 1, 2]
    assert sorted(post["json"]["text"]["content"] for post in bot.posts()) == sorted(["还差 2 件成团", "已成团",
                                                                                     "已成团"])
    entries = log.entries()
    assert sorted((e["pickup_point_id"], e["status"], e["revision"]) for e in entries) == \
        [("P1", "sent", 1), ("P1", "sent", 2), ("P2", "sent", 1), ("P3", "file", 1), ("P3", "file", 2)]
    assert all(e["leader_id"] == f"T-{e['pickup_point_id']}" and e["at"] for e in entries)
    sent = [e for e in entries if e["status"] == "sent"]
    assert all("127.0.0.1" in e["webhook"] for e in sent) and all("webhook" not in e for e in entries if e not in sent)


def test_a_failed_message_goes_out_with_the_next_run(tmp_path):
    log = open_log(tmp_path)
    answers = iter([(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), (200, {"errcode": 0})])
    with WebhookReceiver(reply=lambda post: next(answers)) as bot:
        outgoing = [message("P1", "还差 2 件成团", bot.url)]
        failed = deliver(outgoing, log, never)
        assert statuses(failed) == {"P1": "failed"} and "45009" in failed[0]["detail"]
        assert statuses(deliver(outgoing, log, never)) == {"P1": "sent"}
        assert statuses(deliver(outgoing, log, never)) == {"P1": "unchanged"}
    assert len(bot.posts()) == 2
    assert [e["status"] for e in log.entries()] == ["failed", "sent"]


def test_nothing_goes_out_once_told_to_stop(tmp_path):
    """The cutoff passes during a run: the messages after that moment are held, not sent."""
    log = open_log(tmp_path)
    with WebhookReceiver(reply=lambda post: (200, {"errcode": 0})) as bot:
        outgoing = [message(f"P{i}", f"第 {i} 条", bot.url) for i in range(4)]
        # asked once per message while deciding, then again right before each post (one at a time here)
        cutoff_passed = iter([None] * 4 + [None, None, "the cutoff (2026-11-21 20:00) has passed"] + ["passed"] * 5)
        results = deliver(outgoing, log, lambda: next(cutoff_passed), workers=1)
    assert [r["status"] for r in results] == ["sent", "sent", "held", "held"]
    assert len(bot.posts()) == 2 and len(log.entries()) == 2
    assert results[2]["detail"] == "the cutoff (2026-11-21 20:00) has passed"


def test_a_run_that_may_not_send_records_nothing(tmp_path):
    log = open_log(tmp_path)
    with WebhookReceiver() as bot:
        results = deliver([message("P1", "a", bot.url), message("P2", "b", None)], log, lambda: "sending is off")
    assert statuses(results) == {"P1": "held", "P2": "file"} and bot.posts() == [] and log.entries() == []


def test_revisions_are_rendered(tmp_path):
    log = open_log(tmp_path)
    with WebhookReceiver(reply=lambda post: (200, {"errcode": 0})) as bot:
        def render(content, revision):
            return content if revision == 1 else f"修订版 {revision}：{content}"
        deliver([message("P1", "共 14 件", bot.url)], log, never, render)
        deliver([message("P1", "共 12 件", bot.url)], log, never, render)
        deliver([message("P1", "共 12 件", bot.url)], log, never, render)
    assert [post["json"]["text"]["content"] for post in bot.posts()] == ["共 14 件", "修订版 2：共 12 件"]


def test_many_groups_at_once_each_once(tmp_path):
    log = open_log(tmp_path)
    with WebhookReceiver(reply=lambda post: (200, {"errcode": 0})) as bot:
        outgoing = [message(f"P{i:03d}", f"第 {i} 条", f"{bot.url}?key=k{i}") for i in range(40)]
        results = deliver(outgoing, log, never)
        assert [r["pickup_point_id"] for r in results] == [f"P{i:03d}" for i in range(40)]  # in their order
        assert {r["status"] for r in results} == {"sent"}
        assert {r["status"] for r in deliver(outgoing, log, never)} == {"unchanged"}
    assert sorted(post["path"] for post in bot.posts()) == sorted(f"/hook?key=k{i}" for i in range(40))
    assert sorted(e["pickup_point_id"] for e in log.entries()) == [f"P{i:03d}" for i in range(40)]
