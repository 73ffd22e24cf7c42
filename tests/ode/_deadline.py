"""Run a call under a deadline, so that a solver that hangs fails the test instead of CI."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest

DEADLINE_S = 30.0  # the calls take milliseconds; the margin is for a loaded 2-core machine


def outcome_within(fn: Callable[[], object], seconds: float = DEADLINE_S):
    """``("ok", result)`` or ``("error", exception)`` of ``fn()``; fails after ``seconds``.

    The call runs in a daemon thread: a hung call is abandoned (it cannot be killed), the
    test fails, and the thread dies with the interpreter.
    """
    box: dict[str, object] = {}

    def target():
        try:
            box["ok"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the call did not end within {seconds} s (a hang)")
    return next(iter(box.items()))


def raises_within(error: type[BaseException], fn: Callable[[], object], match: str = ""):
    """The exception ``fn()`` raises within the deadline; fails unless it is an ``error``."""
    kind, value = outcome_within(fn)
    assert kind == "error", f"expected {error.__name__}, got the result {value!r}"
    assert isinstance(value, error), f"expected {error.__name__}, got {value!r}"
    if match:
        assert re.search(match, str(value)), f"{match!r} not in {str(value)!r}"
    return value
