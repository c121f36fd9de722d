"""The pickup codes' key: made once in the data dir (owner-only), read back the same by every later
run; a file that is no key stops the run with what to do."""

from __future__ import annotations

import stat

import pytest

from errors import UserError
from labels.pickup_key import KEY_BYTES, key_path, pickup_key, read_key


def test_made_once_and_read_back(tmp_path):
    assert read_key(tmp_path) is None
    key = pickup_key(tmp_path)
    assert len(key) == KEY_BYTES and pickup_key(tmp_path) == key == read_key(tmp_path)
    assert stat.S_IMODE(key_path(tmp_path).stat().st_mode) == 0o600
    assert pickup_key(tmp_path / "other") != key if (tmp_path / "other").mkdir() is None else False


def test_a_file_that_is_no_key(tmp_path):
    key_path(tmp_path).write_text("not a key\n", encoding="ascii")
    with pytest.raises(UserError, match="is not a pickup-code key"):
        pickup_key(tmp_path)


def test_a_data_dir_that_cannot_be_written(tmp_path):
    with pytest.raises(UserError, match="cannot create the pickup codes' key"):
        pickup_key(tmp_path / "missing")
