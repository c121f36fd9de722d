"""User errors: a clear paragraph and a non-zero exit, never a traceback."""


class UserError(Exception):
    """Something the operator can fix: a bad date, a missing folder, bad master data, ..."""

    exit_code = 2


class MasterDataError(UserError):
    """Master data that would make the run wrong. Nothing is written."""


class WarehouseBusy(UserError):
    """Another process holds the warehouse file."""

    exit_code = 3


class RejectLimitExceeded(UserError):
    """Too many bad rows in the window: the run stops before anything is sent."""

    exit_code = 4


class OutputError(UserError):
    """The run's files cannot be written (the reports dir is not a writable folder, the disk is
    full): the message names the path. The run is recorded failed; a rerun redoes it."""

    exit_code = 5


USER_ERROR_NAMES = ("UserError", "MasterDataError", "WarehouseBusy", "RejectLimitExceeded", "OutputError")


CONSOLE_QUIET = "cutoff_console_quiet"  # a log record with this attribute set: the CLI says it in its own words
QUIET_TASKS = ("send_one",)  # their attempts' tracebacks: the CLI prints one warning per supplier instead


def quiet_user_errors_in_console() -> None:
    """On the command line a user error is one paragraph, printed by the CLI, and a supplier whose
    email failed is one warning line. Prefect's console handlers would also log them, with
    tracebacks; drop those records from the console (the Prefect UI keeps them all)."""
    import logging

    class DropUserErrors(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.exc_info and isinstance(record.exc_info[1], UserError):
                return False
            if getattr(record, CONSOLE_QUIET, False) or getattr(record, "task_name", None) in QUIET_TASKS:
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
