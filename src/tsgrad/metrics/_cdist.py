"""Pairwise (cross-similarity) matrices of DTW and soft-DTW between two datasets."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import SqEuclideanPairs, make_bands, values


def _pair_indices(n1: int, n2: int, symmetric: bool, with_diagonal: bool):
    if symmetric:
        ii, jj = np.triu_indices(n1, k=0 if with_diagonal else 1)
    else:
        ii, jj = (a.ravel() for a in np.meshgrid(np.arange(n1), np.arange(n2), indexing="ij"))
    return ii.astype(np.int64), jj.astype(np.int64)


def datasets(dataset1, dataset2, be, func: str):
    """Validated ``(X, lx, Y, ly)``: NaN-padded datasets ``(n_ts, sz, d)`` of ``be`` and
    their true lengths (``Y is X`` when ``dataset2`` is None)."""
    X = v.as_dataset(dataset1, be, "dataset1", func)
    lx = v.dataset_lengths(be.to_numpy(X), "dataset1", func)
    if dataset2 is None:
        return X, lx, X, lx
    Y = v.as_dataset(dataset2, be, "dataset2", func)
    ly = v.dataset_lengths(be.to_numpy(Y), "dataset2", func)
    if X.shape[2] != Y.shape[2]:
        raise ValueError(
            f"The datasets passed to {func} must have the same number of features. "
            f"Got {X.shape[2]} and {Y.shape[2]}."
        )
    return X, lx, Y, ly


def cdist_values(X, lx, Y, ly, be, *, gamma, kind: int, param: float, func: str, with_diagonal):
    """Matrix ``(n1, n2)`` of raw DP values (DTW accumulated costs for ``gamma=None``,
    soft-DTW values otherwise) of validated datasets (:func:`datasets`).

    With ``Y is X`` only the upper triangle is computed (the diagonal too with
    ``with_diagonal``; zero otherwise).  Differentiable for tensors that require grad.
    """
    symmetric = Y is X
    n1, n2 = X.shape[0], Y.shape[0]
    ii, jj = _pair_indices(n1, n2, symmetric, with_diagonal)
    bands = make_bands(lx[ii], ly[jj], X.shape[1], kind, param)
    if not bands.feasible.all():
        p = int(np.flatnonzero(~bands.feasible)[0])
        raise v.GlobalConstraintError(
            f"The global constraint of {func} leaves no admissible path for series of "
            f"lengths {lx[ii[p]]} and {ly[jj[p]]}: increase 'itakura_max_slope' (or use "
            "'sakoe_chiba')."
        )
    vals = values(SqEuclideanPairs(X, Y, lx, ly, ii, jj), gamma, bands)
    if be.backend_string == "pytorch":
        dev = vals.device
        out = be.zeros((n1, n2), dtype=vals.dtype, device=dev)
        out = out.index_put((be.array(ii, device=dev), be.array(jj, device=dev)), vals)
        if symmetric:
            out = out + out.transpose(0, 1) * (1 - be.eye(n1, dtype=vals.dtype, device=dev))
        return out
    out = np.zeros((n1, n2))
    out[ii, jj] = vals
    if symmetric:
        out[jj, ii] = vals
    return out
