"""The architecture, kept by a test (``../shared/ARCHITECTURE.md``, ``docs/architecture.md``):

* **Only a connector names its vendor.** No module of the role-speaking packages imports a
  vendor's connector or sandbox package, or spells a vendor's name in code (docstrings and
  comments may name them, to explain). The vendors are the connector packages that play a
  role with a vendor's API (every ``accord.connectors.<name>`` but accord's own metering).
* **Dependencies point downward.** Each package imports only its own layer and the ones
  below: canonical < connectors < ports < engine, registry, routing < flows, reconcile <
  bootstrap < api, console, cli, demo. Observability (traces, logs, alert rules) sits with the
  store, so the engine can trace itself; notifications sit with the flows. Sandboxes stand
  apart: they import only the canonical model and their own shared parts.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "accord"
VENDORS = tuple(sorted(path.name for path in (SRC / "connectors").iterdir()
                      if (path / "__init__.py").exists() and path.name != "metering"))
"""The connector packages accord ships that talk to a vendor (connectors registered in code
or configuration by an embedding application or a test are not accord's)."""
ROLE_SPEAKING = ("flows", "engine", "registry", "routing", "ports", "bootstrap", "console",
                 "api", "reconcile", "refdata", "revenue")
STILL_NAMING_VENDORS: set[str] = set()
"""Modules not yet on the role ports (none left). This list only shrinks: a module fixed must
leave it, and a new one naming a vendor fails the test."""

LAYERS: dict[str, int] = {
    "canonical": 0, "errors": 0, "resilience": 0, "settings": 0, "store": 1,
    "observability": 1,
    "connectors": 2, "testing": 3, "ports": 3,
    "engine": 4, "registry": 4, "routing": 4,
    "flows": 5, "reconcile": 5, "notify": 5, "refdata": 5, "revenue": 5,
    "bootstrap": 6,
    "api": 7, "console": 7, "cli": 8, "demo": 8,
}
"""The layer of each top-level package or module of ``accord``; a module may import its
own layer and lower ones."""


def _modules(package: str) -> list[Path]:
    base = SRC / package
    return sorted(base.rglob("*.py")) if base.is_dir() else [SRC / f"{package}.py"]


def _docstrings(tree: ast.AST) -> set[int]:
    """The string constants that are docstrings (of modules, classes, functions and the
    attribute docstrings after an assignment)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, statement in enumerate(body):
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
                    and isinstance(statement.value.value, str) \
                    and (index == 0 or isinstance(body[index - 1], ast.Assign | ast.AnnAssign)):
                found.add(id(statement.value))
    return found


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def vendor_mentions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    vendor = re.compile(r"\b(" + "|".join(VENDORS) + r")\b", re.IGNORECASE)
    problems = [f"{path.relative_to(SRC)}:{line} imports {module}"
                for line, module in _imports(tree)
                if any(module.startswith(f"accord.{kind}.{name}") for name in VENDORS
                       for kind in ("connectors", "sandboxes"))]
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and vendor.search(node.value):
            problems.append(f"{path.relative_to(SRC)}:{node.lineno} says {node.value[:60]!r}")
    return problems


def test_the_vendors_are_the_connectors_that_play_a_role() -> None:
    assert set(VENDORS) == {"avatax", "hubspot", "netsuite", "salesforce", "stripe"}


@pytest.mark.parametrize("package", ROLE_SPEAKING)
def test_only_a_connector_names_its_vendor(package: str) -> None:
    problems = [problem for path in _modules(package)
                if str(path.relative_to(SRC)) not in STILL_NAMING_VENDORS
                for problem in vendor_mentions(path)]
    assert problems == []


def test_the_modules_still_naming_vendors_are_the_known_ones() -> None:
    naming = {str(path.relative_to(SRC)) for package in ROLE_SPEAKING
              for path in _modules(package) if vendor_mentions(path)}
    assert naming == STILL_NAMING_VENDORS


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 and parts[0] == "accord" else None


def test_dependencies_point_downward() -> None:
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        top = relative.parts[0].removesuffix(".py")
        if top in ("sandboxes", "__init__", "__main__"):
            continue
        own = LAYERS.get(top)
        assert own is not None, f"{relative}: give its package a layer in LAYERS"
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            layer = _layer(module)
            if layer is not None and layer > own:
                problems.append(f"{relative}:{line} ({top}, layer {own}) imports {module} "
                                f"(layer {layer})")
    assert problems == []


def test_sandboxes_import_only_the_canonical_model_and_their_own_parts() -> None:
    problems = []
    for path in sorted((SRC / "sandboxes").rglob("*.py")):
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module.startswith("accord.") and not module.startswith(
                    ("accord.sandboxes", "accord.canonical")):
                problems.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert problems == []
