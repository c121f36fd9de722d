"""Pickup codes: 19 characters a QR reader gives back as text, the same whenever made, different
for every order, point, cutoff and key, showing nothing of the order, and read back to their cutoff."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms.pickup_codes import (
    CODE_LENGTH,
    PREFIX,
    base32_values,
    code_payloads,
    code_tag,
    cutoff_field,
    parse_code,
    payload_texts,
    pickup_codes,
)

KEY, OTHER_KEY = bytes(range(32)), bytes(range(1, 33))
DAY = date(2026, 11, 21)
ORDERS = pl.DataFrame({"pickup_point_id": ["P1", "P1", "P2"], "order_id": ["O1", "O2", "O1"]})


def test_a_code_is_the_prefix_and_16_base32_characters_the_same_every_time():
    codes = pickup_codes(KEY, "nightly", DAY, ORDERS).to_list()
    assert all(len(c) == CODE_LENGTH == 19 and c.startswith(PREFIX) for c in codes)
    assert all(set(c[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for c in codes)
    assert codes == pickup_codes(KEY, "nightly", DAY, ORDERS).to_list()  # a rerun, a 修订版: the same
    assert len(set(codes)) == 3  # the same order id at another point is another code


@pytest.mark.parametrize(("calendar", "day", "key"), [("weekly", DAY, KEY), ("nightly", date(2026, 11, 22), KEY),
                                                      ("nightly", DAY, OTHER_KEY)])
def test_another_cutoff_or_key_gives_other_codes(calendar, day, key):
    assert set(pickup_codes(key, calendar, day, ORDERS)).isdisjoint(pickup_codes(KEY, "nightly", DAY, ORDERS))


def test_the_code_shows_nothing_of_the_order_and_reads_back_to_its_cutoff_and_tag():
    orders = pl.DataFrame({"pickup_point_id": ["P0042"], "order_id": ["O20261121000123"]})
    code = pickup_codes(KEY, "weekly", DAY, orders)[0]
    assert "0042" not in code and "123" not in code
    parsed = parse_code(code.lower())  # some scanner apps give lower case
    assert (parsed.calendar, parsed.cutoff_date) == ("weekly", DAY)
    assert parsed.tag == code_tag(KEY, "weekly", DAY, "P0042", "O20261121000123")


def test_the_payload_is_the_cutoff_then_the_tag_in_base32():
    payloads = code_payloads(KEY, "nightly", DAY, ORDERS)
    assert payloads.shape == (3, 10)
    assert int.from_bytes(payloads[0, :2].tobytes(), "big") == cutoff_field("nightly", DAY) == (DAY - date(2000, 1,
                                                                                                       1)).days * 2
    assert payloads[2, 2:].tobytes() == code_tag(KEY, "nightly", DAY, "P2", "O1")
    assert base32_values(payloads).max() <= 31
    import base64
    assert payload_texts(payloads)[1] == PREFIX + base64.b32encode(payloads[1].tobytes()).decode()


@pytest.mark.parametrize("text", ["", "PK1", "6901234567890", "PK1ABCDEFGHIJKLMNO", "PK1ABCDEFGHIJKLMNOPQ",
                                  "PK2ABCDEFGHIJKLMNOP", "PK1ABCDEFGHIJKLMNO1"])
def test_what_is_not_a_code(text):
    assert parse_code(text) is None


def test_a_cutoff_out_of_range_has_no_code():
    with pytest.raises(ValueError):
        cutoff_field("daily", DAY)
    with pytest.raises(ValueError):
        cutoff_field("nightly", date(1999, 12, 31))
    assert cutoff_field("weekly", date(2000, 1, 1)) == 1


def test_the_codes_are_a_text_column_of_the_orders_also_when_there_are_none():
    coded = ORDERS.with_columns(pickup_codes(KEY, "nightly", DAY, ORDERS))
    assert coded.columns == ["pickup_point_id", "order_id", "pickup_code"]
    none = ORDERS.clear().with_columns(pickup_codes(KEY, "nightly", DAY, ORDERS.clear()))
    assert (none.height, none.schema["pickup_code"]) == (0, pl.String)


def test_the_last_day_a_code_can_name_and_the_first_it_cannot():
    assert cutoff_field("weekly", date(2089, 9, 17)) == 2**16 - 1
    with pytest.raises(ValueError, match=r"^no pickup code for the nightly cutoff of 2089-09-18$"):
        cutoff_field("nightly", date(2089, 9, 18))


def test_the_base32_digits_of_each_payload_and_no_more():
    import base64
    payloads = code_payloads(KEY, "nightly", DAY, ORDERS)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    assert ["".join(letters[d] for d in row) for row in base32_values(payloads).tolist()] == [
        base64.b32encode(p.tobytes()).decode() for p in payloads]
