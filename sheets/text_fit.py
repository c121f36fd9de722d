"""How a label, a note and a totals cell fit a printed column (sheets/writer.py lays sheets out
with them): a label on one line or two, a note broken into lines of the page's width, the width a
totals cell takes, a sheet's name as Excel allows it. See docs/sheets.md ("Layout rules")."""

from __future__ import annotations

import re

from sheets.spec import DECIMAL, MONEY, PERCENT, display_width, yuan_text

_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_TOKEN = re.compile(r"[!-~]+|[^\s!-~]")  # what a label cannot break inside: a run of ASCII, one CJK character


def sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_TITLE_BAD.sub("_", title).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def label_lines(label: str, width: float) -> int:
    return sum(max(1, -(-int(display_width(line)) // max(1, int(width) - 1))) for line in label.split("\n"))


def two_lines(label: str) -> str:
    """A one-line label split where its two lines come out most even (between CJK characters or
    at a space): 手机尾号 -> 手机/尾号, "units to hand out" -> "units to/hand out"."""
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(label)]
    best, split = None, None
    for (_, end), (start, _) in zip(tokens, tokens[1:], strict=False):
        widest = max(display_width(label[:end].rstrip()), display_width(label[start:].lstrip()))
        if best is None or widest <= best:  # a tie: the longer first line (采购单/首发)
            best, split = widest, (end, start)
    if split is None:
        return label
    return f"{label[:split[0]].rstrip()}\n{label[split[1]:].lstrip()}"


def fit_label(label: str, width: float) -> str:
    """The label as printed over a column its values make `width` wide: on one line when it takes
    less than 1.5 columns more, else on two (订购数量 over a few digits: 订购/数量)."""
    if "\n" in label or display_width(label) + 2 < width + 1.5:  # one line, unless two save 1.5 columns or more
        return label
    split = two_lines(label)
    # never a character a line (单位 stays 单位): two lines of at least two CJK characters or a word of four
    return split if min(display_width(line) for line in split.split("\n")) >= 4 else label


NOTE_WIDTH = {False: 74, True: 108}  # landscape? -> display columns a note line takes at most: the
# printed page's width at 100%, so a note never makes the page shrink the table
_NOTE_PIECE = re.compile(r".+?(?:[，。；、：,;:)）]+\s*|\s+|$)")  # up to and with a place a line may break


def wrap_note(text: str, width: float) -> list[str]:
    """A note as lines at most `width` display columns wide: broken after punctuation or at a
    space where it can, else between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in _NOTE_PIECE.findall(paragraph):
            if display_width((line + piece).rstrip()) <= width:
                line += piece
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = ""
            for ch in piece:  # a piece wider than a line: cut between characters
                if display_width(line + ch) > width:
                    lines.append(line.rstrip())
                    line = ""
                line += ch
        lines.append(line.rstrip())
    return [line for line in lines if line] or [""]


def total_width(value, kind: str) -> float:
    """Columns a totals cell takes as shown (bold: a little more)."""
    if isinstance(value, str):
        return display_width(value) + 0.5
    if value is None or isinstance(value, bool):
        return 0
    if kind == MONEY and isinstance(value, int):
        return len(yuan_text(value)) + 0.5
    if kind == PERCENT and isinstance(value, float):
        return len(f"{value:.1%}") + 0.5
    if kind == DECIMAL and isinstance(value, float):
        return len(f"{value:,.2f}") + 0.5
    if isinstance(value, int):
        return len(f"{value:,}") + 0.5
    return 0
