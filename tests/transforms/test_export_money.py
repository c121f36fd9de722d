"""An export order's money: 优惠 and 退款金额 spread over its lines by largest remainder, to the
fen; the 订单金额 check (transforms/export_money.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.export_money import amount_mismatch, line_shares, spread, spread_capped


@pytest.mark.parametrize("total, weights, expected", [
    (301, [9600, 2990, 3990], [174, 54, 73]),   # 174.27, 54.28, 72.45: the last fen to the largest remainder
    (100, [1, 1, 1], [34, 33, 33]),             # a tie: the earlier line
    (2, [1, 1, 1], [1, 1, 0]),
    (10, [0, 0], [5, 5]),                       # no amounts: equal parts
    (0, [5, 5], [0, 0]), (-3, [5], [0]), (7, [], []), (7, [10], [7]), (5, [0, 10], [0, 5]),
    (1, [3, 5], [0, 1]),                        # a single fen goes to the larger remainder
    (10, [0, 1], [0, 10])])                     # a 1-fen line takes it all, the free line none
def test_an_amount_is_spread_by_largest_remainder(total, weights, expected):
    assert spread(total, weights) == expected


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=30))
def test_a_spread_adds_up_and_each_share_is_within_a_fen_of_its_proportion(total, weights):
    shares = spread(total, weights)
    assert sum(shares) == total
    whole = sum(weights) or len(weights)
    for share, weight in zip(shares, weights or [], strict=True):
        exact = total * (weight if sum(weights) else 1) / whole
        assert exact - 1 < share < exact + 1


def test_a_refund_beyond_the_lines_is_not_spread():
    assert spread_capped(1500, [1000, 200]) == [1000, 200]
    assert spread_capped(600, [1000, 200]) == [500, 100]


def test_the_discount_first_then_the_refund_of_what_was_paid():
    discounts, refunds = line_shares([9600, 2990, 3990], 301, 0)
    assert (discounts, refunds) == ([174, 54, 73], [0, 0, 0])
    discounts, refunds = line_shares([1000, 1000], 200, 2000)  # a refund of everything: what was paid
    assert (discounts, refunds) == ([100, 100], [900, 900])
    assert line_shares([1000, 3000], 0, 400) == ([0, 0], [100, 300])


def test_the_order_amount_is_checked_against_its_lines():
    assert amount_mismatch(16779, [9600, 2990, 3990], 301, 500) is None
    assert amount_mismatch(16879, [9600, 2990, 3990], 301, 500) == (
        "订单金额 168.79, lines 165.80 less 优惠 3.01 plus 运费 5.00 = 167.79")
    assert amount_mismatch(0, [], 0, 0) is None
