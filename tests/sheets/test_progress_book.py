"""progress.xlsx as ops open it: the groups at risk first, every figure of progress.json; the
artifact of a progress run."""

from __future__ import annotations

from datetime import datetime, timezone

import openpyxl
import polars as pl

from flows.progress_artifacts import render_progress_markdown
from inbox.master import Master
from sheets.progress_book import write_progress_book
from sheets.progress_labels import EN, ZH
from tests import mooncake
from tests.builders import listings, orders, products
from tests.transforms.test_progress import progress
from transforms.progress import at_risk_first


def day():
    rows = orders(dict(order_id="A", customer_id="a", qty=9, created_at="2026-11-21 10:00", listing_id="L1"),
                  dict(order_id="B", customer_id="b", qty=2, created_at="2026-11-21 10:00", listing_id="L2"),
                  dict(order_id="C", customer_id="c", qty=3, created_at="2026-11-21 10:00", listing_id="L3"),
                  dict(order_id="D", customer_id="d", qty=1, created_at="2026-11-21 10:00", listing_id="L4",
                       pickup_point_id="P2"))
    listing_rows = listings(dict(listing_id="L1", min_qty=10), dict(listing_id="L2", tiers=mooncake.TIERS),
                            dict(listing_id="L3", sku_id="SKU2", stock_cap=5),
                            dict(listing_id="L4", group_scope="pickup_point", min_qty=2))
    product_rows = ({}, {"sku_id": "SKU2", "name": "砂糖橘", "unit": "箱"})
    return progress(rows, listing_rows, product_rows), listing_rows, products(*product_rows)


def points() -> pl.DataFrame:
    return pl.DataFrame({"pickup_point_id": ["P1", "P2"], "name": ["幸福里3栋", "阳光花园"],
                         "leader_name": ["王芳", "李娜"]})


def test_the_groups_at_risk_first(tmp_path):
    rows, listing_rows, product_frame = day()
    path = tmp_path / "progress.xlsx"
    write_progress_book(path, rows, listing_rows, product_frame, points(), run="每日 2026-11-21",
                        cutoff_text="2026-11-21 20:00", as_of_text="2026-11-21 15:00", lines=4, lang="zh",
                        created=datetime(2026, 11, 21, 7, tzinfo=timezone.utc))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["成团进度", "自提点团"]
    sheet = book["成团进度"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "成团进度 · 每日 2026-11-21 · 截至 2026-11-21 15:00"
    header = next(i for i, row in enumerate(values) if row[:2] == ["活动编码", "商品"])
    # a label wider than its values prints on two lines (已售/件数: sheets/text_fit.py)
    assert [str(v).replace("\n", "") for v in values[header][2:9]] == [
        "已售件数", "参团人数", "现在截单能否成团", "进度", "还差件数", "还差人数", "成团价"]
    body = [row for row in values[header + 1:] if row[0]]
    assert [row[0] for row in body] == ["L1", "L2", "L3"]  # 9 of 10 first, then 1 of 3 people, then formed
    assert body[0][2:8] == [9, 1, "未成团", 0.9, 1, 0]
    assert body[2][4] == "成团" and body[2][8] == 328 and body[2][-2] == 2  # ¥328.00 (a yuan cell); stock left 5 - 3
    assert body[2][-1] is None  # 一盘货剩余: no stock pool
    assert sheet.cell(row=header + 2, column=9).number_format == '"¥"#,##0.00'
    assert ["未成团", 2] in [row[:2] for row in values[:header]]
    points_sheet = [[cell.value for cell in row] for row in book["自提点团"].iter_rows()]
    assert ["L4", mooncake.SKU_NAME, "P2", "阳光花园", "李娜", 1, 1, "未成团"] in [row[:8] for row in points_sheet]


def test_both_languages_have_the_same_words():
    assert set(ZH) == set(EN)


def test_the_artifact_lists_the_groups_at_risk_first():
    rows, listing_rows, product_frame = day()
    master = Master(suppliers=pl.DataFrame(), products=product_frame, categories=pl.DataFrame(),
                    pickup_points=points(), distributors=pl.DataFrame(), listings=listing_rows)
    summary = {"calendar": "nightly", "cutoff_date": "2026-11-21", "as_of": "2026-11-21T15:00:00+08:00",
               "folder": "reports/nightly/2026-11-21/progress/2026-11-21T150000+0800", "order_lines": 4,
               "listings": 4, "groups_not_formed": 3, "messages": {"sent": 2, "unchanged": 5}}
    text = render_progress_markdown(summary, at_risk_first(rows), master)
    assert "| groups that would not form now | 3 |" in text and "| leaders' messages | 2 sent, 5 unchanged |" in text
    at_risk = text.split("## Would not form")[1].split("## Formed")[0]
    assert at_risk.index("| L1 |") < at_risk.index("| L4 |") < at_risk.index("| L2 |")
    assert "| L1 | 流心奶黄月礼盒 |  | 9 | 1 | 1 | 0 | 90% | - | - |" in at_risk
    assert "| L3 | 砂糖橘 |  | 3 | 1 | 0 | 0 | 100% | ¥328.00 | - |" in text
