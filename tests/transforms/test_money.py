from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.money import fen_to_yuan_display, fen_to_yuan_text, round_half_even, round_half_even_expr


@pytest.mark.parametrize("numerator, expected", [
    (30800 * 1000, 3080), (30800 * 1500, 4620), (30800 * 500, 1540),   # the rulebook's example
    (5000, 0), (15000, 2), (25000, 2), (35000, 4),                       # ties go to even
    (5001, 1), (14999, 1), (0, 0), (-5000, 0), (-15000, -2), (-15001, -2),
])
def test_round_half_even(numerator, expected):
    assert round_half_even(numerator) == expected


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_expression_matches_scalar_and_exact_rational(numerator):
    expected = round(Fraction(numerator, 10000))  # Python rounds a Fraction half to even, exactly
    assert round_half_even(numerator) == expected
    frame = pl.DataFrame({"n": [numerator]}, schema={"n": pl.Int64})
    assert frame.select(round_half_even_expr(pl.col("n")))["n"][0] == expected


@pytest.mark.parametrize("fen, text", [(0, "0.00"), (5, "0.05"), (32800, "328.00"), (-1234, "-12.34")])
def test_fen_to_yuan_text(fen, text):
    assert fen_to_yuan_text(fen) == text


@pytest.mark.parametrize("denominator", [0, -100])
def test_a_denominator_that_is_not_positive_is_refused(denominator):
    with pytest.raises(ValueError, match="^denominator must be positive$"):
        round_half_even(5, denominator)


@pytest.mark.parametrize("numerator, denominator, expected", [
    (7, 1, 7), (-7, 1, -7),      # a denominator of 1 is a whole number already
    (3, 2, 2), (5, 2, 2), (-3, 2, -2), (7, 4, 2), (-7, 4, -2), (1, 3, 0), (2, 3, 1),
])
def test_round_half_even_over_any_positive_denominator(numerator, denominator, expected):
    assert round_half_even(numerator, denominator) == expected == round(Fraction(numerator, denominator))
    frame = pl.DataFrame({"n": [numerator]}, schema={"n": pl.Int64})
    assert frame.select(round_half_even_expr(pl.col("n"), denominator))["n"][0] == expected


@pytest.mark.parametrize("fen, text", [(0, "¥0.00"), (5, "¥0.05"), (-5, "-¥0.05"), (99_999, "¥999.99"),
                                       (100_000, "¥1,000.00"), (123_456_789, "¥1,234,567.89"),
                                       (-10**15 - 7, "-¥10,000,000,000,000.07")])
def test_fen_to_yuan_display_has_thousands_separators_from_integers(fen, text):
    assert fen_to_yuan_display(fen) == text


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_fen_to_yuan_display_is_the_text_with_separators(fen):
    assert fen_to_yuan_display(fen).replace(",", "").replace("¥", "") == fen_to_yuan_text(fen)
