"""MINDIST between SAX representations (Lin et al., 2003)."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from .._kernels._numba_sax import sax_mindist_pairs
from ..backend import instantiate_backend
from ._cdist import _pair_indices
from ._common import as_backend


def _words(dataset, name: str, alphabet: int, be, func: str) -> np.ndarray:
    """SAX words ``(n, w, d)`` as int64: equal lengths, symbols in ``0 .. alphabet - 1``."""
    X = be.to_numpy(v.as_dataset(dataset, be, name, func))
    if np.isnan(X).any():
        raise ValueError(
            f"The '{name}' parameter of {func} must hold SAX words of one length (no NaN padding)."
        )
    S = np.rint(X)
    if not (S == X).all() or (S < 0).any() or (S >= alphabet).any():
        raise ValueError(
            f"The '{name}' parameter of {func} must hold integer symbols in 0 .. {alphabet - 1} "
            f"(the alphabet of {alphabet - 1} breakpoints). Got values in "
            f"[{X.min()}, {X.max()}]."
        )
    return S.astype(np.int64)


def cdist_sax(dataset1, breakpoints_avg, size_fitted, dataset2=None, n_jobs=None, verbose=0):
    r"""Cross-distance matrix of MINDIST between SAX words.

    .. math::
        \mathrm{MINDIST}(r, c) = \sqrt{\frac{n}{w}} \sqrt{\sum_t \mathrm{cell}(r_t, c_t)^2},
        \quad \mathrm{cell}(r, c) = \begin{cases} 0 & |r - c| \le 1 \\
        \beta_{\max(r, c) - 1} - \beta_{\min(r, c)} & \text{otherwise} \end{cases}

    a lower bound of the Euclidean distance between the series of length ``n`` the words of
    ``w`` symbols were made from (Lin, Keogh, Lonardi & Chiu, DMKD 2003).  Multivariate words
    add the squared cells of their features.

    Parameters
    ----------
    dataset1 : array-like, shape (n_ts1, w, d)
        SAX words: integer symbols ``0 .. len(breakpoints_avg)``, all of one length.
    breakpoints_avg : array-like, shape (alphabet_size - 1,)
        The breakpoints ``beta`` of the symbols (increasing).
    size_fitted : int
        Length ``n`` of the series the words were computed from.
    dataset2 : array-like, shape (n_ts2, w, d), or None
        None gives the symmetric matrix of ``dataset1`` (zero diagonal).
    n_jobs, verbose
        Accepted for tslearn compatibility and ignored: the numba kernel runs the pairs in
        parallel on every core.

    Returns
    -------
    array, shape (n_ts1, n_ts2)
        Of the backend of ``dataset1`` (symbols: not differentiable).

    Examples
    --------
    >>> cdist_sax([[0, 1, 3], [3, 1, 0]], [-0.67, 0.0, 0.67], 6).round(4).tolist()
    [[0.0, 2.68], [2.68, 0.0]]
    """
    func = "cdist_sax"
    be = instantiate_backend(dataset1, dataset2)
    bp = be.to_numpy(breakpoints_avg) if be.is_array(breakpoints_avg) else breakpoints_avg
    bp = np.ascontiguousarray(np.asarray(bp, dtype=np.float64).reshape(-1))
    if bp.size == 0 or not np.isfinite(bp).all():
        raise ValueError(
            f"The 'breakpoints_avg' parameter of {func} must be a non-empty 1-D array of finite "
            f"breakpoints. Got {bp.size} values."
        )
    n = v.integer(size_fitted, "size_fitted", func, minimum=1)
    S1 = _words(dataset1, "dataset1", bp.size + 1, be, func)
    symmetric = dataset2 is None
    S2 = S1 if symmetric else _words(dataset2, "dataset2", bp.size + 1, be, func)
    if S1.shape[1:] != S2.shape[1:]:
        raise ValueError(
            f"The datasets passed to {func} must hold words of the same length and features. "
            f"Got {S1.shape[1:]} and {S2.shape[1:]}."
        )
    ii, jj = _pair_indices(S1.shape[0], S2.shape[0], symmetric, False)
    vals = sax_mindist_pairs(S1, S2, ii, jj, bp, n / S1.shape[1])
    out = np.zeros((S1.shape[0], S2.shape[0]))
    out[ii, jj] = vals
    if symmetric:
        out[jj, ii] = vals
    return as_backend(out, be, dataset1)
