"""Every public name has a numpydoc docstring, and its examples run.

The public names are those of the package manifests (the ``__all__`` of ``tsgrad`` and of its
public subpackages) that are functions or classes; a name exported by two manifests is
checked once.  Each one

* has a docstring of its own (not one inherited, nor the signature a dataclass writes);
* documents every parameter it takes, by name, in a ``Parameters`` section, and names no
  parameter it does not take.  A class's parameters are those of its constructor.  Records
  (dataclasses and named tuples) document their fields under ``Attributes`` instead, and
  exception and warning classes, which the library raises rather than users build, need
  neither;
* has a ``Returns`` (or ``Yields``) section when it is a function that returns a value;
* has an ``Examples`` section with ``>>>`` lines, which run as doctests and print what they
  say: the examples of its docstring and, for a class, of its methods' docstrings.

This file runs every docstring example of the library (the command line's, in
``tsgrad.cli._main``, run with its documentation page in ``tests/cli/test_docs.py``);
``test_every_docstring_example_belongs_to_a_public_name`` keeps it so: an example in a
private helper or in a module docstring would otherwise run nowhere.

The examples run as ``doctest.testmod`` would run them (a copy of their module's globals,
``NORMALIZE_WHITESPACE`` and ``ELLIPSIS``), in a temporary working directory with
``tempfile`` pointed there too, after seeding ``random``, NumPy and torch, with one torch
thread (``tests/conftest.py``); the engine setting, which ``tsgrad.use_engine``'s example
changes, is restored after each name.
"""

from __future__ import annotations

import ast
import dataclasses
import doctest
import importlib
import inspect
import io
import random
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import tsgrad
from tsgrad._kernels import _router

MANIFESTS = [
    "tsgrad",
    "tsgrad.backend",
    "tsgrad.metrics",
    "tsgrad.losses",
    "tsgrad.ode",
    "tsgrad.data",
    "tsgrad.models",
    "tsgrad.training",
    "tsgrad.barycenters",
    "tsgrad.clustering",
]
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _public_names() -> list[tuple[str, object]]:
    """``(dotted name, object)`` of every public function and class, each object once."""
    names, seen = [], set()
    for manifest in MANIFESTS:
        module = importlib.import_module(manifest)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if (inspect.isclass(obj) or inspect.isroutine(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                names.append((f"{manifest}.{attr}", obj))
    return names


PUBLIC = _public_names()
PARAMS = [pytest.param(obj, id=name) for name, obj in PUBLIC]


def _own_docstring(obj) -> str:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and doc is not None:
        # A dataclass without a docstring gets its signature as one.
        signature = obj.__name__ + str(inspect.signature(obj)).replace(" -> None", "")
        if doc == signature:
            return ""
    return inspect.cleandoc(doc or "")


def _sections(doc: str) -> dict[str, list[str]]:
    """The numpydoc sections of a cleaned docstring: title -> its lines."""
    lines = doc.splitlines()
    sections: dict[str, list[str]] = {}
    current = None
    i = 0
    while i < len(lines):
        title = lines[i]
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            title.strip()
            and title == title.lstrip()
            and underline.strip() == "-" * len(title.strip())
            and underline == underline.lstrip()
        ):
            current = title.strip()
            sections[current] = []
            i += 2
            continue
        if current is not None:
            sections[current].append(lines[i])
        i += 1
    return sections


def _documented_names(lines: list[str]) -> set[str]:
    """The names a Parameters / Attributes section documents (``x, y : type`` lines)."""
    names = set()
    for line in lines:
        if line.strip() and line == line.lstrip():  # an entry, not its description
            head = line.split(" : ", 1)[0].rstrip(":").strip()
            names.update(n.strip().lstrip("*") for n in head.split(",") if n.strip())
    return names


def _is_record(cls) -> bool:
    return dataclasses.is_dataclass(cls) or (issubclass(cls, tuple) and hasattr(cls, "_fields"))


def _parameter_names(obj) -> set[str]:
    names = set()
    for name, p in inspect.signature(obj).parameters.items():
        if name in ("self", "cls") and p.kind is p.POSITIONAL_OR_KEYWORD:
            continue
        names.add(name)
    return names


def _returns_a_value(func) -> bool:
    """Whether ``func`` returns something: its annotation, else a ``return <value>``/``yield``."""
    annotation = inspect.signature(func).return_annotation
    if annotation is not inspect.Signature.empty:
        return annotation not in (None, "None", "NoReturn", "typing.NoReturn")
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(func)))
    tree = ast.parse(source).body[0]
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue  # a nested scope returns for itself
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Return) and not (
            node.value is None
            or (isinstance(node.value, ast.Constant) and node.value.value is None)
        ):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


