"""Where the regional cutoffs run: a Prefect work pool, the `cutoff/region` deployment on it, and
(for the embedded default of `cutoff national`) local process workers owned by the command.

- The pool (`CUTOFF_POOL`, default `cutoff-regions`) is made when missing: a process pool whose
  concurrency limit bounds how many regions run at once. An existing pool is left as it is (ops
  own its limit and its type: the same deployment runs on a Kubernetes pool in production).
- The deployment `cutoff/region` is `cutoff_flow`, loaded by module path (`flows.cutoff_flow`)
  from the project directory (a pull step sets the working directory there), run by the
  project's interpreter (`command`: `<.venv>/bin/python -m flows.launch`, the engine in a process
  that dies with its worker), with flow-run heartbeats every 30 s. No remote storage: the code is
  where the worker runs.
- A local worker is `prefect worker start --pool ... --limit 1` in a process group of its own that
  dies with the command (PR_SET_PDEATHSIG), stopped by its handle; each takes one region at a time.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from flows.local_server import owned_command, signal_group

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGION_DEPLOYMENT_NAME = "region"
REGION_DEPLOYMENT = f"cutoff/{REGION_DEPLOYMENT_NAME}"
HEARTBEAT_SECONDS = 30       # flow-run heartbeats of a region's run (Prefect's minimum)
WORKER_QUERY_SECONDS = 2     # how often a local worker asks the (local) server for runs; Prefect's default is 10
WORKER_HEARTBEAT_SECONDS = 10


def engine_command(python: str | None = None) -> str:
    """The `command` job variable of a process pool: this interpreter (the project's .venv) running
    the engine in a process that dies with its worker."""
    return f"{shlex.quote(python or sys.executable)} -m flows.launch"


def ensure_pool(client, name: str, limit: int | None) -> tuple[str, str]:
    """The work pool `name`: made (a process pool, concurrency limit `limit`) when missing. Returns
    (its type, 'created' or 'exists'). An existing pool keeps its type and limit."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker
    try:
        return client.read_work_pool(name).type, "exists"
    except ObjectNotFound:
        pass
    try:
        client.create_work_pool(WorkPoolCreate(name=name, type="process", concurrency_limit=limit,
                                               base_job_template=ProcessWorker.get_default_base_job_template(),
                                               description="cutoff: one regional cutoff per flow run"))
    except ObjectAlreadyExists:  # made at the same moment by another command or a worker
        return client.read_work_pool(name).type, "exists"
    return "process", "created"


def set_pool_limit(client, name: str, limit: int) -> None:
    from prefect.client.schemas.actions import WorkPoolUpdate
    client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=limit))


def region_deployment(pool: str, pool_type: str):
    """The RunnerDeployment `cutoff/region` on `pool` (not applied). On a process pool it carries
    the command and the project directory; another pool type (Kubernetes) takes them from its job
    template and image (the project installed, docs/regions.md): no pull step, no command."""
    from prefect.runner.storage import LocalStorage
    from prefect.types.entrypoint import EntrypointType

    from flows.cutoff_flow import cutoff_flow
    env = {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)}
    variables = {"env": env, "command": engine_command()} if pool_type == "process" else {"env": env}
    deployment = cutoff_flow.to_deployment(
        name=REGION_DEPLOYMENT_NAME, work_pool_name=pool, entrypoint_type=EntrypointType.MODULE_PATH,
        job_variables=variables, tags=["cutoff", "region"],
        description="One regional cutoff, run by `cutoff national` (or the national deployment) on the work pool: "
                    "parameters data_dir, reports_dir, lang per region; the region's settings (time zone, "
                    "nightly time, ...) as job variables env CUTOFF_*. docs/regions.md.")
    if pool_type == "process":  # pull step: set the working directory to the project, on the worker's machine
        deployment.storage = LocalStorage(str(PROJECT_ROOT))
    return deployment


def deploy_region(client, pool: str, limit: int | None = None) -> tuple[str, str]:
    """Make the pool if missing and apply `cutoff/region` to it (idempotent). Returns (the
    deployment id, what happened to the pool)."""
    pool_type, made = ensure_pool(client, pool, limit)
    return str(region_deployment(pool, pool_type).apply()), f"{made} ({pool_type})"


def online_workers(client, pool: str) -> list[str]:
    """The names of the workers polling `pool` that the server counts online."""
    from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus
    workers = client.read_workers_for_work_pool(
        pool, worker_filter=WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"])))
    return [worker.name for worker in workers]


# ---- local workers (the embedded default) ---------------------------------------------------------

@dataclass
class LocalWorker:
    """A `prefect worker start` this process started: its own process group, dies with us."""

    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM to its group (the worker and the run it has), SIGKILL after `grace` seconds."""
        if self.process.poll() is None:
            signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        signal_group(self.process.pid, signal.SIGKILL)  # the leader gone, its group may not be
        if self.process.poll() is None:
            self.process.wait()


def start_local_worker(pool: str, api_url: str, name: str, log: Path, env: dict[str, str] | None = None) -> LocalWorker:
    """A process worker for `pool` of the server at `api_url`: one run at a time (`--limit 1`)."""
    worker_env = {**os.environ, **(env or {}), "PREFECT_API_URL": api_url,
                  "PREFECT_WORKER_QUERY_SECONDS": str(WORKER_QUERY_SECONDS),
                  "PREFECT_WORKER_HEARTBEAT_SECONDS": str(WORKER_HEARTBEAT_SECONDS)}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            owned_command(["-m", "prefect", "worker", "start", "--pool", pool, "--type", "process", "--limit", "1",
                           "--name", name]),
            env=worker_env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    return LocalWorker(name, process, log)


@dataclass
class LocalWorkers:
    """`count` local workers of `pool`; a worker that dies is replaced (at most `count` * 2 times
    in all), so the other regions still find a worker."""

    pool: str
    api_url: str
    count: int
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: list[LocalWorker] = field(default_factory=list)
    dead: list[LocalWorker] = field(default_factory=list)
    started: int = 0

    def _start_one(self) -> LocalWorker:
        self.started += 1
        name = f"cutoff-{socket.gethostname()}-{os.getpid()}-{self.started}"
        return start_local_worker(self.pool, self.api_url, name, self.log_dir / f"worker-{self.started}.log",
                                  self.env)

    def start(self) -> None:
        self.workers = [self._start_one() for _ in range(self.count)]

    def replace_dead(self) -> list[str]:
        """Replace the workers that died; returns a sentence for each."""
        said = []
        for worker in [w for w in self.workers if not w.is_alive()]:
            self.workers.remove(worker)
            self.dead.append(worker)
            code = worker.process.returncode
            how = f"was killed (signal {-code})" if code < 0 else f"exited with code {code}"
            if self.started >= self.count * 3:
                said.append(f"local worker {worker.name} (pid {worker.pid}) {how}; not replaced: too many have died "
                            f"(see {worker.log})")
                continue
            self.workers.append(self._start_one())
            said.append(f"local worker {worker.name} (pid {worker.pid}) {how}; started {self.workers[-1].name} "
                        "in its place")
        return said

    def alive(self) -> list[LocalWorker]:
        return [worker for worker in self.workers if worker.is_alive()]

    def stop(self) -> None:
        for worker in self.workers:
            if worker.is_alive():
                signal_group(worker.pid, signal.SIGTERM)
        for worker in [*self.workers, *self.dead]:
            worker.stop()
