"""The layout rules of DESIGN.md, read from the imports with `ast`: each rule also fails on a planted violation."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, REPO_ROOT

PACKAGES = ("fieldkit", "sync", "printables")
# Printables take plain data: of fieldkit only its one refusal and the one way to make a private file.
PRINTABLES_MAY_IMPORT = ("fieldkit.errors", "fieldkit.private_files")
MAX_LINES = 425  # "about 400"
_WRITE = re.compile(r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+\[?(\w+)", re.IGNORECASE)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_tree(root: Path) -> dict[str, tuple[Path, ast.Module]]:
    """Every module of the three packages under `root`, parsed."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = (path, ast.parse(path.read_text(), filename=str(path)))
    return found


def imports_of(name: str, tree: ast.Module, modules: set[str]) -> Iterator[str]:
    """The modules `name` imports anywhere in its body (function-level imports included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if _is_package(name, modules) else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                yield submodule if submodule in modules else target


def _is_package(name: str, modules: set[str]) -> bool:
    return any(m.startswith(name + ".") for m in modules)


def _starts(imported: str, prefix: str) -> bool:
    return imported == prefix or imported.startswith(prefix + ".")


def layer_violations(tree: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    """Imports that cross the layers the wrong way."""
    modules = set(tree)
    problems = []
    for name, (_, module) in tree.items():
        in_tui = _starts(name, "fieldkit.tui")
        in_cli = _starts(name, "fieldkit.cli") or name == "fieldkit.__main__"  # the entry point
        domain = name.startswith("fieldkit") and not (in_tui or in_cli)
        for imported in imports_of(name, module, modules):
            if _starts(imported, "textual") and not in_tui:
                problems.append(f"{name} imports {imported}: only fieldkit/tui may import textual")
            if in_tui and _starts(imported, "fieldkit.cli"):
                problems.append(f"{name} imports {imported}: the TUI never imports the CLI")
            if name.startswith("printables") and imported not in PRINTABLES_MAY_IMPORT and (
                _starts(imported, "fieldkit") or _starts(imported, "sync") or _starts(imported, "textual")
            ):
                problems.append(f"{name} imports {imported}: printables take plain data only")
            if domain and any(_starts(imported, p) for p in ("sync", "fieldkit.cli", "fieldkit.tui")):
                problems.append(f"{name} imports {imported}: the domain never reaches up into sync, CLI or TUI")
            if _starts(imported, "importlib") and not in_cli:
                problems.append(f"{name} imports importlib: composition is explicit, no modules imported by name")
    return problems


def import_cycles(tree: dict[str, tuple[Path, ast.Module]]) -> list[list[str]]:
    """Every strongly connected group of modules that import each other (Tarjan)."""
    modules = set(tree)
    graph = {n: {i for i in imports_of(n, m, modules) if i in modules and i != n} for n, (_, m) in tree.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def synced_tables(schema: ast.Module) -> set[str]:
    """Table names passed to `create_synced_table(db, NAME, ...)` in the store's schema."""
    return {
        node.args[1].value
        for node in ast.walk(schema)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "create_synced_table"
        and isinstance(node.args[1], ast.Constant)
    }


def writes_outside_store(tree: dict[str, tuple[Path, ast.Module]], synced: set[str]) -> list[str]:
    """SQL text that writes a synced table from outside fieldkit/store (the one write path)."""
    problems = []
    for name, (_, module) in tree.items():
        if _starts(name, "fieldkit.store"):
            continue
        for node in ast.walk(module):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for table in _WRITE.findall(node.value):
                    if table in synced:
                        problems.append(f"{name} writes {table} behind the store's back")
    return problems


def pragmas_outside_store(tree: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    """Storage settings are the store's: no PRAGMA issued from anywhere else."""
    return [
        f"{name} issues a PRAGMA"
        for name, (_, module) in tree.items()
        if not _starts(name, "fieldkit.store")
        for node in ast.walk(module)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.match(r"\s*PRAGMA\b", node.value, re.I)
    ]


def oversized(tree: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    return [
        f"{name} has {n} lines"
        for name, (path, _) in tree.items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]


@pytest.fixture(scope="module")
def tree():
    return read_tree(REPO_ROOT)


def test_layers_point_one_way(tree):
    assert layer_violations(tree) == []


def test_no_import_cycles(tree):
    assert import_cycles(tree) == []


def test_only_the_store_writes_synced_tables(tree):
    synced = synced_tables(tree["fieldkit.store.schema"][1])
    assert {"checkins", "people", "consent_facts", "referrals"} <= synced
    assert writes_outside_store(tree, synced) == []


def test_only_the_store_sets_storage_pragmas(tree):
    assert pragmas_outside_store(tree) == []


def test_no_module_is_too_long_to_read(tree):
    assert oversized(tree) == []


# -- each rule fails on a planted violation ------------------------------------------


def _plant(tmp_path: Path, files: dict[str, str]) -> dict[str, tuple[Path, ast.Module]]:
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
    return read_tree(tmp_path)


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({"fieldkit/checkin/desk.py": "from textual.app import App\n"}, "only fieldkit/tui may import textual"),
        ({"fieldkit/tui/screens/x.py": "from fieldkit.cli.printing import deliver\n"}, "the TUI never imports the CLI"),
        ({"printables/passes.py": "from fieldkit.store import Store\n"}, "printables take plain data only"),
        ({"fieldkit/event/creation.py": "def f():\n    import sync.ca\n"}, "never reaches up into sync"),
        ({"fieldkit/consent/coverage.py": "import importlib\n"}, "no modules imported by name"),
    ],
)
def test_each_layer_rule_fails_on_a_violation(tmp_path, files, says):
    problems = layer_violations(_plant(tmp_path, files))
    assert any(says in p for p in problems), problems


