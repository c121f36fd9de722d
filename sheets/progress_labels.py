"""The words of progress.xlsx (`cutoff progress`), in Chinese (default) and English, same keys."""

from __future__ import annotations

ZH = {
    "title": "成团进度 · {run} · 截至 {as_of}",
    "sheet_groups": "成团进度",
    "sheet_points": "自提点团",
    "cutoff": "截单时间",
    "as_of": "统计截至",
    "run": "截单批次",
    "inbox": "已下订单",  # as of the title's instant (a long label widened column A)
    "at_risk": "未成团",
    "at_risk_note": "能否成团：若现在截单。按离成团远近排列：最接近成团的在前。"
                    "件数、人数按截单规则计（限购、库存之后）。",
    "listing": "活动编码",
    "item": "商品",
    "listing_item": "活动 / 商品",
    "point_leader": "自提点 / 团长",
    "pickup_point": "自提点",
    "point_name": "自提点名称",
    "leader": "团长",
    "units": "已售件数",
    "participants": "参团人数",
    "would_form": "能否\n成团",  # if the cutoff ran now: the title and the note say so
    "yes": "成团",
    "no": "未成团",
    "reached": "进度",
    "missing_units": "还差件数",
    "missing_participants": "还差人数",
    "price": "成团价",
    "next_price": "下一\n档价",
    "to_next_tier": "差几人\n到下档",
    "fill_case": "凑满整箱还差",
    "case_cut": "取整\n将取消",
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
    "inbox": "Order lines",
    "at_risk": "Not forming",
    "at_risk_note": "Forms: if the cutoff ran now. Closest to forming first. Units and participants as the cutoff "
                    "counts them (after the caps).",
    "listing": "Listing",
    "item": "Item",
    "listing_item": "Listing / item",
    "point_leader": "Pickup point / leader",
    "pickup_point": "Pickup point",
    "point_name": "Point name",
    "leader": "Leader",
    "units": "Units",
    "participants": "People",
    "would_form": "Forms",  # if the cutoff ran now: the title and the note say so
    "yes": "yes",
    "no": "no",
    "reached": "Reached",
    "missing_units": "Units\nshort",
    "missing_participants": "People\nshort",
    "price": "Price",
    "next_price": "Next\nprice",
    "to_next_tier": "People\nto next",
    "fill_case": "To fill\na case",
    "case_cut": "Case\ncut",
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
