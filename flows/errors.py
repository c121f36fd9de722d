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
