"""An export order's money, once each line has its price (docs/platform-exports.md, "Money").

- A line's amount is its 商品金额 (数量 x 单价); its unit price is that / 数量, whole fen (checked
  when the row is read). A line without a price in the file takes its listing's.
- 优惠 is spread over the order's lines in proportion to their amounts, by largest remainder, to
  the fen; 运费 is not a product line. Each line's share of 优惠 becomes a refund row (reason 优惠,
  id `<order>-<line>-D`) at the order's time: the customer paid the amount less the discount, and
  the commission is earned on what was paid.
- 退款金额 is spread over the lines the same way, after 优惠, each share at most what the line
  cost after its discount (a refunded 运费 above that is no product's): refund rows (reason 退款,
  id `<order>-<line>-R`) at the 退款时间, else the order's time.
- 订单金额 that differs from the lines' sum less 优惠 plus 运费 (an export edited by hand) is a
  warning `export_amount_mismatch:`; the lines still count as read.
"""

from __future__ import annotations

from transforms.money import fen_to_yuan_text


def spread(total: int, weights: list[int]) -> list[int]:
    """`total` fen over `weights` in proportion, by largest remainder: the floors first, then one
    fen each to the largest remainders (the earlier line on a tie). Zero weights all: equal parts."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


def spread_capped(total: int, caps: list[int]) -> list[int]:
    """`total` spread in proportion to `caps`, never above a cap: what exceeds their sum is left."""
    return spread(min(total, sum(caps)), caps)


def line_shares(amounts: list[int], discount: int, refund: int) -> tuple[list[int], list[int]]:
    """Each line's share of the order's 优惠 and of its 退款金额 (see the module's rules)."""
    discounts = spread_capped(discount, amounts)
    paid = [a - d for a, d in zip(amounts, discounts, strict=True)]
    return discounts, spread_capped(refund, paid)


def amount_mismatch(order_amount: int, amounts: list[int], discount: int, shipping: int) -> str | None:
    """None when 订单金额 = lines - 优惠 + 运费; else the two amounts, for the warning."""
    expected = sum(amounts) - discount + shipping
    if expected == order_amount:
        return None
    return (f"订单金额 {fen_to_yuan_text(order_amount)}, lines {fen_to_yuan_text(sum(amounts))} less 优惠 "
            f"{fen_to_yuan_text(discount)} plus 运费 {fen_to_yuan_text(shipping)} = {fen_to_yuan_text(expected)}")
