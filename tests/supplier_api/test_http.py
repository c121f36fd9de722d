"""The signature a supplier verifies: HMAC-SHA256 of `<timestamp>.<body bytes>`, keyed with the
secret's UTF-8 bytes (a vector worked out with openssl, so the doc's example can be checked)."""

from __future__ import annotations

from supplier_api.http import request_headers, signature
from tests.supplier_endpoint import expected_signature

BODY = b'{"po_number":"PO-nightly-2026-11-21-S1","revision":1}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    # printf '%s' '1795003200.<body>' | openssl dgst -sha256 -hmac s3cret  (docs/po-api.md)
    assert signature("s3cret", 1795003200, BODY) == \
        "sha256=86171e774dba7d6ef0e3f47fc3d1a2683f440e91bdf3f7f113f767afd033aa55"
    assert signature("s3cret", 1795003200, BODY) == expected_signature("s3cret", "1795003200", BODY)


def test_the_secret_is_keyed_as_written_utf8_spaces_included():
    assert signature("签名", 1, BODY) == expected_signature("签名", "1", BODY)
    assert signature(" s3cret", 1, BODY) != signature("s3cret", 1, BODY)


def test_the_headers_of_an_attempt():
    headers = request_headers(BODY, "PO-nightly-2026-11-21-S1.r1", "s3cret", 1795003200)
    assert headers == {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                       "User-Agent": "cutoff-po/1", "Idempotency-Key": "PO-nightly-2026-11-21-S1.r1",
                       "X-Cutoff-Timestamp": "1795003200", "X-Cutoff-Signature": signature("s3cret", 1795003200, BODY)}
