"""The words of national.xlsx (`cutoff national`), in Chinese (default) and English, beside
sheets/labels.py (the regional workbooks' words): the same keys in both languages."""

from __future__ import annotations

ZH = {
    "title": "全国汇总 · {run}",
    "sheet_regions": "各区域",
    "sheet_suppliers": "供应商汇总",
    "sheet_categories": "分类汇总",
    "chart_regions": "各区域净销售额（元）",
    "chart_categories": "各分类净销售额（元）",
    "run": "截单批次",
    "regions_count": "区域",
    "regions_count_value": "{total} 个（完成 {completed}，未完成 {failed}）",
    "failed_note": "未完成：{region}（{reason}）",
    "rerun_note": "重跑未完成的区域：cutoff national --only {regions}（其余区域不重跑）",
    "region": "区域",
    "status": "状态",
    "status_completed": "完成",
    "status_failed": "未完成",
    "reason": "原因",
    "lines_eligible": "订单行",
    "lines_allocated": "成交行",
    "lines_cut": "砍单行",
    "lines_rejected": "拒收行",
    "units_ordered": "订购件数",
    "units_allocated": "成交件数",
    "units_purchased": "采购件数",
    "units_surplus": "余量件数",
    "fen_paid": "实付",
    "fen_net": "净销售额",
    "fen_refund": "应退",
    "fen_purchase_cost": "采购成本",
    "fen_commission": "佣金合计",
    "supplier_id": "供应商编码",
    "supplier_name": "供应商",
    "regions": "区域",
    "purchase_orders": "采购单数",
    "below_minimum": "未达起订额",
    "po_amount": "采购金额",
    "category": "分类",
    "units": "成交件数",
    "net_sales": "净销售额",
    "total": "合计",
    "calendar_nightly": "每日",
    "calendar_weekly": "每周预售",
}

EN = {
    "title": "National roll-up · {run}",
    "sheet_regions": "Regions",
    "sheet_suppliers": "Suppliers",
    "sheet_categories": "Categories",
    "chart_regions": "Net sales by region (yuan)",
    "chart_categories": "Net sales by category (yuan)",
    "run": "Cutoff",
    "regions_count": "Regions",
    "regions_count_value": "{total} ({completed} completed, {failed} not completed)",
    "failed_note": "Not completed: {region} ({reason})",
    "rerun_note": "Rerun the regions not completed: cutoff national --only {regions} (the others are not rerun)",
    "region": "Region",
    "status": "Status",
    "status_completed": "completed",
    "status_failed": "not completed",
    "reason": "Reason",
    "lines_eligible": "Order lines",
    "lines_allocated": "Lines allocated",
    "lines_cut": "Lines cut",
    "lines_rejected": "Lines rejected",
    "units_ordered": "Units ordered",
    "units_allocated": "Units allocated",
    "units_purchased": "Units purchased",
    "units_surplus": "Units surplus",
    "fen_paid": "Paid",
    "fen_net": "Net sales",
    "fen_refund": "Refunds owed",
    "fen_purchase_cost": "Purchase cost",
    "fen_commission": "Commission",
    "supplier_id": "Supplier ID",
    "supplier_name": "Supplier",
    "regions": "Regions",
    "purchase_orders": "Purchase orders",
    "below_minimum": "Below minimum",
    "po_amount": "PO amount",
    "category": "Category",
    "units": "Units allocated",
    "net_sales": "Net sales",
    "total": "Total",
    "calendar_nightly": "nightly",
    "calendar_weekly": "weekly presale",
}

LABELS = {"zh": ZH, "en": EN}


def national_labels(lang: str) -> dict[str, str]:
    """The words of national.xlsx in `lang` (`zh` or `en`)."""
    try:
        return LABELS[lang]
    except KeyError:
        raise ValueError(f"unknown sheet language {lang!r}: use zh or en") from None
