"""The product review (选品, transforms/product_review.py): the figures to the fen and the basis point,
the ranking, the products to reconsider and the stars."""

from __future__ import annotations

import polars as pl
import pytest

from transforms import product_review as r


def test_rates_are_basis_points_rounded_half_to_even():
    frame = pl.DataFrame({"n": [1, 1, 1, 0, 5, 3], "d": [3, 20000, 60000, 7, 0, 3]})
    # 1/3 = 3333.33 -> 3333; 1/20000 = 0.5 -> 0 (even); 1/60000 = 0.1667 -> 0; 0; 5/0 -> null; 3/3 = 10000
    assert frame.select(r.rate_bp(pl.col("n"), pl.col("d"))).to_series().to_list() == [3333, 0, 0, 0, None, 10000]
    halves = pl.DataFrame({"n": [3, 1], "d": [20000, 20000]})  # 1.5 -> 2, 0.5 -> 0
    assert halves.select(r.rate_bp(pl.col("n"), pl.col("d"))).to_series().to_list() == [2, 0]


def sku_frames(rows: list[dict]) -> dict[str, pl.DataFrame]:
    frame = pl.DataFrame(rows)
    return {"sales": frame.select("sku_id", "units", "gmv_fen", "cutoffs"),
            "customers": frame.select("sku_id", "customers", "repeat_customers"),
            "purchases": frame.select("sku_id", "cost_fen"),
            "groups": frame.select("sku_id", "groups", "formed"),
            "losses": frame.select("sku_id", "units_purchased", "lost_units")}


def base(sku: str, **changes) -> dict:
    row = {"sku_id": sku, "units": 100, "gmv_fen": 100_000, "cutoffs": 7, "customers": 50, "repeat_customers": 10,
           "cost_fen": 70_000, "groups": 7, "formed": 7, "units_purchased": 100, "lost_units": 5}
    return {**row, **changes}


def review(rows: list[dict]) -> dict[str, dict]:
    frames = sku_frames(rows)
    got = r.review_products(frames["sales"], frames["customers"], frames["purchases"], frames["groups"],
                            frames["losses"])
    return {row["sku_id"]: row for row in got.iter_rows(named=True)}


def test_each_figure_of_a_product():
    got = review([base("A", gmv_fen=123_457, cost_fen=100_000, formed=6, repeat_customers=13, lost_units=7)])["A"]
    assert (got["margin_fen"], got["margin_rate_bp"]) == (23_457, 1900)  # 23457 / 123457 = 0.19000 -> 1900 bp
    assert got["formation_rate_bp"] == 8571  # 6 / 7
    assert got["repeat_rate_bp"] == 2600     # 13 / 50
    assert got["loss_rate_bp"] == 700        # 7 / 100
    assert got["rank"] == 1


def test_ranked_by_margin_then_units():
    got = review([base("A", cost_fen=90_000), base("B", cost_fen=50_000), base("C", cost_fen=90_000, units=120)])
    assert sorted(got, key=lambda sku: got[sku]["rank"]) == ["B", "C", "A"]


@pytest.mark.parametrize("changes, reason", [
    ({"cost_fen": 100_000}, "margin"),            # no margin
    ({"formed": 3}, "formation"),                 # 3 of 7 groups formed
    ({"lost_units": 16}, "loss"),                 # 16% lost
])
def test_a_product_to_reconsider_says_why(changes, reason):
    others = [base(f"X{i}") for i in range(4)]
    got = review([base("A", **changes), *others])["A"]
    assert got["flag"] == "reconsider" and reason in got["reasons"]


def test_the_boundaries_are_not_flagged():
    others = [base(f"X{i}", units=200) for i in range(4)]  # A is no star either: it sells least
    got = review([base("A", formed=7, groups=14, lost_units=15, cost_fen=99_999), *others])["A"]
    assert got["flag"] is None and got["reasons"] == []  # exactly half formed, exactly 15% lost, 1 fen of margin


