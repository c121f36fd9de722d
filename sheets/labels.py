"""Every word the workbooks print, in Chinese (default) and English (`--lang en`): the run's
sheets, commissions.xlsx, the ledger's roles and entry types.

One dictionary per language with the same keys; `labels_for(lang)` returns it. A label may hold
`{name}` fields, filled with `str.format` by the sheet that prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sheets.commissions_labels import COMMISSIONS_EN, COMMISSIONS_ZH

ZH = {
    **COMMISSIONS_ZH,  # commissions.xlsx and the ledger's words: sheets/commissions_labels.py
    # sheet names (Excel allows 31 characters, no []:*?/\)
    "sheet_po": "采购单",
    "sheet_po_categories": "分类小计",
    "sheet_matrix": "分拣矩阵",
    "sheet_pick_lists": "拣货单",
    "sheet_handout": "提货单",
    "sheet_figures": "运行概况",
    "sheet_suppliers": "供应商",
    "sheet_below_minimum": "未达起订额",
    "sheet_groups_not_formed": "未成团",
    "sheet_top_skus": "热销商品",
    "sheet_categories": "分类销售",
    "sheet_rejects": "拒收数据",
    # titles
    "po_title": "{platform} 采购单",
    "matrix_title": "分拣单 · 线路 {route}",
    "pick_title": "拣货单 · 线路 {route}",
    "matrix_block": "第 {first}-{last} 站（共 {stops} 站）",
    "handout_title": "{platform} 提货单",
    "summary_title": "截单汇总 · {run}",
    "chart_title": "各分类净销售额（元）",
    # header block
    "po_number": "采购单号",
    "supplier": "供应商",
    "ship_to": "收货地址",
    "platform": "平台",
    "run": "截单批次",
    "cutoff_at": "截单时间",
    "window": "订单时段",
    "delivery_window": "送货时间",
    "generated_at": "生成时间",
    "route": "线路",
    "stops": "站点数",
    "cutoff_date": "日期",
    "pickup_point": "提货点",
    "address": "地址",
    "leader": "团长",
    "stop": "第 {seq} 站",
    "calendar_nightly": "每日",
    "calendar_weekly": "每周预售",
    "total_items": "今日订单共 {n} 件",
    "customers_count": "顾客 {n} 位",
    "below_minimum_note": "注意：本单金额 {amount} 低于供应商起订额 {minimum}。",
    "pick_heading": "{stop} · {point} {name} · 团长 {leader} · 共 {n} 件",
    "pick_heading_part": "{heading}（续，第 {part}/{parts} 页）",
    "stop_total": "{stop}合计",
    "page_subtotal": "本页小计",
    "block_total": "第{first}-{last}站\n合计",
    "route_total": "全线路合计\n（{stops} 站）",
    "sheet_route_totals": "线路合计",
    # columns
    "sku": "商品编码",
    "name": "商品名称",
    "spec": "规格",
    "unit": "单位",
    "units_ordered": "订购数量",
    "case_pack": "箱规",
    "cases": "箱数",
    "units_to_deliver": "送货数量",
    "unit_cost": "单价",
    "amount": "金额",
    "category": "分类",
    "sku_count": "商品数",
    "units": "数量",
    "total": "合计",
    "seq": "序号",
    "phone_tail": "手机尾号",
    "customer": "顾客",
    "building": "楼号",
    "room": "房号",
    "order_id": "订单号",
    "item": "商品",
    "signed": "签收",
    "pickup_code": "提货码",
    "figure": "项目",
    "value": "数值",
    "supplier_id": "供应商编码",
    "supplier_name": "供应商名称",
    "po_amount": "采购金额",
    "minimum": "起订额",
    "shortfall": "差额",
    "below_minimum": "低于起订额",
    "email_status": "邮件",
    "file": "文件",
    "listing": "活动",
    "group_point": "成团提货点",
    "min_qty": "起团数量",
    "participants": "参团人数",
    "lowest_threshold": "最低成团人数",
    "units_allocated": "分配数量",
    "net_sales": "净销售额",
    "source_file": "文件",
    "row_number": "行号",
    "reason": "原因",
    "raw": "原始数据",
    "yes": "是",
    "no": "否",
    "all_points": "全部提货点",
    # run figures
    "fig_listings_closed": "截单活动数",
    "fig_groups_not_formed": "未成团数",
    "fig_lines_eligible": "有效订单行",
    "fig_lines_allocated": "已分配订单行",
    "fig_lines_cut": "被削减订单行",
    "fig_lines_rejected": "拒收数据行",
    "fig_units_ordered": "订购件数",
    "fig_units_allocated": "分配件数",
    "fig_units_purchased": "采购件数",
    "fig_units_surplus": "余量件数",
    "fig_fen_paid": "实付金额",
    "fig_fen_net": "净销售额",
    "fig_fen_refund": "应退金额",
    "fig_fen_forfeit": "没收定金",
    "fig_fen_purchase_cost": "采购成本",
    "fig_commission_leader": "团长佣金",
    "fig_commission_dist_l1": "一级分销佣金",
    "fig_commission_dist_l2": "二级分销佣金",
    "fig_commission_clawback": "佣金追回",
    "fig_suppliers": "供应商数",
    "fig_warnings": "提醒",
    "none": "无",
    "print_first": "本表共 {rows} 行，打印只打印前 {shown} 行；要打印全部或筛选出的行，在打印设置里选“忽略打印区域”。",
    # what each figure of the overview is (summary.xlsx 运行概况, its 说明 column)
    "note_fig_listings_closed": "本批次截单的活动", "note_fig_groups_not_formed": "见「未成团」表",
    "note_fig_lines_eligible": "本批次已付款的订单行", "note_fig_lines_allocated": "分到货的订单行",
    "note_fig_lines_cut": "库存不足或未成团而少分、不分的行", "note_fig_lines_rejected": "见「拒收数据」表",
    "note_fig_units_ordered": "顾客下单的件数", "note_fig_units_allocated": "分给顾客的件数",
    "note_fig_units_purchased": "按整箱向供应商采购的件数", "note_fig_units_surplus": "凑整箱多采的件数",
    "note_fig_fen_paid": "顾客已付", "note_fig_fen_net": "实付减应退", "note_fig_fen_refund": "少分、不分与阶梯价差额",
    "note_fig_fen_forfeit": "未付尾款，定金不退",
    "note_fig_fen_purchase_cost": "采购件数乘成本价", "note_fig_commission_leader": "见 commissions.xlsx",
    "note_fig_commission_dist_l1": "见 commissions.xlsx", "note_fig_commission_dist_l2": "见 commissions.xlsx",
    "note_fig_commission_clawback": "退款扣回的佣金",
    # summary.xlsx: the overview's sections, the warnings sheet, the email statuses
    "sheet_warnings": "提醒", "overview_figures": "本批次数字", "overview_todo": "需要处理", "detail": "说明",
    "see_sheet": "见「{sheet}」表", "kind": "类型", "units_short": "差件数", "participants_short": "差人数",
    "todo_email_failed": "采购单邮件未发出", "todo_no_address": "供应商无邮箱地址",
    "warn_warehouse_address_missing": "未设置仓库收货地址", "warn_inbox_not_ready": "订单导出未就绪",
    "warn_empty_cutoff": "本批次没有订单", "warn_email_failed": "邮件发送失败",
    "warn_pool_stale": "库存池需重跑后续批次",
    "warn_export_amount_mismatch": "导出订单金额不符", "warn_export_order_number": "跟团号疑被改动",
    "warn_export_summary_mismatch": "导出汇总表不符", "warn_export_cancelled": "导出中已取消",
    "msg_warehouse_address_missing": "未设置 CUTOFF_WAREHOUSE_ADDRESS，采购单的收货地址为空。请在 cutoff serve 的环境"
                                     "（或 cutoff.toml）中设置后重跑本批次，供应商将收到修订版采购单。",
    "email_sent": "已发送", "email_revised": "已发送修订版", "email_unchanged": "未变，未重发",
    "email_outbox": "已存发件箱", "email_no_address": "无邮箱地址", "email_failed": "发送失败",
}

EN = {
    **COMMISSIONS_EN,
    "sheet_po": "Purchase order",
    "sheet_po_categories": "By category",
    "sheet_matrix": "Sorting matrix",
    "sheet_pick_lists": "Pick lists",
    "sheet_handout": "Handout",
    "sheet_figures": "Run figures",
    "sheet_suppliers": "Suppliers",
    "sheet_below_minimum": "Below minimum",
    "sheet_groups_not_formed": "Groups not formed",
    "sheet_top_skus": "Top SKUs",
    "sheet_categories": "Sales by category",
    "sheet_rejects": "Rejected rows",
    "po_title": "{platform} purchase order",
    "matrix_title": "Sorting sheet · route {route}",
    "pick_title": "Pick lists · route {route}",
    "matrix_block": "stops {first}-{last} of {stops}",
    "handout_title": "{platform} handout list",
    "summary_title": "Cutoff summary · {run}",
    "chart_title": "Net sales by category (yuan)",
    "po_number": "PO number",
    "supplier": "Supplier",
    "ship_to": "Deliver to",
    "platform": "Platform",
    "run": "Cutoff",
    "cutoff_at": "Cutoff time",
    "window": "Order window",
    "delivery_window": "Delivery window",
    "generated_at": "Generated at",
    "route": "Route",
    "stops": "Stops",
    "cutoff_date": "Date",
    "pickup_point": "Pickup point",
    "address": "Address",
    "leader": "Team leader",
    "stop": "Stop {seq}",
    "calendar_nightly": "nightly",
    "calendar_weekly": "weekly presale",
    "total_items": "Today's orders: {n} items",
    "customers_count": "{n} customers",
    "below_minimum_note": "Note: this order ({amount}) is below the supplier's minimum order ({minimum}).",
    "pick_heading": "{stop} · {point} {name} · leader {leader} · {n} items",
    "pick_heading_part": "{heading} (continued, page {part} of {parts})",
    "stop_total": "{stop} total",
    "page_subtotal": "This page",
    "block_total": "Stops\n{first}-{last}",
    "route_total": "Route total\n({stops} stops)",
    "sheet_route_totals": "Route totals",
    "sku": "SKU",
    "name": "Name",
    "spec": "Spec",
    "unit": "Unit",
    "units_ordered": "Units ordered",
    "case_pack": "Case pack",
    "cases": "Cases",
    "units_to_deliver": "Units to deliver",
    "unit_cost": "Unit cost",
    "amount": "Amount",
    "category": "Category",
    "sku_count": "SKUs",
    "units": "Units",
    "total": "Total",
    "seq": "No.",
    "phone_tail": "Phone tail",
    "customer": "Customer",
    "building": "Building",
    "room": "Room",
    "order_id": "Order",
    "item": "Item",
    "signed": "Collected",
    "pickup_code": "Pickup code",
    "figure": "Figure",
    "value": "Value",
    "supplier_id": "Supplier id",
    "supplier_name": "Supplier",
    "po_amount": "PO amount",
    "minimum": "Minimum",
    "shortfall": "Shortfall",
    "below_minimum": "Below minimum",
    "email_status": "Email",
    "file": "File",
    "listing": "Listing",
    "group_point": "Group pickup point",
    "min_qty": "Min units",
    "participants": "Participants",
    "lowest_threshold": "Min participants",
    "units_allocated": "Units allocated",
    "net_sales": "Net sales",
    "source_file": "File",
    "row_number": "Row",
    "reason": "Reason",
    "raw": "Raw row",
    "yes": "yes",
    "no": "no",
    "all_points": "all pickup points",
    "fig_listings_closed": "Listings closed",
    "fig_groups_not_formed": "Groups not formed",
    "fig_lines_eligible": "Order lines eligible",
    "fig_lines_allocated": "Order lines allocated",
    "fig_lines_cut": "Order lines cut",
    "fig_lines_rejected": "Rows rejected",
    "fig_units_ordered": "Units ordered",
    "fig_units_allocated": "Units allocated",
    "fig_units_purchased": "Units purchased",
    "fig_units_surplus": "Surplus units",
    "fig_fen_paid": "Paid",
    "fig_fen_net": "Net sales",
    "fig_fen_refund": "Refunds owed",
    "fig_fen_forfeit": "Deposits forfeited",
    "fig_fen_purchase_cost": "Purchase cost",
    "fig_commission_leader": "Leader commission",
    "fig_commission_dist_l1": "Distributor commission, level 1",
    "fig_commission_dist_l2": "Distributor commission, level 2",
    "fig_commission_clawback": "Commission clawback",
    "fig_suppliers": "Suppliers",
    "fig_warnings": "Warnings",
    "none": "none",
    "print_first": "{rows} rows: only the first {shown} print; to print them all or the rows a filter shows, choose "
                   "\"ignore print area\" when printing.",
    "note_fig_listings_closed": "listings this cutoff closed", "note_fig_groups_not_formed": "see Groups not formed",
    "note_fig_lines_eligible": "paid order lines of this cutoff", "note_fig_lines_allocated": "lines that got units",
    "note_fig_lines_cut": "lines cut (stock, group not formed)", "note_fig_lines_rejected": "see Rejected rows",
    "note_fig_units_ordered": "units customers ordered", "note_fig_units_allocated": "units customers get",
    "note_fig_units_purchased": "in whole supplier cases", "note_fig_units_surplus": "bought to fill a case",
    "note_fig_fen_paid": "paid by customers", "note_fig_fen_net": "paid less refunds owed",
    "note_fig_fen_refund": "cut lines and tier prices",
    "note_fig_fen_forfeit": "deposits kept: balance not paid", "note_fig_fen_purchase_cost": "units purchased at cost",
    "note_fig_commission_leader": "see commissions.xlsx", "note_fig_commission_dist_l1": "see commissions.xlsx",
    "note_fig_commission_dist_l2": "see commissions.xlsx", "note_fig_commission_clawback": "clawed back for refunds",
    "sheet_warnings": "Warnings", "overview_figures": "Figures", "overview_todo": "To look at", "detail": "Details",
    "see_sheet": "see sheet {sheet}", "kind": "Kind", "units_short": "Units short",
    "participants_short": "Participants short",
    "todo_email_failed": "Purchase orders not emailed", "todo_no_address": "Suppliers without an email address",
    "warn_warehouse_address_missing": "No warehouse address", "warn_inbox_not_ready": "Order export not ready",
    "warn_empty_cutoff": "No order lines", "warn_email_failed": "Email failed",
    "warn_pool_stale": "Pool: rerun later cutoffs",
    "warn_export_amount_mismatch": "Export: order amount differs",
    "warn_export_order_number": "Export: order number edited",
    "warn_export_summary_mismatch": "Export: summary sheet differs", "warn_export_cancelled": "Export: cancelled",
    "msg_warehouse_address_missing": "CUTOFF_WAREHOUSE_ADDRESS is not set: the purchase orders print an empty "
                                     "delivery address. Set it for cutoff serve (or in cutoff.toml) and run the "
                                     "cutoff again: the suppliers get a revised purchase order.",
    "email_sent": "sent", "email_revised": "revision sent", "email_unchanged": "unchanged, not sent again",
    "email_outbox": "in the outbox", "email_no_address": "no email address", "email_failed": "failed",
}

LABELS = {"zh": ZH, "en": EN}


def labels_for(lang: str) -> dict[str, str]:
    """The label dictionary of `lang` (`zh` or `en`)."""
    try:
        return LABELS[lang]
    except KeyError:
        raise ValueError(f"unknown sheet language {lang!r}: use zh or en") from None


def local_text(instant: datetime, timezone: str) -> str:
    """'2026-11-21 20:00' in the business time zone; midnight ending a day reads '24:00' of it."""
    local = instant.astimezone(ZoneInfo(timezone))
    if local.time() == time(0, 0):
        return f"{(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class BookContext:
    """What every workbook of a run prints besides its rows (plain values: it goes to workers)."""

    lang: str
    platform_name: str
    warehouse_address: str
    calendar: str
    cutoff_date: date
    cutoff_at: str       # the cutoff instant, business time
    window: str          # the order window, business time
    generated_at: str    # when the sheets were made (printed on purchase orders only)
    created: datetime    # the cutoff instant, naive UTC: the files' creation time

    @property
    def labels(self) -> dict[str, str]:
        return labels_for(self.lang)

    @property
    def run(self) -> str:
        """'每日 2026-11-21' / 'nightly 2026-11-21'."""
        return f"{self.labels.get('calendar_' + self.calendar, self.calendar)} {self.cutoff_date.isoformat()}"

    @classmethod
    def for_run(cls, window, lang: str, platform_name: str, warehouse_address: str,
                generated_at: datetime) -> BookContext:
        labels_for(lang)  # refuse an unknown language before any file is written
        tz = window.timezone
        return cls(lang=lang, platform_name=platform_name, warehouse_address=warehouse_address,
                   calendar=window.calendar, cutoff_date=window.cutoff_date,
                   cutoff_at=local_text(window.end, tz),
                   window=f"{local_text(window.start, tz)} ~ {local_text(window.end, tz)}",
                   generated_at=(generated_at.astimezone(ZoneInfo(tz)) if generated_at.tzinfo
                                 else generated_at).strftime("%Y-%m-%d %H:%M:%S"),
                   created=window.end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None))
