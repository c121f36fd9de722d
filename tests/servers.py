"""Real servers for tests: a `prefect server` on a free port with its own PREFECT_HOME, `cutoff
serve` in a subprocess, an SMTP server (aiosmtpd) and an HTTP server that records what is posted
to it. Every process is started in its own process group and stopped by its handle, never by name.

    with PrefectServer(tmp / "prefect") as server:          # healthy when entered
        serve = server.serve(env={"CUTOFF_DATA_DIR": ...}, log=tmp / "serve.log")
        ...
        stop(serve, signal.SIGINT)                           # Ctrl-C, as ops stop it
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(ROOT / ".venv" / "bin" / "prefect")
SERVE = "from flows.deployments import serve_deployments; serve_deployments()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_for(condition, timeout: float, what: str, log: Path | None = None, interval: float = 0.5):
    """Poll `condition` until it returns something truthy (returned); fail the test at the timeout
    with the tail of `log`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{tail(log)}")


def stop(process: subprocess.Popen, first: signal.Signals = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process we started (and its own process group): `first` signal, wait, kill on timeout."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, first)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    else:  # the leader is gone; its group may not be
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def base_env(home: Path) -> dict[str, str]:
    """This environment without any PREFECT_ or CUTOFF_ setting, with its own PREFECT_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CUTOFF_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_SERVER_LOGGING_LEVEL="WARNING", PREFECT_LOGGING_LEVEL="INFO", PYTHONPATH=str(ROOT))
    return env


class PrefectServer:
    """`prefect server start` on 127.0.0.1 and a free port, its database migrated first. `extra`
    sets server settings (e.g. shorter service loops). A context manager: healthy on entry, stopped
    (with everything started through it) on exit."""

    def __init__(self, base: Path, extra: dict[str, str] | None = None):
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ui_url = f"http://127.0.0.1:{self.port}"
        self.env = base_env(base / "prefect-home")
        self.env.update(extra or {})
        self.log = base / "server.log"
        self.started: list[tuple[subprocess.Popen, signal.Signals]] = []

    def __enter__(self) -> PrefectServer:
        subprocess.run([PREFECT, "server", "database", "upgrade", "-y"], env=self.env, check=True,
                       capture_output=True, timeout=180)
        try:
            with self.log.open("wb") as out:
                self.process = subprocess.Popen(
                    [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                    env=self.env, cwd=self.base, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            self.started.append((self.process, signal.SIGTERM))
            wait_for(self.healthy, 90, "the Prefect server's /api/health", self.log)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process, first in reversed(self.started):
            stop(process, first)
        self.started.clear()

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the Prefect server exited with {self.process.returncode}\n{tail(self.log)}")
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def client_env(self) -> dict[str, str]:
        return dict(self.env, PREFECT_API_URL=self.api_url)

    def serve(self, env: dict[str, str], log: Path) -> subprocess.Popen:
        """`cutoff serve` (serve_deployments) against this server, with `env` added (CUTOFF_*).
        Stopped with Ctrl-C (SIGINT) on exit unless stopped before."""
        serve_env = dict(self.client_env(), PREFECT_RUNNER_POLL_FREQUENCY="2", **env)
        with log.open("ab") as out:
            process = subprocess.Popen([sys.executable, "-c", SERVE], env=serve_env, cwd=ROOT, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((process, signal.SIGINT))
        return process

    def client(self):
        """A sync Prefect client of this server (a context manager), inside temporary settings."""
        from contextlib import ExitStack, contextmanager

        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        @contextmanager
        def opened():
            with ExitStack() as stack:
                stack.enter_context(temporary_settings({PREFECT_API_URL: self.api_url}))
                yield stack.enter_context(get_client(sync_client=True))
        return opened()


def wait_for_deployment(client, name: str, serve: subprocess.Popen, log: Path, timeout: float = 90):
    """The deployment once `cutoff serve` has registered it (fails if serve exits first)."""
    def deployed():
        if serve.poll() is not None:
            pytest.fail(f"the serve process exited with {serve.returncode}\n{tail(log)}")
        try:
            return client.read_deployment_by_name(name)
        except Exception:  # not registered yet
            return None
    return wait_for(deployed, timeout, f"the {name} deployment", log)


# ---- an HTTP server that records what is posted (a chat tool's webhook) -----------------------------

class WebhookReceiver:
    """ThreadingHTTPServer on 127.0.0.1 in a thread: every POST's path, headers and body (JSON decoded
    when it is JSON) in `received`. A context manager; stopped by its handle on exit. `reply(post)`
    (optional) gives the answer to a post: (HTTP status, JSON body), as a chat bot would answer."""

    def __init__(self, reply=None):
        self.received: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body.decode("utf-8"))
                except ValueError:
                    payload = body.decode("utf-8", errors="replace")
                post = {"path": self.path, "headers": dict(self.headers), "json": payload}
                with receiver.lock:
                    receiver.received.append(post)
                status, answer = reply(post) if reply else (200, {"ok": True})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(answer).encode("utf-8"))

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def posts(self) -> list[dict]:
        with self.lock:
            return list(self.received)


# ---- an SMTP server that keeps what it receives ----------------------------------------------------

class MailReceiver:
    """aiosmtpd on 127.0.0.1 and a free port: each message (parsed) in `messages()`."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.envelopes: list = []
        self.lock = threading.Lock()
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with receiver.lock:
                    receiver.envelopes.append(envelope)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> MailReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def messages(self) -> list:
        from email import message_from_bytes, policy
        with self.lock:
            envelopes = list(self.envelopes)
        return [message_from_bytes(e.original_content or e.content, policy=policy.default) for e in envelopes]
