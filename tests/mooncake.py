"""The rulebook's worked example (domain.md, "Worked example (mooncake group buy)"), defined once for
all tests: listing L1 of SKU1 流心奶黄月礼盒 at 32800 fen, tiers 3:32800|10:30800, stock cap 12,
platform scope; paid lines in time order A 2, B 5, C 1, D 4, then E 3 (customer A again).

tests/builders.py makes typed frames of it for the rules; tests/datasets.py makes it a data dir in
the contract's format (with names, phone tails, pickup points and a distributor of its own)."""

SKU = "SKU1"
SKU_NAME = "流心奶黄月礼盒"
PRICE_FEN = 32800
TIERS = "3:32800|10:30800"
STOCK_CAP = 12
DAY = "2026-11-21"
ORDERS = (  # order_id, customer_id, qty, local time on DAY (Asia/Shanghai)
    ("A", "cA", 2, "09:00"),
    ("B", "cB", 5, "09:01"),
    ("C", "cC", 1, "09:02"),
    ("D", "cD", 4, "09:03"),
    ("E", "cA", 3, "09:04"),
)

# The rulebook's goods-in example ("Worked example (mooncake, continued)"): the supplier delivers
# 11 boxes, 1 damaged, against a purchase order of 3 cases of 4 (12 purchased, 12 allocated) at
# 200.00 a box; the bakery category's leaders earn 1000 bp.
CASE_PACK = 4
COST_FEN = 20000
RECEIVED = 11
DAMAGED = 1
LEADER_BP = 1000
# what it gives: 2 short, taken from D (the latest allocated line, 4 boxes); its refund and clawback
SHORT_UNITS = 2
SHORT_REFUND_FEN = 2 * PRICE_FEN  # 65600
D_NET_FEN = 4 * PRICE_FEN         # 131200
PAYABLE_FEN = 10 * COST_FEN       # 200000
D_LEADER_ACCRUAL_FEN = 13120
D_LEADER_CLAWBACK_FEN = -6560
