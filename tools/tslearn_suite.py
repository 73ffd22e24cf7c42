"""Run tslearn's own metric and barycenter tests against tsgrad through an import swap.

Usage::

    git clone https://github.com/tslearn-team/tslearn
    python tools/tslearn_suite.py --tests tslearn/tests test_metrics.py [pytest args...]
    python tools/tslearn_suite.py --tests tslearn/tests test_barycenters.py
    python tools/tslearn_suite.py --tests tslearn/tests test_metrics.py --reference

tslearn's wheels do not ship its tests, hence the clone (tsgrad's docs name the commit the
results were measured on). The script copies the named test files into a temporary
directory and runs pytest on them in a subprocess (one process, one torch thread) with a
package named ``tslearn`` first on ``PYTHONPATH``: the *shim*. The shim is the installed
tslearn (which the test files also use for ``tslearn.backend``, ``tslearn.utils`` and
``tslearn.clustering``) with two subpackages replaced:

* ``tslearn.metrics`` is ``tsgrad.metrics``;
* ``tslearn.barycenters`` is ``tsgrad.barycenters`` when tsgrad has that package (otherwise
  tslearn's own, and the shim says so).

tslearn's subpackages that the test files import and that themselves import
``tslearn.metrics`` (``tslearn.clustering``) are imported *before* the swap and so keep
tslearn's metrics: only the names the tests reach through ``tslearn.metrics`` and
``tslearn.barycenters`` are tsgrad's. One tslearn module path is mapped onto tsgrad's
equivalent, because a test imports from it: ``tslearn.metrics.soft_dtw_loss_pytorch`` is
``tsgrad.metrics._soft_dtw_loss_pytorch`` (``SoftDTWLossPyTorch`` and the
``_SoftDTWLossPyTorch.apply`` function on a batch of cost matrices).

``--reference`` skips the shim, so that the same files run against the installed tslearn.
Extra arguments go to pytest (``-k test_gak``, ``-x``, ...). The script prints where
``tslearn.metrics`` came from, which tests failed and the wall time, and exits with pytest's
exit code.

The deliberate differences below run as strict expected failures against tsgrad (an
expected failure that passes is reported as a failure); with ``--reference`` they are
ordinary tests, which tslearn passes. This is a development tool: tsgrad's library code
never imports tslearn.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SUITE_FILES = ("test_metrics.py", "test_barycenters.py")

# The whole shim (written to <tmp>/shim/tslearn/__init__.py). It loads the installed
# tslearn under its own name, imports the subpackages that bind tslearn's metrics at import
# time, then installs tsgrad's packages in their place.
SHIM = '''"""tslearn with tslearn.metrics -> tsgrad.metrics (written by tools/tslearn_suite.py)."""

import importlib
import importlib.machinery
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_search = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
_spec = importlib.machinery.PathFinder.find_spec("tslearn", _search)
if _spec is None:
    raise ImportError("tslearn_suite: the shim needs an installed tslearn (pip install tslearn)")
__path__ = list(_spec.submodule_search_locations)
__file__ = _spec.origin
with open(_spec.origin) as _f:
    exec(compile(_f.read(), _spec.origin, "exec"))

# Bound to tslearn's own metrics before the swap (the tests use them as helpers).
import tslearn.backend  # noqa: E402
import tslearn.barycenters  # noqa: E402
import tslearn.clustering  # noqa: E402
import tslearn.utils  # noqa: E402

import tsgrad.metrics  # noqa: E402

for _name in [m for m in sys.modules if m == "tslearn.metrics" or m.startswith("tslearn.metrics.")]:
    del sys.modules[_name]
sys.modules["tslearn.metrics"] = tsgrad.metrics
metrics = tsgrad.metrics
sys.modules["tslearn.metrics.soft_dtw_loss_pytorch"] = importlib.import_module(
    "tsgrad.metrics._soft_dtw_loss_pytorch"
)

if importlib.util.find_spec("tsgrad.barycenters") is not None:
    import tsgrad.barycenters  # noqa: E402

    for _name in [
        m for m in sys.modules if m == "tslearn.barycenters" or m.startswith("tslearn.barycenters.")
    ]:
        del sys.modules[_name]
    sys.modules["tslearn.barycenters"] = tsgrad.barycenters
    barycenters = tsgrad.barycenters
    SWAPPED = ("metrics", "barycenters")
else:
    SWAPPED = ("metrics",)
'''

# (pytest node id, reason): tests that fail against tsgrad on purpose. Each is listed in
# docs/metrics.md ("tslearn's own tests") or docs/clustering.md (barycenters).
EXPECTED_FAILURES: list[tuple[str, str]] = [
    (
        "test_metrics.py::test_softdtw_migration",
        "imports tslearn.metrics.softdtw_variants, tslearn's module of the deprecated soft-DTW "
        "functions (they warn DeprecationWarning); tsgrad has no deprecated module",
    ),
    (
        "test_metrics.py::test_sax",
        "calls cdist_sax with the symbol -1, which tslearn reads as the last breakpoint (NumPy's "
        "negative index); SAX symbols are 0 .. alphabet_size - 1 and tsgrad raises ValueError",
    ),
    (
        "test_barycenters.py::test_set_weights",
        "tests tslearn's private _set_weights, which replaces weights of the wrong length by "
        "ones; tsgrad.barycenters has no such helper and raises on such weights "
        "(docs/clustering.md)",
    ),
]

PYTEST_INI = """[pytest]
addopts = -p tslearn_suite -p no:cacheprovider -ra
"""

_MODE_VARIABLE = "TSGRAD_TSLEARN_SUITE_MODE"


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description="Run tslearn's test files against tsgrad.metrics / tsgrad.barycenters (or, "
        "with --reference, against the installed tslearn). Unrecognised arguments are passed "
        "to pytest."
    )
    parser.add_argument(
        "--tests",
        required=True,
        type=Path,
        help="the tests/ folder of a tslearn checkout "
        "(git clone https://github.com/tslearn-team/tslearn)",
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help=f"test files of that folder to run, e.g. {' '.join(SUITE_FILES)}",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="run against the installed tslearn instead of the shim",
    )
    args, pytest_args = parser.parse_known_args(argv)
    if not args.tests.is_dir():
        parser.error(
            f"--tests must be the tests/ folder of a tslearn checkout; got {str(args.tests)!r}. "
            "Get it with 'git clone https://github.com/tslearn-team/tslearn'."
        )
    for name in args.files:
        if not (args.tests / name).is_file():
            parser.error(f"no test file {name!r} in {str(args.tests)!r}.")
    return args, pytest_args


def main(argv: list[str] | None = None) -> int:
    args, pytest_args = _parse(sys.argv[1:] if argv is None else argv)
    mode = "reference" if args.reference else "tsgrad"
    if mode == "tsgrad":
        has_barycenters = importlib.util.find_spec("tsgrad.barycenters") is not None
        print(
            "tslearn_suite: tslearn.metrics -> tsgrad.metrics; tslearn.barycenters -> "
            + ("tsgrad.barycenters" if has_barycenters else "tslearn's own (no tsgrad.barycenters)")
        )
    with tempfile.TemporaryDirectory(prefix="tsgrad_tslearn_suite_") as tmp:
        work = Path(tmp) / "tests"
        work.mkdir()
        for name in args.files:
            shutil.copy2(args.tests / name, work / name)
        (work / "pytest.ini").write_text(PYTEST_INI)

        # The plugin is this file itself (the hooks below), found on tools/.
        path = [str(Path(__file__).resolve().parent)]
        if mode == "tsgrad":
            shim = Path(tmp) / "shim"
            (shim / "tslearn").mkdir(parents=True)
            (shim / "tslearn" / "__init__.py").write_text(SHIM)
            # The shim first, then this checkout's tsgrad, ahead of site-packages.
            path = [str(shim), str(REPO / "src"), *path]
        if os.environ.get("PYTHONPATH"):
            path.append(os.environ["PYTHONPATH"])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), OMP_NUM_THREADS="1")
        env[_MODE_VARIABLE] = mode

        start = time.perf_counter()
        code = subprocess.call(
            [sys.executable, "-m", "pytest", *args.files, *pytest_args], cwd=work, env=env
        )
        elapsed = time.perf_counter() - start
    print(f"tslearn_suite: mode {mode}, pytest exit code {code}, wall time {elapsed:.1f} s")
    return code


# pytest hooks: active in the subprocess, which loads this file with ``-p tslearn_suite``.


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(1)


def pytest_report_header(config: pytest.Config) -> str:
    import tslearn
    import tslearn.metrics

    mode = os.environ.get(_MODE_VARIABLE, "?")
    swapped = getattr(tslearn, "SWAPPED", ())
    return (
        f"tslearn_suite: mode {mode}; tslearn {tslearn.__version__}; tslearn.metrics is "
        f"{tslearn.metrics.__name__} ({tslearn.metrics.__file__}); swapped: "
        f"{', '.join(swapped) or 'nothing'}"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(_MODE_VARIABLE) != "tsgrad":
        return
    expected = dict(EXPECTED_FAILURES)
    for item in items:
        if item.nodeid in expected:
            item.add_marker(pytest.mark.xfail(reason=expected[item.nodeid], strict=True))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    stats = terminalreporter.stats
    failed = sorted({r.nodeid for r in stats.get("failed", []) + stats.get("error", [])})
    terminalreporter.section("tslearn_suite")
    if failed:
        terminalreporter.write_line(f"{len(failed)} test(s) failed:")
        for nodeid in failed:
            terminalreporter.write_line(f"  {nodeid}")
    else:
        terminalreporter.write_line("no test failed (deliberate differences are the XFAIL lines)")


if __name__ == "__main__":
    sys.exit(main())
