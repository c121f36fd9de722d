"""What a forecast run shows in the Prefect UI (flows/forecast_artifacts.py): the suppliers' first
day, counted as it is (never "20 shown" over 8 rows), units alike in all three quantiles."""

from __future__ import annotations

from datetime import date

import polars as pl

from flows.forecast_artifacts import SHOWN, render_forecast_markdown
from transforms.forecast import Forecast

SUMMARY = {"dates": ["2026-12-08"], "horizon": 7, "forecast_date": "2026-12-08", "skus": 37, "suppliers": 8,
           "folder": "/r/forecast/2026-12-08", "history": {"cutoffs": 29, "from": "2026-11-09", "to": "2026-12-07"},
           "accuracy": {"wape": 0.321, "bias": 0.002, "naive_wape": 0.376, "naive_bias": 0.008, "held_out": {}},
           "holidays": [], "methods": {"croston": 7}}


def forecast_of(suppliers: int) -> Forecast:
    rows = pl.DataFrame({"level": ["supplier"] * suppliers, "supplier_id": [f"S{i:03d}" for i in range(suppliers)],
                         "cutoff_date": [date(2026, 12, 8)] * suppliers,
                         "units_p10": [840.66 + i for i in range(suppliers)],
                         "units_p50": [1095.42 + i for i in range(suppliers)],
                         "units_p90": [1421.45 + i for i in range(suppliers)], "cases_p50": [884] * suppliers})
    empty = pl.DataFrame()
    return Forecast(rows=rows, accuracy=empty, overall={}, history=empty, days=empty)


def test_a_few_suppliers_are_all_shown_and_counted_as_they_are():
    markdown = render_forecast_markdown(forecast_of(2), SUMMARY, {"S000": "广州蔬菜供应链有限公司"})
    assert "## 2026-12-08: the suppliers, largest first (2)" in markdown and "shown" not in markdown
    assert "| S000 广州蔬菜供应链有限公司 | 841 | 1,095 | 1,421 | 884 |" in markdown


def test_many_suppliers_are_capped_and_say_where_the_rest_are():
    markdown = render_forecast_markdown(forecast_of(SHOWN + 5), SUMMARY, {})
    assert sum(line.startswith("| S") for line in markdown.splitlines()) == SHOWN
    assert f"Showing {SHOWN} of {SHOWN + 5}: the table `forecast-suppliers` and forecast.xlsx have them all." \
        in markdown


def test_the_methods_chosen_are_named_in_words():
    summary = {**SUMMARY, "methods": {"exp_smoothing": 1200, "holt_damped": 3, "moving_average": 40, "tsb": 7}}
    markdown = render_forecast_markdown(forecast_of(1), summary, {})
    assert ("Methods chosen: exponential smoothing 1,200, damped trend 3, moving average 40, TSB 7"
            in markdown.splitlines())
