"""One cell of a platform export: money to the fen through Decimal, counts, phones, times, the
multi-item cells of 快团团 普通团购 and 群接龙 (transforms/export_cells.py)."""

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.export_cells import (
    MAX_ITEMS_PER_CELL,
    CellError,
    cell_text,
    excel_number,
    is_blank,
    optional_fen,
    parse_items,
    parse_time,
    phone_digits,
    phone_tail,
    shown,
    split_name_spec,
    whole_number,
    yuan_to_fen,
)


@pytest.mark.parametrize("text, expected", [
    ("59.9", Decimal("59.9")), ("179.70000000000002", Decimal("179.700000000000")), ("13812345678", 13812345678),
    ("0.30000000000000004", Decimal("0.300000000000000")), ("1.3812345678E10", Decimal("13812345678")),
    ("123456789012345", 123456789012345), ("1234567890123456", Decimal("1234567890123460")), (" 2 ", 2)])
def test_a_number_cell_is_read_at_excels_15_significant_digits(text, expected):
    assert excel_number(text) == expected


@pytest.mark.parametrize("value, expected", [
    (Decimal("59.9"), 5990), (Decimal("59.90"), 5990), ("59.9", 5990), ("¥59.90", 5990), ("￥1,299.00元", 129900),
    (" 12 ", 1200), (Decimal("0"), 0), ("0.01", 1), (excel_number("179.70000000000002"), 17970), ("1，200", 120000)])
def test_yuan_become_fen_exactly(value, expected):
    assert yuan_to_fen(value) == expected


@pytest.mark.parametrize("value, message", [
    ("59.999", "fraction of a fen"), (Decimal("0.001"), "fraction of a fen"), ("abc", "not an amount"),
    ("", "not an amount"), (None, "not an amount"), (True, "not an amount"), (datetime(2026, 1, 1), "not an amount"),
    ("-5", "negative"), (Decimal("-0.5"), "negative"), ("NaN", "not an amount"), ("Infinity", "not an amount")])
def test_what_is_no_amount_says_why(value, message):
    with pytest.raises(CellError, match=message):
        yuan_to_fen(value)


def test_an_order_level_amount_may_be_empty():
    assert optional_fen(None) == 0
    assert optional_fen("  ") == 0
    assert optional_fen("3.5") == 350


@given(st.integers(min_value=0, max_value=10**12))
def test_any_fen_amount_written_in_yuan_comes_back(fen):
    text = f"{fen // 100}.{fen % 100:02d}"
    assert yuan_to_fen(text) == fen
    assert yuan_to_fen(Decimal(text)) == fen


@pytest.mark.parametrize("value, expected", [
    (Decimal("2"), 2), (Decimal("2.0"), 2), ("2", 2), ("2.0", 2), ("+3", 3), (" 4 ", 4), ("0", 0)])
def test_a_count_is_a_whole_number(value, expected):
    assert whole_number(value) == expected


@pytest.mark.parametrize("value", [Decimal("2.5"), "2.5", "两", None, "", True, datetime(2026, 1, 1), "-1", "1e3"])
def test_a_count_that_is_not_whole_is_refused(value):
    with pytest.raises(CellError, match="not a whole number"):
        whole_number(value)


@pytest.mark.parametrize("value, expected", [
    (Decimal("13812345678"), "13812345678"), (excel_number("1.3812345678E10"), "13812345678"),
    ("138-1234-5678", "13812345678"), ("+86 138 1234 5678", "8613812345678"), ("无", None), (None, None),
    (Decimal("138.5"), None)])
def test_a_phone_is_text_whatever_the_cell(value, expected):
    assert phone_digits(value) == expected


def test_the_phone_tail_is_its_last_four_digits():
    assert phone_tail("13812345678") == "5678"
    assert phone_tail("5678") == "5678"
    assert phone_tail("678") is None
    assert phone_tail(None) is None


@pytest.mark.parametrize("value, expected", [
    (None, None), ("  ", None), (" a ", "a"), (Decimal("12"), "12"), (Decimal("12.0"), "12"), (Decimal("1E+2"), "100"),
    (Decimal("59.90"), "59.9"), (Decimal("0.5"), "0.5"), (True, "TRUE"), (False, "FALSE"),
    (datetime(2026, 11, 21, 9, 5, 7), "2026-11-21 09:05:07"), (12, "12")])
def test_a_cell_reads_as_excel_shows_it(value, expected):
    assert cell_text(value) == expected


def test_blank_and_shown():
    assert is_blank(None) and is_blank(" ") and not is_blank(Decimal(0)) and not is_blank("0")
    assert shown(None) == "(empty)"
    assert shown(Decimal("59.9")) == "'59.9'"


@pytest.mark.parametrize("value, expected", [
    (datetime(2026, 11, 21, 19, 30, 5, 123), datetime(2026, 11, 21, 19, 30, 5)),
    ("2026-11-21 19:30:05", datetime(2026, 11, 21, 19, 30, 5)), ("2026/11/21 19:30", datetime(2026, 11, 21, 19, 30)),
    ("2026-11-21T19:30:05", datetime(2026, 11, 21, 19, 30, 5)), ("2026.1.2 8:05", datetime(2026, 1, 2, 8, 5)),
    ("2026年11月21日 19：30：05", datetime(2026, 11, 21, 19, 30, 5)), ("2026-11-21", datetime(2026, 11, 21)),
    (Decimal("46347.8125"), datetime(2026, 11, 21, 19, 30)), (Decimal("25569"), datetime(1970, 1, 1)),
    (Decimal("73051"), datetime(2100, 1, 1))])
