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


# ---- how a supplier gets its purchase order (po_transport, po_url: docs/po-api.md) --------------------

def test_po_transport_defaults_to_email_and_api_takes_an_endpoint(tmp_path):
    suppliers = [dict(datasets.SUPPLIERS[0], po_transport="api", po_url="https://erp.xianguo.cn/api/po"),
                 datasets.SUPPLIERS[1]]
    master = load(tmp_path, suppliers=suppliers)
    assert master.suppliers.select("supplier_id", "po_transport", "po_url").rows() == [
        ("S1", "api", "https://erp.xianguo.cn/api/po"), ("S2", "email", None)]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/po", "http://localhost/po", "http://[::1]:9000/",
                                 "https://erp.example.com:8443/po?tenant=t1"])
def test_plain_http_only_to_the_loopback_host(tmp_path, url):
    suppliers = [dict(datasets.SUPPLIERS[0], po_transport="api", po_url=url), datasets.SUPPLIERS[1]]
    assert load(tmp_path, suppliers=suppliers).suppliers["po_url"][0] == url


@pytest.mark.parametrize("transport, url, problem", [
    ("api", "http://erp.example.com/po", "po_url 'http://erp.example.com/po': must be an https:// address (plain "
                                         "http:// only to localhost, 127.0.0.1 or [::1]), without a user or password"),
    ("api", "http://localhost@evil.example.com/", "po_url 'http://localhost@evil.example.com/': must be an https://"),
    ("api", "https://po:pass@erp.example.com/", "po_url 'https://po:pass@erp.example.com/': must be an https://"),
    ("api", "ftp://erp.example.com/", "po_url 'ftp://erp.example.com/': must be an https://"),
    ("api", "", "po_transport api needs a po_url (the supplier's endpoint)"),
    ("API", "https://erp.example.com/", "po_transport 'API' must be one of 'email', 'api'"),
    ("fax", "", "po_transport 'fax' must be one of 'email', 'api'"),
])
def test_a_bad_transport_or_endpoint_names_file_row_and_problem(tmp_path, transport, url, problem):
    suppliers = [dict(datasets.SUPPLIERS[0], po_transport="", po_url=""),  # the file's columns are the first row's
                 dict(datasets.SUPPLIERS[1], po_transport=transport, po_url=url)]
    with pytest.raises(MasterDataError) as err:
        load(tmp_path, suppliers=suppliers)
    assert f"master/suppliers.csv row 3: {problem}" in str(err.value)
