"""Project rules enforced as tests: import layering and no floats in consensus code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "graphex"
# A package may import only from packages at its own layer or below.
LAYERS = {
    "protocol": 0,
    "chain": 1,
    "node": 2,
    "testing": 3,
    "api": 3,
    "wallet": 3,
    "feed": 3,
    "client": 3,
    "cli": 4,
}
# Clients of a node's JSON-RPC API: they know the chain only through the API, so besides
# themselves they may import the protocol package alone (to build and sign operations).
API_CLIENTS = {"feed": {"protocol", "client", "feed"}, "client": {"protocol", "client"}}
CONSENSUS = ("protocol", "chain")


def graphex_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    package = path.relative_to(ROOT.parent).parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.startswith("graphex.")]


def test_lower_layers_never_import_upper_layers() -> None:
    violations = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or parts[0] not in LAYERS:
            continue
        own = LAYERS[parts[0]]
        for line, name in graphex_imports(path):
            target = name.split(".")[1]
            if target in LAYERS and LAYERS[target] > own:
                violations.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not violations, "layering violated:\n" + "\n".join(violations)


def test_api_clients_import_only_the_protocol() -> None:
    violations = []
    for package, allowed in API_CLIENTS.items():
        for path in (ROOT / package).rglob("*.py"):
            for line, name in graphex_imports(path):
                if name.split(".")[1] not in allowed:
                    violations.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not violations, "an API client reaches past the API:\n" + "\n".join(violations)


def test_no_float_in_consensus_code() -> None:
    """No float literals, float() calls, true division or float annotations in protocol/chain."""
    found = []
    for package in CONSENSUS:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                bad = (
                    (isinstance(node, ast.Constant) and isinstance(node.value, float))
                    or (isinstance(node, ast.Name) and node.id == "float")
                    or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div))
                    or (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div))
                )
                if bad:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "floats or true division in consensus code:\n" + "\n".join(found)


def test_no_wall_clock_or_unseeded_randomness_in_consensus_code() -> None:
    banned = {("time", "time"), ("time", "monotonic"), ("datetime", "now"), ("datetime", "utcnow")}
    found = []
    for package in CONSENSUS:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    if (node.value.id, node.attr) in banned:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}")
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                    if "random" in names:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports random")
    assert not found, "wall clock or randomness in consensus code:\n" + "\n".join(found)
