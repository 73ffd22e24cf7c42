"""tslearn's object interface to soft-DTW (``SoftDTW``, ``SquaredEuclidean``) and its
metric name lists.  ``SoftDTWLossPyTorch`` lives in :mod:`._soft_dtw_loss_pytorch` (it
imports torch)."""

from __future__ import annotations

import numbers

from .. import _validation as v
from .._kernels import CostMatrix, alignment, cost_matrix, full_bands
from ..backend import instantiate_backend

#: tslearn's integer codes of the global constraints (:func:`compute_mask` takes them).
GLOBAL_CONSTRAINT_CODE = {None: 0, "": 0, "itakura": 1, "sakoe_chiba": 2}
_CODE_NAMES = {0: None, 1: "itakura", 2: "sakoe_chiba"}


def constraint_name(global_constraint, func: str):
    """A constraint name from one of tslearn's integer codes (other values unchanged)."""
    if isinstance(global_constraint, numbers.Integral) and not isinstance(global_constraint, bool):
        if int(global_constraint) not in _CODE_NAMES:
            raise ValueError(
                f"The 'global_constraint' parameter of {func} must be 0, 1, 2 (tslearn's codes: "
                f"none, Itakura, Sakoe-Chiba) or a constraint name. Got {global_constraint!r} "
                "instead."
            )
        return _CODE_NAMES[int(global_constraint)]
    return global_constraint


#: Metric names that tslearn's estimators accept (``metric=``).
TSLEARN_VALID_METRICS = [
    "ctw",
    "dtw",
    "gak",
    "sax",
    "softdtw",
    "softdtw_normalized",
    "lcss",
    "frechet",
]
#: Metric names that handle series of different lengths.
VARIABLE_LENGTH_METRICS = list(TSLEARN_VALID_METRICS)


class SquaredEuclidean:
    """Squared Euclidean cost matrix of two series, and its Jacobian-vector product.

    Parameters
    ----------
    X : array-like, shape (sz1, d) or (sz1,)
    Y : array-like, shape (sz2, d) or (sz2,)
    be : Backend, str or None
    compute_with_backend : bool (default: False)
        Accepted for tslearn compatibility; the computation is the same either way.

    Examples
    --------
    >>> SquaredEuclidean([1, 2, 2, 3], [1, 2, 3, 4]).compute().tolist()[0]
    [0.0, 1.0, 4.0, 9.0]
    """

    def __init__(self, X, Y, be=None, compute_with_backend=False):
        self.be = instantiate_backend(be, X, Y)
        self.compute_with_backend = compute_with_backend
        self.X = v.as_series(X, self.be, False, "X", "SquaredEuclidean")
        self.Y = v.as_series(Y, self.be, False, "Y", "SquaredEuclidean")
        if self.X.shape[1] != self.Y.shape[1]:
            raise ValueError(
                "The 'X' and 'Y' parameters of SquaredEuclidean must have the same number of "
                f"features. Got {self.X.shape[1]} and {self.Y.shape[1]}."
            )

    def compute(self):
        """The cost matrix ``C[i, j] = ||X_i - Y_j||^2``, shape (sz1, sz2)."""
        return cost_matrix(self.X[None], self.Y[None])[0]

    def jacobian_product(self, E):
        """``G = sum_ij E_ij dC_ij / dX``: ``G[i] = 2 sum_j E_ij (X_i - Y_j)``, shape (sz1, d).

        Parameters
        ----------
        E : array, shape (sz1, sz2)
            E.g. the expected alignment :meth:`SoftDTW.grad`.
        """
        be = self.be
        E = be.asarray(E, dtype=be.float64)
        if tuple(E.shape) != (self.X.shape[0], self.Y.shape[0]):
            raise ValueError(
                "The 'E' parameter of SquaredEuclidean.jacobian_product must have shape "
                f"{(self.X.shape[0], self.Y.shape[0])}. Got {tuple(E.shape)} instead."
            )
        return 2.0 * (self.X * be.sum(E, axis=1)[:, None] - be.matmul(E, self.Y))


class SoftDTW:
    """Soft-DTW of a cost matrix: value and expected alignment (its gradient).

    Parameters
    ----------
    D : array, shape (m, n), or an object with ``compute()`` (e.g. :class:`SquaredEuclidean`)
        Cost matrix.
    gamma : float > 0 (default: 1.0)
    be : Backend, str or None
    compute_with_backend : bool (default: False)
        Accepted for tslearn compatibility; the computation is the same either way.

    Examples
    --------
    >>> sdtw = SoftDTW(SquaredEuclidean([1, 2, 3], [3, 4, -3]), gamma=1.0)
    >>> round(float(sdtw.compute()), 4)
    41.1876
    >>> sdtw.grad().round(4)[0].tolist()
    [1.0, 0.0, 0.0]
    """

    def __init__(self, D, gamma=1.0, be=None, compute_with_backend=False):
        if hasattr(D, "compute"):
            D = D.compute()
        self.be = instantiate_backend(be, D)
        self.compute_with_backend = compute_with_backend
        self.D = self.be.array(D, dtype=self.be.float64)
        if self.D.ndim != 2 or self.D.shape[0] == 0 or self.D.shape[1] == 0:
            raise ValueError(
                "The 'D' parameter of SoftDTW must be a non-empty cost matrix (m, n). "
                f"Got shape {tuple(self.D.shape)} instead."
            )
        self.gamma = v.real(gamma, "gamma", "SoftDTW", minimum=0.0, strict=True)
        self.computed = False
        self._E = None

    def compute(self):
        """The soft-DTW value (differentiable w.r.t. ``D`` for tensors)."""
        m, n = self.D.shape
        vals, E = alignment(CostMatrix(self.D[None]), self.gamma, full_bands(1, m, n))
        self._E = E[0]
        self.computed = True
        return vals[0]

    def grad(self):
        """The expected alignment ``E = d soft-DTW / d D``, shape (m, n)."""
        if not self.computed:
            raise ValueError("Needs to call compute() first.")
        return self._E
