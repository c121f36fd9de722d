"""A local Prefect server owned by the command that starts it, and gone when that command is.

Without `PREFECT_API_URL`, Prefect starts a temporary server of its own for a flow run (a uvicorn
child process, `SubprocessASGIServer`) and stops it from an `atexit` hook. A `kill -9` of the
command skips that hook and the server lives on, an orphan holding Prefect's database. So the
commands start that server themselves (`prefect_api_for_this_command`), the same way Prefect does
(same uvicorn app, same settings), with three differences:

- it dies with its owner: the child arms `PR_SET_PDEATHSIG` (Linux) before it `exec`s the server,
  so even `kill -9` of the command takes the server with it;
- it leaves a pidfile, `$PREFECT_HOME/cutoff-servers/<pid>.json`, naming the server (pid and process
  start time) and its owner. Before starting, a command stops every server whose owner is gone
  (`stop_orphaned_servers`): a process is identified by pid AND start time, never by its name, and
  a server whose owner still runs is left alone;
- it runs in a process group of its own and is stopped by its handle (`LocalPrefectServer.stop`).

Reusable: `start_local_server(ephemeral=False)` runs a full `prefect server start` (scheduler, the
other services and the UI), for commands that need deployments, work pools and workers; its
`api_url` goes into the environment of the workers they start.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from errors import UserError
from outputs.processes import is_running, process_start_time

PIDFILE_DIR = "cutoff-servers"
DEFAULT_STARTUP_TIMEOUT = 120.0

# Runs in the child before the server: arm the death signal, check the owner is still there (it
# may have died before the signal was armed), then become the server (exec keeps the signal).
_DIE_WITH_OWNER = """
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
owner, die = int(sys.argv[1]), sys.argv[2] == "1"
if die and sys.platform.startswith("linux"):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        sys.exit("cannot arm PR_SET_PDEATHSIG: errno %d" % ctypes.get_errno())
    if os.getppid() != owner:
        os._exit(1)
os.execv(sys.executable, [sys.executable, *sys.argv[3:]])
"""


def owned_command(arguments: list[str], die_with_owner: bool = True) -> list[str]:
    """The command line that runs `python <arguments>` as a child that dies with this process
    (PR_SET_PDEATHSIG, Linux): for the server here, and the local workers (flows/workers.py)."""
    return [sys.executable, "-c", _DIE_WITH_OWNER, str(os.getpid()), "1" if die_with_owner else "0", *arguments]


def signal_group(pid: int, sig: int) -> None:
    """Signal the process group `pid` leads (see `_signal_group`)."""
    _signal_group(pid, sig)


def _signal_group(pid: int, sig: int) -> None:
    """The server leads its own process group: signal the group (any child it made), else the pid."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


# --- the server ----------------------------------------------------------------------------------

def prefect_home() -> Path:
    from prefect.settings import get_current_settings
    return Path(get_current_settings().home).expanduser()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalPrefectServer:
    """A Prefect server on 127.0.0.1 started by this process. `stop()` ends it."""

    process: subprocess.Popen
    port: int
    pidfile: Path | None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to its process group, SIGKILL after `grace` seconds; then the pidfile goes."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.pidfile is not None:
            self.pidfile.unlink(missing_ok=True)


