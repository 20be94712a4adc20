"""Every refusal a person can see has a stable code, and docs/refusals.md lists each code."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

from fieldkit.errors import Refused
from tests.conftest import REPO_ROOT
from tests.test_architecture import read_tree


def refusal_classes() -> dict[str, type[Refused]]:
    found = {}
    for name in read_tree(REPO_ROOT):
        module = importlib.import_module(name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, Refused):
                found[value.__name__] = value
    return found


def codes_in_use() -> dict[str, str]:
    """code -> where it is raised: class-level codes and codes given at the raise."""
    classes = refusal_classes()
    codes = {cls.code: f"{cls.__module__}.{cls.__name__}" for cls in classes.values() if "code" in vars(cls) and cls is not Refused}
    for name, (path, tree) in read_tree(REPO_ROOT).items():
        module = importlib.import_module(name)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and len(node.args) == 2):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if callee not in classes and callee != "Refused":
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.setdefault(first.value, name)
            elif isinstance(first, ast.Name) and isinstance(getattr(module, first.id, None), str):
                codes.setdefault(getattr(module, first.id), name)
    return codes


def test_every_person_facing_error_is_a_refusal():
    from fieldkit.keys import CannotSign
    from fieldkit.people.importer import ImportRefused
    from fieldkit.store import StoreError
    from sync.enroll import EnrollRefused
    from sync.protocol import SyncRefused

    for cls in (ImportRefused, EnrollRefused, SyncRefused, CannotSign, StoreError):
        assert issubclass(cls, Refused)
        assert re.fullmatch(r"[a-z_]+", cls.code) and cls.code != "refused", cls


def test_docs_list_every_code():
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", (REPO_ROOT / "docs" / "refusals.md").read_text(), re.M))
    missing = {code: where for code, where in codes_in_use().items() if code not in documented}
    assert missing == {}
