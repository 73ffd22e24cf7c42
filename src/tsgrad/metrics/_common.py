"""Helpers shared by the alignment metrics beyond DTW and soft-DTW.

Cost matrices from a metric name, a callable or a precomputed matrix; admissibility masks
from a global constraint; the pairs of a cross-similarity matrix; paths as Python lists;
a square root whose derivative at 0 is 0; random states.  Argument checks live in
:mod:`tsgrad._validation`.
"""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import CONSTRAINT_CODES, cost_matrix, make_bands
from .._kernels import _numba_accumulate as _na
from ..backend import instantiate_backend
from ._cdist import _pair_indices, datasets

# scikit-learn's names for SciPy's metrics (tslearn passes metric names to scikit-learn).
_METRIC_ALIASES = {"l1": "cityblock", "manhattan": "cityblock", "l2": "euclidean"}


def band_mask(n: int, m: int, kind: int, param: float, func: str) -> np.ndarray:
    """Boolean ``(n, m)`` mask of the admissible cells; an error when no path is left."""
    if kind == CONSTRAINT_CODES[None]:
        return np.ones((n, m), dtype=np.bool_)
    bands = v.pair_bands(n, m, kind, param, func)
    cols = np.arange(m)[None, :]
    return (cols >= bands.lo[0][:, None]) & (cols < bands.hi[0][:, None])


def band_rows(n: int, m: int, kind: int, param: float, func: str):
    """Row intervals ``lo, hi`` ``(n,)`` of the admissible cells (an error when none)."""
    bands = v.pair_bands(n, m, kind, param, func)
    return bands.lo[0], bands.hi[0]


def path_list(path) -> list[tuple[int, int]]:
    """An ``(L, 2)`` integer array as tslearn's list of ``(i, j)`` tuples of ints."""
    path = np.asarray(path)
    return list(zip(path[:, 0].tolist(), path[:, 1].tolist(), strict=True))


def sq_cost(x, y, be):
    """Squared Euclidean cost matrix ``(n, m)`` of two validated series: numba for NumPy
    arrays, the backend's (differentiable) operations for tensors."""
    if be.backend_string == "numpy":
        return _na.sqeuclidean_matrix(
            np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)
        )
    return cost_matrix(x[None], y[None])[0]


def safe_sqrt(v, be):
    """``sqrt(v)`` for ``v >= 0`` whose derivative at ``v = 0`` is 0 (not inf: a zero
    distance then gives zero gradients, as a subgradient should)."""
    if be.backend_string == "numpy":
        return np.sqrt(v)
    positive = v > 0
    return be.where(positive, be.sqrt(be.where(positive, v, be.ones_like(v))), be.zeros_like(v))


def requires_grad(*arrays) -> bool:
    return any(bool(getattr(a, "requires_grad", False)) for a in arrays)


def check_mask(mask, shape: tuple[int, int], be, func: str) -> np.ndarray:
    """A user's admissibility mask as a boolean NumPy array of the given shape."""
    m = be.to_numpy(mask) if be.is_array(mask) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(
            f"The 'mask' parameter of {func} must be a boolean array (True on admissible "
            f"cells, see compute_mask). Got dtype {m.dtype} instead."
        )
    if m.shape != shape:
        raise ValueError(
            f"The 'mask' parameter of {func} must have shape {shape} (the lengths of the two "
            f"series). Got {m.shape} instead."
        )
    return np.ascontiguousarray(m)


def bad_cost_values(func: str, name: str = "s1") -> ValueError:
    """The error of a precomputed cost matrix holding NaN or ``-inf``."""
    return ValueError(
        f"The '{name}' parameter of {func} must not contain NaN or -inf (+inf marks a "
        "forbidden cell)."
    )


def check_cost_matrix(D, be, func: str, name: str = "s1", values: bool = True):
    """A precomputed cost matrix ``(n, m)``: float64, no NaN, no ``-inf`` (``values=False``:
    the caller's kernel checks the values as it reads them, one pass over the matrix
    fewer)."""
    if be.is_array(D):
        D = be.asarray(D, dtype=be.float64)
    else:
        try:
            D = be.array(np.asarray(D, dtype=np.float64), dtype=be.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"The '{name}' parameter of {func} must be a matrix of numbers with "
                f"metric='precomputed'. Got {type(D).__name__} ({exc})."
            ) from None
    if D.ndim != 2 or D.shape[0] == 0 or D.shape[1] == 0:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a non-empty cost matrix (sz1, sz2) with "
            f"metric='precomputed'. Got shape {tuple(D.shape)} instead."
        )
    if values and not (be.to_numpy(D) > -np.inf).all():  # NaN or -inf
        raise bad_cost_values(func, name)
    return D


