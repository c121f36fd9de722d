"""inbox/weather/: the optional weather file the forecast reads when present (docs/forecast.md).
One row per date (the past days and the days forecast); a later file's row for a date replaces
an earlier one's."""

import pandera.polars as pa
import polars as pl

from schemas.columns import optional, required

COLUMNS = {"date": required("date"), "precip_mm": optional(), "temp_max_c": optional()}


class Weather(pa.DataFrameModel):
    """A day's weather in the platform's city: rain and the day's highest temperature."""

    date: pl.Date = pa.Field(description="the local date (a cutoff date)")
    precip_mm: float = pa.Field(nullable=True, ge=0, le=1000, description="rain, mm over the day")
    temp_max_c: float = pa.Field(nullable=True, ge=-60, le=60, description="the day's highest temperature, °C")

    class Config:
        strict = True
