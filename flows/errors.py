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


USER_ERROR_NAMES = ("UserError", "MasterDataError", "WarehouseBusy", "RejectLimitExceeded")


def quiet_user_errors_in_console() -> None:
    """On the command line a user error is one paragraph, printed by the CLI. Prefect's console
    handlers would also log it with a traceback; drop those records (the Prefect UI keeps them)."""
    import logging

    class DropUserErrors(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.exc_info and isinstance(record.exc_info[1], UserError):
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
