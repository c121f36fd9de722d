"""The batch QR encoder: its symbols are python-qrcode's (an independent encoder) for the same text,
mode and mask, in every version it makes; a reader reads them back; a batch of any size gives each
text its own symbol; the images (PNG, PDF) hold the same modules."""

from __future__ import annotations

import numpy as np
import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData

from labels import qr
from labels.qr_images import qr_image_operators, qr_pngs
from tests.labels.qr_reader import read_symbol, symbol_from_png, symbols_in_content


def reference(text: str, mode: str, mask: int) -> np.ndarray:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=mask)
    kind = MODE_ALPHA_NUM if mode == qr.ALNUM else MODE_8BIT_BYTE
    code.add_data(QRData(text.encode() if mode == qr.BYTE else text, mode=kind))
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


@pytest.mark.parametrize(("text", "mode", "version"), [
    ("PK1JS5CEG7T7MQAB4TN", qr.ALNUM, 1), ("HELLO WORLD", qr.ALNUM, 1), ("P0042", qr.BYTE, 1),
    ("p_0042.x-y" * 2, qr.BYTE, 2), ("a" * 40, qr.BYTE, 3), ("b" * 60, qr.BYTE, 4), ("c" * 84, qr.BYTE, 5),
    ("d" * 100, qr.BYTE, 6), ("幸福小区", qr.BYTE, 1)])
def test_every_mask_gives_python_qrcodes_symbol(text, mode, version):
    for mask in range(8):
        ours = qr.qr_matrices([text], mode, mask=mask)[0]
        assert ours.shape == (qr.size_of(version),) * 2
        assert (ours == reference(text, mode, mask)).all(), mask
        assert read_symbol(ours) == text


def test_the_chosen_mask_has_the_lowest_penalty_and_the_symbol_reads_back():
    texts = [f"P{i:04d}" for i in range(40)]
    chosen = qr.qr_matrices(texts, qr.BYTE)
    for text, symbol in zip(texts, chosen, strict=True):
        every = np.stack([qr.qr_matrices([text], qr.BYTE, mask=m)[0] for m in range(8)])
        penalties = qr._penalties(every)
        assert qr._penalties(symbol[None])[0] == penalties.min()
        assert read_symbol(symbol) == text


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(st.sampled_from(qr.ALPHANUMERIC), min_size=19, max_size=19), min_size=1, max_size=30))
def test_a_batch_gives_each_text_its_own_symbol(texts):
    batch = qr.qr_matrices(texts, qr.ALNUM, mask=2)
    for text, symbol in zip(texts, batch, strict=True):
        assert (symbol == qr.qr_matrices([text], qr.ALNUM, mask=2)[0]).all()
        assert read_symbol(symbol) == text


def test_texts_of_several_lengths_and_what_does_not_fit():
    texts = ["P1", "P0042", "R1-long_point.id", "P1"]
    assert [read_symbol(s) for s in qr.qr_batches(texts, qr.BYTE)] == texts
    with pytest.raises(ValueError, match="one length"):
        qr.qr_matrices(["A", "BB"])
    with pytest.raises(ValueError, match="alphanumeric"):
        qr.qr_matrices(["abc"], qr.ALNUM)
    with pytest.raises(ValueError, match="version 6"):
        qr.qr_matrices(["x" * 107], qr.BYTE)


def test_the_png_and_the_pdf_image_hold_the_modules():
    symbols = qr.qr_matrices(["PK1JS5CEG7T7MQAB4TN", "PK1JS5GTWH7OYQ7D44D"], mask=2)
    for png, symbol in zip(qr_pngs(symbols), symbols, strict=True):
        assert (symbol_from_png(png) == symbol).all()
    content = "\n".join(qr_image_operators(symbols))
    assert all((a == b).all() for a, b in zip(symbols_in_content(content), symbols, strict=True))
    assert qr_pngs(symbols[:0]) == [] and qr_image_operators(symbols[:0]) == []
