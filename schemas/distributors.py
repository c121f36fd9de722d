import pandera.polars as pa

from schemas.columns import ID_PATTERN, optional, required

COLUMNS = {"distributor_id": required(), "name": required(), "upline_id": optional()}


class Distributors(pa.DataFrameModel):
    """distributors.csv: referral-link owners (分销员) and their upline (level 2)."""

    distributor_id: str = pa.Field(str_matches=ID_PATTERN, unique=True)
    name: str
    upline_id: str = pa.Field(nullable=True, str_matches=ID_PATTERN)

    class Config:
        strict = True


def find_upline_cycles(uplines: dict[str, str | None]) -> set[str]:
    """The distributors on an upline cycle of any length (A->A, A->B->A, ...). Master data is
    small (thousands of rows), so a walk with memory is enough: each id is visited once."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    in_cycle: set[str] = set()
    for start in uplines:
        path: list[str] = []
        node = start
        while node is not None and node in uplines and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = uplines[node]
        if node is not None and state.get(node) == 1:
            in_cycle.update(path[path.index(node):])
        for visited in path:
            state[visited] = 2
    return in_cycle