@pytest.mark.parametrize("obj", PARAMS)
def test_numpydoc_sections(obj):
    doc = _own_docstring(obj)
    assert doc, "no docstring of its own"
    sections = _sections(doc)
    problems = []

    is_class = inspect.isclass(obj)
    if is_class and issubclass(obj, BaseException):
        pass  # raised by the library, not built by users: no Parameters needed
    else:
        taken = _parameter_names(obj)
        if is_class and _is_record(obj):
            documented = _documented_names(sections.get("Attributes", []))
            documented |= _documented_names(sections.get("Parameters", []))
            missing = sorted(taken - documented)
            if missing:
                problems.append(f"fields not documented under Attributes: {missing}")
        else:
            documented = _documented_names(sections.get("Parameters", []))
            if taken and "Parameters" not in sections:
                problems.append(f"no Parameters section (it takes {sorted(taken)})")
            else:
                if sorted(taken - documented):
                    problems.append(f"parameters not documented: {sorted(taken - documented)}")
                if sorted(documented - taken):
                    problems.append(
                        f"documents parameters it does not take: {sorted(documented - taken)}"
                    )

    if not is_class and _returns_a_value(obj):
        if "Returns" not in sections and "Yields" not in sections:
            problems.append("no Returns section (it returns a value)")

    examples = sections.get("Examples", [])
    if not any(line.lstrip().startswith(">>>") for line in examples):
        problems.append("no Examples section with >>> lines")
    assert not problems, "; ".join(problems)


@pytest.fixture
def clean_state(tmp_path, monkeypatch):
    """Seeded generators, a temporary cwd and tempdir (one torch thread: conftest), and the
    engine setting restored afterwards (``tsgrad.use_engine``'s example changes it)."""
    monkeypatch.setattr(_router, "_chosen", _router._chosen)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - the legacy global generator is what examples draw from
    torch.manual_seed(0)
    return tmp_path


def _doctests(obj, name: str) -> list[doctest.DocTest]:
    """The doctests of ``obj``'s docstring and, for a class, of its methods'."""
    module = sys.modules[obj.__module__]
    tests = doctest.DocTestFinder().find(obj, name, module=module, globs=vars(module).copy())
    return [test for test in tests if test.examples]


@pytest.mark.parametrize("obj", PARAMS)
def test_examples_run(obj, request, clean_state):
    name = request.node.callspec.id
    tests = _doctests(obj, name)
    assert any(t.name == name for t in tests), "its docstring has no example"
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = io.StringIO()
    for test in tests:
        try:
            runner.run(test, out=report.write)
        finally:
            test.globs.clear()
    assert runner.failures == 0, report.getvalue()


def _docstrings_with_examples() -> list[str]:
    """Dotted names of the docstrings with ``>>>`` examples in tsgrad's sources.

    Read from the source files, without importing them (some modules import optional
    packages, or read the environment, when imported).
    """
    root = Path(tsgrad.__file__).parent
    parser = doctest.DocTestParser()
    found = []

    def visit(node, name):
        doc = ast.get_docstring(node, clean=False)
        if doc and parser.get_examples(doc):
            found.append(name)
        for child in getattr(node, "body", []):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, f"{name}.{child.name}")

    for path in sorted(root.rglob("*.py")):
        parts = ("tsgrad", *path.relative_to(root).with_suffix("").parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        visit(ast.parse(path.read_text(encoding="utf-8")), module)
    return found


def test_every_docstring_example_belongs_to_a_public_name():
    covered = {f"{obj.__module__}.{obj.__qualname__}" for _, obj in PUBLIC}
    orphans = []
    for name in _docstrings_with_examples():
        if name.split(".")[:3] == ["tsgrad", "cli", "_main"]:
            continue  # run with the page it documents, by tests/cli/test_docs.py
        owner = name
        while owner not in covered and "." in owner:
            owner = owner.rsplit(".", 1)[0]
        if owner not in covered:
            orphans.append(name)
    assert not orphans, (
        f"docstring examples that no test runs: {orphans} (give the example to a public "
        "name's docstring, or run it from a test and exempt it here)"
    )
