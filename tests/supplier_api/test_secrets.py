"""The signing secrets' file (CUTOFF_PO_SECRETS), the Prefect block's name, and which suppliers of a
data dir are on api, read before the run validates its master data."""

from __future__ import annotations

import pytest

from errors import UserError
from supplier_api.secrets import api_suppliers_in, block_name, read_secrets_file
from tests import datasets


@pytest.fixture
def dirs(tmp_path):
    data_dir, reports_dir = tmp_path / "data", tmp_path / "reports"
    data_dir.mkdir()
    reports_dir.mkdir()
    return data_dir, reports_dir


def write(path, text: str, mode: int = 0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_secrets_are_read_as_written(tmp_path, dirs):
    path = write(tmp_path / "etc" / "po.toml", '[suppliers.S1]\nsecret = " s3cret 签名 "\n'
                                               '[suppliers."S.2"]\nsecret = "x"\n')
    assert read_secrets_file(path, *dirs) == ({"S1": " s3cret 签名 ", "S.2": "x"}, [])


@pytest.mark.parametrize("inside", ["data", "reports"])
def test_a_file_inside_the_data_or_reports_dir_is_refused(tmp_path, dirs, inside):
    path = write(tmp_path / inside / "master" / "po.toml", '[suppliers.S1]\nsecret = "x"\n')
    with pytest.raises(UserError) as refused:
        read_secrets_file(path, *dirs)
    assert f"CUTOFF_PO_SECRETS names {path}, which is inside the {inside} dir" in str(refused.value)


def test_a_link_into_the_data_dir_is_refused_too(tmp_path, dirs):
    real = write(tmp_path / "data" / "po.toml", '[suppliers.S1]\nsecret = "x"\n')
    link = tmp_path / "etc" / "po.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    with pytest.raises(UserError, match="inside the data dir"):
        read_secrets_file(link, *dirs)


@pytest.mark.parametrize("text, problem", [
    ("[suppliers.S1\nsecret = 1", "is not valid TOML"),
    ("suppliers = 3\n", "`suppliers` must be tables"),
    ('[suppliers.S1]\nkey = "x"\n', '[suppliers.S1] has no `secret = "..."`'),
    ('[suppliers.S1]\nsecret = ""\n', '[suppliers.S1] has no `secret = "..."`'),
    ("[suppliers.S1]\nsecret = 42\n", '[suppliers.S1] has no `secret = "..."`'),
])
def test_a_bad_file_is_one_clear_message_that_never_shows_a_secret(tmp_path, dirs, text, problem):
    path = write(tmp_path / "etc" / "po.toml", text)
    with pytest.raises(UserError) as refused:
        read_secrets_file(path, *dirs)
    assert problem in str(refused.value)


def test_a_missing_file_and_one_others_can_read(tmp_path, dirs):
    with pytest.raises(UserError, match="which cannot be read"):
        read_secrets_file(tmp_path / "etc" / "none.toml", *dirs)
    path = write(tmp_path / "etc" / "po.toml", '[suppliers.S1]\nsecret = "x"\n', mode=0o644)
    assert read_secrets_file(path, *dirs)[1] == [
        f"CUTOFF_PO_SECRETS file {path} can be read by other users (mode -rw-r--r--): `chmod 600 {path}`."]


@pytest.mark.parametrize("supplier_id, name", [("S001", "cutoff-po-s001"), ("Fresh_Co.2", "cutoff-po-fresh-co-2")])
def test_block_name(supplier_id, name):
    assert block_name(supplier_id) == name


def test_api_suppliers_are_read_from_the_file_as_it_is(tmp_path):
    suppliers = [dict(datasets.SUPPLIERS[0], po_transport="api", po_url="https://erp.example.com/po"),
                 dict(datasets.SUPPLIERS[1], po_transport=" api ")]
    data_dir = datasets.write_master(tmp_path / "data", suppliers=suppliers)
    assert api_suppliers_in(data_dir) == ["S1", "S2"]  # S2's missing po_url is the validation's to report
    assert api_suppliers_in(datasets.write_master(tmp_path / "other")) == []
    assert api_suppliers_in(tmp_path / "nowhere") == []