def test_the_cycle_rule_fails_on_a_cycle(tmp_path):
    planted = _plant(
        tmp_path,
        {
            "fieldkit/consent/withdrawal.py": "from fieldkit.referrals.links import X\n",
            "fieldkit/referrals/links.py": "def f():\n    from fieldkit.consent.withdrawal import Y  # 'to avoid a cycle'\n",
        },
    )
    assert import_cycles(planted) == [["fieldkit.consent.withdrawal", "fieldkit.referrals.links"]]


def test_the_write_rule_fails_on_sql_outside_the_store(tmp_path):
    planted = _plant(tmp_path, {"fieldkit/checkin/desk.py": 'SQL = "INSERT OR IGNORE INTO [checkins] (id) VALUES (?)"\n'})
    assert writes_outside_store(planted, {"checkins"}) == ["fieldkit.checkin.desk writes checkins behind the store's back"]
    local = _plant(tmp_path / "local", {"fieldkit/intake/surveys.py": 'SQL = "DELETE FROM survey_drafts WHERE id = ?"\n'})
    assert writes_outside_store(local, {"checkins"}) == []


def test_the_pragma_rule_fails_on_a_pragma_outside_the_store(tmp_path):
    planted = _plant(tmp_path, {"fieldkit/checkin/desk.py": 'SQL = "PRAGMA cache_size = -8000"\n'})
    assert pragmas_outside_store(planted) == ["fieldkit.checkin.desk issues a PRAGMA"]


def test_the_size_rule_fails_on_a_long_module(tmp_path):
    planted = _plant(tmp_path, {"fieldkit/big.py": "x = 1\n" * (MAX_LINES + 1)})
    assert oversized(planted) == [f"fieldkit.big has {MAX_LINES + 1} lines"]


def test_the_app_starts_without_loading_pandas_or_numpy_yet_they_still_import():
    # sqlite-utils would import both whenever installed (0.4 s of every start, and BLAS threads);
    # the test extras install them (statsmodels), so this runs where they are.
    pytest.importorskip("pandas")
    probe = (
        "import sys\n"
        "import fieldkit.tui.app, fieldkit.store, sqlite_utils.db\n"
        "print('pandas' in sys.modules, 'numpy' in sys.modules, sqlite_utils.db.pd)\n"
        "import pandas, numpy\n"
        "print(pandas.DataFrame({'a': [1]}).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split("\n")[:2] == ["False False None", "(1, 1)"]


# What `fieldkit app` must not import before its first screen: other commands' PDF, pairing and
# mDNS code, X.509 (only for making an event or syncing), and sync itself (started once drawn).
NOT_BEFORE_THE_FIRST_SCREEN = ("reportlab", "spake2", "zeroconf", "cryptography.x509", "sync.live", "argon2")


@pytest.mark.parametrize("command", [["app"], ["checkin"], ["people", "find"]])
def test_a_command_imports_only_its_own_area(command):
    # `fieldkit app` took 0.95 s to its first screen when every command was imported first.
    probe = (
        "import sys\n"
        "from fieldkit.cli import main\n"
        f"main({command + ['--help']!r}, standalone_mode=False)\n"
        f"print(sorted(m for m in {NOT_BEFORE_THE_FIRST_SCREEN + ('textual',)!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines()[-1] == "[]", done.stdout


def test_the_app_opens_the_event_without_loading_what_it_needs_only_later(store, db_path):
    # As `fieldkit app` does: the database opened beside the import of the app, then the app made.
    store.close()
    probe = (
        "import sys\n"
        "from fieldkit.store import open_store\n"
        "from fieldkit.tui import open_while_loading\n"
        f"store, app = open_while_loading(lambda: open_store({str(db_path)!r}, {PASSPHRASE!r}))\n"
        "app(store)\n"
        f"print(store.device_name, sorted(m for m in {NOT_BEFORE_THE_FIRST_SCREEN!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines()[-1] == "desk-1 []", done.stdout
