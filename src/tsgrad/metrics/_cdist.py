"""Pairwise (cross-similarity) matrices of DTW and soft-DTW between two datasets."""

from __future__ import annotations

import numpy as np

from .._kernels import make_bands
from .._kernels._dispatch import (
    dtw_values,
    pairs_values,
    soft_dtw_values,
    sqeuclidean_cost,
)
from ._utils import GlobalConstraintError, to_time_series_dataset


def dataset_lengths(X, func: str, name: str) -> np.ndarray:
    """True lengths ``(n_ts,)`` of a NaN-padded dataset ``(n_ts, sz, d)`` (NumPy view).

    NaN is only allowed as trailing padding; an all-NaN series is an error.
    """
    nan_rows = np.isnan(X).all(axis=2)
    any_nan = np.isnan(X).any(axis=2)
    sz = X.shape[1]
    idx = np.arange(sz)
    last_valid = np.where(~nan_rows, idx[None, :], -1).max(axis=1)
    lengths = last_valid + 1
    if np.any(lengths == 0):
        k = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(
            f"The '{name}' parameter of {func} holds an empty (all-NaN) time series at index {k}."
        )
    inside = any_nan & (idx[None, :] < lengths[:, None])
    if np.any(inside):
        k, t = (int(v) for v in np.argwhere(inside)[0])
        raise ValueError(
            f"The '{name}' parameter of {func} contains NaN inside time series {k} (time "
            f"index {t}); NaN is only allowed as trailing padding."
        )
    return lengths.astype(np.int64)


def _pair_indices(n1: int, n2: int, symmetric: bool, with_diagonal: bool):
    if symmetric:
        ii, jj = np.triu_indices(n1, k=0 if with_diagonal else 1)
    else:
        ii, jj = (a.ravel() for a in np.meshgrid(np.arange(n1), np.arange(n2), indexing="ij"))
    return ii.astype(np.int64), jj.astype(np.int64)


def cdist_values(
    dataset1, dataset2, be, *, gamma, kind: int, param: float, func: str, with_diagonal: bool
):
    """Matrix ``(n1, n2)`` of raw DP values (DTW accumulated costs or soft-DTW values).

    NumPy, and tensors that need no gradient, go through the pairs kernel (no cost
    matrices stored, both cores).  Tensors that require grad are batched through the
    differentiable kernels.  With ``dataset2=None`` only the upper triangle is computed.
    """
    X = to_time_series_dataset(dataset1, be=be)
    symmetric = dataset2 is None
    Y = X if symmetric else to_time_series_dataset(dataset2, be=be)
    if X.shape[2] != Y.shape[2]:
        raise ValueError(
            f"The datasets passed to {func} must have the same number of features. "
            f"Got {X.shape[2]} and {Y.shape[2]}."
        )
    Xn, Yn = be.to_numpy(X), be.to_numpy(Y)
    lx = dataset_lengths(Xn, func, "dataset1")
    ly = lx if symmetric else dataset_lengths(Yn, func, "dataset2")
    n1, n2 = Xn.shape[0], Yn.shape[0]
    ii, jj = _pair_indices(n1, n2, symmetric, with_diagonal)
    bands = make_bands(lx[ii], ly[jj], Xn.shape[1], kind, param)
    if not bands.feasible.all():
        p = int(np.flatnonzero(~bands.feasible)[0])
        raise GlobalConstraintError(
            f"The global constraint of {func} leaves no admissible path for series of "
            f"lengths {lx[ii[p]]} and {ly[jj[p]]}: increase the constraint's parameter."
        )
    needs_grad = be.backend_string == "pytorch" and (X.requires_grad or Y.requires_grad)
    if needs_grad:
        # padding is NaN: zero it so that masked cells have zero (not NaN) derivatives
        Xz = be.where(be.isnan(X), be.zeros_like(X), X)
        Yz = be.where(be.isnan(Y), be.zeros_like(Y), Y)
        D = sqeuclidean_cost(Xz[ii], Yz[jj])
        vals = dtw_values(D, bands, be) if gamma is None else soft_dtw_values(D, gamma, bands, be)
        out = be.zeros((n1, n2), dtype=vals.dtype)
        out = out.index_put((be.array(ii), be.array(jj)), vals)
        if symmetric:
            lower = out.transpose(0, 1) * (1 - be.eye(n1, dtype=vals.dtype))
            out = out + lower
        return out
    vals = pairs_values(Xn, Yn, lx, ly, ii, jj, gamma=gamma, kind=kind, param=param)
    out = np.zeros((n1, n2))
    out[ii, jj] = vals
    if symmetric:
        out[jj, ii] = vals
    return be.array(out, dtype=be.float64)
