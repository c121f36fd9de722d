"""The words of progress.xlsx (`cutoff progress`), in Chinese (default) and English, same keys."""

from __future__ import annotations

ZH = {
    "title": "成团进度 · {run} · 截至 {as_of}",
    "sheet_groups": "成团进度",
    "sheet_points": "自提点团",
    "cutoff": "截单时间",
    "as_of": "统计截至",
    "run": "截单批次",
    "inbox": "订单（截至统计时点）",
    "at_risk": "未成团",
    "at_risk_note": "按离成团远近排列：最接近成团的在前。件数、人数按截单规则计（限购、库存之后）。",
    "listing": "活动编码",
    "item": "商品",
    "pickup_point": "自提点",
    "point_name": "自提点名称",
    "leader": "团长",
    "units": "已售件数",
    "participants": "参团人数",
    "would_form": "现在截单能否成团",
    "yes": "成团",
    "no": "未成团",
    "reached": "进度",
    "missing_units": "还差件数",
    "missing_participants": "还差人数",
    "price": "成团价",
    "next_price": "下一档价",
    "to_next_tier": "再几人到下一档",
    "fill_case": "凑满整箱还差",
    "case_cut": "不足整箱将取消",
    "stock_left": "剩余库存",
    "pool_left": "一盘货剩余",
    "groups_formed": "成团 / 团数",
    "calendar_nightly": "每日",
    "calendar_weekly": "每周预售",
}

EN = {
    "title": "Group progress · {run} · as of {as_of}",
    "sheet_groups": "Progress",
    "sheet_points": "Point groups",
    "cutoff": "Cutoff",
    "as_of": "As of",
    "run": "Cutoff run",
    "inbox": "Order lines (as of)",
    "at_risk": "Not forming",
    "at_risk_note": "Closest to forming first. Units and participants as the cutoff counts them (after the caps).",
    "listing": "Listing",
    "item": "Item",
    "pickup_point": "Pickup point",
    "point_name": "Point name",
    "leader": "Leader",
    "units": "Units",
    "participants": "Participants",
    "would_form": "Forms if cut now",
    "yes": "forms",
    "no": "not formed",
    "reached": "Reached",
    "missing_units": "Units missing",
    "missing_participants": "People missing",
    "price": "Price",
    "next_price": "Next tier price",
    "to_next_tier": "People to next tier",
    "fill_case": "Units to fill a case",
    "case_cut": "Cut by case rounding",
    "stock_left": "Stock left",
    "pool_left": "Pool left",
    "groups_formed": "Formed / groups",
    "calendar_nightly": "nightly",
    "calendar_weekly": "weekly",
}

LABELS = {"zh": ZH, "en": EN}


def progress_labels(lang: str) -> dict[str, str]:
    try:
        return LABELS[lang]
    except KeyError:
        raise ValueError(f"unknown sheet language {lang!r}: use zh or en") from None
