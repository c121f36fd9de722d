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
from tests.sheets.printing import READABLE, printed_points
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
    header = next(i for i, row in enumerate(values) if row[0] == "活动 / 商品")
    # the writer breaks a long label over two lines (docs/sheets.md): the words are the same
    assert [label.replace("\n", "") for label in values[header][1:8]] == [
        "已售件数", "参团人数", "能否成团", "进度", "还差件数", "还差人数", "成团价"]
    body = [row for row in values[header + 1:] if row[0]]
    assert [row[0].split("\n")[0] for row in body] == ["L1", "L2", "L3"]  # 9 of 10, then 1 of 3 people, formed
    assert body[2][0] == "L3\n砂糖橘"  # the listing over its item, one wrapped cell
    assert body[0][1:7] == [9, 1, "未成团", 0.9, 1, 0]
    assert body[2][3] == "成团" and body[2][7] == 328  # ¥328.00 (a yuan cell)
    assert body[2][-2:] == [2, None]  # stock left 5 - 3; no pool
    assert sheet.cell(row=header + 2, column=8).number_format == '"¥"#,##0.00'
    assert ["未成团", 2] in [row[:2] for row in values[:header]]
    counted = next(row for row in sheet.iter_rows() if row[0].value == "未成团")[1]
    assert counted.number_format == "#,##0"  # a header block's count prints 1,435, not 1435
    points_sheet = [[cell.value for cell in row] for row in book["自提点团"].iter_rows()]
    assert [f"L4\n{mooncake.SKU_NAME}", "P2 阳光花园\n李娜", 1, 1, "未成团"] in [row[:5] for row in points_sheet]
    english = tmp_path / "progress-en.xlsx"
    write_progress_book(english, rows, listing_rows, product_frame, points(), run="nightly 2026-11-21",
                        cutoff_text="2026-11-21 20:00", as_of_text="2026-11-21 15:00", lines=4, lang="en",
                        created=datetime(2026, 11, 21, 7, tzinfo=timezone.utc))
    for sheet in [*book.worksheets, *openpyxl.load_workbook(english).worksheets]:
        # A4, 9 pt or more, the header repeated (docs/sheets.md): side by side, the listing, its item, the
        # point, its name and leader made the per-point sheet 196 width units, printed at 6.4 pt
        assert printed_points(sheet) >= READABLE and sheet.print_title_rows, sheet.title


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
    assert "| groups that would not form now | 3 |" in text
    assert "| leaders' messages | 2 sent to their group bot; 5 unchanged, not sent again |" in text
    at_risk = text.split("## Would not form")[1].split("## Formed")[0]
    assert at_risk.index("| L1 |") < at_risk.index("| L4 |") < at_risk.index("| L2 |")
    assert "| L1 | 流心奶黄月礼盒 | all | 9 / 1 | 1 unit(s) | 90% | - | - |" in at_risk
    assert "| L3 | 砂糖橘 | all | 3 / 1 | - | 100% | ¥328.00 | - |" in text
