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
