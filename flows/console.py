"""The command line's console: a user error is one paragraph printed by the CLI, never also a
Prefect log record with a traceback."""

import logging

from errors import USER_ERROR_NAMES, UserError

CONSOLE_QUIET = "cutoff_console_quiet"  # a log record with this attribute set: the CLI says it in its own words
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")  # a run's log (the UI's Logs tab)
QUIET_TASKS = ("send_one",)  # their attempts' tracebacks: the CLI prints one warning per supplier instead


def quiet_user_errors_in_console() -> None:
    """On the command line a user error is one paragraph, printed by the CLI, and a supplier whose
    email failed is one warning line. Prefect's console handlers would also log them, with
    tracebacks; drop those records from the console (the Prefect UI keeps them all). The run log's
    INFO lines (stages, figures: flows/run_log.py) are dropped too: the command line prints its own
    progress."""
    class DropUserErrors(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.exc_info and isinstance(record.exc_info[1], UserError):
                return False
            if getattr(record, CONSOLE_QUIET, False) or getattr(record, "task_name", None) in QUIET_TASKS:
                return False
            if record.name in RUN_LOGGERS and record.levelno < logging.WARNING:
                return False
            text = record.getMessage() if record.levelno >= logging.ERROR else ""
            return not any(name in text for name in USER_ERROR_NAMES)

    seen = set()
    names = [name for name in logging.root.manager.loggerDict if name.startswith("prefect")]
    for logger in [logging.getLogger(), *map(logging.getLogger, names)]:
        for handler in getattr(logger, "handlers", []):
            if id(handler) in seen or type(handler).__name__ == "APILogHandler":
                continue
            seen.add(id(handler))
            handler.addFilter(DropUserErrors())
