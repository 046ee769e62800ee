"""The architecture is a test: the arrows ``../shared/ARCHITECTURE.md`` says must never be.

Every ``import`` in ``layerkit/`` (at the top of a module or inside a function: a lazy
import is still an arrow) is read from the source with ``ast``, resolved to the
layerkit modules it names, and checked: no import cycles between modules, and none of
the forbidden arrows between parts.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "layerkit"

# part -> the parts it must never import (a part is layerkit's first-level module or package)
FORBIDDEN = {
    "backend": "everything",
    "interrupts": "everything",
    "registry": "everything",
    "version": "everything",
    **{math: {"layers", "models", "callbacks", "saving", "distribution"}
       for math in ("activations", "losses", "initializers", "metrics", "optimizers",
                    "regularizers", "constraints", "ops", "random")},
    "layers": {"models", "callbacks", "saving", "distribution"},
    "datasets": {"layers", "models", "optimizers", "losses", "metrics", "callbacks", "saving",
                 "activations", "initializers", "ops", "utils", "distribution"},
    "plotting": {"layers", "optimizers", "losses", "metrics", "callbacks", "saving",
                 "activations", "initializers", "ops", "datasets", "distribution"},
}


# Underscored names that are other libraries' public API: namedtuple's methods, and NumPy's
# "no value given" default, which a function dispatched through __array_function__ receives.
OUTSIDE_PUBLIC = {"_make", "_fields", "_asdict", "_replace", "_NoValue"}


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name, path, modules):
    """The layerkit modules ``name`` imports (``from layerkit import losses`` names a module)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rsplit(".", 1)[0] if "." in target else ""
            if target and target != name:
                found.add(target)
    return found


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_import_graph_is_read():
    graph = _graph()
    assert "layerkit.models.inference" in graph["layerkit.models.trainer"]
    assert "layerkit.optimizers" in graph["layerkit.models.compiling"]
    assert len(graph) > 50


def test_no_import_cycles():
    graph = _graph()
    # Tarjan's strongly connected components: any with two modules or more is a cycle.
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_forbidden_arrows(part):
    graph = _graph()
    forbidden = FORBIDDEN[part]
    arrows = []
    for module, targets in graph.items():
        if _part(module) != part:
            continue
        for target in targets:
            target_part = _part(target)
            if target_part == part:
                continue
            if forbidden == "everything" or target_part in forbidden:
                arrows.append(f"{module} -> {target}")
    assert not arrows, f"{part} must not import these:\n" + "\n".join(sorted(arrows))


def test_no_private_field_of_another_package_is_read():
    """``obj._name`` of an object from another package is a contract in disguise.

    Private attributes may be read on ``self``/``cls``, and on other objects of a class of
    the same module (an attribute the module itself sets on ``self``).
    """
    problems = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(), filename=str(path))
        own = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name)
               and node.value.id == "self"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not (
                    node.attr.startswith("__") and node.attr.endswith("__")):
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in ("self", "cls", "super") or (
                        node.attr in own or node.attr in OUTSIDE_PUBLIC):
                    continue
                if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and (
                        owner.func.id == "super"):
                    continue
                problems.append(f"{name}:{node.lineno} .{node.attr}")
    assert not problems, "private fields read from outside their object:\n" + "\n".join(problems)