def cost_from_metric(x, y, metric, kwds: dict, be, func: str):
    """Cost matrix ``(n, m)`` of two validated series with a metric.

    ``"sqeuclidean"`` and ``"euclidean"`` are computed by the backend (differentiable for
    tensors); a callable ``metric(x_i, y_j, **kwds)`` is called on every pair of rows (of
    the backend's type: differentiable if it is written in torch); any other name is one of
    SciPy's ``cdist`` metrics (scikit-learn's aliases ``l1``, ``l2``, ``manhattan``
    accepted), computed in NumPy, hence without gradient.
    """
    if isinstance(metric, str):
        name = _METRIC_ALIASES.get(metric, metric)
        if name in ("sqeuclidean", "euclidean") and not kwds:
            D = sq_cost(x, y, be)
            return D if name == "sqeuclidean" else safe_sqrt(D, be)
        if requires_grad(x, y):
            raise ValueError(
                f"The 'metric' parameter of {func} is {metric!r}, computed by SciPy without "
                "gradient, but the series require grad. Use 'euclidean', 'sqeuclidean' or a "
                "callable written with torch operations."
            )
        from scipy.spatial.distance import cdist

        try:
            D = cdist(be.to_numpy(x), be.to_numpy(y), metric=name, **kwds)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"The 'metric' parameter of {func} must be 'precomputed', a callable or a "
                f"metric known to scipy.spatial.distance.cdist. Got {metric!r} ({exc})."
            ) from None
        return be.array(D, dtype=be.float64)
    if callable(metric):
        if be.backend_string == "numpy":
            from scipy.spatial.distance import cdist

            return np.asarray(cdist(x, y, metric=metric, **kwds), dtype=np.float64)
        rows = [be.stack([be.asarray(metric(xi, yj, **kwds)) for yj in y]) for xi in x]
        return be.astype(be.stack(rows), be.float64)
    raise TypeError(
        f"The 'metric' parameter of {func} must be a string or a callable. "
        f"Got {type(metric).__name__} instead."
    )


def as_backend(a, be, like):
    """A NumPy result as a float64 array of ``be``, on the device of ``like``."""
    return be.array(a, dtype=be.float64, device=be.device(like))


def metric_cost_matrix(s1, s2, metric, kwds, be, func, check_values: bool = True):
    """``(be, D)`` for the ``*_path_from_metric`` functions (``check_values=False``: see
    :func:`check_cost_matrix`)."""
    be = instantiate_backend(be, s1, s2)
    if isinstance(metric, str) and metric == "precomputed":
        if s2 is not None:
            raise ValueError(
                f"The 's2' parameter of {func} must be None with metric='precomputed' (s1 is "
                f"the cost matrix). Got {type(s2).__name__} instead."
            )
        if kwds:
            raise TypeError(
                f"{func} got metric parameters {sorted(kwds)} with metric='precomputed'."
            )
        return be, check_cost_matrix(s1, be, func, values=check_values)
    if s2 is None:
        raise ValueError(
            f"The 's2' parameter of {func} is needed unless metric='precomputed'. Got None."
        )
    x, y = v.series_pair(s1, s2, be, func)
    return be, cost_from_metric(x, y, metric, kwds, be, func)


def scalar(v, be, *, numpy_type=float):
    """A value as tslearn returns it: ``numpy_type`` for NumPy, a 0-d tensor for torch."""
    return numpy_type(v) if be.backend_string == "numpy" else v