def test_times_as_exports_write_them(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["昨天", "2026-13-01 10:00", "2026-02-30", Decimal("12"), Decimal("25568"),
                                   Decimal("73052"), None, True, "19:30"])
def test_what_is_no_time_is_refused(value):
    with pytest.raises(CellError, match="not a time"):
        parse_time(value)


@pytest.mark.parametrize("text, expected", [
    ("新奇士橙(1份十个)", ("新奇士橙", "1份十个")), ("新奇士橙（1份十个）", ("新奇士橙", "1份十个")),
    ("水仙芒果(12个/箱约九斤) ", ("水仙芒果", "12个/箱约九斤")), ("(进口)香蕉(每箱28斤)", ("(进口)香蕉", "每箱28斤")),
    ("苹果", ("苹果", None)), ("(整箱)", ("(整箱)", None)), ("苹果()", ("苹果()", None)),
    ("苹果(大)果", ("苹果(大)果", None))])
def test_a_product_cell_is_name_and_spec(text, expected):
    assert split_name_spec(text) == expected


def test_a_standard_group_buy_cell_holds_items_with_plus_and_a_count():
    cell = "新奇士橙(1份十个)+2;\n荔枝(每箱四斤)＋1；A+B套餐+3\n\n共6件"
    assert parse_items(cell, "ktt") == [("新奇士橙(1份十个)", 2), ("荔枝(每箱四斤)", 1), ("A+B套餐", 3)]


def test_a_jielong_cell_holds_one_item_a_line_with_a_star():
    cell = "西柚(十个一份)*2\r\n丹东草莓 × 1\n鸡蛋(30枚x2盒)x3件\n合计：3件"
    assert parse_items(cell, "qjl") == [("西柚(十个一份)", 2), ("丹东草莓", 1), ("鸡蛋(30枚x2盒)", 3)]


@pytest.mark.parametrize("cell, platform, message", [
    ("苹果", "ktt", r"item '苹果' has no quantity \(write it 名称\+数量\)"),
    ("苹果*2", "ktt", "has no quantity"), ("苹果+2", "qjl", r"has no quantity \(write it 名称\*数量\)"),
    ("苹果+0", "ktt", "quantity 0: at least 1"), (" ;\n", "ktt", "no item in the cell"), ("共3件", "qjl", "no item")])
def test_an_item_that_cannot_be_read_says_why(cell, platform, message):
    with pytest.raises(CellError, match=message):
        parse_items(cell, platform)


def test_a_cell_of_too_many_items_is_refused():
    assert len(parse_items(";".join(f"品{i}+1" for i in range(MAX_ITEMS_PER_CELL)), "ktt")) == MAX_ITEMS_PER_CELL
    with pytest.raises(CellError, match=f"{MAX_ITEMS_PER_CELL + 1} items in one cell"):
        parse_items(";".join(f"品{i}+1" for i in range(MAX_ITEMS_PER_CELL + 1)), "ktt")


@pytest.mark.parametrize("value, message", [
    (True, "'TRUE' is not a whole number"), (Decimal("2.5"), "'2.5' is not a whole number"),
    ("两", "'两' is not a whole number")])
def test_a_count_refused_names_what_the_cell_holds(value, message):
    with pytest.raises(CellError) as refused:
        whole_number(value)
    assert str(refused.value) == message


def test_blank_pieces_around_and_between_items_are_no_items():
    assert parse_items("\n西柚(十个一份)*2\n \n丹东草莓*1\n", "qjl") == [("西柚(十个一份)", 2), ("丹东草莓", 1)]
    assert parse_items("共2件;苹果+1; ;梨+1", "ktt") == [("苹果", 1), ("梨", 1)]
    with pytest.raises(CellError) as refused:
        parse_items("\n共0件\n", "qjl")
    assert str(refused.value) == "no item in the cell"


def test_a_date_that_does_not_exist_names_the_cell():
    with pytest.raises(CellError) as refused:
        parse_time("2026-02-30 10:00")
    assert str(refused.value) == "'2026-02-30 10:00' is not a time"


@pytest.mark.parametrize("value, message", [
    (True, "'TRUE' is not an amount in yuan"), ("abc", "'abc' is not an amount in yuan"),
    ("NaN", "'NaN' is not an amount in yuan"), ("59.999", "'59.999' has a fraction of a fen"),
    (Decimal("-0.5"), "'-0.5' is negative")])
def test_an_amount_refused_names_what_the_cell_holds(value, message):
    with pytest.raises(CellError) as refused:
        yuan_to_fen(value)
    assert str(refused.value) == message


def test_a_tiny_number_reads_in_plain_notation_never_as_an_exponent():
    assert cell_text(Decimal("0.00000015")) == "0.00000015"
