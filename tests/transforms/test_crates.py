"""Crates: one storage kind a crate, filled in pick order to the capacity; every unit in exactly
one crate, the counts per point ceil(units / capacity) per kind, numbered 1..n over the kinds."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.crates import CRATE_COLUMNS, fill_crates, prepare_crates, units_by_storage

PRODUCTS = pl.DataFrame({"sku_id": ["A", "B", "C", "D"], "category": ["水果", "蔬菜", "冻品", "乳品"]})
CATEGORIES = pl.DataFrame({"category": ["水果", "蔬菜", "冻品", "乳品"], "storage": [None, "常温", "冷冻", "冷藏"]})
POINTS = pl.DataFrame({"pickup_point_id": ["P1", "P2"], "route_id": ["R1", "R1"], "route_seq": [2, 1],
                       "name": ["幸福小区", "阳光花园"], "leader_name": ["王芳", "李娜"],
                       "leader_phone": ["13800000000", None]})


def units(rows):
    return pl.DataFrame(rows, schema={"pickup_point_id": pl.String, "sku_id": pl.String, "units": pl.Int64},
                        orient="row")


def test_the_worked_example():
    crates = prepare_crates(units([("P1", "A", 40), ("P1", "B", 25), ("P1", "C", 7), ("P1", "D", 3), ("P2", "A", 3)]),
                            POINTS, PRODUCTS, CATEGORIES, 30)
    assert crates.columns == CRATE_COLUMNS
    assert crates.select("pickup_point_id", "crate_no", "crates", "storage", "units", "contents").rows() == [
        ("P2", 1, 1, "常温", 3, "水果 3"),  # stop 1 first
        ("P1", 1, 5, "常温", 30, "水果 30"),
        ("P1", 2, 5, "常温", 30, "水果 10 · 蔬菜 20"),
        ("P1", 3, 5, "常温", 5, "蔬菜 5"),
        ("P1", 4, 5, "冷藏", 3, "乳品 3"),
        ("P1", 5, 5, "冷冻", 7, "冻品 7"),
    ]
    assert crates.filter(pl.col("pickup_point_id") == "P1").row(0, named=True)["leader_phone"] == "13800000000"


def test_without_a_storage_column_everything_is_ambient():
    crates = prepare_crates(units([("P1", "C", 31)]), POINTS, PRODUCTS, CATEGORIES.drop("storage"), 30)
    assert crates.select("storage", "units").rows() == [("常温", 30), ("常温", 1)]


def test_a_crate_holds_at_least_one_unit():
    with pytest.raises(ValueError):
        fill_crates(units_by_storage(units([("P1", "A", 1)]), PRODUCTS, CATEGORIES), 0)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["P1", "P2"]), st.sampled_from(["A", "B", "C", "D"]),
                               st.integers(1, 200)), min_size=1, max_size=12),
       capacity=st.integers(1, 50))
def test_every_unit_is_in_one_crate_and_the_counts_follow_from_the_units(rows, capacity):
    given_units = units(rows)
    crates = prepare_crates(given_units, POINTS, PRODUCTS, CATEGORIES, capacity)
    assert crates["units"].sum() == given_units["units"].sum()
    assert crates["units"].max() <= capacity and crates["units"].min() >= 1
    by_kind = units_by_storage(given_units, PRODUCTS, CATEGORIES).group_by("pickup_point_id", "storage").agg(
        pl.col("units").sum())
    expected = {p: sum(-(-u // capacity) for q, _, u in by_kind.rows() if q == p) for p in ("P1", "P2")}
    for point, frame in crates.partition_by("pickup_point_id", as_dict=True).items():
        assert frame["crate_no"].to_list() == list(range(1, frame.height + 1))
        assert set(frame["crates"]) == {frame.height} == {expected[point[0]]}
        # a crate's contents add up to its units
        assert all(sum(int(part.rsplit(" ", 1)[1]) for part in c.split(" · ")) == u
                   for c, u in frame.select("contents", "units").rows())


def test_crates_are_numbered_in_pick_order_at_each_point():
    rows = [("P1", "A", 4), ("P1", "B", 3), ("P2", "A", 2), ("P2", "B", 5), ("P1", "C", 2), ("P2", "D", 1)]
    crates = prepare_crates(units(rows), POINTS, PRODUCTS, CATEGORIES, 2)
    assert crates.select("pickup_point_id", "crate_no", "crates", "storage", "contents").rows() == [
        ("P2", 1, 5, "常温", "水果 2"), ("P2", 2, 5, "常温", "蔬菜 2"), ("P2", 3, 5, "常温", "蔬菜 2"),
        ("P2", 4, 5, "常温", "蔬菜 1"), ("P2", 5, 5, "冷藏", "乳品 1"),
        ("P1", 1, 5, "常温", "水果 2"), ("P1", 2, 5, "常温", "水果 2"), ("P1", 3, 5, "常温", "蔬菜 2"),
        ("P1", 4, 5, "常温", "蔬菜 1"), ("P1", 5, 5, "冷冻", "冻品 2")]


def test_a_point_fills_its_crates_category_by_category_and_in_route_order():
    products = pl.DataFrame({"sku_id": list("UVWXYZ"), "category": ["c1", "c2", "c3", "c4", "c5", "c6"]})
    categories = pl.DataFrame({"category": ["c1", "c2", "c3", "c4", "c5", "c6"], "storage": [None] * 6})
    points = pl.DataFrame({"pickup_point_id": ["P1", "P2", "P3"], "route_id": ["R2", "R1", "R1"],
                           "route_seq": [1, 2, 3], "name": ["a", "b", "c"], "leader_name": ["x", "y", "z"],
                           "leader_phone": [None] * 3})
    rows = [("P1", sku, 1) for sku in reversed("UVWXYZ")] + [("P2", "U", 1), ("P3", "U", 1),
                                                            ("P2", "V", 0)]  # no units of c2 at P2: no crate
    crates = prepare_crates(units(rows), points, products, categories, 1)
    assert crates.select("route_id", "pickup_point_id", "crate_no", "contents").rows() == [
        ("R1", "P2", 1, "c1 1"), ("R1", "P3", 1, "c1 1"),
        *[("R2", "P1", n, f"c{n} 1") for n in range(1, 7)]]
    with pytest.raises(ValueError, match="^a crate holds at least one unit, not 0$"):
        prepare_crates(units(rows), points, products, categories, 0)


def test_a_category_without_units_is_not_in_a_crate_begun_before_it():
    crates = prepare_crates(units([("P1", "A", 1), ("P1", "B", 0)]), POINTS, PRODUCTS, CATEGORIES, 2)
    assert crates.select("crate_no", "units", "contents").rows() == [(1, 1, "水果 1")]
