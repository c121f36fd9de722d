"""The ledger and weekly settlement (rulebook "The ledger and weekly settlement"): adjustments after a
closed week, statements, reconciliation. Hand-built ledger rows."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from schemas.commission_ledger import CommissionLedger
from transforms.commissions import LEDGER_SCHEMA, empty_ledger
from transforms.settlement import (
    MAX_WEEKS_AHEAD,
    adjust_closed_entries,
    build_statements,
    first_open_week,
    settlement_mismatches,
    statement_lines,
)
from transforms.windows import iso_week_of, window_for

CUTOFF = window_for("nightly", date(2026, 11, 21))  # a Saturday of 2026-W47


def entry(role="leader", beneficiary="T1", amount=3080, rate=1000, base=30800, order="A", kind="accrual",
          refund=None, week="2026-W47", entry_date=date(2026, 11, 21), adjusted=None,
          cutoff=date(2026, 11, 21)) -> dict:
    entry_id = "|".join(str(p) for p in (kind, "nightly", cutoff, week if kind == "adjustment" else "", order, 1,
                                         refund or "", role, beneficiary))
    return {"entry_id": entry_id, "calendar": "nightly", "cutoff_date": cutoff, "entry_date": entry_date,
            "settlement_week": week, "entry_type": kind, "adjusted_type": adjusted, "role": role,
            "beneficiary_id": beneficiary, "order_id": order, "line_no": 1, "refund_id": refund,
            "base_fen": base, "rate_bp": rate, "amount_fen": amount}


def ledger(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=LEDGER_SCHEMA) if rows else empty_ledger()


def adjustment(amount, week="2026-W48", monday=date(2026, 11, 23), **fields) -> dict:
    return entry(kind="adjustment", adjusted=fields.pop("adjusted", "accrual"), amount=amount, week=week,
                 entry_date=monday, **fields)


@pytest.mark.parametrize("closed, expected", [
    (set(), "2026-W47"),
    ({"2026-W47"}, "2026-W48"),
    ({"2026-W47", "2026-W48"}, "2026-W49"),
    ({"2026-W47", "2026-W49"}, "2026-W48"),
    ({"2026-W46"}, "2026-W47"),
])
def test_the_first_open_week_on_or_after(closed, expected):
    assert first_open_week("2026-W47", closed) == expected


def test_the_first_open_week_crosses_the_year():
    assert first_open_week("2026-W53", {"2026-W53"}) == "2027-W01"


def test_an_open_week_replaces_the_cutoffs_entries_as_computed():
    computed = ledger(entry(amount=3080))
    posted = ledger(entry(amount=2000))
    assert_frame_equal(adjust_closed_entries(computed, posted, set(), CUTOFF), computed)


def test_a_rerun_of_a_closed_week_on_the_same_inputs_posts_nothing():
    computed = ledger(entry(), entry(role="dist_l1", beneficiary="D2", rate=1500, amount=4620))
    assert adjust_closed_entries(computed, computed, {"2026-W47"}, CUTOFF).height == 0


def test_a_changed_rerun_of_a_closed_week_posts_the_difference_in_the_first_open_week():
    posted = ledger(entry(rate=1000, amount=3080))
    computed = ledger(entry(rate=1200, amount=3696))
    result = adjust_closed_entries(computed, posted, {"2026-W47"}, CUTOFF)
    assert_frame_equal(result.drop("entry_id"), ledger(adjustment(616, rate=1200)).drop("entry_id"))
    assert result["entry_id"][0] == "adjustment|nightly|2026-11-21|2026-W48|accrual|A|1||leader|T1"
    CommissionLedger.validate(result)


def test_a_changed_beneficiary_moves_the_money_by_two_adjustments():
    posted = ledger(entry(beneficiary="T1"))
    computed = ledger(entry(beneficiary="T9"))
    result = adjust_closed_entries(computed, posted, {"2026-W47"}, CUTOFF)
    assert dict(zip(result["beneficiary_id"], result["amount_fen"], strict=True)) == {"T1": -3080, "T9": 3080}


def test_an_entry_that_is_gone_is_reversed_and_a_new_clawback_is_added():
    posted = ledger(entry(order="A"), entry(order="B", amount=1000, base=10000))
    computed = ledger(entry(order="A"),
                      entry(kind="clawback", refund="R1", amount=-500, base=5000, cutoff=date(2026, 11, 21)))
    result = adjust_closed_entries(computed, posted, {"2026-W47"}, CUTOFF)
    assert result.select("order_id", "adjusted_type", "refund_id", "amount_fen").rows() == [
        ("A", "clawback", "R1", -500), ("B", "accrual", None, -1000)]


def test_adjustments_already_closed_count_and_open_ones_are_replaced():
    # W47 and W48 closed: the 616 of W48 stands; a new rate of 1500 adds 924 more, in W49
    posted = ledger(entry(amount=3080), adjustment(616, rate=1200))
    computed = ledger(entry(rate=1500, amount=4620))
    result = adjust_closed_entries(computed, posted, {"2026-W47", "2026-W48"}, CUTOFF)
    assert result.select("settlement_week", "entry_date", "amount_fen", "rate_bp").rows() == [
        ("2026-W49", date(2026, 11, 30), 924, 1500)]
    # only W47 closed: the open W48 adjustment is not counted; the new one replaces it
    again = adjust_closed_entries(computed, posted, {"2026-W47"}, CUTOFF)
    assert again.select("settlement_week", "amount_fen").rows() == [("2026-W48", 1540)]


def test_adjustment_ids_are_stable_on_reruns():
    posted, computed = ledger(entry(amount=3080)), ledger(entry(rate=1200, amount=3696))
    assert_frame_equal(adjust_closed_entries(computed, posted, {"2026-W47"}, CUTOFF),
                       adjust_closed_entries(computed, posted, {"2026-W47"}, CUTOFF))


def test_a_cutoff_first_run_after_its_week_closed_posts_adjustments_only():
    computed = ledger(entry())
    result = adjust_closed_entries(computed, empty_ledger(), {"2026-W47"}, CUTOFF)
    assert result.select("entry_type", "settlement_week", "amount_fen").rows() == [("adjustment", "2026-W48", 3080)]


def test_statements_hold_the_weeks_entries_per_beneficiary():
    entries = ledger(entry(), entry(order="B", amount=1000, base=10000),
                     entry(role="dist_l1", beneficiary="D2", amount=4620, rate=1500),
                     adjustment(616, rate=1200))  # dated in W48: not in the W47 statements
    names = pl.DataFrame({"role": ["leader", "dist_l1"], "beneficiary_id": ["T1", "D2"], "name": ["王芳", "李四"]})
    expected = pl.DataFrame({
        "role": ["leader", "dist_l1"], "beneficiary_id": ["T1", "D2"], "name": ["王芳", "李四"], "entries": [2, 1],
        "amount_fen": [4080, 4620],
        "statement_file": ["settlements/2026-W47/leader-T1.csv", "settlements/2026-W47/dist_l1-D2.csv"]})
    assert_frame_equal(build_statements(entries, "2026-W47", names), expected)
    week48 = build_statements(entries, "2026-W48", names)
    assert week48.select("beneficiary_id", "entries", "amount_fen").rows() == [("T1", 1, 616)]


def test_statement_lines_are_one_beneficiarys_entries_in_date_order():
    entries = ledger(adjustment(616, rate=1200), entry(order="B", amount=1000, base=10000), entry(),
                     entry(role="dist_l1", beneficiary="D2", amount=4620, rate=1500))
    lines = statement_lines(entries, "leader", "T1")
    assert lines.select("order_id", "entry_type", "amount_fen").rows() == [
        ("A", "accrual", 3080), ("B", "accrual", 1000), ("A", "adjustment", 616)]


def test_settlement_mismatches_compare_statements_with_the_ledger_per_role():
    entries = ledger(entry(), entry(role="dist_l1", beneficiary="D2", amount=4620, rate=1500))
    statements = build_statements(entries, "2026-W47")
    assert settlement_mismatches(statements, entries, "2026-W47") == []
    short = statements.with_columns(pl.when(pl.col("role") == "leader").then(3079).otherwise(pl.col("amount_fen"))
                                    .alias("amount_fen"))
    assert settlement_mismatches(short, entries, "2026-W47") == [
        "2026-W47 leader: statements 1 entries 3079 fen, ledger 1 entries 3080 fen"]


# -- what the mutation run showed the tests did not hold (issue 17) ---------------------------------

def test_a_statement_holds_its_own_beneficiarys_entries_when_a_role_has_two():
    entries = ledger(entry(), entry(beneficiary="T2", order="B", amount=1000, base=10000),
                     entry(role="dist_l1", beneficiary="T1", amount=4620, rate=1500))  # an id shared across roles
    assert statement_lines(entries, "leader", "T1").select("order_id", "amount_fen").rows() == [("A", 3080)]
    assert statement_lines(entries, "leader", "T2").select("order_id", "amount_fen").rows() == [("B", 1000)]
    statements = build_statements(entries, "2026-W47")
    assert statements.select("role", "beneficiary_id", "entries", "amount_fen").rows() == [
        ("leader", "T1", 1, 3080), ("leader", "T2", 1, 1000), ("dist_l1", "T1", 1, 4620)]


def test_statement_lines_carry_the_statement_columns():
    lines = statement_lines(ledger(entry(kind="clawback", refund="R1", amount=-500, base=5000)), "leader", "T1")
    assert lines.columns == ["entry_id", "entry_type", "adjusted_type", "calendar", "cutoff_date", "entry_date",
                             "order_id", "line_no", "refund_id", "base_fen", "rate_bp", "amount_fen"]
    assert lines.row(0) == ("clawback|nightly|2026-11-21||A|1|R1|leader|T1", "clawback", None, "nightly",
                            date(2026, 11, 21), date(2026, 11, 21), "A", 1, "R1", 5000, 1000, -500)


def test_a_reversal_takes_the_rate_of_the_adjustment_posted_on_the_same_date_as_its_accrual():
    # W47 closed with the accrual (1000 bp) and an adjustment to 1200 bp on the same date; the line is gone now
    posted = ledger(adjustment(616, rate=1200, week="2026-W47", monday=date(2026, 11, 21)), entry(amount=3080))
    result = adjust_closed_entries(empty_ledger(), posted, {"2026-W47"}, CUTOFF)
    assert result.select("adjusted_type", "amount_fen", "rate_bp", "base_fen").rows() == \
        [("accrual", -3696, 1200, 30800)]


def test_a_cutoff_week_still_open_dates_its_adjustments_on_the_cutoff():
    # only a later week is closed and holds an adjustment of this cutoff: the difference goes in the open W47
    posted = ledger(entry(amount=3080), adjustment(616, rate=1200))  # W48 closed, W47 open
    computed = ledger(entry(rate=1500, amount=4620))
    result = adjust_closed_entries(computed, posted, {"2026-W48"}, CUTOFF)
    assert result.select("settlement_week", "entry_date", "amount_fen").rows() == \
        [("2026-W47", date(2026, 11, 21), 4004)]


def test_a_reversed_clawback_keeps_its_refund_and_an_accrual_has_none():
    posted = ledger(entry(), entry(kind="clawback", refund="R1", amount=-500, base=5000))
    result = adjust_closed_entries(empty_ledger(), posted, {"2026-W47"}, CUTOFF)
    assert result.select("entry_id", "adjusted_type", "refund_id", "amount_fen").rows() == [
        ("adjustment|nightly|2026-11-21|2026-W48|accrual|A|1||leader|T1", "accrual", None, -3080),
        ("adjustment|nightly|2026-11-21|2026-W48|clawback|A|1|R1|leader|T1", "clawback", "R1", 500)]
    CommissionLedger.validate(result)


def test_settlement_mismatches_count_entries_too():
    entries = ledger(entry(), entry(order="B", amount=0, base=0))
    statements = build_statements(entries, "2026-W47")
    one_less = statements.with_columns(pl.lit(1, pl.Int64).alias("entries"))
    assert settlement_mismatches(one_less, entries, "2026-W47") == [
        "2026-W47 leader: statements 1 entries 3080 fen, ledger 2 entries 3080 fen"]
    # checked against another week, the ledger side holds that week's entries only (none)
    assert settlement_mismatches(statements, entries, "2026-W48") == [
        "2026-W48 leader: statements 2 entries 3080 fen, ledger 0 entries 0 fen"]


def test_the_first_open_week_gives_up_past_its_horizon():
    closed = {iso_week_of(date(2026, 11, 16) + timedelta(weeks=step)) for step in range(MAX_WEEKS_AHEAD)}
    with pytest.raises(ValueError, match=f"no open week within {MAX_WEEKS_AHEAD} weeks after 2026-W47"):
        first_open_week("2026-W47", closed)


def test_a_reversal_takes_the_rate_of_the_latest_adjustment_by_date_whatever_the_row_order():
    posted = ledger(adjustment(924, rate=1500, week="2026-W49", monday=date(2026, 11, 30)), entry(amount=3080),
                    adjustment(616, rate=1200))
    result = adjust_closed_entries(empty_ledger(), posted, {"2026-W47", "2026-W48", "2026-W49"}, CUTOFF)
    assert result.select("settlement_week", "amount_fen", "rate_bp").rows() == [("2026-W50", -4620, 1500)]


def test_an_adjustment_carries_the_base_computed_now():
    # the line's net went from 30800 to 40000 after W47 closed: 4000 - 3080 = 920 more, on a base of 40000
    posted = ledger(entry(amount=3080, base=30800))
    computed = ledger(entry(amount=4000, base=40000))
    result = adjust_closed_entries(computed, posted, {"2026-W47"}, CUTOFF)
    assert result.select("base_fen", "rate_bp", "amount_fen").rows() == [(40000, 1000, 920)]


def on_line(row: dict, line_no: int) -> dict:
    return {**row, "line_no": line_no, "entry_id": row["entry_id"].replace("|A|1|", f"|A|{line_no}|")}


def test_adjustments_come_in_line_type_refund_role_beneficiary_order():
    computed = ledger(
        entry(role="dist_l2", beneficiary="D1", rate=500, amount=1540),
        entry(role="dist_l1", beneficiary="D2", rate=1500, amount=4620),
        on_line(entry(amount=1000, base=10000), 2),
        entry(kind="clawback", refund="R2", amount=-200, base=2000),
        entry(kind="clawback", refund="R1", amount=-100, base=1000),
        entry(beneficiary="T2", amount=3080),
        entry(order="0", amount=500, base=5000),
        entry())
    result = adjust_closed_entries(computed, empty_ledger(), {"2026-W47"}, CUTOFF)
    assert result.select("order_id", "line_no", "adjusted_type", "refund_id", "role", "beneficiary_id").rows() == [
        ("0", 1, "accrual", None, "leader", "T1"),
        ("A", 1, "accrual", None, "dist_l1", "D2"),
        ("A", 1, "accrual", None, "dist_l2", "D1"),
        ("A", 1, "accrual", None, "leader", "T1"),
        ("A", 1, "accrual", None, "leader", "T2"),
        ("A", 1, "clawback", "R1", "leader", "T1"),
        ("A", 1, "clawback", "R2", "leader", "T1"),
        ("A", 2, "accrual", None, "leader", "T1")]


def test_statement_lines_are_in_date_then_calendar_then_cutoff_then_entry_order():
    def dated(kind, calendar, cutoff, day, order="A"):
        row = entry(kind=kind, order=order, cutoff=cutoff, entry_date=day, week=iso_week_of(day),
                    adjusted="accrual" if kind == "adjustment" else None,
                    refund="R1" if kind == "clawback" else None)
        row["calendar"] = calendar
        row["entry_id"] = "|".join([kind, calendar, cutoff.isoformat(), row["settlement_week"] if kind == "adjustment"
                                    else "", order, "1", row["refund_id"] or "", "leader", "T1"])
        return row
    rows = [
        dated("accrual", "nightly", date(2026, 11, 23), date(2026, 11, 23)),      # 6
        dated("adjustment", "weekly", date(2026, 11, 15), date(2026, 11, 23)),    # 7
        dated("accrual", "weekly", date(2026, 11, 22), date(2026, 11, 22)),       # 4
        dated("adjustment", "nightly", date(2026, 11, 19), date(2026, 11, 23)),   # 5
        dated("clawback", "nightly", date(2026, 11, 22), date(2026, 11, 22)),     # 3
        dated("accrual", "nightly", date(2026, 11, 21), date(2026, 11, 21), "B"),  # 2
        dated("accrual", "nightly", date(2026, 11, 21), date(2026, 11, 21)),      # 1
    ]
    lines = statement_lines(ledger(*rows), "leader", "T1")
    assert lines.select("entry_date", "calendar", "cutoff_date", "entry_type", "order_id").rows() == [
        (date(2026, 11, 21), "nightly", date(2026, 11, 21), "accrual", "A"),
        (date(2026, 11, 21), "nightly", date(2026, 11, 21), "accrual", "B"),
        (date(2026, 11, 22), "nightly", date(2026, 11, 22), "clawback", "A"),
        (date(2026, 11, 22), "weekly", date(2026, 11, 22), "accrual", "A"),
        (date(2026, 11, 23), "nightly", date(2026, 11, 19), "adjustment", "A"),
        (date(2026, 11, 23), "nightly", date(2026, 11, 23), "accrual", "A"),
        (date(2026, 11, 23), "weekly", date(2026, 11, 15), "adjustment", "A")]
