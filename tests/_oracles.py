"""First-principles oracles shared by the tests: plain autograd, brute-force enumeration."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import torch

from tsgrad._kernels import CONSTRAINT_CODES, full_bands, make_bands

# Batches of band layouts shared by the kernel tests: full, ragged lengths, constraints.
B, N, M = 5, 7, 6
BANDS = {
    "full": lambda: full_bands(B, N, M),
    "lengths": lambda: make_bands([7, 3, 5, 1, 7], [6, 6, 2, 4, 1], N),
    "sakoe-chiba": lambda: make_bands(
        [7, 6, 5, 7, 4], [6, 6, 6, 3, 4], N, CONSTRAINT_CODES["sakoe_chiba"], 1
    ),
    "itakura-with-infeasible": lambda: make_bands(
        [7, 6, 5, 7, 7], [6, 6, 6, 3, 6], N, CONSTRAINT_CODES["itakura"], 2.0
    ),
}


def sqeuclidean(x, y):
    """Plain-autograd squared Euclidean cost ``(B, n, m)``."""
    return ((x[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1)


def softdtw_recursion(D, gamma, lx=None, ly=None):
    """Soft-DTW values ``(B,)`` by the soft-min recursion with ``torch.logsumexp``.

    Differentiable by plain autograd (a Python loop over cells).  Per-element lengths read
    ``R[b, lx, ly]``: the recursion never looks forward, so cells beyond the lengths have
    no influence.
    """
    B, n, m = D.shape
    inf = torch.full((B,), math.inf, dtype=D.dtype)
    R = [[inf] * (m + 1) for _ in range(n + 1)]
    R[0][0] = torch.zeros(B, dtype=D.dtype)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            prev = torch.stack((R[i - 1][j - 1], R[i - 1][j], R[i][j - 1]))
            R[i][j] = D[:, i - 1, j - 1] - gamma * torch.logsumexp(-prev / gamma, dim=0)
    lx = [n] * B if lx is None else lx
    ly = [m] * B if ly is None else ly
    return torch.stack([R[lx[b]][ly[b]][b] for b in range(B)])


def dilate_reference(outputs, targets, alpha, gamma, lx=None, ly=None):
    """DILATE per element ``(loss, shape, temporal)``, each ``(B,)``, by plain autograd.

    The temporal term's soft path is ``E = d sdtw / dD`` taken with ``create_graph=True``.
    """
    B, n, m = outputs.shape[0], outputs.shape[1], targets.shape[1]
    D = sqeuclidean(outputs, targets)
    shape = softdtw_recursion(D, gamma, lx, ly)
    (E,) = torch.autograd.grad(shape.sum(), D, create_graph=True)
    i = torch.arange(n, dtype=D.dtype)[:, None]
    j = torch.arange(m, dtype=D.dtype)[None, :]
    k = torch.tensor([m] * B if ly is None else ly, dtype=D.dtype)
    temporal = (E * (i - j) ** 2).sum((1, 2)) / k**2
    return alpha * shape + (1 - alpha) * temporal, shape, temporal


@cache
def all_paths(n: int, m: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Every monotone alignment path from (0, 0) to (n - 1, m - 1), as tuples of cells."""
    out = []

    def walk(path):
        i, j = path[-1]
        if (i, j) == (n - 1, m - 1):
            out.append(tuple(path))
            return
        for di, dj in ((0, 1), (1, 0), (1, 1)):
            if i + di < n and j + dj < m:
                path.append((i + di, j + dj))
                walk(path)
                path.pop()

    walk([(0, 0)])
    return tuple(out)


def sq_cost(x, y) -> np.ndarray:
    """Squared Euclidean cost ``(n, m)`` of two series ``(n,)`` / ``(n, d)`` (NumPy)."""
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    return ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)


def brute_soft_dtw(D, gamma, mask=None):
    """Soft-DTW value and expected alignment of one ``(n, m)`` cost matrix by enumerating
    every path (those through admissible cells of ``mask`` only); ``gamma = 0`` gives hard
    DTW and its optimal path.  NumPy in, NumPy out."""
    D = np.asarray(D, dtype=np.float64)
    n, m = D.shape
    paths = [p for p in all_paths(n, m) if mask is None or all(mask[c] for c in p)]
    costs = np.array([sum(D[c] for c in p) for p in paths])
    E = np.zeros_like(D)
    if gamma == 0:
        k = int(np.argmin(costs))
        for c in paths[k]:
            E[c] = 1.0
        return costs[k], E
    z = -costs / gamma
    zmax = z.max()
    w = np.exp(z - zmax)
    value = -gamma * (np.log(w.sum()) + zmax)
    w /= w.sum()
    for wi, p in zip(w, paths, strict=True):
        for c in p:
            E[c] += wi
    return value, E


def ragged_batch(B, n, m, d, ragged, seed=0):
    """Random series ``X`` ``(B, n, d)``, ``Y`` ``(B, m, d)`` (NumPy) and their lengths
    ``lx``, ``ly`` (random in ``1..n``, ``1..m`` when ``ragged``), NaN past each length (it
    must not leak into the results)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, n, d))
    Y = rng.standard_normal((B, m, d))
    lx = rng.integers(1, n + 1, B) if ragged else np.full(B, n)
    ly = rng.integers(1, m + 1, B) if ragged else np.full(B, m)
    for b in range(B):
        X[b, lx[b] :] = np.nan
        Y[b, ly[b] :] = np.nan
    return X, Y, lx, ly
