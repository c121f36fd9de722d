"""Build labels/fonts/CutoffLabelSans.ttf, the one font the PDF labels embed (docs/labels.md).

Run once by a developer (the result is committed; nothing runs this at build or run time):

    apt-get download fonts-droid-fallback fonts-dejavu-core
    for f in *.deb; do dpkg-deb -x "$f" x; done
    pip install fonttools==4.69.1
    python tools/build_label_font.py x/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf \
        x/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf labels/fonts/CutoffLabelSans.ttf

What it makes: Droid Sans Fallback (Apache 2.0; TrueType outlines, which a PDF embeds as a
CIDFontType2; the Noto CJK fonts Debian ships are CFF, which reportlab cannot embed) cut to the
characters of GBK (21,343 of its 21,791; GB2312 is 7,445 and misses names such as 喆 or 堃) and
the CJK punctuation, with the Latin letters, digits and punctuation of DejaVu Sans (scaled from 2,048 to Droid's 256
units per em) (Bitstream Vera licence: renamed, as it asks) added, since Droid's
fallback font has none. Composite glyphs are decomposed and hinting dropped (labels print; the
embedding code in labels/truetype.py copies simple glyphs only). Both licences are beside it.
"""

from __future__ import annotations

import sys

from fontTools import subset
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

FAMILY = "CutoffLabelSans"
UPEM = 256  # Droid's own: its outlines stay small; DejaVu's Latin is scaled to it
LATIN = [*range(0x20, 0x7F), *range(0xA0, 0x100), 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026,
         0x2030, 0x20AC, 0x2116, 0x2122, 0x2190, 0x2191, 0x2192, 0x2193, 0x2212, 0x00D7, 0x00F7]
MISSING = 0x3013  # 〓, the geta mark: what a character the font lacks prints as


def gbk_characters() -> list[int]:
    found = []
    for code in range(0x80, 0x10000):
        try:
            chr(code).encode("gbk")
        except UnicodeEncodeError:
            continue
        found.append(code)
    return found


def cut(path: str, unicodes: list[int]) -> TTFont:
    options = subset.Options()
    options.name_languages = ["*"]
    options.name_legacy = True
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "vhea", "vmtx", "gasp", "kern", "DSIG", "hdmx", "VDMX", "LTSH"]
    options.notdef_outline = True
    options.glyph_names = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    font = TTFont(path)
    for table in ("GSUB", "GPOS", "GDEF", "vhea", "vmtx"):  # no layout closure: only the characters' glyphs
        if table in font:
            del font[table]
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=[u for u in unicodes if u in font.getBestCmap()])
    cutter.subset(font)
    return font


def decomposed(font: TTFont, name: str):
    glyphs = font.getGlyphSet()
    recording = DecomposingRecordingPen(glyphs)
    glyphs[name].draw(recording)
    pen = TTGlyphPen(None)
    recording.replay(pen)
    return pen.glyph()


def build(cjk_path: str, latin_path: str, out: str) -> None:
    cjk = cut(cjk_path, [*gbk_characters(), *range(0x3000, 0x3040), *range(0xFF00, 0xFFF0)])
    latin = cut(latin_path, LATIN)
    if latin["head"].unitsPerEm != UPEM:
        scale_upem(latin, UPEM)
    glyf, hmtx = cjk["glyf"], cjk["hmtx"]
    for name in cjk.getGlyphOrder():
        if glyf[name].isComposite():
            glyf[name] = decomposed(cjk, name)
    order = list(cjk.getGlyphOrder())
    added = {}
    for name in latin.getGlyphOrder()[1:]:  # not its .notdef
        new = f"lat{len(added)}"
        glyf[new] = decomposed(latin, name)
        hmtx[new] = latin["hmtx"][name]
        added[name] = new
        order.append(new)
    cjk.setGlyphOrder(order)
    for table in cjk["cmap"].tables:
        if table.isUnicode():
            for code, name in latin.getBestCmap().items():
                table.cmap[code] = added[name]
    cjk["maxp"].numGlyphs = len(order)
    hhea, os2 = cjk["hhea"], cjk["OS/2"]
    hhea.ascent, hhea.descent = max(hhea.ascent, latin["hhea"].ascent), min(hhea.descent, latin["hhea"].descent)
    os2.sTypoAscender, os2.sTypoDescender = hhea.ascent, hhea.descent
    os2.usWinAscent, os2.usWinDescent = hhea.ascent, -hhea.descent
    name = cjk["name"]
    name.names = [n for n in name.names if n.nameID not in (1, 3, 4, 6, 16, 17)]
    for number, text in ((1, FAMILY), (3, f"{FAMILY} 1.0"), (4, FAMILY), (6, FAMILY)):
        name.setName(text, number, 3, 1, 0x409)
        name.setName(text, number, 1, 0, 0)
    cjk["post"].formatType = 3.0
    cjk.save(out)
    # the glyphs only composites used (radicals) are unused now that every glyph is decomposed: cut again
    again = cut(out, list(TTFont(out).getBestCmap()))
    again["post"].formatType = 3.0
    again.save(out)
    check = TTFont(out)
    cmap = check.getBestCmap()
    assert MISSING in cmap and ord("0") in cmap and ord("喆") in cmap, "the font lost a character it must have"
    print(f"{out}: {len(cmap):,} characters, {len(check.getGlyphOrder()):,} glyphs")


if __name__ == "__main__":
    build(*sys.argv[1:4])