def test_stars_sell_most_and_keep_their_customers():
    rows = [base("TOP", units=1000, repeat_customers=30), base("POPULAR", units=900, repeat_customers=1),
            *[base(f"X{i}", units=100 + i) for i in range(8)]]
    got = review(rows)
    assert got["TOP"]["flag"] == "star" and got["TOP"]["reasons"] == ["star"]
    assert got["POPULAR"]["flag"] is None  # in the top fifth by units, but its customers do not come back


def test_a_slow_product_nobody_buys_again_is_to_reconsider():
    rows = [base("SLOW", units=3, repeat_customers=0), *[base(f"X{i}", units=100 + i, repeat_customers=5 + i)
                                                        for i in range(9)]]
    assert review(rows)["SLOW"]["reasons"] == ["slow"]


def test_sku_losses_add_surplus_damaged_and_unpicked():
    lines = pl.DataFrame({"sku_id": ["A", "A"], "units_purchased": [10, 20], "surplus_units": [1, 0],
                          "damaged_units": [0, 2], "unpicked_units": [3, 1], "over_units": [5, 0],
                          "short_units": [0, 4]})
    assert r.sku_losses(lines).row(0, named=True) == {"sku_id": "A", "units_purchased": 30, "lost_units": 7}


def test_review_totals():
    got = r.review_totals(pl.DataFrame({"flag": ["star", None, "reconsider", "reconsider"]}))
    assert got == {"skus": 4, "stars": 1, "reconsider": 2}


def test_a_product_the_other_figures_do_not_name_counts_zero_of_them():
    frames = sku_frames([base("A"), base("B", units=120, gmv_fen=40_000)])  # B sells most
    got = r.review_products(*[frames[k].filter(pl.col("sku_id") == "A") if k != "sales" else frames[k]
                              for k in ("sales", "customers", "purchases", "groups", "losses")])
    row = got.filter(pl.col("sku_id") == "B").row(0, named=True)
    assert {k: row[k] for k in ("units", "gmv_fen", "cost_fen", "margin_fen", "margin_rate_bp", "groups",
                                "formation_rate_bp", "customers", "repeat_rate_bp", "units_purchased", "lost_units",
                                "loss_rate_bp")} == {
        "units": 120, "gmv_fen": 40_000, "cost_fen": 0, "margin_fen": 40_000, "margin_rate_bp": 10_000, "groups": 0,
        "formation_rate_bp": None, "customers": 0, "repeat_rate_bp": None, "units_purchased": 0, "lost_units": 0,
        "loss_rate_bp": None}
    assert (row["flag"], row["reasons"]) == (None, [])  # no figure, no flag: neither a star nor to reconsider


def test_the_top_and_bottom_fifth_of_ten_are_two_products_each():
    rows = [base(f"X{i}", units=100 + i, repeat_customers=10) for i in range(10)]  # X9 sells most, X0 least
    rows[2] = base("X2", units=102, repeat_customers=0)  # eighth by units: not in the bottom fifth
    got = review(rows)
    assert [sku for sku in sorted(got) if got[sku]["flag"] == "star"] == ["X8", "X9"]
    assert got["X2"]["reasons"] == []
    same = review([base(f"Y{i}") for i in range(10)])  # ten that sell alike: still two in the top fifth
    assert sum(row["flag"] == "star" for row in same.values()) == 2


def test_a_half_rounds_to_the_even_basis_point_and_a_rate_of_one():
    frame = pl.DataFrame({"n": [7, 9, 1], "d": [20000, 20000, 1]})  # 3.5 -> 4, 4.5 -> 4, 1/1
    assert frame.select(r.rate_bp(pl.col("n"), pl.col("d"))).to_series().to_list() == [4, 4, 10_000]


def test_products_alike_in_margin_and_units_are_ranked_by_sku():
    got = review([base("C"), base("A"), base("B")])
    assert sorted(got, key=lambda sku: got[sku]["rank"]) == ["A", "B", "C"]
