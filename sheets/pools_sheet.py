"""summary.xlsx's 一盘货 sheet: the stock pools the run sold from, for ops and finance.

Per pool: its units, what the earlier turns took, what this run took, what the later turns' reserves
still hold and what is left; then each turn of the pool on a line of its own (its cutoff, listings,
reserve, what it took, or "to come"). From summary.json `pools` (transforms/pools.py `pool_report`).
Words in Chinese (default) and English, on top of sheets/labels.py's.
"""

from __future__ import annotations

import polars as pl

from sheets.labels import labels_for
from sheets.spec import INT, TEXT, Column, Section, SheetSpec

ZH = {
    "sheet_pools": "一盘货", "pool": "库存池", "pool_units": "总库存", "taken_before": "之前批次已用",
    "taken_now": "本批次分配", "held_later": "之后批次预留", "pool_left": "剩余可售",
    "pool_turns": "各批次", "turn": "批次", "listings": "活动", "position": "先后", "reserve": "预留",
    "taken": "已分配", "to_come": "未到", "position_earlier": "之前", "position_this run": "本批次",
    "position_later": "之后", "no_pools": "本批次没有共用库存池的活动",
}
EN = {
    "sheet_pools": "Stock pools", "pool": "Pool", "pool_units": "Units", "taken_before": "Taken before",
    "taken_now": "Taken now", "held_later": "Held for later", "pool_left": "Left",
    "pool_turns": "Turns", "turn": "Cutoff", "listings": "Listings", "position": "Turn", "reserve": "Reserve",
    "taken": "Taken", "to_come": "to come", "position_earlier": "earlier", "position_this run": "this run",
    "position_later": "later", "no_pools": "No listing of this cutoff sells from a stock pool",
}
TURN_SCHEMA = {"turn": pl.String, "listings": pl.String, "position": pl.String, "reserve": pl.Int64,
               "taken": pl.Int64}


def pool_labels(lang: str) -> dict[str, str]:
    return {**labels_for(lang), **{"zh": ZH, "en": EN}[lang]}


def _turns(pool: dict, t: dict[str, str]) -> pl.DataFrame:
    rows = [{"turn": f"{t.get('calendar_' + turn['calendar'], turn['calendar'])} {turn['cutoff_date']}",
             "listings": ", ".join(turn["listings"]),
             "position": t.get(f"position_{turn['position']}", turn["position"])
             + (f" ({t['to_come']})" if turn["taken"] is None else ""),
             "reserve": turn["reserve"], "taken": turn["taken"]} for turn in pool["turns"]]
    return pl.DataFrame(rows, schema=TURN_SCHEMA)


def pools_sheet(pools: list[dict], lang: str, title: str, run_label: str) -> SheetSpec:
    """The pools of summary.json on one sheet: per pool a heading with its figures and a line per turn."""
    t = pool_labels(lang)
    columns = (Column("turn", t["turn"], TEXT, 16, 24), Column("listings", t["listings"], TEXT, 16, 40),
               Column("position", t["position"], TEXT, 10, 16), Column("reserve", t["reserve"], INT, 8),
               Column("taken", t["taken"], INT, 8))
    sections = tuple(
        Section(_turns(pool, t),
                heading=(f"{t['pool']} {pool['pool_id']} · {t['sku']} {pool['sku_id']} · {t['pool_units']} "
                         f"{pool['units']:,}",
                         f"{t['taken_before']} {pool['taken_before']:,} · {t['taken_now']} {pool['taken_now']:,} · "
                         f"{t['held_later']} {pool['held_later']:,} · {t['pool_left']} {pool['left']:,}"),
                totals={"turn": t["total"], "taken": pool["taken_before"] + pool["taken_now"],
                        "reserve": sum(turn["reserve"] for turn in pool["turns"])})
        for pool in pools)
    if not sections:
        sections = (Section(pl.DataFrame(schema=TURN_SCHEMA), heading=(t["no_pools"],)),)
    return SheetSpec(title=t["sheet_pools"], title_line=title, header=((t["run"], run_label),), columns=columns,
                     sections=sections, section_breaks=False, footer=title)
