"""Metrics against brute-force enumeration of every alignment path."""

import numpy as np
import pytest

from tsgrad.metrics import (
    dtw,
    dtw_path,
    sakoe_chiba_mask,
    soft_dtw,
    soft_dtw_alignment,
)

from .._oracles import brute_soft_dtw, sq_cost

SHAPES = [(1, 1), (1, 4), (3, 1), (2, 2), (3, 4), (4, 3), (5, 5)]


def _pair(seed, n, m, d):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d))


@pytest.mark.parametrize("n,m", SHAPES, ids=[f"{n}x{m}" for n, m in SHAPES])
@pytest.mark.parametrize("gamma", [0.01, 0.5, 3.0])
@pytest.mark.parametrize("d", [1, 2])
def test_soft_dtw_value_and_alignment_match_enumeration(n, m, gamma, d):
    x, y = _pair(n * 10 + m, n, m, d)
    value, E = brute_soft_dtw(sq_cost(x, y), gamma)
    assert soft_dtw(x, y, gamma=gamma) == pytest.approx(value, rel=1e-12, abs=1e-12)
    A, sim = soft_dtw_alignment(x, y, gamma=gamma)
    np.testing.assert_allclose(A, E, rtol=1e-10, atol=1e-12)
    assert float(sim) == pytest.approx(value, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n,m", SHAPES, ids=[f"{n}x{m}" for n, m in SHAPES])
def test_dtw_and_path_match_enumeration(n, m):
    x, y = _pair(7 + n * m, n, m, 2)
    D = sq_cost(x, y)
    best, E = brute_soft_dtw(D, 0)
    assert dtw(x, y) == pytest.approx(np.sqrt(best), rel=1e-12, abs=1e-12)
    path, sim = dtw_path(x, y)
    assert sum(D[c] for c in path) == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert path[0] == (0, 0) and path[-1] == (n - 1, m - 1)
    steps = {(b[0] - a[0], b[1] - a[1]) for a, b in zip(path[:-1], path[1:], strict=True)}
    assert steps <= {(0, 1), (1, 0), (1, 1)}
    assert sim == pytest.approx(np.sqrt(best))


@pytest.mark.parametrize("radius", [0, 1, 2])
def test_constrained_soft_dtw_matches_enumeration_over_admissible_paths(radius):
    x, y = _pair(3, 5, 5, 1)
    mask = np.asarray(sakoe_chiba_mask(5, 5, radius=radius))
    value, E = brute_soft_dtw(sq_cost(x, y), 0.7, mask=mask)
    got = soft_dtw(x, y, gamma=0.7, global_constraint="sakoe_chiba", sakoe_chiba_radius=radius)
    assert got == pytest.approx(value, rel=1e-12)
    A, _ = soft_dtw_alignment(
        x, y, gamma=0.7, global_constraint="sakoe_chiba", sakoe_chiba_radius=radius
    )
    np.testing.assert_allclose(A, E, atol=1e-12)


@pytest.mark.parametrize("gamma", [1e-2, 1e-3, 1e-4])
def test_soft_dtw_tends_to_squared_dtw_as_gamma_vanishes(gamma):
    x, y = _pair(11, 30, 25, 2)
    hard = dtw(x, y) ** 2
    soft = soft_dtw(x, y, gamma=gamma)
    # -gamma * log(#paths) <= soft - hard <= 0
    n_paths_log_bound = (30 + 25) * np.log(3)
    assert -gamma * n_paths_log_bound - 1e-9 <= soft - hard <= 1e-9


def test_soft_dtw_is_not_a_distance():
    x = np.arange(5.0)
    assert soft_dtw(x, x, gamma=1.0) < 0
    assert soft_dtw(x, x, gamma=0.0) == 0.0
