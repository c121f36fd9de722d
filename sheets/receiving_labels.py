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
    "units_allocated": "顾客订购",
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
    "receiving_order": "缺货的 {short} 行与未到货的 {pending} 行排在最前并标色。",
    "receiving_reconcile": "采购数量 = 合格 + 余量抵扣 + 缺货 − 多送：凑箱多采的余量先抵扣到货不足，"
                           "余下的才是顾客缺货。",
    "units_absorbed": "余量抵扣",
    "sheet_supplier_money": "按供应商",
    "po_lines": "采购\n行数",
    "lines_short": "缺货\n行数",
    "lines_pending": "未到货\n行数",
    "difference_fen": "少付金额",
    "supplier_money_note": "应付金额按合格件数（不超过采购数量）计；少付金额 = 采购金额 − 应付金额。",
    "route_revised_note": "修订版：供应商缺货，本线路少发 {short} 件（原 {before} 件），以此版为准。"
                          "标色的行有改动，明细见“缺货明细”。",
    "route_revised_stops": "少发的站：",
    "route_revised_stop": "第 {seq} 站 {point} 少 {n} 件",
    "handout_revised_note": "修订版：供应商缺货，{customers} 位顾客少发 {short} 件（原 {before} 件，实发 {after} 件），"
                            "差额已退款。以此版为准，标色的行有改动。",
    "handout_revised_who": "少发：",
    "item_short": "{}（少 {} 件，原 {} 件）",
    "handout_revised_customer": "{seq}号 {name} {tail} 少{n}件",
    "and_more": " 等，另 {n} 项见标色行",
    "list_separator": "；",
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
    "units_allocated": "Ordered by customers",
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
    "receiving_order": "The {short} short line(s) and the {pending} not delivered yet come first, shaded.",
    "receiving_reconcile": "Purchased = good + surplus used + short - over: the case-rounding surplus makes up a "
                           "shortfall first; only the rest is short to customers.",
    "units_absorbed": "Surplus used",
    "sheet_supplier_money": "By supplier",
    "po_lines": "PO lines",
    "lines_short": "Short lines",
    "lines_pending": "Not delivered",
    "difference_fen": "Not payable",
    "supplier_money_note": "Payable: the good units (at most those purchased) at unit cost; not payable = PO amount "
                           "- payable.",
    "route_revised_note": "REVISED: a supplier delivered short; this route hands out {short} unit(s) less (was "
                          "{before}). This version replaces the earlier one. Changed rows are shaded; every "
                          "change is on the sheet \"Shortages\".",
    "route_revised_stops": "Short at: ",
    "route_revised_stop": "stop {seq} {point} -{n}",
    "handout_revised_note": "REVISED: a supplier delivered short; {customers} customer(s) get {short} unit(s) less "
                            "(was {before}, now {after}), refunded. This version replaces the earlier one; changed "
                            "lines are shaded.",
    "handout_revised_who": "Short: ",
    "item_short": "{} ({} short, was {})",
    "handout_revised_customer": "No. {seq} {name} {tail} -{n}",
    "and_more": " and {n} more (shaded lines)",
    "list_separator": "; ",
    "handout_revised_items": "Hand out {n} item(s) today",
}

WORDS = {"zh": ZH, "en": EN}


def receiving_labels(lang: str) -> dict[str, str]:
    """The run's words (sheets/labels.py) with the goods-in ones."""
    return {**labels_for(lang), **WORDS[lang]}
