"""The design you can see in the imports (docs/design.md, layout): no import cycles between the
portal's modules (lazy imports inside functions included), the CLI and the views never reach
into the web wiring, and only the safe entry points of the gate are used."""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from tests.conftest import ROOT

PORTAL = ROOT / "portal"


def modules() -> dict[str, Path]:
    found = {}
    for path in PORTAL.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports(path: Path, names: dict[str, Path]) -> set[str]:
    """The portal modules ``path`` imports anywhere in it (top level or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portal"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in names else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("portal"))
    return {name for name in found if name in names}


def graph() -> dict[str, set[str]]:
    names = modules()
    return {name: imports(path, names) - {name} for name, path in names.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_no_module_of_the_portal_imports_one_that_imports_it_back():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_app_factory_imports_the_web_wiring():
    """Views, commands and error pages take what they share from portal.http and portal.current."""
    importers = {name for name, deps in graph().items() if "portal.web" in deps}
    assert importers == {"portal"}


def test_only_the_review_operations_stage_a_publish():
    """gate.stage_publish leaves the catalog uncommitted and the CDN unpurged: the one safe way to
    publish is portal.review.operations.publish_locale (or publish_all)."""
    callers = set()
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if "stage_publish" in text and name != "portal.review.gate":
            callers.add(name)
    assert callers == {"portal.review.operations"}
    outside = [p for p in (ROOT / "tests").rglob("*.py") if "stage_publish" in p.read_text(encoding="utf-8")
               and p.name != "test_structure.py" and p.name != "test_gate.py"]
    assert outside == []


def named_in_design() -> set[str]:
    """The modules, functions and files docs/design.md names in backticks."""
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    return set(re.findall(r"`((?:portal|tests)[./][\w./]*)`", text))


def resolves(name: str) -> bool:
    if "/" in name:
        return (ROOT / name).exists()
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(obj, attribute):
                return False
            obj = getattr(obj, attribute)
        return True
    return False


def test_everything_the_design_document_names_exists():
    """docs/design.md says which function decides each invariant and which test proves it: a rename
    that leaves the document pointing at nothing fails here."""
    names = named_in_design()
    assert len(names) > 20
    assert sorted(name for name in names if not resolves(name)) == []


def test_a_name_that_is_gone_does_not_resolve():
    assert not resolves("portal.review.rules.review_kind") and not resolves("tests/test_nothing_here.py")
    assert resolves("portal.translation.template.review_kind") and resolves("tests/test_structure.py")


def test_the_readme_names_every_module_where_it_lives():
    """README, "Where things live": each package's line block names each of its modules."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Where things live", 1)[1].split("```", 2)[1]
    sections = re.split(r"\n(?=  ?[a-z]+/ )", block)  # one section per package line ("  review/ ...")
    by_package = {}
    for section in sections:
        folder = section.strip().split()[0].rstrip("/")
        by_package[folder] = section
    missing = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        relative = path.relative_to(ROOT / "portal")
        if "migrations" in relative.parts or (len(relative.parts) > 1 and path.name == "__init__.py"):
            continue
        package = relative.parts[0] if len(relative.parts) > 1 else "portal/"
        text = by_package.get(package) if package != "portal/" else block.split("\n  translation/")[0]
        if text is None or not re.search(rf"\b{re.escape(path.name)}", text):
            missing.append(str(relative))
    assert missing == []
    for folder in ("content", "deploy", "docs", "translations", "tests", ".ci"):
        assert re.search(rf"^{re.escape(folder)}/", block, re.MULTILINE), folder


def test_the_tiers_name_only_tests_that_exist():
    """tests/conftest.py marks tests that start servers or processes of their own (`servers`),
    which the fast tier leaves out: a renamed test would silently move into the fast tier."""
    from tests.conftest import SERVER_FIXTURES, SERVER_MODULES, SERVER_TESTS

    sources = {path.stem: path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py")}
    assert SERVER_MODULES <= set(sources)
    everything = "\n".join(sources.values())
    assert [name for name in SERVER_TESTS if f"def {name}(" not in everything] == []
    assert [name for name in SERVER_FIXTURES if f"def {name}(" not in everything] == []


def test_the_database_neutral_modules_exist():
    from tests.conftest import DATABASE_NEUTRAL_MODULES

    assert DATABASE_NEUTRAL_MODULES <= {path.stem for path in (ROOT / "tests").glob("test_*.py")}


def test_the_sqlite_only_modules_exist_and_the_storage_modules_are_not_among_them():
    from tests.conftest import DATABASE_NEUTRAL_MODULES, SQLITE_ONLY_MODULES

    assert SQLITE_ONLY_MODULES <= {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    storage = {"test_workspace", "test_workspace_robustness", "test_uploads", "test_review", "test_four_eyes",
               "test_gate", "test_gate_property", "test_migrations", "test_faults", "test_two_hosts", "test_auth",
               "test_unit_of_work", "test_bad_input", "test_publish_failures", "test_notifications"}
    assert not storage & (SQLITE_ONLY_MODULES | DATABASE_NEUTRAL_MODULES)
