"""Bad master data stops the run before anything is written, naming file, row and problem."""

import pytest

from errors import MasterDataError
from inbox.master import load_master
from schemas.distributors import find_upline_cycles
from tests import datasets


def load(tmp_path, **tables):
    return load_master(datasets.write_master(tmp_path, **tables), "Asia/Shanghai")


def test_valid_master_loads_with_defaults(tmp_path):
    master = load(tmp_path)
    assert master.listings.filter(master.listings["listing_id"] == "L2")["min_qty"].to_list() == [1]
    assert master.listings["group_scope"].to_list() == ["platform", "platform"]
    assert master.products["case_rounding"].to_list() == ["up", "up"]


def test_duplicate_id(tmp_path):
    with pytest.raises(MasterDataError) as err:
        load(tmp_path, suppliers=datasets.SUPPLIERS + [dict(datasets.SUPPLIERS[0])])
    assert "master/suppliers.csv row 4: duplicate supplier_id 'S1'" in str(err.value)


def test_product_of_unknown_supplier(tmp_path):
    products = [dict(datasets.PRODUCTS[0]), {**datasets.PRODUCTS[1], "supplier_id": "S9"}]
    with pytest.raises(MasterDataError) as err:
        load(tmp_path, products=products)
    assert "master/products.csv row 3: supplier_id 'S9' is not in suppliers.csv" in str(err.value)


def test_a_reference_to_an_invalid_row_says_so(tmp_path):
    """The product row exists but is invalid: its listing is not told the SKU is missing."""
    products = [{**datasets.PRODUCTS[0], "cost_fen": "-5"}, datasets.PRODUCTS[1]]
    with pytest.raises(MasterDataError) as err:
        load(tmp_path, products=products)
    message = str(err.value)
    sku = datasets.PRODUCTS[0]["sku_id"]
    assert "master/products.csv row 2: cost_fen '-5' must be >= 0" in message
    assert f"master/listings.csv row 2: sku_id '{sku}' refers to an invalid row of products.csv (row 2, see its " \
           "problem)" in message
    assert "is not in products.csv" not in message


@pytest.mark.parametrize("uplines, in_cycle", [
    ({"D1": "D1"}, {"D1"}),
    ({"D1": "D2", "D2": "D1", "D3": "D1"}, {"D1", "D2"}),
    ({"D1": "D2", "D2": "D3", "D3": "D1", "D4": None}, {"D1", "D2", "D3"}),
    ({"D1": None, "D2": "D1", "D3": "D2"}, set()),
])
def test_upline_cycles_of_any_length(uplines, in_cycle):
    assert find_upline_cycles(uplines) == in_cycle


def test_distributor_cycle_stops_the_run(tmp_path):
    rows = [{"distributor_id": "D1", "name": "张三", "upline_id": "D3"},
            {"distributor_id": "D2", "name": "李四", "upline_id": "D1"},
            {"distributor_id": "D3", "name": "王五", "upline_id": "D2"}]
    with pytest.raises(MasterDataError) as err:
        load(tmp_path, distributors=rows)
    message = str(err.value)
    assert "master/distributors.csv row 2: distributor D1 is their own upline" in message
    assert "row 4: distributor D3" in message


@pytest.mark.parametrize("field, value, words", [
    ("calendar", "monthly", "calendar 'monthly' must be one of"),
    ("unit_price_fen", "12.5", "unit_price_fen: '12.5' is not a whole number"),
    ("tiers", "3-32800", "tiers '3-32800' has a bad format"),
    ("listing_id", "bad id!", "listing_id 'bad id!' has a bad format"),
    ("closes_at", "2026-11-19T20:00:00", "closes_at must be after opens_at"),
    ("tiers", "3:32800|3:30000", "each participants threshold at most once"),
    ("tiers", "0:32800", "each participants threshold at most once, and at least 1"),
])
def test_bad_listing_values(tmp_path, field, value, words):
    rows = [{**datasets.LISTINGS[0], field: value}, datasets.LISTINGS[1]]
    with pytest.raises(MasterDataError) as err:
        load(tmp_path, listings=rows)
    assert "master/listings.csv row 2" in str(err.value) and words in str(err.value)


def test_missing_master_file(tmp_path):
    datasets.write_master(tmp_path)
    (tmp_path / "master" / "categories.csv").unlink()
    with pytest.raises(Exception, match="categories.csv is missing"):
        load_master(tmp_path, "Asia/Shanghai")


def test_missing_required_column(tmp_path):
    rows = [{k: v for k, v in row.items() if k != "leader_bp"} for row in datasets.CATEGORIES]
    with pytest.raises(MasterDataError, match="categories.csv: missing required column"):
        load(tmp_path, categories=rows)


