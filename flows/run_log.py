"""The run's log, as ops read it in the Prefect UI (a flow run's Logs tab).

- A run tells its story there: each stage with its figures (`say`), at INFO, whatever
  PREFECT_LOGGING_LEVEL the command line or `cutoff serve` runs with (WARNING keeps Prefect's own
  chatter off a terminal; it must not keep a successful run's log empty).
- A user error (errors.UserError: a bad date, bad master data, too many bad rows, ...) is one
  readable message: the flow run's state message and one ERROR line, never a traceback. Prefect
  logs an exception where a task fails, again where the flow fails, and once more where a served
  run's engine ends; `UserErrorLog` drops those records when the exception is a UserError, and
  shortens the "Finished in state Failed('...')" lines of the runs it stopped (the message is
  already there once). `fail_run(exc)` logs the one line and gives the flow's Failed state.

The command line prints its own progress and messages (flows/console.py keeps the run log's INFO
lines and these messages off its terminal); the Prefect UI keeps the run log whole.
"""

from __future__ import annotations

import logging
import re
import sys

from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed, State

from errors import UserError
from flows.console import CONSOLE_QUIET, RUN_LOGGERS

_FINISHED = re.compile(r"^Finished in state (\w+)\(")
_STOPPED: set[str] = set()  # ids of the task and flow runs a user error stopped (this process)


def _exception(record: logging.LogRecord) -> BaseException | None:
    info = record.exc_info
    return info[1] if isinstance(info, tuple) and len(info) > 1 else None


class UserErrorLog(logging.Filter):
    """On the run loggers: no traceback for a user error; its runs' "Finished" line shortened."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(_exception(record), UserError):
            run_id = getattr(record, "task_run_id" if record.name == "prefect.task_runs" else "flow_run_id", None)
            if run_id:
                _STOPPED.add(str(run_id))
            return False
        message = record.msg if isinstance(record.msg, str) else ""
        finished = _FINISHED.match(message)
        run_id = getattr(record, "task_run_id", None) or getattr(record, "flow_run_id", None)
        if finished and run_id is not None and str(run_id) in _STOPPED:
            record.msg, record.args = f"Finished in state {finished.group(1)} (its message is above)", ()
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def prepare_run_log() -> None:
    """Let the run loggers pass INFO (stage lines) and install UserErrorLog, once per process."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        if not any(isinstance(f, UserErrorLog) for f in logger.filters):
            logger.addFilter(UserErrorLog())


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The current run's logger (the Logs tab), or a plain one outside a run."""
    try:
        return get_run_logger()
    except Exception:  # outside a flow or task run (a rule called on its own, a test)
        return logging.getLogger("cutoff.run")


def say(text: str, *, console: bool = False) -> None:
    """One line of the run's story: the Logs tab, and stderr too when `console` (the command line)."""
    run_logger().info(text)
    if console:
        print(f"  {text}", file=sys.stderr, flush=True)


_KIND = re.compile(r"^[a-z]+(?:_[a-z]+)+: ")  # a warning's kind as summary.json keeps it: `warehouse_address_missing: `


def warn(text: str) -> None:
    """A warning in the Logs tab, as a sentence (a summary.json warning without its `kind: `; the
    command line prints its own `cutoff: warning:` line)."""
    sentence = _KIND.sub("", text, count=1)
    run_logger().warning(sentence[:1].upper() + sentence[1:], extra={CONSOLE_QUIET: True})


def fail_run(exc: UserError) -> State:
    """A user error ends the run: its message once in the log (no traceback) and as the Failed
    state's message. Returned by the flow; calling the flow raises `exc` again (the command line
    prints it and exits with its code, a backfill stops on it)."""
    message = str(exc)
    run_id = flow_run.id
    if run_id:
        _STOPPED.add(str(run_id))
    run_logger().error(message, extra={CONSOLE_QUIET: True})
    return Failed(message=message, data=exc.with_traceback(None))
