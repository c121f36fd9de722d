"""A supplier's order system for the tests: a real HTTP server (`http.server` on 127.0.0.1, in a
thread) that does what docs/po-api.md asks of a receiver. It checks each request's signature with
the supplier's secret and refuses a stale timestamp (401); it keeps one order per Idempotency-Key
and answers a repeated key with the first answer (200, the same reference) without a second
order. What it answers can be scripted per request: a status with a body and headers, a hold (an
answer that comes late or never), a hook called once the request is read.

    with SupplierEndpoint(secret="s3cret") as supplier:
        supplier.script(Reply(500), Reply(500))      # the next two requests fail, then the default
        ... post to supplier.url ...
        supplier.orders                              # {key: body} of the orders it took, once each
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One scripted answer: `status` with `body` (JSON text) and `headers`, after `hold` seconds;
    `on_request()` is called (from the server's thread) once the request is read, before the hold."""

    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: float = 0.0
    on_request: object = None
    drop: bool = False  # take the order, then close the connection without an answer (a lost answer)


@dataclass
class Seen:
    """A request as the server read it."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int = 0

    @property
    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))

    @property
    def key(self) -> str:
        return self.headers.get("Idempotency-Key", "")


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What docs/po-api.md tells a supplier to compute: HMAC-SHA256 of `<timestamp>.<body>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                                hashlib.sha256).hexdigest()


class SupplierEndpoint:
    """The server; a context manager (stopped by its own handle on exit)."""

    def __init__(self, secret: str, max_age: float = 300.0, latency: float = 0.0):
        self.secret = secret
        self.max_age = max_age
        self.latency = latency                   # seconds every answer takes (a remote system's)
        self.seen: list[Seen] = []
        self.orders: dict[str, dict] = {}        # Idempotency-Key -> the body of the order taken
        self.references: dict[str, str] = {}     # Idempotency-Key -> the reference it answered
        self.repeats: list[str] = []             # keys seen again (answered with the first answer)
        self.replies: list[Reply] = []
        self.lock = threading.Lock()
        self.release = threading.Event()         # ends every hold at once (the test's teardown)
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                endpoint._handle(self)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/purchase-orders?tenant=cutoff"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SupplierEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def script(self, *replies: Reply) -> None:
        """The answers to the next requests, in order; after them, the default (an order taken)."""
        with self.lock:
            self.replies.extend(replies)

    def _verify(self, headers, body: bytes) -> str | None:
        """Why the request is refused, or None when its signature and timestamp are good."""
        timestamp = headers.get("X-Cutoff-Timestamp", "")
        if not timestamp.isdigit():
            return "no timestamp"
        if abs(time.time() - int(timestamp)) > self.max_age:
            return "stale timestamp"
        given = headers.get("X-Cutoff-Signature", "")
        if not hmac.compare_digest(given, expected_signature(self.secret, timestamp, body)):
            return "bad signature"
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in handler.headers.items()}
        refused = self._verify(handler.headers, body)
        seen = Seen(handler.path, headers, body, refused is None)
        with self.lock:
            self.seen.append(seen)
            reply = self.replies.pop(0) if self.replies else None
        if reply is not None and reply.on_request is not None:
            reply.on_request()
        if reply is not None and reply.hold:
            self.release.wait(reply.hold)
        elif self.latency:
            time.sleep(self.latency)
        if reply is not None and reply.drop and refused is None:
            self._take(seen)
            handler.close_connection = True
            return
        if refused is not None:
            status, text, extra = 401, json.dumps({"error": refused}), {}
        elif reply is not None and reply.status != 200:
            status, text, extra = reply.status, reply.body or "", reply.headers
        else:
            status, text, extra = 200, self._take(seen), {}
        seen.status = status
        data = text.encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client gave up (a timeout) or was killed
            pass

    def _take(self, seen: Seen) -> str:
        """An order, once per key: a repeat gets the first answer again."""
        with self.lock:
            if seen.key in self.orders:
                self.repeats.append(seen.key)
            else:
                self.orders[seen.key] = seen.json
                self.references[seen.key] = f"SO-{len(self.orders):04d}"
            return json.dumps({"reference": self.references[seen.key], "duplicate": seen.key in self.repeats})
