"""Subsequence DTW: the best match of a short series anywhere inside a long one."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels import _numba_accumulate as na
from ..backend import instantiate_backend
from ._common import accumulated, path_list, safe_sqrt, scalar, sq_cost


def _cost_matrix(subseq, longseq, be, func):
    x = v.series(subseq, be, "subseq", func)
    y = v.series(longseq, be, "longseq", func)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"The series passed to {func} must have the same number of features. "
            f"Got subseq with {x.shape[1]} and longseq with {y.shape[1]}."
        )
    full = np.ones((x.shape[0], y.shape[0]), dtype=np.bool_)
    return accumulated(sq_cost(x, y, be), full, na.DTW, be, free_start=True)


def subsequence_cost_matrix(subseq, longseq, be=None):
    r"""Accumulated cost matrix of subsequence DTW.

    The DTW recursion on the squared Euclidean cost with a free start anywhere in
    ``longseq``: ``R[0, j] = ||x_0 - y_j||^2 + min(0, R[0, j-1])`` on the first row, then
    ``R[i, j] = ||x_i - y_j||^2 + min(R[i-1, j-1], R[i-1, j], R[i, j-1])``.  ``R[-1, j]`` is
    the cost of the best match of ``subseq`` ending at ``longseq[j]``.

    Parameters
    ----------
    subseq : array-like, shape (sz1, d) or (sz1,)
        The query.
    longseq : array-like, shape (sz2, d) or (sz2,)
        The series searched.  Trailing NaN rows of both are padding and are removed.
    be : Backend, str or None

    Returns
    -------
    array, shape (sz1, sz2)
        Squared costs.  Differentiable for tensors (each entry is the sum of the costs of
        its optimal sub-path).

    Examples
    --------
    >>> subsequence_cost_matrix([2, 3], [1.0, 2.0, 2.0, 3.0, 4.0]).tolist()
    [[1.0, 0.0, 0.0, 1.0, 4.0], [5.0, 1.0, 1.0, 0.0, 1.0]]
    """
    be = instantiate_backend(be, subseq, longseq)
    return _cost_matrix(subseq, longseq, be, "subsequence_cost_matrix")


def subsequence_path(acc_cost_mat, idx_path_end, be=None):
    r"""Optimal subsequence-DTW path ending at column ``idx_path_end`` of the last row.

    Parameters
    ----------
    acc_cost_mat : array, shape (sz1, sz2)
        The output of :func:`subsequence_cost_matrix`.
    idx_path_end : int
        Column of ``longseq`` where the match ends (``0 <= idx_path_end < sz2``).
    be : Backend, str or None

    Returns
    -------
    list of (int, int)
        From ``(0, j_start)`` to ``(sz1 - 1, idx_path_end)``; ties prefer the diagonal,
        then the cell above, then the left one (tslearn's order).

    Examples
    --------
    >>> acc = subsequence_cost_matrix([1, 4], [1.0, 2.0, 2.0, 3.0, 4.0])
    >>> subsequence_path(acc, 3)
    [(0, 2), (1, 3)]
    """
    func = "subsequence_path"
    be = instantiate_backend(be, acc_cost_mat)
    acc = np.asarray(be.to_numpy(acc_cost_mat) if be.is_array(acc_cost_mat) else acc_cost_mat)
    if acc.ndim != 2 or acc.size == 0 or not np.issubdtype(acc.dtype, np.number):
        raise ValueError(
            f"The 'acc_cost_mat' parameter of {func} must be a non-empty numeric matrix "
            f"(sz1, sz2) from subsequence_cost_matrix. Got an array of shape {acc.shape} and "
            f"dtype {acc.dtype} instead."
        )
    j_end = v.integer(idx_path_end, "idx_path_end", func, minimum=0)
    if j_end >= acc.shape[1]:
        raise ValueError(
            f"The 'idx_path_end' parameter of {func} must be < {acc.shape[1]} (the length of "
            f"the long series). Got {idx_path_end!r} instead."
        )
    acc = np.ascontiguousarray(acc, dtype=np.float64)
    return path_list(na.backtrack(acc, acc.shape[0] - 1, j_end, True))


def dtw_subsequence_path(subseq, longseq, be=None):
    r"""Best match of ``subseq`` inside ``longseq`` by subsequence DTW, and its cost.

    The match ends where the last row of :func:`subsequence_cost_matrix` is smallest (the
    first such column), and the path is read back from there (:func:`subsequence_path`).

    Parameters
    ----------
    subseq : array-like, shape (sz1, d) or (sz1,)
    longseq : array-like, shape (sz2, d) or (sz2,)
    be : Backend, str or None

    Returns
    -------
    path : list of (int, int)
        ``(i, j)`` pairs; ``i`` indexes ``subseq`` and runs over all of it.
    distance : numpy.float64, or a 0-d tensor
        ``sqrt`` of the match's accumulated squared cost; differentiable for tensors (its
        gradient follows the matched path; 0 at a zero distance).

    Examples
    --------
    >>> path, dist = dtw_subsequence_path([2, 3], [1.0, 2.0, 2.0, 3.0, 4.0])
    >>> path, float(dist)
    ([(0, 2), (1, 3)], 0.0)
    """
    be = instantiate_backend(be, subseq, longseq)
    R = _cost_matrix(subseq, longseq, be, "dtw_subsequence_path")
    last = be.to_numpy(R)[-1]
    j_end = int(np.argmin(last))
    path = na.backtrack(np.ascontiguousarray(be.to_numpy(R)), R.shape[0] - 1, j_end, True)
    return path_list(path), scalar(safe_sqrt(R[-1, j_end], be), be, numpy_type=np.float64)
