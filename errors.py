"""User errors: a clear paragraph and a non-zero exit, never a traceback.

Every room may raise them (the bottom of the import direction: this module imports nothing of the
project); the command line prints the message and exits with the error's `exit_code`."""


class UserError(Exception):
    """Something the operator can fix: a bad date, a missing folder, bad master data, ..."""

    exit_code = 2


class MasterDataError(UserError):
    """Master data that would make the run wrong. Nothing is written."""


class RunOrderError(UserError):
    """A run that needs an earlier run first (a stock pool is consumed in turn order): it stops
    before anything is written, naming the run to do first."""


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


class RegionsFailed(UserError):
    """`cutoff national`: one or more regions did not finish (the others did, and the national
    roll-up of those is written). `summary` is the national summary.json."""

    exit_code = 6

    def __init__(self, message: str, summary: dict | None = None):
        super().__init__(message)
        self.summary = summary or {}


USER_ERROR_NAMES = ("UserError", "MasterDataError", "RunOrderError", "WarehouseBusy", "RejectLimitExceeded",
                    "OutputError",
                    "RegionsFailed")


class MemoryLimitTooSmall(UserError):
    """A memory limit or spill space the run's data does not fit in (DuckDB's memory limit, its
    spill directory): the message names the setting to raise. The run is recorded failed; nothing
    was killed."""

    exit_code = 7