# ------------------------------------------------------------------------------------
# Cross-similarity matrices
# ------------------------------------------------------------------------------------
class PairSet:
    """The validated datasets of a cross-similarity matrix and the pairs to compute.

    With ``dataset2=None`` only the upper triangle (with the diagonal or not) is computed and
    mirrored.  ``X``, ``Y`` are the backend's NaN-padded ``(n, sz, d)`` arrays, ``Xn``,
    ``Yn`` NumPy views, ``lx``, ``ly`` the true lengths, ``ii``, ``jj`` the pairs.
    """

    def __init__(self, dataset1, dataset2, be, func: str, *, with_diagonal: bool):
        X, lx, Y, ly = datasets(dataset1, dataset2, be, func)
        self.symmetric = Y is X
        self.be = be
        self.X, self.Y = X, Y
        self.Xn = np.ascontiguousarray(be.to_numpy(X), dtype=np.float64)
        self.Yn = self.Xn if self.symmetric else np.ascontiguousarray(be.to_numpy(Y), np.float64)
        self.lx, self.ly = lx, ly
        self.n1, self.n2 = self.Xn.shape[0], self.Yn.shape[0]
        self.ii, self.jj = _pair_indices(self.n1, self.n2, self.symmetric, with_diagonal)

    def check_feasible(self, kind: int, param: float, func: str) -> None:
        """An error when the constraint leaves some pair without an admissible path."""
        if kind == CONSTRAINT_CODES[None]:
            return
        bands = make_bands(self.lx[self.ii], self.ly[self.jj], self.Xn.shape[1], kind, param)
        if not bands.feasible.all():
            p = int(np.flatnonzero(~bands.feasible)[0])
            raise v.GlobalConstraintError(
                f"The global constraint of {func} leaves no admissible path for series of "
                f"lengths {self.lx[self.ii[p]]} and {self.ly[self.jj[p]]}: increase the "
                "constraint's parameter."
            )

    def zero_padded(self):
        """``X``, ``Y`` with the NaN padding set to 0 (finite costs, zero gradients)."""
        be = self.be
        Xz = be.where(be.isnan(self.X), be.zeros_like(self.X), self.X)
        Yz = Xz if self.symmetric else be.where(be.isnan(self.Y), be.zeros_like(self.Y), self.Y)
        return Xz, Yz

    def matrix(self, vals, *, diagonal=0.0):
        """The ``(n1, n2)`` matrix of the pair values ``(P,)`` (mirrored if symmetric)."""
        be = self.be
        if be.backend_string == "pytorch" and be.is_array(vals):
            out = be.full((self.n1, self.n2), diagonal, dtype=vals.dtype, device=vals.device)
            ii, jj = be.array(self.ii, device=vals.device), be.array(self.jj, device=vals.device)
            out = out.index_put((ii, jj), vals)
            if self.symmetric:
                off = ii != jj
                out = out.index_put((jj[off], ii[off]), vals[off])
            return out
        out = np.full((self.n1, self.n2), diagonal)
        out[self.ii, self.jj] = vals
        if self.symmetric:
            out[self.jj, self.ii] = vals
        return as_backend(out, be, self.X)


# ------------------------------------------------------------------------------------
# Accumulated matrices of the hard DPs (DTW, Frechet, subsequence DTW)
# ------------------------------------------------------------------------------------
def accumulated(D, mask: np.ndarray, mode: int, be, *, free_start: bool = False):
    """Accumulated-cost matrix ``(n, m)`` of a cost matrix of backend ``be``.

    Tensors that require grad go through the autograd Function (its backward follows the
    recursion's choices); everything else runs the numba kernel once.
    """
    if requires_grad(D):
        from .._kernels._torch_accumulate import accumulate

        return accumulate(D, mask, mode, free_start)
    Dn = np.ascontiguousarray(be.to_numpy(D), dtype=np.float64)
    R = _na.accumulate_values(Dn, mask, mode, free_start)
    return R if be.backend_string == "numpy" else as_backend(R, be, D)


def accumulated_matrix(s1, s2, mask, be, mode, func):
    """Accumulated matrix of two series used as given (no padding removed), under a mask."""
    be = instantiate_backend(be, s1, s2)
    x = v.as_series(s1, be, False, "s1", func)
    y = v.as_series(s2, be, False, "s2", func)
    for name, s in (("s1", x), ("s2", y)):
        if s.shape[0] == 0 or s.shape[1] == 0:
            raise ValueError(
                f"The '{name}' parameter of {func} must be a non-empty series with at least one "
                f"feature. Got shape {tuple(s.shape)} instead."
            )
        if not bool(be.to_numpy(be.all(be.isfinite(s)))):
            raise ValueError(
                f"The '{name}' parameter of {func} must be finite (no NaN: the series are used "
                "as given, the mask fixes their lengths; remove the padding first)."
            )
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"The series passed to {func} must have the same number of features. "
            f"Got s1 with {x.shape[1]} and s2 with {y.shape[1]}."
        )
    mask = check_mask(mask, (x.shape[0], y.shape[0]), be, func)
    return accumulated(sq_cost(x, y, be), mask, mode, be)
