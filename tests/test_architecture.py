"""The layout holds (docs/architecture.md): imports run one way, flows -> adapters -> transforms ->
schemas; only flows/ imports Prefect; transforms/ and schemas/ touch no database, workbook, mail
server, file system or clock; no import circle, counting imports inside functions and under
TYPE_CHECKING; no module past 400 lines. Read from the source with `ast`, nothing imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ("warehouse", "inbox", "sheets", "labels", "mail", "ledger", "outputs", "synthetic")
ROOMS = ("flows", *ADAPTERS, "transforms", "schemas")
BASE = "errors"  # the user errors: importable by every room, imports nothing of the project
MAY_IMPORT = {
    "flows": set(ROOMS) | {BASE},
    **{adapter: set(ADAPTERS) | {"transforms", "schemas", BASE} for adapter in ADAPTERS},
    "transforms": {"transforms", "schemas", BASE},
    "schemas": {"schemas", BASE},
    BASE: set(),
}
PURE_FORBIDDEN = {"prefect", "duckdb", "openpyxl", "smtplib", "os", "pathlib", "shutil", "subprocess", "socket",
                  "tempfile", "time", "io", "sys"}
CLOCK_CALLS = {"now", "today", "utcnow"}  # the `time` module itself is forbidden above
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {BASE: ROOT / f"{BASE}.py"}
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top, in a function or under TYPE_CHECKING."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from sheets import package`
    return names


def project_imports(path: Path) -> set[str]:
    return {name for name in imports(path) if name in MODULES}


def room_of(module: str) -> str:
    return module.split(".")[0]


def test_every_room_is_there_and_read():
    assert {room_of(m) for m in MODULES} == {*ROOMS, BASE}
    assert len(MODULES) > 60


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    wrong = sorted(m for m in project_imports(MODULES[module]) if room_of(m) not in MAY_IMPORT[room_of(module)])
    assert not wrong, f"{module} ({room_of(module)}) may not import {wrong}: see docs/architecture.md"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if room_of(m) != "flows"))
def test_only_flows_import_prefect(module):
    assert not {m for m in imports(MODULES[module]) if m.split(".")[0] == "prefect"}, module


@pytest.mark.parametrize("module", sorted(m for m in MODULES if room_of(m) in ("transforms", "schemas")))
def test_rules_and_models_touch_no_outside_world(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    touched = sorted({m.split(".")[0] for m in imports(MODULES[module])} & PURE_FORBIDDEN)
    clock = sorted({f"{ast.unparse(node.func)}()" for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS})
    opened = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name) and node.func.id == "open"]
    assert not touched and not clock and not opened, f"{module}: imports {touched}, clock {clock}, open() {opened}"


def test_no_import_circle():
    graph = {module: project_imports(path) - {module} for module, path in MODULES.items()}
    for module in MODULES:  # `import a.b` also runs a/__init__.py
        graph[module] |= {".".join(m.split(".")[:i]) for m in graph[module] for i in range(1, m.count(".") + 1)
                          if ".".join(m.split(".")[:i]) in MODULES} - {module}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_circle_between_rooms():
    rooms = {room: set() for room in (*ROOMS, BASE)}
    for module, path in MODULES.items():
        rooms[room_of(module)] |= {room_of(m) for m in project_imports(path)} - {room_of(module)}
    circles = sorted(f"{a} <-> {b}" for a in rooms for b in rooms[a] if a < b and a in rooms[b])
    assert not circles, circles


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_past_400_lines(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: past {MAX_LINES} it is usually two ideas"
