"""Normalized cross-correlation of k-Shape (Paparrizos & Gravano, SIGMOD 2015)."""

from __future__ import annotations

import numpy as np

from .. import _validation as v
from ..backend import instantiate_backend
from ._common import as_backend

# Below this product of the two norms the correlation is 0 (a constant-zero series has no
# shape), as in tslearn.
_NORM_FLOOR = 1e-9


def _dataset(data, name: str, func: str, be) -> np.ndarray:
    """An equal-length dataset ``(n, sz, d)`` as a float64 NumPy array, no NaN."""
    a = be.to_numpy(data) if be.is_array(data) else data
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"The '{name}' parameter of {func} must be an array of numbers (n_ts, sz, d). "
            f"Got {type(data).__name__} ({exc})."
        ) from None
    if a.ndim != 3 or 0 in a.shape:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a non-empty array of shape (n_ts, sz, d) "
            f"(series of equal length). Got shape {a.shape} instead."
        )
    if not np.isfinite(a).all():
        raise ValueError(
            f"The '{name}' parameter of {func} must be finite (k-Shape compares series of equal "
            "length: no NaN padding)."
        )
    return a


def _norms(norms, X, name: str, func: str) -> np.ndarray:
    """The norms given, or all of them computed when any is negative (tslearn's rule)."""
    given = np.asarray(norms, dtype=np.float64).reshape(-1)
    if given.shape[0] != X.shape[0]:
        raise ValueError(
            f"The '{name}' parameter of {func} must hold one norm per series ({X.shape[0]}). "
            f"Got {given.shape[0]}."
        )
    if (given < 0).any():
        return np.sqrt((X * X).sum(axis=(1, 2)))
    return given


def _correlations(a, Fb, sz, nfft):
    """Cross-correlations ``(n2, 2 sz - 1)`` of series ``a`` ``(sz, d)`` with every series
    of ``Fb`` (their spectra), for the shifts ``-(sz - 1) .. sz - 1``:
    ``cc[s] = sum_t sum_f a[t + s, f] b[t, f]``."""
    from scipy import fft as sp_fft  # here, not at import: scipy.fft takes 0.1 s to import

    Fa = sp_fft.rfft(a, n=nfft, axis=0)
    cc = sp_fft.irfft(Fa[None] * np.conj(Fb), n=nfft, axis=1).sum(axis=-1)
    return np.concatenate([cc[:, nfft - (sz - 1) :], cc[:, :sz]], axis=1)


def _spectra(X, sz):
    from scipy import fft as sp_fft

    nfft = sp_fft.next_fast_len(2 * sz - 1, real=True)
    return sp_fft.rfft(X, n=nfft, axis=1), nfft


