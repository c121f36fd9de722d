"""The words of commissions.xlsx (sheets/commissions_book.py) and of the ledger's roles and entry
types (schemas/commission_ledger.py), in both languages; part of sheets/labels.py's dictionaries."""

COMMISSIONS_ZH = {
    "commissions_title": "佣金 · {run}",
    "commissions_totals": "汇总",
    "commissions_detail": "明细",
    "commissions_by_type": "按角色与类型",
    "commissions_detail_elsewhere": "本次共 {entries} 条佣金明细,超过表内上限 {limit} 条:明细见同目录 {file}",
    "commissions_detail_printed": "本表共 {entries} 条明细，供筛选查找；打印只打印前 {shown} 条"
                                  "（要全部打印，在打印设置里选“忽略打印区域”）。每一条也在同目录 {file}。",
    "commissions_total": "合计",
    "commissions_role": "角色",
    "commissions_beneficiary": "受益人",
    "commissions_name": "名称",
    "commissions_entries": "笔数",
    "commissions_amount": "金额",
    "commissions_type": "类型",
    "commissions_order": "订单号",
    "commissions_line": "行号",
    "commissions_refund": "退款单号",
    "commissions_base": "基数",
    "commissions_rate": "费率(bp)",
    "commissions_dated": "记账日期",
    "commissions_week": "结算周",
    "commissions_entry_id": "条目号",
    "commissions_calendar_nightly": "每日",
    "commissions_calendar_weekly": "每周预售",
    # the ledger's roles and entry types (schemas/commission_ledger.py)
    "role_leader": "团长",
    "role_dist_l1": "一级分销",
    "role_dist_l2": "二级分销",
    "entry_accrual": "佣金",
    "entry_clawback": "退款扣回",
    "entry_adjustment": "调整",
}

COMMISSIONS_EN = {
    "commissions_title": "Commissions · {run}",
    "commissions_totals": "totals",
    "commissions_detail": "entries",
    "commissions_by_type": "by role and type",
    "commissions_detail_elsewhere": "{entries} entries, more than the {limit} shown here: every entry is in {file} "
                                    "in this folder",
    "commissions_detail_printed": "{entries} entries, to filter and look up: only the first {shown} print (to print "
                                  "them all, choose \"ignore print area\" when printing). Every entry is also in "
                                  "{file} in this folder.",
    "commissions_total": "total",
    "commissions_role": "role",
    "commissions_beneficiary": "beneficiary",
    "commissions_name": "name",
    "commissions_entries": "entries",
    "commissions_amount": "amount",
    "commissions_type": "type",
    "commissions_order": "order",
    "commissions_line": "line",
    "commissions_refund": "refund",
    "commissions_base": "base",
    "commissions_rate": "rate (bp)",
    "commissions_dated": "dated",
    "commissions_week": "week",
    "commissions_entry_id": "entry id",
    "commissions_calendar_nightly": "nightly",
    "commissions_calendar_weekly": "weekly",  # the run sheets say "weekly presale"
    "role_leader": "leader",
    "role_dist_l1": "distributor L1",
    "role_dist_l2": "distributor L2",
    "entry_accrual": "accrual",
    "entry_clawback": "clawback",
    "entry_adjustment": "adjustment",
}
