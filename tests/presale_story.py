"""The rulebook's presale worked example ("Worked example (seed 001, scaled down: the mid-autumn
mooncake, 流心奶黄月)"), defined once for all tests.

Pool MOON: 40 boxes of SKU1 流心奶黄月礼盒. Week 1 is Monday 2026-11-16 .. Sunday 2026-11-22.
- GRP: nightly group buy, tiers 3:32800|10:30800, closes Thursday 2026-11-19 20:00 (the earliest turn).
- PRE: weekly presale, deposit 5000, price 29800, reserve 6, closes Sunday 2026-11-22 24:00.
- EXC: nightly buyers' group of PRE, price 28800, closes Monday 2026-11-23 20:00 (the latest turn).
"""

POOL = "MOON"
POOL_UNITS = 40
SKU = "SKU1"
GRP_DATE, PRE_DATE, EXC_DATE = "2026-11-19", "2026-11-22", "2026-11-23"

GRP = dict(listing_id="GRP", calendar="nightly", opens_at="2026-11-18 20:00", closes_at="2026-11-19 20:00",
           unit_price_fen=32800, tiers="3:32800|10:30800", pool_id=POOL)
PRE = dict(listing_id="PRE", calendar="weekly", opens_at="2026-11-16 00:00", closes_at="2026-11-23 00:00",
           unit_price_fen=29800, deposit_fen=5000, deposit_closes_at="2026-11-20 20:00", pool_id=POOL,
           pool_reserve=6)
EXC = dict(listing_id="EXC", calendar="nightly", opens_at="2026-11-22 20:00", closes_at="2026-11-23 20:00",
           unit_price_fen=28800, audience_listing_id="PRE", pool_id=POOL)

# (order_id, customer_id, qty, local time, status)
GRP_ORDERS = [("g1", "c1", 5, "2026-11-19 09:00", "paid"), ("g2", "c2", 5, "2026-11-19 09:01", "paid"),
              ("g3", "c3", 5, "2026-11-19 09:02", "paid"), ("g4", "c4", 5, "2026-11-19 09:03", "paid"),
              ("g5", "c5", 4, "2026-11-19 09:04", "paid"), ("g6", "c6", 3, "2026-11-19 09:05", "paid")]
PRE_ORDERS = [("r1", "p1", 2, "2026-11-17 10:00", "paid"), ("r2", "p2", 3, "2026-11-17 10:01", "deposit_paid"),
              ("r3", "p3", 4, "2026-11-17 10:02", "paid"), ("r4", "p4", 1, "2026-11-17 10:03", "paid")]
EXC_ORDERS = [("e1", "p1", 2, "2026-11-23 09:00", "paid"), ("e2", "x9", 1, "2026-11-23 09:01", "paid"),
              ("e3", "p2", 3, "2026-11-23 09:02", "paid"), ("e4", "p4", 3, "2026-11-23 09:03", "paid")]

# what the rulebook says each turn decides
GRP_ALLOCATED = 27
GRP_SHARED_LEFT = 34          # 40 - 6 (PRE's reserve)
PRE_SHARED_LEFT = 7           # 40 - 27 - 0 - 6
PRE_ALLOCATED = 7
PRE_PAID_FEN = 223600         # 59600 + 15000 + 119200 + 29800
PRE_NET_FEN = 208600
PRE_FORFEIT_FEN = 15000       # p2's deposit: 3 x 5000
EXC_SHARED_LEFT = 6           # 40 - 27 - 7
EXC_ALLOCATED = {"e1": 2, "e2": 0, "e3": 3, "e4": 1}
EXC_REFUNDS = {"e2": 28800, "e4": 57600}
EXC_REASONS = {"e2": "not_in_audience", "e4": "out_of_stock"}