def cdist_normalized_cc(dataset1, dataset2, norms1, norms2, self_similarity):
    r"""Matrix of the largest normalized cross-correlation (k-Shape's NCC_c) of two datasets.

    .. math::
        \mathrm{NCC}_c(x, y) = \max_{s} \frac{\sum_t \langle x_{t+s}, y_t \rangle}{\|x\|\,\|y\|}

    over the shifts ``s = -(sz - 1) .. sz - 1`` (``1 - NCC_c`` is k-Shape's shape-based
    distance).  Computed with FFTs; a pair whose norms multiply to less than ``1e-9``
    gets 0.

    Parameters
    ----------
    dataset1 : array, shape (n_ts1, sz, d)
    dataset2 : array, shape (n_ts2, sz, d)
        Series of one length, without NaN.
    norms1 : array, shape (n_ts1,)
    norms2 : array, shape (n_ts2,)
        Frobenius norms of the series; if any is negative, all of that dataset are computed
        (the arrays passed are not modified).
    self_similarity : bool
        If True, only the pairs ``j < i`` are computed and mirrored, and the diagonal is 0
        (k-Shape's convention for ``dataset1`` against itself).

    Returns
    -------
    array, shape (n_ts1, n_ts2)
        Of the backend of ``dataset1`` (not differentiable: a maximum over shifts, computed
        with NumPy).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[[0.0], [1.0], [0.0]], [[1.0], [0.0], [0.0]]])
    >>> cdist_normalized_cc(X, X, np.array([-1.0, -1.0]), np.array([-1.0, -1.0]), False)
    array([[1., 1.],
           [1., 1.]])
    """
    func = "cdist_normalized_cc"
    be = instantiate_backend(dataset1, dataset2)
    X = _dataset(dataset1, "dataset1", func, be)
    Y = _dataset(dataset2, "dataset2", func, be)
    if X.shape[1:] != Y.shape[1:]:
        raise ValueError(
            f"The datasets passed to {func} must have series of the same length and features. "
            f"Got {X.shape[1:]} and {Y.shape[1:]}."
        )
    n1 = _norms(norms1, X, "norms1", func)
    n2 = _norms(norms2, Y, "norms2", func)
    sz = X.shape[1]
    Fy, nfft = _spectra(Y, sz)
    out = np.zeros((X.shape[0], Y.shape[0]))
    for i in range(X.shape[0]):
        cols = np.arange(i) if self_similarity else np.arange(Y.shape[0])
        if cols.size == 0:
            continue
        best = _correlations(X[i], Fy[cols], sz, nfft).max(axis=1)
        denom = n1[i] * n2[cols]
        out[i, cols] = np.where(denom < _NORM_FLOOR, 0.0, best / np.maximum(denom, _NORM_FLOOR))
    if self_similarity:
        out = out + out.T
    return as_backend(out, be, dataset1)


def y_shifted_sbd_vec(ref_ts, dataset, norm_ref, norms_dataset):
    r"""Each series of ``dataset`` shifted to its best cross-correlation with ``ref_ts``.

    The shift ``s`` maximizing the normalized cross-correlation (the first one among ties)
    moves series ``y`` to ``y'_{t + s} = y_t``, zeros filling the vacated steps (k-Shape's
    alignment step).

    Parameters
    ----------
    ref_ts : array, shape (sz, d)
    dataset : array, shape (n_ts, sz, d)
    norm_ref : float
        Norm of ``ref_ts``; negative to compute it.
    norms_dataset : array, shape (n_ts,)
        Norms of the series; if any is negative, all are computed.

    Returns
    -------
    array, shape (n_ts, sz, d)
        Of the backend of ``dataset`` (not differentiable).

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.array([[0.0], [1.0], [0.0]])
    >>> y_shifted_sbd_vec(ref, np.array([[[1.0], [0.0], [0.0]]]), -1.0, np.array([-1.0]))[0, :, 0]
    array([0., 1., 0.])
    """
    func = "y_shifted_sbd_vec"
    be = instantiate_backend(dataset, ref_ts)
    Y = _dataset(dataset, "dataset", func, be)
    ref = _dataset(np.asarray(be.to_numpy(ref_ts))[None], "ref_ts", func, be)[0]
    if ref.shape != Y.shape[1:]:
        raise ValueError(
            f"The 'ref_ts' parameter of {func} must have the shape of the series of 'dataset' "
            f"{Y.shape[1:]}. Got {ref.shape} instead."
        )
    nref = float(_norms([v.real(norm_ref, "norm_ref", func)], ref[None], "norm_ref", func)[0])
    norms = _norms(norms_dataset, Y, "norms_dataset", func)
    sz = Y.shape[1]
    Fy, nfft = _spectra(Y, sz)
    cc = _correlations(ref, Fy, sz, nfft)
    denom = nref * norms
    cc = np.where(denom[:, None] < _NORM_FLOOR, 0.0, cc / np.maximum(denom, _NORM_FLOOR)[:, None])
    shifts = np.argmax(cc, axis=1) - (sz - 1)
    out = np.zeros_like(Y)
    for k, s in enumerate(shifts):
        if s > 0:
            out[k, s:] = Y[k, :-s]
        elif s < 0:
            out[k, :s] = Y[k, -s:]
        else:
            out[k] = Y[k]
    return as_backend(out, be, dataset)
