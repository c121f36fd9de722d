"""Every word the labels print, in Chinese (default) and English (`--lang en`). Input text
(names, items, the storage kinds of categories.csv) is printed as it came."""

from __future__ import annotations

ZH = {
    "crate_title": "周转箱标签 · 线路 {route}",
    "households_title": "户标签 · {point}",
    "stop": "第 {seq} 站",
    "crate": "箱",
    "leader": "团长",
    "phone_tail": "尾号",
    "units": "共 {n} 件",
    "order": "订单",
    "nightly": "每日",
    "weekly": "每周预售",
    "revised": "修订版",
}
EN = {
    "crate_title": "Crate labels · route {route}",
    "households_title": "Household labels · {point}",
    "stop": "Stop {seq}",
    "crate": "Crate",
    "leader": "Leader",
    "phone_tail": "Tail",
    "units": "{n} items",
    "order": "Order",
    "nightly": "nightly",
    "weekly": "weekly presale",
    "revised": "revised",
}
WORDS = {"zh": ZH, "en": EN}


def words_for(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "zh"]