# ---- deposit presales, buyers' groups and stock pools ----------------------------------------------

def story(tmp_path, pools=None, **changes):
    """The presale story's master data (tests/presale_story.py) with `changes` per listing id."""
    from tests import presale_story
    rows = [{**datasets.presale_listing(row), **changes.get(row["listing_id"], {})}
            for row in (presale_story.GRP, presale_story.PRE, presale_story.EXC)]
    datasets.write_master(tmp_path, listings=rows)
    datasets.write_csv(tmp_path / "master" / "pools.csv",
                       pools or [{"pool_id": "MOON", "sku_id": "SKU1", "units": "40"}])
    return load_master(tmp_path, "Asia/Shanghai")


def problem(tmp_path, pools=None, **changes) -> str:
    with pytest.raises(MasterDataError) as err:
        story(tmp_path, pools, **changes)
    return str(err.value)


def test_the_presale_story_loads(tmp_path):
    master = story(tmp_path)
    pre = master.listings.filter(master.listings["listing_id"] == "PRE").row(0, named=True)
    assert (pre["deposit_fen"], pre["pool_id"], pre["pool_reserve"]) == (5000, "MOON", 6)
    assert master.listings.filter(master.listings["listing_id"] == "GRP")["pool_reserve"].to_list() == [0]
    assert master.pools.select("pool_id", "units").rows() == [("MOON", 40)]


def test_without_pools_csv_there_are_no_pools(tmp_path):
    master = load(tmp_path)
    assert master.pools.height == 0 and set(master.pools.columns) >= {"pool_id", "sku_id", "units"}


@pytest.mark.parametrize(("changes", "words"), [
    ({"PRE": {"deposit_fen": "29800"}}, "master/listings.csv row 3: deposit_fen must be below unit_price_fen"),
    ({"PRE": {"deposit_closes_at": "2026-11-24T00:00:00"}},
     "master/listings.csv row 3: deposit_closes_at must lie between opens_at and closes_at"),
    ({"PRE": {"deposit_closes_at": "2026-11-15T23:00:00"}},
     "master/listings.csv row 3: deposit_closes_at must lie between opens_at and closes_at"),
    ({"GRP": {"deposit_closes_at": "2026-11-19T10:00:00"}},
     "master/listings.csv row 2: deposit_closes_at is set but the listing takes no deposit"),
    ({"EXC": {"audience_listing_id": "PRE9"}}, "master/listings.csv row 4: audience_listing_id 'PRE9' is not in "
                                               "listings.csv"),
    ({"EXC": {"audience_listing_id": "EXC"}}, "master/listings.csv row 4: audience_listing_id names the listing "
                                              "itself"),
    ({"GRP": {"pool_id": "SUN"}}, "master/listings.csv row 2: pool_id 'SUN' is not in pools.csv"),
    ({"GRP": {"pool_id": "", "pool_reserve": "3"}}, "master/listings.csv row 2: pool_reserve is set but the "
                                                    "listing names no pool_id"),
    ({"GRP": {"sku_id": "SKU2"}}, "master/listings.csv row 2: pool_id 'MOON' is a stock of SKU1 (pools.csv row 2), "
                                  "but this listing sells SKU2"),
    ({"GRP": {"pool_reserve": "30"}, "EXC": {"pool_reserve": "5"}},
     "master/pools.csv row 2: the reserves of pool MOON's listings add up to 41 (listings.csv rows 2, 3, 4), past "
     "its 40 units"),
])
def test_bad_presale_and_pool_master_data(tmp_path, changes, words):
    assert words in problem(tmp_path, **changes)


def test_reserves_may_add_up_to_the_pool_exactly(tmp_path):
    master = story(tmp_path, GRP={"pool_reserve": "29"}, EXC={"pool_reserve": "5"})
    assert master.listings["pool_reserve"].sum() == 40


def test_bad_pools_csv(tmp_path):
    pools = [{"pool_id": "MOON", "sku_id": "SKU9", "units": "-1"}]
    words = problem(tmp_path, pools)
    assert "master/pools.csv row 2: " in words and "sku_id 'SKU9' is not in products.csv" in words
    assert "units '-1' must be >= 0" in words
    assert "master/listings.csv row 2: pool_id 'MOON' refers to an invalid row of pools.csv (row 2" in words


def test_a_pool_without_pools_csv_is_named(tmp_path):
    datasets.presale_story_data_dir(tmp_path)
    (tmp_path / "master" / "pools.csv").unlink()
    with pytest.raises(MasterDataError, match="pool_id 'MOON' is not in pools.csv"):
        load_master(tmp_path, "Asia/Shanghai")
