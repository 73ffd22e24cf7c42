"""Run torchdiffeq's own test suite against tsgrad.ode through an import swap.

Usage::

    git clone https://github.com/rtqichen/torchdiffeq
    python tools/torchdiffeq_suite.py --tests torchdiffeq/tests [pytest args...]
    python tools/torchdiffeq_suite.py --tests torchdiffeq/tests --reference [pytest args...]

torchdiffeq's PyPI packages do not ship the tests, hence the clone. The script builds, in a
temporary directory, a package named ``torchdiffeq`` whose public names are tsgrad.ode's,
puts it first on ``PYTHONPATH`` (so an installed torchdiffeq is shadowed), copies the
top-level ``*.py`` files of ``--tests`` next to it and runs pytest on them in a subprocess
(one process, one torch thread). ``--reference`` skips the shim, so the same files run
against the installed torchdiffeq: that is how the expected failures below are checked.
Extra arguments go to pytest, e.g. ``-k TestNorms`` or ``-x``.

It prints where ``torchdiffeq`` was imported from, which tests failed and the wall time,
and exits with pytest's exit code.

This is a development tool: tsgrad's library code never imports torchdiffeq.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# The whole shim. torchdiffeq's test files (api, event, gradient, norm, odeint tests and
# problems.py) use only these three names, so no ``torchdiffeq._impl`` internals are
# provided: a test file that reaches for one fails at import with ModuleNotFoundError, and
# ``_internal_imports`` names such files before the run. (norm_tests.py does read one
# implementation detail, ``grad_fn.adjoint_options`` on odeint_adjoint's output; that is
# an attribute of the autograd node tsgrad.ode itself creates, not something a shim
# could supply.)
SHIM = '''"""torchdiffeq -> tsgrad.ode, written by tsgrad's tools/torchdiffeq_suite.py."""

from tsgrad.ode import odeint, odeint_adjoint, odeint_event

