"""Why an input row was turned down, in the workbook's language. The rules and readers write each
reason in English (the rejects table, rejects.csv and the run log keep it so: one text to search
for); a Chinese workbook prints it in Chinese, part by part (a reason may hold several, `; `-joined),
from the patterns below. A part no pattern knows is printed as it came.

Where each reason is made: schemas/validation.py (`describe_check`), transforms/staging.py
(`PROBLEMS`), inbox/ingest.py (a file turned down whole, a refund sent twice), inbox/receipts.py,
schemas/receipts.py, transforms/commissions.py (refunds), transforms/fulfilment.py (pickup scans).
"""

from __future__ import annotations

import re

import polars as pl

_VALUE = r"(?P<value> '.*')?"
ZH_PATTERNS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(pattern), words) for pattern, words in (
    (r"^(?P<column>\w+) is required$", "缺少 {column}"),
    (rf"^duplicate (?P<column>\w+){_VALUE}$", "{column}{value} 重复"),
    (rf"^(?P<column>\w+){_VALUE} is not in (?P<table>.+)$", "{column}{value} 不在 {table} 中"),
    (rf"^(?P<column>\w+){_VALUE} has a bad format \(ids are letters, digits, _ \. -, up to 64\)$",
     "{column}{value} 格式不对（编号只能用字母、数字、_ . -，最多 64 位）"),
    (rf"^(?P<column>\w+){_VALUE} has a bad format$", "{column}{value} 格式不对"),
    (rf"^(?P<column>\w+){_VALUE} is reserved: it may not be used$", "{column}{value} 是保留值，不能用"),
    (rf"^(?P<column>\w+){_VALUE} must be one of (?P<allowed>.+)$", "{column}{value} 只能是 {allowed}"),
    (rf"^(?P<column>\w+){_VALUE} must be (?P<op>>=|<=|>|<) (?P<bound>.+)$", "{column}{value} 必须 {op} {bound}"),
    (r"^(?P<column>\w+) has the wrong type \((?P<check>.+)\)$", "{column} 类型不对（{check}）"),
    (r"^(?P<column>\w+): (?P<value>'.*') is not a whole number$", "{column}: {value} 不是整数"),
    (r"^(?P<column>\w+): (?P<value>'.*') is not an ISO 8601 timestamp$", "{column}: {value} 不是 ISO 8601 时间"),
    (r"^(?P<column>\w+): (?P<value>'.*') is not a date \(write it as YYYY-MM-DD\)$",
     "{column}: {value} 不是日期（请写成 YYYY-MM-DD）"),
    (r"^missing required column\(s\) (?P<columns>.+): the whole file is rejected$",
     "缺少必需的列 {columns}：整个文件被拒收"),
    (r"^cannot read the file: (?P<problem>.+)$", "无法读取文件：{problem}"),
    (r"^the file is cut short: (?P<problem>.+)$", "文件不完整（传输中断？）：{problem}"),
    (r"^duplicate refund_id (?P<value>'.*') with another line, amount or time: a refund is applied once$",
     "退款单号 {value} 重复，但订单行、金额或时间不同：一笔退款只处理一次"),
    (r"^duplicate receipt_id (?P<value>'.*') with other content \((?P<what>.+) differ from the receipt already "
     r"held\): (?P<rest>.+)$", "收货单号 {value} 重复，内容不同（{what} 与已收的不一致）"),
    (r"^a correction of an applied receipt needs a new receipt_id$", "更正已收的收货单请用新的收货单号"),
    (r"^units_damaged (?P<damaged>\d+) is more than units_received (?P<received>\d+).*$",
     "破损 {damaged} 件多于到货 {received} 件（破损件算在到货件数里）"),
    (r"^units_damaged is more than units_received.*$", "破损件数多于到货件数（破损件算在到货件数里）"),
    (r"^order line (?P<line>\S+) is unknown: no such order line$", "订单行 {line} 不存在"),
    (r"^order line (?P<line>\S+) is unknown$", "订单行 {line} 不存在"),
    (r"^order line (?P<line>\S+) has nothing to hand out \(no units allocated after shortages\)$",
     "订单行 {line} 没有要提的货（缺货后没有分到件）"),
    (r"^order line (?P<line>\S+) has been allocated nothing so far \(no run has processed it yet\)$",
     "订单行 {line} 还没有分到货（尚未截单）"),
    (r"^order line (?P<line>\S+) has been allocated nothing \(net_fen 0\)$", "订单行 {line} 没有分到货（净额 0）"),
    (r"^refund of (?P<amount>\d+) fen is larger than the line's net_fen (?P<net>\d+) minus its shortage refund "
     r"(?P<short>\d+) \(short delivery\) minus its earlier refunds (?P<earlier>\d+)$",
     "退款 {amount} 分超过该行可退：净额 {net} 分 − 缺货退款 {short} 分 − 之前的退款 {earlier} 分"),
    (r"^refund of (?P<amount>\d+) fen is larger than the line's net_fen (?P<net>\d+) minus its earlier refunds "
     r"(?P<earlier>\d+)$", "退款 {amount} 分超过该行可退：净额 {net} 分 − 之前的退款 {earlier} 分"),
    (r"^no purchase line (?P<run>.+) for supplier (?P<supplier>\S+) and SKU (?P<sku>\S+): the receipt is for "
     r"nothing that run ordered$", "批次 {run} 没有供应商 {supplier}、商品 {sku} 的采购行：这张收货单对不上采购"),
))


def reason_text(reason: str | None, lang: str) -> str | None:
    """A reject reason in `lang` (zh: each `; `-part translated where a pattern knows it)."""
    if reason is None or lang != "zh":
        return reason
    return "；".join(_part_zh(part) for part in reason.split("; "))


def _part_zh(part: str) -> str:
    for pattern, words in ZH_PATTERNS:
        found = pattern.match(part)
        if found:
            return words.format(**{k: v or "" for k, v in found.groupdict().items()})
    return part


def reasons_in(frame: pl.DataFrame, lang: str, column: str = "reason") -> pl.DataFrame:
    """The frame with its reasons in `lang` (each distinct reason translated once)."""
    if lang != "zh" or column not in frame.columns or frame.height == 0:
        return frame
    distinct = frame[column].drop_nulls().unique().to_list()
    return frame.with_columns(pl.col(column).replace_strict({r: reason_text(r, lang) for r in distinct},
                                                            default=pl.col(column), return_dtype=pl.String))
