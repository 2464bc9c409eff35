"""How the tests are laid out: no module imports a test module (shared builders are in
tests/factories.py, shared helpers in tests/support.py, shared fixtures in a conftest.py), and a
builder is defined in one module only."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Builders that were once defined in several test modules, each with its own signature.
BUILDERS = {"make_meeting", "make_problem", "new_round", "new_meeting", "insert_problem"}


def modules(root: Path = TESTS) -> dict[str, str]:
    """{dotted module name: source} of every Python file under `root` (a package)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path.read_text(encoding="utf-8")
    return found


def packages(root: Path = TESTS) -> set[str]:
    """The dotted names of the packages under `root` (relative imports resolve inside them)."""
    return {
        ".".join(init.parent.relative_to(root.parent).parts) for init in root.rglob("__init__.py")
    }


def _is_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def imported(module: str, tree: ast.Module, is_package: bool = False) -> Iterator[str]:
    """What each import statement of `module` imports from, as a dotted name: the module, or
    for `from x import y` where x is no test module, "x.y" for each y (y may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parts = package.split(".")
                source = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [source])])
            if _is_test_module(source):
                yield source
            else:
                yield from (f"{source}.{alias.name}" for alias in node.names)


def imports_of_test_modules(sources: dict[str, str], in_packages: Iterable[str] = ()) -> list[str]:
    """ "module imports name" for each import from a module whose name starts with test_."""
    in_packages = set(in_packages)
    wrong = []
    for module, source in sources.items():
        for name in imported(module, ast.parse(source), is_package=module in in_packages):
            if _is_test_module(name):
                wrong.append(f"{module} imports {name}")
    return sorted(wrong)


def builders_defined_twice(sources: dict[str, str]) -> dict[str, list[str]]:
    """{builder: [modules]} for each of BUILDERS defined (by a def at any depth, or assigned at
    module level) in more than one module."""
    where: dict[str, list[str]] = defaultdict(list)
    for module, source in sources.items():
        tree = ast.parse(source)
        defined = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined.update(t.id for t in targets if isinstance(t, ast.Name))
        for name in defined & BUILDERS:
            where[name].append(module)
    return {name: sorted(found) for name, found in where.items() if len(found) > 1}


def test_no_module_imports_a_test_module():
    assert imports_of_test_modules(modules(), packages()) == []


def test_each_builder_is_defined_in_one_module():
    assert builders_defined_twice(modules()) == {}


def test_the_checks_see_every_way_of_breaking_the_rules():
    sources = {
        "tests.problems.test_a": "from tests.meetings.test_screen import link\n",
        "tests.problems.test_b": "from .test_photos import jpeg_with_gps\n",
        "tests.problems.test_c": "def f():\n    from . import test_report\n",
        "tests.problems.test_d": "import tests.problems.test_api\n",
        "tests.problems.test_e": "from tests.problems import test_ballot as ballot\n",
        "tests.problems.test_f": "from ..meetings.test_minutes import stored\n",
        "tests.problems.test_g": "from tests.factories import make_meeting\n",
        "tests.problems.test_h": "from .conftest import PATH_TO\n",
        "tests.problems.test_i": "from django.test import Client\n",
    }
    assert imports_of_test_modules(sources) == [
        "tests.problems.test_a imports tests.meetings.test_screen",
        "tests.problems.test_b imports tests.problems.test_photos",
        "tests.problems.test_c imports tests.problems.test_report",
        "tests.problems.test_d imports tests.problems.test_api",
        "tests.problems.test_e imports tests.problems.test_ballot",
        "tests.problems.test_f imports tests.meetings.test_minutes",
    ]
    assert imports_of_test_modules(
        {"tests.problems": "from .test_api import x\n"}, ["tests.problems"]
    ) == ["tests.problems imports tests.problems.test_api"]
    builders = {
        "tests.factories": "def make_meeting(hood):\n    pass\n",
        "tests.meetings.test_x": "@pytest.fixture\ndef make_meeting(personas):\n    pass\n",
        "tests.meetings.test_y": "def fixture():\n    def new_round():\n        pass\n",
        "tests.problems.test_z": "new_round = partial(print)\n",
        "tests.problems.conftest": "def make_problem():\n    pass\n",
    }
    assert builders_defined_twice(builders) == {
        "make_meeting": ["tests.factories", "tests.meetings.test_x"],
        "new_round": ["tests.meetings.test_y", "tests.problems.test_z"],
    }