__all__ = ["odeint", "odeint_adjoint", "odeint_event"]
'''

# Tests that fail against torchdiffeq itself: (pytest node id, subTest parameters, reason).
# Empty parameters name a whole test, which runs as a strict xfail; otherwise only the
# matching unittest subTest of that test is turned into an xfail (its siblings still count).
# Either way the mark is strict and applies in both modes, so ``--reference`` confirms
# each claim: an expected failure that passes is reported as a failure.
_ADAMS = "calls method='adams', which torchdiffeq removed (0.2.5 raises ValueError), as does tsgrad"
EXPECTED_FAILURES: list[tuple[str, dict[str, object], str]] = [
    (
        "gradient_tests.py::TestGradient::test_odeint",
        {"method": "scipy_solver"},
        "gradcheck through scipy_solver: its output is built from solve_ivp's NumPy arrays, so "
        "it has no autograd graph and gradcheck raises 'Numerical gradient for function "
        "expected to be zero' (scipy_solver gradients exist only through odeint_adjoint)",
    ),
    # Only in old checkouts of gradient_tests.py; the versions measured in docs/ode.md have none.
    ("gradient_tests.py::TestGradient::test_adams", {}, _ADAMS),
    (
        "odeint_tests.py::TestMinMaxStep::test_min_max_step",
        {},
        "its scipy_solver half: SciPy's LSODA (SciPy 1.17) spends 191 evaluations on the "
        "'linear' problem whatever min_step=2, above the test's bound of 50; torchdiffeq "
        "passes the same min_step to solve_ivp and fails alike (the dopri5 half passes)",
    ),
    (
        "gradient_tests.py::TestCompareAdjointGradient::test_adams_adjoint_against_dopri5",
        {},
        _ADAMS,
    ),
]
# Not listed, because tsgrad passes them: with --reference, torchdiffeq 0.2.5 fails the
# float32 dopri8 subtests of odeint_tests.py::TestDiscontinuities::test_odeint_jump_t
# ("AssertionError: underflow in dt 0.0"); later versions of that test skip dopri8.

PYTEST_INI = """[pytest]
python_files = *_tests.py
verbosity_subtests = 1
addopts = -p torchdiffeq_suite -p no:cacheprovider -ra
"""

_MODE_VARIABLE = "TSGRAD_TORCHDIFFEQ_SUITE_MODE"
_INTERNAL_IMPORT = re.compile(r"^\s*(from|import)\s+torchdiffeq\.", re.MULTILINE)


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description="Run torchdiffeq's test suite against tsgrad.ode (or, with --reference, "
        "against the installed torchdiffeq). Unrecognised arguments are passed to pytest."
    )
    parser.add_argument(
        "--tests",
        required=True,
        type=Path,
        help="the tests/ folder of a torchdiffeq checkout "
        "(git clone https://github.com/rtqichen/torchdiffeq)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="run against the installed torchdiffeq instead of the tsgrad.ode shim",
    )
    args, pytest_args = parser.parse_known_args(argv)
    tests = args.tests
    if not tests.is_dir() or not (tests / "problems.py").is_file():
        parser.error(
            f"--tests must be the tests/ folder of a torchdiffeq checkout (a directory with "
            f"problems.py and *_tests.py); got {str(tests)!r}. Get it with "
            f"'git clone https://github.com/rtqichen/torchdiffeq' and pass torchdiffeq/tests."
        )
    if not any(tests.glob("*_tests.py")):
        parser.error(f"--tests: no *_tests.py file in {str(tests)!r}.")
    return args, pytest_args


def _internal_imports(tests: Path) -> list[str]:
    return sorted(p.name for p in tests.glob("*.py") if _INTERNAL_IMPORT.search(p.read_text()))


def main(argv: list[str] | None = None) -> int:
    args, pytest_args = _parse(sys.argv[1:] if argv is None else argv)
    mode = "reference" if args.reference else "tsgrad"
    with tempfile.TemporaryDirectory(prefix="tsgrad_torchdiffeq_suite_") as tmp:
        work = Path(tmp) / "tests"
        work.mkdir()
        # Top level only: tests/DETEST is a benchmark script, not part of the suite.
        for source in sorted(args.tests.glob("*.py")):
            shutil.copy2(source, work / source.name)
        (work / "pytest.ini").write_text(PYTEST_INI)

        # The plugin is this file itself (the hooks below), found on tools/.
        path = [str(Path(__file__).resolve().parent)]
        if mode == "tsgrad":
            shim = Path(tmp) / "shim"
            (shim / "torchdiffeq").mkdir(parents=True)
            (shim / "torchdiffeq" / "__init__.py").write_text(SHIM)
            # The shim first, then this checkout's tsgrad, ahead of site-packages.
            path = [str(shim), str(REPO / "src"), *path]
            internal = _internal_imports(work)
            if internal:
                print(
                    "torchdiffeq_suite: these files import torchdiffeq internals, which the "
                    f"shim does not provide: {', '.join(internal)}"
                )
        if os.environ.get("PYTHONPATH"):
            path.append(os.environ["PYTHONPATH"])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), OMP_NUM_THREADS="1")
        env[_MODE_VARIABLE] = mode

        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=work, env=env)
        elapsed = time.perf_counter() - start
    print(f"torchdiffeq_suite: mode {mode}, pytest exit code {code}, wall time {elapsed:.1f} s")
    return code


# pytest hooks: active in the subprocess, which loads this file with ``-p torchdiffeq_suite``.


def pytest_report_header(config: pytest.Config) -> str:
    import torchdiffeq

    mode = os.environ.get(_MODE_VARIABLE, "?")
    version = getattr(torchdiffeq, "__version__", "shim")
    return f"torchdiffeq_suite: mode {mode}; torchdiffeq {version} from {torchdiffeq.__file__}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    whole_tests = {nodeid: reason for nodeid, params, reason in EXPECTED_FAILURES if not params}
    for item in items:
        if item.nodeid in whole_tests:
            item.add_marker(pytest.mark.xfail(reason=whole_tests[item.nodeid], strict=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> Generator[None, None, None]:
    # A wrapper runs before every plain implementation (the session's failure count, the
    # terminal), so they all see the report as changed here. Only subtest reports carry
    # ``context``: the subTest's parameters, as repr() strings.
    context = getattr(report, "context", None)
    if context is not None and report.when == "call":
        for nodeid, params, reason in EXPECTED_FAILURES:
            if (
                params
                and report.nodeid == nodeid
                and all(context.kwargs.get(key) == repr(value) for key, value in params.items())
            ):
                if report.failed:
                    report.outcome = "skipped"  # how pytest itself records an xfail
                    report.wasxfail = reason
                elif report.passed:
                    report.outcome = "failed"
                    report.longrepr = f"[XPASS(strict)] {reason}"
                break
    return (yield)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    stats = terminalreporter.stats
    failed = sorted({r.nodeid for r in stats.get("failed", []) + stats.get("error", [])})
    terminalreporter.section("torchdiffeq_suite")
    if failed:
        terminalreporter.write_line(f"{len(failed)} test(s) failed:")
        for nodeid in failed:
            terminalreporter.write_line(f"  {nodeid}")
    else:
        terminalreporter.write_line("no test failed (expected failures are the XFAIL lines)")


if __name__ == "__main__":
    sys.exit(main())
