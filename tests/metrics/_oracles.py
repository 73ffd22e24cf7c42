"""First-principles oracles for the metric tests: brute-force enumeration of alignments."""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def all_paths(n: int, m: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Every monotone alignment path from (0, 0) to (n - 1, m - 1)."""
    out = []

    def rec(i, j, path):
        if (i, j) == (n - 1, m - 1):
            out.append(tuple(path))
            return
        for di, dj in ((0, 1), (1, 0), (1, 1)):
            a, b = i + di, j + dj
            if a < n and b < m:
                rec(a, b, path + [(a, b)])

    rec(0, 0, [(0, 0)])
    return tuple(out)


def sq_cost(x, y):
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    return ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)


def brute_soft_dtw(D, gamma, mask=None):
    """Soft-DTW value and expected alignment of a cost matrix by enumeration."""
    n, m = D.shape
    paths = [p for p in all_paths(n, m) if mask is None or all(mask[c] for c in p)]
    costs = np.array([sum(D[c] for c in p) for p in paths])
    if gamma == 0:
        k = int(np.argmin(costs))
        E = np.zeros_like(D)
        for c in paths[k]:
            E[c] = 1.0
        return costs[k], E
    z = -costs / gamma
    zmax = z.max()
    w = np.exp(z - zmax)
    value = -gamma * (np.log(w.sum()) + zmax)
    w /= w.sum()
    E = np.zeros_like(D)
    for wi, p in zip(w, paths, strict=True):
        for c in p:
            E[c] += wi
    return value, E


__all__ = ["all_paths", "brute_soft_dtw", "sq_cost"]
