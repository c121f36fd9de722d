"""Every word the goods-in workbooks print (shortages.xlsx and the re-issued 修订版 sorting sheets
and handout lists), in Chinese (default) and English, on top of sheets/labels.py's words.
Kept beside the run's labels so the goods-in run's words are found in one place."""

from __future__ import annotations

from sheets.labels import labels_for

ZH = {
    "revised": "修订版",
    "sheet_receiving": "到货汇总",
    "sheet_shortage_lines": "缺货顾客",
    "sheet_route_cut": "缺货明细",
    "receiving_title": "到货与缺货 · {run}",
    "shortage_lines_title": "缺货顾客 · {run}",
    "route_cut_title": "缺货明细 · 线路 {route}",
    "status": "状态",
    "status_pending": "未到货",
    "status_complete": "已到齐",
    "status_short": "缺货",
    "supplier_name": "供应商名称",
    "po_fen": "采购金额",
    "units_allocated": "已分配",
    "units_purchased": "采购数量",
    "units_received": "到货",
    "units_damaged": "破损",
    "units_good": "合格",
    "units_short": "缺货",
    "units_over": "多送",
    "units_payable": "应付数量",
    "payable_fen": "应付金额",
    "unit_cost_fen": "单价",
    "final_price": "成交价",
    "qty_allocated": "原分配",
    "short_refund_fen": "缺货退款",
    "ordered": "原数量",
    "short": "缺货",
    "units_out": "实发",
    "stop_seq": "站序",
    "point_name": "提货点名称",
    "receiving_note": "缺货 {short} 件：{lines} 行订单少发，退款 {refund}；应付供应商 {payable}。",
    "receiving_pending": "{n} 个采购行尚未到货（未决定）。",
    "route_revised_note": "修订版：供应商缺货，本线路少发 {short} 件（原 {before} 件），以此版为准。"
                          "缺货明细见“缺货明细”。",
    "handout_revised_note": "修订版：供应商缺货，{customers} 位顾客少发 {short} 件（原 {before} 件），"
                            "差额已退款。以此版为准。",
    "handout_revised_items": "今日实发共 {n} 件",
}

EN = {
    "revised": "REVISED",
    "sheet_receiving": "Goods in",
    "sheet_shortage_lines": "Customers cut",
    "sheet_route_cut": "Shortages",
    "receiving_title": "Goods in and shortages · {run}",
    "shortage_lines_title": "Customers cut · {run}",
    "route_cut_title": "Shortages · route {route}",
    "status": "Status",
    "status_pending": "pending",
    "status_complete": "complete",
    "status_short": "short",
    "supplier_name": "Supplier name",
    "po_fen": "PO amount",
    "units_allocated": "Allocated",
    "units_purchased": "Purchased",
    "units_received": "Received",
    "units_damaged": "Damaged",
    "units_good": "Good",
    "units_short": "Short",
    "units_over": "Over",
    "units_payable": "Payable units",
    "payable_fen": "Payable",
    "unit_cost_fen": "Unit cost",
    "final_price": "Price",
    "qty_allocated": "Allocated",
    "short_refund_fen": "Shortage refund",
    "ordered": "Before",
    "short": "Short",
    "units_out": "Hand out",
    "stop_seq": "Stop",
    "point_name": "Pickup point name",
    "receiving_note": "{short} unit(s) short: {lines} order line(s) get less, refund {refund}; payable to suppliers "
                      "{payable}.",
    "receiving_pending": "{n} purchase line(s) not delivered yet (undecided).",
    "route_revised_note": "REVISED: a supplier delivered short; this route hands out {short} unit(s) less (was "
                          "{before}). This version replaces the earlier one. See the sheet \"Shortages\".",
    "handout_revised_note": "REVISED: a supplier delivered short; {customers} customer(s) get {short} unit(s) less "
                            "(was {before}), refunded. This version replaces the earlier one.",
    "handout_revised_items": "Hand out {n} item(s) today",
}

WORDS = {"zh": ZH, "en": EN}


def receiving_labels(lang: str) -> dict[str, str]:
    """The run's words (sheets/labels.py) with the goods-in ones."""
    return {**labels_for(lang), **WORDS[lang]}
