"""The static import graph of the isf_jax package: every import statement, also inside
functions, resolved to the isf_jax modules it names."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAIN_GUARD = 'if __name__ == "__main__":'


def modules() -> dict[str, pathlib.Path]:
  """{"isf_jax.x.y": path} for every module and package of isf_jax."""
  found = {}
  for path in sorted((ROOT / "isf_jax").rglob("*.py")):
    parts = path.relative_to(ROOT).with_suffix("").parts
    found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
  return found


def commands() -> set[str]:
  """The modules that parse a command line: those with a `__main__` guard."""
  return {name for name, path in modules().items() if MAIN_GUARD in path.read_text()}


def _imported_names(name: str, path: pathlib.Path, known) -> set[str]:
  package = name if path.name == "__init__.py" else name.rpartition(".")[0]
  names = set()
  for node in ast.walk(ast.parse(path.read_text())):
    if isinstance(node, ast.Import):
      names.update(alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:  # relative: from . import x
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([base] if base else []))
      submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
      names.update(submodules)
      if len(submodules) < len(node.names):
        names.add(base)
  return names


def graph() -> dict[str, set[str]]:
  """{module: the isf_jax modules it imports}, and foreign top-level names as they are."""
  known = modules()
  edges = {}
  for name, path in known.items():
    targets = set()
    for imported in _imported_names(name, path, known):
      module = imported
      while module and module not in known and module.startswith("isf_jax"):
        module = module.rpartition(".")[0]
      if module and module != name:
        targets.add(module)
    edges[name] = targets
  return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
  """Strongly connected components with more than one module (Tarjan)."""
  index, low, stack, on_stack, found = {}, {}, [], set(), []

  def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in edges.get(v, ()):
      if w not in edges:
        continue
      if w not in index:
        visit(w)
        low[v] = min(low[v], low[w])
      elif w in on_stack:
        low[v] = min(low[v], index[w])
    if low[v] == index[v]:
      component = []
      while True:
        w = stack.pop()
        on_stack.discard(w)
        component.append(w)
        if w == v:
          break
      if len(component) > 1:
        found.append(sorted(component))

  for v in sorted(edges):
    if v not in index:
      visit(v)
  return found
