"""The command a process worker runs for a regional cutoff (`python -m flows.launch`): Prefect's
engine (`python -m prefect.engine`, which loads the deployment's flow and runs it) in a process
that dies with the worker that started it (PR_SET_PDEATHSIG, Linux).

Without it, a worker killed with SIGKILL (or by the OOM killer) leaves its flow run going on
alone: unsupervised, writing a warehouse nobody waits for. With it the run dies too, and the
national run reports the region as failed (flows/region_runs.py); `--only REGION` reruns it. The
`cutoff/region` deployment names this command (with the project's interpreter) as its `command`
job variable (flows/workers.py)."""

from __future__ import annotations

import os
import sys

from outputs.processes import die_with_parent


def main() -> None:
    die_with_parent(os.getppid())
    os.execv(sys.executable, [sys.executable, "-m", "prefect.engine"])  # same pid, same environment


if __name__ == "__main__":
    main()
