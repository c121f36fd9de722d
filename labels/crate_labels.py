"""labels/crates-<route_id>.pdf: a label per crate (周转箱标签) of the route's pickup points, in stop
order (docs/labels.md; how many crates and what is in each: transforms/crates.py). Type big
enough to read across a loading dock: the crate's number of the point's crates ("箱 2/5") and the
pickup point; then the route and stop, the storage kind (a black box for 冷藏 and 冷冻: they go
to the cold room), the leader and phone, the categories in the crate with their units, and a QR
code of the pickup point id (the machine-readable code of the point).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from labels.layout import fit, grid_for, hex_column, image_op, pages, text_op
from labels.pdf import PageSize, write_pdf
from labels.truetype import Font, printable
from labels.words import words_for
from schemas.categories import STORAGE


@dataclass(frozen=True)
class CrateLayout:
    width: float
    height: float
    margin: float
    qr: float
    route: float
    point: float
    leader: float
    crate: float
    contents: float
    foot: float


LAYOUTS = {
    "80x60": CrateLayout(226.77, 170.08, 8, 62, 13, 18, 10, 40, 9, 6.5),
    "60x40": CrateLayout(170.08, 113.39, 6, 44, 9.5, 13, 7.5, 28, 7, 5),
}


def layout_for(size: PageSize) -> CrateLayout:
    return LAYOUTS["60x40" if size.name == "60x40" else "80x60"]


def label_contents(crates: pl.DataFrame, qr_ops: dict[str, str], layout: CrateLayout, font: Font, lang: str,
                   cutoff_text: str) -> pl.DataFrame:
    """Every crate's label (crates: transforms.crates CRATE_COLUMNS, in print order; qr_ops: each
    pickup point's QR code as an inline image): route_id, content, text."""
    t = words_for(lang)
    lay = layout
    m = lay.margin
    crate_word = t["crate"]
    stop_before, _, stop_after = t["stop"].partition("{seq}")
    units_before, _, units_after = t["units"].partition("{n}")
    cold = pl.col("storage").is_in(list(STORAGE[1:]))
    frame = crates.with_columns(
        pl.concat_str([pl.col("route_id"), pl.lit(f" · {stop_before}"), pl.col("route_seq").cast(pl.String),
                       pl.lit(stop_after)]).alias("_route"),
        pl.concat_str([pl.col("pickup_point_id"), pl.col("point_name")], separator=" ", ignore_nulls=True)
        .alias("_point"),
        pl.concat_str([pl.lit(t["leader"]), pl.col("leader_name"), pl.col("leader_phone")], separator=" ",
                      ignore_nulls=True).alias("_leader"),
        pl.concat_str([pl.lit(f"{crate_word} "), pl.col("crate_no").cast(pl.String), pl.lit("/"),
                       pl.col("crates").cast(pl.String)]).alias("_crate"),
        pl.concat_str([pl.lit(f"{cutoff_text} · {units_before}"), pl.col("units").cast(pl.String),
                       pl.lit(units_after)]).alias("_foot"),
        pl.col("pickup_point_id").replace_strict(qr_ops, default="").alias("_qr"),
    )
    point, point_size = fit("_point", lay.point, lay.width - 2 * m, lay.point * 0.55)
    contents, contents_size = fit("contents", lay.contents, lay.width - 2 * m - lay.qr - 6, lay.contents * 0.7)
    leader, leader_size = fit("_leader", lay.leader, lay.width - 2 * m, lay.leader * 0.7)
    frame = frame.with_columns(point.alias("_point"), point_size.alias("_point_size"), contents.alias("_contents"),
                               contents_size.alias("_contents_size"), leader.alias("_leader"),
                               leader_size.alias("_leader_size"))
    frame = frame.with_columns(*(hex_column(frame[c], font).alias(f"{c}_hex")
                                 for c in ("_route", "_point", "_leader", "_crate", "_contents", "_foot", "storage")))
    top = lay.height - m
    box = lay.route * 2.6
    box_x = lay.width - m - box
    storage_box = pl.when(cold).then(pl.lit(
        f"q 0 g {box_x:.2f} {top - lay.route - 3:.2f} {box:.2f} {lay.route + 5:.2f} re f Q\n1 g 1 G\n")
    ).otherwise(pl.lit(f"q 0 G 0.8 w {box_x:.2f} {top - lay.route - 3:.2f} {box:.2f} {lay.route + 5:.2f} re S Q\n"))
    content = pl.concat_str([
        text_op(m, top - lay.route, lay.route, pl.col("_route_hex"), bold=True),
        storage_box,
        text_op(box_x + lay.route * 0.3, top - lay.route + 0.5, lay.route, pl.col("storage_hex"), bold=True),
        pl.lit("0 g 0 G\n"),
        text_op(m, top - lay.route - lay.point - 6, pl.col("_point_size"), pl.col("_point_hex"), bold=True),
        text_op(m, top - lay.route - lay.point - lay.leader - 10, pl.col("_leader_size"), pl.col("_leader_hex")),
        text_op(m, m + lay.foot + lay.contents + lay.crate * 0.3 + 4, lay.crate, pl.col("_crate_hex"), bold=True),
        image_op(lay.width - m - lay.qr, m, lay.qr, pl.col("_qr")),
        text_op(m, m + lay.foot + 3, pl.col("_contents_size"), pl.col("_contents_hex")),
        text_op(m, m * 0.6, lay.foot, pl.col("_foot_hex")),
    ])
    text = pl.concat_str([pl.col("_route"), pl.col("storage"), pl.col("_point"), pl.col("_leader"), pl.col("_crate"),
                          pl.col("_contents"), pl.col("_foot")], ignore_nulls=True)
    return frame.select("route_id", content.alias("content"), text.alias("text"))


def write_crate_labels(folder: Path, crates: pl.DataFrame, qr_ops: dict[str, str], size: PageSize, font: Font,
                       lang: str, cutoff_text: str) -> list[Path]:
    """crates-<route_id>.pdf under `folder` for each route of `crates`."""
    lay = layout_for(size)
    contents = label_contents(crates, qr_ops, lay, font, lang, cutoff_text)
    grid = grid_for(size, lay.width, lay.height)
    t = words_for(lang)
    written = []
    for (route_id,), frame in contents.partition_by("route_id", as_dict=True, maintain_order=True).items():
        path = folder / f"crates-{route_id}.pdf"
        text = printable("".join(frame["text"].to_list()), font) + "…·×/0123456789"
        write_pdf(path, size, pages(frame["content"].to_list(), grid, lay.width, lay.height), text, font,
                  t["crate_title"].format(route=route_id))
        written.append(path)
    return written