def _server_command(port: int, ephemeral: bool, settings: bool = True) -> tuple[list[str], dict[str, str]]:
    """What Prefect itself runs: its ephemeral app (SubprocessASGIServer), or `prefect server start`.
    `settings=False`: without importing Prefect (~0.7 s), from the environment alone (the server
    reads the profile of PREFECT_HOME itself, as this process would)."""
    if settings:
        import prefect
        from prefect.settings import get_current_settings
        env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True)}
        package = Path(prefect.__module_path__)
    else:
        env = dict(os.environ)
        package = Path(importlib.util.find_spec("prefect").origin).parent
    env.pop("PREFECT_API_URL", None)
    if ephemeral:
        env.update({"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"})
        return ["-m", "uvicorn", "--app-dir", str(package.parent), "--factory",
                "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "error", "--lifespan", "on"], env
    env["PREFECT_UI_API_URL"] = f"http://127.0.0.1:{port}/api"
    return ["-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)], env


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _write_pidfile(directory: Path, process: subprocess.Popen, port: int, ephemeral: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{process.pid}.json"
    record = {"pid": process.pid, "started": process_start_time(process.pid), "port": port,
              "owner": os.getpid(), "owner_started": process_start_time(os.getpid()),
              "kind": "ephemeral" if ephemeral else "server"}
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temporary, path)
    return path


def start_local_server(*, home: Path | None = None, ephemeral: bool = True, timeout: float | None = None,
                       die_with_owner: bool = True, env: dict[str, str] | None = None,
                       output: Path | None = None) -> LocalPrefectServer:
    """Start a Prefect server on a free port of 127.0.0.1 and wait until it answers /api/health.

    `ephemeral`: Prefect's temporary server (no UI, only the services a flow run needs; about 4 s);
    else a full `prefect server start`. `die_with_owner=False` only for tests of the orphan cleanup.
    `output`: a file for the server's output (its banner, its log), else this process's.
    Raises RuntimeError when it does not come up within `timeout` seconds."""
    home = home or prefect_home()
    deadline = time.monotonic() + (_startup_timeout() if timeout is None else timeout)
    for _ in range(3):  # a port taken between probing and binding: another port
        server = launch_local_server(home=home, ephemeral=ephemeral, die_with_owner=die_with_owner, env=env,
                                     output=output)
        if wait_until_healthy(server, deadline):
            return server
        server.stop()
        if time.monotonic() >= deadline:
            break
    raise _not_started(server, timeout if timeout is not None else _startup_timeout())


def launch_local_server(*, home: Path | None = None, ephemeral: bool = True, die_with_owner: bool = True,
                        env: dict[str, str] | None = None, output: Path | None = None,
                        settings: bool = True) -> LocalPrefectServer:
    """Start a Prefect server on a free port of 127.0.0.1 and return at once (it boots meanwhile:
    `wait_until_healthy`). What `start_local_server` does first. `settings`: see _server_command."""
    home = home or prefect_home()
    port = free_port()
    command, server_env = _server_command(port, ephemeral, settings)
    with open(output, "ab") if output is not None else _inherited() as out:
        process = subprocess.Popen(owned_command(command, die_with_owner), env={**server_env, **(env or {})},
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    return LocalPrefectServer(process, port, _write_pidfile(home / PIDFILE_DIR, process, port, ephemeral))


def wait_until_healthy(server: LocalPrefectServer, deadline: float) -> bool:
    """Wait until the server answers /api/health (True), exits or the deadline (time.monotonic) passes."""
    while time.monotonic() < deadline and server.is_alive() and not _healthy(server.port):
        time.sleep(0.05)
    return server.is_alive() and _healthy(server.port)


def _startup_timeout() -> float:
    return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or DEFAULT_STARTUP_TIMEOUT)


def _not_started(server: LocalPrefectServer, timeout: float) -> RuntimeError:
    return RuntimeError(f"the local Prefect server did not start within {timeout:g} s (last exit code "
                        f"{server.process.returncode}). Set PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS "
                        "higher on a busy machine, or start a server and set PREFECT_API_URL.")


@contextmanager
def _inherited() -> Iterator[None]:
    yield None


def stop_orphaned_servers(home: Path | None = None) -> list[int]:
    """Stop the servers of `home`'s pidfiles whose owner is gone; drop their pidfiles. Returns the
    pids stopped. A server whose owner still runs (another command) is left alone; a pid now used
    by another process (start time differs) is not touched."""
    directory = (home or prefect_home()) / PIDFILE_DIR
    stopped = []
    for pidfile in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            record = json.loads(pidfile.read_text(encoding="utf-8"))
            pid, started = int(record["pid"]), record.get("started")
            owner, owner_started = int(record["owner"]), record.get("owner_started")
        except (OSError, ValueError, KeyError, TypeError):
            pidfile.unlink(missing_ok=True)  # half-written: its owner died while writing it
            continue
        if is_running(owner, owner_started):
            continue
        if started is not None and is_running(pid, started):
            _signal_group(pid, signal.SIGKILL)
            for _ in range(100):
                if not is_running(pid, started):
                    break
                time.sleep(0.05)
            stopped.append(pid)
        pidfile.unlink(missing_ok=True)
    return stopped


def _flush_prefect_workers() -> None:
    """Send the log records and events still queued, before their server goes."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=10)
        except Exception:  # nothing started, or the server is gone already: nothing to send
            pass


@contextmanager
def server_launched_early(notice=None) -> Iterator[LocalPrefectServer | None]:
    """This command's local server, launched now and not waited for: it boots while the command
    imports and plans (about 3 s of a run's start), and `prefect_api_for_this_command(early=...)`
    takes it. None when `PREFECT_API_URL` names a server. Stopped when the context ends, whether
    it was taken or not (a user error before Prefect starts; a profile that names a server).
    Prefect is not imported here (the server starts ~0.7 s sooner): PREFECT_HOME from the
    environment (the command line sets it)."""
    if os.environ.get("PREFECT_API_URL") or not os.environ.get("PREFECT_HOME"):
        yield None
        return
    home = Path(os.environ["PREFECT_HOME"]).expanduser()
    _stop_orphans(home, notice)
    server = launch_local_server(home=home, settings=False)
    try:
        yield server
    finally:
        server.stop()


def _stop_orphans(home: Path, notice=None) -> None:
    stopped = stop_orphaned_servers(home)
    if stopped and notice:
        notice(f"stopped {len(stopped)} Prefect server(s) left running by a command that was killed "
               f"(pid {', '.join(map(str, stopped))})")


@contextmanager
def prefect_api_for_this_command(notice=None, early: LocalPrefectServer | None = None
                                 ) -> Iterator[LocalPrefectServer | None]:
    """Point this process's Prefect (and the processes it starts) at a local server it owns, for
    the duration; none when `PREFECT_API_URL` (or the profile) names a server already. `early`:
    the server `server_launched_early` started (waited for here; another is started if it fails).

    `notice(text)` is told about orphans stopped on the way."""
    from prefect.context import refresh_global_settings_context
    from prefect.settings import get_current_settings
    if get_current_settings().api.url:  # a profile names a server after all: the early one goes now
        if early is not None:
            early.stop()
        yield None
        return
    home = prefect_home()
    server = None
    if early is not None and wait_until_healthy(early, time.monotonic() + _startup_timeout()):
        server = early
    else:
        if early is not None:
            early.stop()
        else:
            _stop_orphans(home, notice)
        try:
            server = start_local_server(home=home)
        except RuntimeError as exc:  # a machine too busy to start it in time: say so, no traceback
            raise UserError(str(exc)) from None
    os.environ["PREFECT_API_URL"] = server.api_url
    refresh_global_settings_context()
    try:
        yield server
    finally:
        _flush_prefect_workers()
        server.stop()
        os.environ.pop("PREFECT_API_URL", None)
        refresh_global_settings_context()
