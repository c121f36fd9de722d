"""How big the text of a workbook prints: each workbook through LibreOffice to PDF, then the size of
the text on each printed page, from the word boxes `pdftotext -bbox` gives (a developer's tool: CI has
no LibreOffice; docs/sheets.md, "How each sheet prints", records its figures).

    .venv/bin/python benchmarks/print_sizes.py reports/demo/nightly/2026-12-07/summary.xlsx ...
    .venv/bin/python benchmarks/print_sizes.py --run reports/demo/nightly/2026-12-07   # one book per kind
    .venv/bin/python benchmarks/print_sizes.py --calibrate     # a sheet printed at known sizes
    ... --png DIR   # also each page as a PNG (pdftoppm, 70 dpi) to look at

A word box is 1.30x the font size as LibreOffice prints it (calibrated: Calibri, printed with
DejaVu Sans / Noto CJK here, 6-14 pt at 100%: 7.81 / 6, 11.72 / 9, 14.30 / 11). The size of a
page's text is its words' median size; "min" is the 10th percentile (headings and titles are
larger, a footer is left out: it is printed at its own size, not scaled with the sheet). A page
with no words (a chart alone) reports none.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BOX_PER_POINT = 1.30
FOOTER_BAND = 48.0  # points at the page's foot where the footer prints (bottom margin 0.7 in = 50 pt)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')

# the run folder's workbooks, one per kind: (kind, glob, pick the largest file)
RUN_KINDS = (
    ("purchase order", "purchase/*.xlsx"),
    ("sorting book", "sorting/*.xlsx"),
    ("handout list", "handout/*.xlsx"),
    ("summary.xlsx", "summary.xlsx"),
    ("commissions.xlsx", "commissions.xlsx"),
    ("shortages.xlsx", "receiving/shortages.xlsx"),
    ("re-issued sorting book", "receiving/sorting/*.xlsx"),
    ("re-issued handout list", "receiving/handout/*.xlsx"),
    ("fulfilment.xlsx", "../../analysis/*/fulfilment.xlsx"),
    ("losses.xlsx", "../../analysis/*/losses.xlsx"),
)


@dataclass(frozen=True)
class Page:
    number: int
    words: int
    median_pt: float | None
    min_pt: float | None


def to_pdf(books: list[Path], out_dir: Path) -> list[Path]:
    """Print the books to PDF with LibreOffice (a profile of its own: another soffice may be running)."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    copies = []  # books of the same name (sorting/R01.xlsx, receiving/sorting/R01.xlsx) apart
    for number, book in enumerate(books):
        copies.append(out_dir / f"{number:03d}-{book.name}")
        shutil.copyfile(book, copies[-1])
    try:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), *map(str, copies)], check=True, capture_output=True, timeout=900)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return [copy.with_suffix(".pdf") for copy in copies]


def page_sizes(pdf: Path) -> list[Page]:
    """The printed text size of each page of `pdf`, in points."""
    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = []
    for number, chunk in enumerate(text.split("<page ")[1:], 1):
        height = float(_PAGE.search("<page " + chunk).group(2))
        sizes = sorted((float(y1) - float(y0)) / BOX_PER_POINT for _, y0, _, y1, word in _WORD.findall(chunk)
                       if float(y0) < height - FOOTER_BAND and html.unescape(word).strip())
        if sizes:
            pages.append(Page(number, len(sizes), round(statistics.median(sizes), 1),
                              round(sizes[len(sizes) // 10], 1)))
        else:
            pages.append(Page(number, 0, None, None))
    return pages


def describe(name: str, pages: list[Page]) -> str:
    sized = [p for p in pages if p.median_pt is not None]
    if not sized:
        return f"{name}: {len(pages)} page(s), no text"
    smallest = min(sized, key=lambda p: p.median_pt)
    under = [p.number for p in sized if p.median_pt < 9.0]
    ranges = ", ".join(f"p{p.number} {p.median_pt}" for p in pages[:12] if p.median_pt is not None)
    more = f", ... ({len(pages)} pages)" if len(pages) > 12 else ""
    return (f"{name}: {len(pages)} page(s); smallest page text {smallest.median_pt} pt (p{smallest.number}), "
            f"10th percentile there {smallest.min_pt} pt; pages under 9 pt: {len(under)}"
            f"{(' ' + str(under[:10])) if under else ''}\n    {ranges}{more}")


def run_books(folder: Path) -> list[tuple[str, Path]]:
    """The largest book of each kind in a run folder (and the analysis books beside it)."""
    picked = []
    for kind, pattern in RUN_KINDS:
        found = sorted((folder / Path(pattern).parent).glob(Path(pattern).name)) if ".." not in pattern else \
            sorted(folder.glob(pattern))
        if found:
            picked.append((kind, max(found, key=lambda p: p.stat().st_size)))
    return picked


def calibrate(out_dir: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    sizes = (6, 7, 8, 9, 10, 11, 12, 14)
    for row, size in enumerate(sizes, 1):
        ws.cell(row=2 * row, column=1, value=f"Size{size} 商品编码 1234").font = Font(name="Calibri", size=size)
    book = out_dir / "calibrate.xlsx"
    wb.save(book)
    (pdf,) = to_pdf([book], out_dir)
    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    boxes = [float(y1) - float(y0) for _, y0, _, y1, word in _WORD.findall(text) if word.startswith("Size")]
    for size, box in zip(sizes, boxes, strict=True):
        print(f"{size:>3} pt: word box {box:.2f} pt = {box / size:.3f} x the size")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("books", nargs="*", type=Path)
    parser.add_argument("--run", type=Path, help="a run folder: its largest book of each kind")
    parser.add_argument("--png", type=Path, help="also write each page as a PNG here")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args(argv)
    out_dir = Path(tempfile.mkdtemp(prefix="print-sizes-"))
    if args.calibrate:
        calibrate(out_dir)
        return 0
    named = [(book.name, book) for book in args.books] + (run_books(args.run) if args.run else [])
    if not named:
        parser.error("name workbooks or --run")
    for (name, book), pdf in zip(named, to_pdf([b for _, b in named], out_dir), strict=True):
        if not pdf.exists():
            print(f"{name}: LibreOffice printed nothing for {book}")
            continue
        print(describe(f"{name} ({book.name})", page_sizes(pdf)))
        if args.png:
            target = args.png / pdf.stem
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(target)], check=True)
    if not os.environ.get("KEEP_PDF"):
        shutil.rmtree(out_dir, ignore_errors=True)
    else:
        print(f"PDFs in {out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
