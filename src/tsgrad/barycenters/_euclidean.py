"""Euclidean barycenter: the weighted mean, time step by time step."""

from __future__ import annotations

import numpy as np

from ._checks import check_dataset, check_weights, like_input


def euclidean_barycenter(X, weights=None):
    r"""Barycenter of equal-length time series under the Euclidean distance.

    The minimiser of :math:`\sum_i w_i \|b - x_i\|^2` is the weighted mean
    :math:`b = \sum_i w_i x_i / \sum_i w_i`, taken at each time step.

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz), or a torch tensor
        Time series dataset, all of the same length (NaN-padded variable-length series
        are an error here: resample them, or use :func:`dtw_barycenter_averaging` /
        :func:`softdtw_barycenter`, which align the series).
    weights : None or array-like, shape (n_ts,)
        Non-negative weight of each series, not all zero; None means uniform.  Unlike
        tslearn, weights of the wrong length are an error, not replaced by ones.

    Returns
    -------
    array, shape (sz, d)
        NumPy for NumPy inputs; for a tensor, a tensor of its dtype on its device.

    Examples
    --------
    >>> euclidean_barycenter([[1, 2, 3, 4], [1, 2, 4, 5]]).ravel().tolist()
    [1.0, 2.0, 3.5, 4.5]
    >>> euclidean_barycenter([[0, 0], [4, 8]], weights=[3, 1]).ravel().tolist()
    [1.0, 2.0]
    """
    func = "euclidean_barycenter"
    data = check_dataset(X, func)
    w = check_weights(weights, data.values.shape[0], func)
    if not data.equal_size:
        raise ValueError(
            f"The 'X' parameter of {func} must hold time series of equal lengths. Got "
            f"lengths from {data.lengths.min()} to {data.lengths.max()}; resample them, or use "
            "dtw_barycenter_averaging / softdtw_barycenter for series of different lengths."
        )
    bary = np.average(data.values, axis=0, weights=w)
    return like_input(bary, data.like)
