"""DTW Barycenter Averaging (DBA): majorize-minimize, Petitjean's form, stochastic subgradient.

DBA looks for the series ``b`` that minimises ``F(b) = sum_i w_i DTW(b, x_i)^2 / sum_i w_i``,
where ``DTW^2`` is the smallest accumulated squared Euclidean cost of an alignment path.
Given the optimal paths ``p_i`` of the current ``b``, ``F`` is majorised by the quadratic
``sum_i w_i sum_{(t, j) in p_i} ||b_t - x_ij||^2`` (equal at ``b``), whose minimiser is, step
by step, the weighted mean of the points aligned with ``b_t``:

    b_t <- sum_i w_i sum_{(t, j) in p_i} x_ij  /  sum_i w_i |{j : (t, j) in p_i}|.

So each iteration (paths, then means) does not increase ``F``: Petitjean, Ketterlin &
Gancarski (2011) derived it as an assignment-and-average heuristic, Schultz & Jain (2018)
as this majorize-minimize step.  Their stochastic subgradient method instead moves ``b``
along ``-dF_i/db = -2 w_i (V_i b - W_i x_i)`` one series at a time (``W_i`` the 0/1 path
matrix, ``V_i`` its row sums), with a step size decreasing during the first epoch.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _validation as v
from ._checks import (
    check_constraint,
    check_dataset,
    check_series,
    check_weights,
    like_input,
)
from ._kernels import _dtw_alignments


class ConvergenceWarning(UserWarning):
    """A DBA iteration stopped because its cost increased by more than ``tol`` (rounding:
    the iteration itself never increases it).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", ConvergenceWarning)  # make it an error
    ...     b = dtw_barycenter_averaging([[1.0, 2.0, 3.0], [1.0, 3.0, 4.0]])
    >>> b.shape
    (3, 1)
    """


def _initial_barycenter(values, lengths, size: int) -> np.ndarray:
    """Mean of the series at each time step (over the series long enough to have it),
    linearly interpolated to ``size`` steps."""
    sz = values.shape[1]
    present = (np.arange(sz)[None, :] < lengths[:, None]).astype(np.float64)
    mean = values.sum(axis=0) / present.sum(axis=0)[:, None]
    if size == sz:
        return mean
    grid, src = np.linspace(0.0, 1.0, size), np.linspace(0.0, 1.0, sz)
    return np.stack([np.interp(grid, src, mean[:, k]) for k in range(mean.shape[1])], axis=1)


def _start(func, X, barycenter_size, init_barycenter, weights, metric_params, max_iter):
    """Validated ``(dataset, weights, initial barycenter, constraint)`` of the DBA functions.

    With ``max_iter=0`` the initial barycenter is returned as given, so its number of
    features is not checked against the dataset's (tslearn's behaviour).
    """
    data = check_dataset(X, func)
    w = check_weights(weights, data.values.shape[0], func)
    constraint = check_constraint(metric_params, func)
    d = data.values.shape[2] if max_iter > 0 else None
    if init_barycenter is not None:
        bary = check_series(init_barycenter, func, "init_barycenter", d)
        if barycenter_size is not None and barycenter_size != bary.shape[0]:
            raise ValueError(
                f"The 'barycenter_size' parameter of {func} must be None or the length of "
                f"'init_barycenter' ({bary.shape[0]}). Got {barycenter_size!r} instead."
            )
    else:
        size = data.values.shape[1]
        if barycenter_size is not None:
            size = v.integer(barycenter_size, "barycenter_size", func, minimum=1)
        bary = _initial_barycenter(data.values, data.lengths, size)
    return data, w, bary, constraint


def _aligned(func, Z, values, lengths, constraint, series_first=False):
    """:func:`_dtw_alignments` of ``Z`` ``(B, n, d)`` and ``values``, with an error where
    the constraint admits no path."""
    costs, steps_z, steps_x, owner = _dtw_alignments(
        Z, values, lengths, constraint.kind, constraint.param, series_first=series_first
    )
    if not np.isfinite(costs).all():
        k = int(np.flatnonzero(~np.isfinite(costs))[0])
        raise ValueError(
            f"The global constraint of {func} leaves no admissible path between a barycenter "
            f"of length {Z.shape[1]} and time series {k} (length {lengths[k]}): relax the "
            "constraint in 'metric_params' or change 'barycenter_size'."
        )
    return costs, steps_z, steps_x, owner


def _weighted_means(values, w, slot, steps_x, owner, slots: int) -> np.ndarray:
    """``(slots, d)`` weighted means of the points ``values[owner, steps_x]`` (weights
    ``w[owner]``) grouped by ``slot`` (a barycenter step, or cluster * size + step)."""
    cell_w = w[owner]
    counts = np.bincount(slot, weights=cell_w, minlength=slots)
    points = values[owner, steps_x]
    sums = [
        np.bincount(slot, weights=cell_w * points[:, k], minlength=slots)
        for k in range(values.shape[2])
    ]
    with np.errstate(invalid="ignore", divide="ignore"):  # slots of stopped clusters
        return np.stack(sums, axis=1) / counts[:, None]


def _majorize_minimize(
    func, values, lengths, w, groups, barys, constraint, max_iter, tol, verbose, series_first
):
    """DBA iterations of ``k`` independent barycenters at once, each until its cost
    changes by less than ``tol``: one kernel call per iteration for all of them.

    Parameters
    ----------
    values, lengths : the series ``(n_ts, sz, d)`` (zero-padded) and their lengths.
    w : ndarray, shape (n_ts,)
        Weights, > 0 (zero-weight series neither move a barycenter nor count: drop them).
    groups : ndarray of int64, shape (n_ts,)
        The barycenter ``0 <= g < k`` each series belongs to; every one has a series.
    barys : ndarray, shape (k, bsz, d)
        Initial barycenters.

    Returns
    -------
    barys : ndarray, shape (k, bsz, d)
    costs : ndarray, shape (k,)
        Cost of the last alignment of each (of the barycenter before its last update), as
        in tslearn.  A cost increase larger than ``tol`` (rounding only: the iteration is
        monotone) stops that barycenter with a :class:`ConvergenceWarning`.
    """
    k, size, d = barys.shape
    barys = barys.copy()
    cost_prev, cost = np.full(k, np.inf), np.full(k, np.inf)
    active = np.ones(k, dtype=bool)
    mass = np.bincount(groups, weights=w, minlength=k)
    for it in range(max_iter):
        rows = np.flatnonzero(active[groups])
        g = groups[rows]
        costs, steps_z, steps_x, owner = _aligned(
            func, barys[g], values[rows], lengths[rows], constraint, series_first
        )
        now = np.bincount(g, weights=w[rows] * costs, minlength=k) / mass
        cost[active] = now[active]
        if verbose:
            shown = ", ".join(f"{c:.3f}" for c in cost)
            print(f"[DBA] epoch {it + 1}, cost: {shown}")
        means = _weighted_means(
            values[rows], w[rows], g[owner] * size + steps_z, steps_x, owner, k * size
        )
        barys[active] = means.reshape(k, size, d)[active]
        for c in np.flatnonzero(active):
            if abs(cost_prev[c] - cost[c]) < tol:
                active[c] = False
            elif cost_prev[c] < cost[c]:
                warnings.warn(
                    f"{func}: the DBA cost increased from {cost_prev[c]:.6g} to {cost[c]:.6g} "
                    f"at iteration {it + 1} (rounding at convergence); stopping there.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
                active[c] = False
            else:
                cost_prev[c] = cost[c]
        if not active.any():
            break
    return barys, cost


def dtw_barycenter_averaging(
    X,
    barycenter_size=None,
    init_barycenter=None,
    max_iter=30,
    tol=1e-5,
    weights=None,
    metric_params=None,
    verbose=False,
    n_init=1,
    n_jobs=None,
):
    r"""DTW Barycenter Averaging (DBA), by majorize-minimize iterations.

    Minimises :math:`F(b) = \sum_i w_i \,\mathrm{DTW}(b, x_i)^2 / \sum_i w_i` by alternating
    the optimal DTW paths of the current barycenter with the closed-form update
    :math:`b_t = \sum_i w_i \sum_{(t, j) \in p_i} x_{ij} / \sum_i w_i |\{j : (t, j) \in p_i\}|`
    (Petitjean et al., 2011; Schultz & Jain, 2018).  Each iteration does not increase
    :math:`F`; the result is a local minimum that depends on the initial barycenter.

    All the paths of one iteration come from one parallel kernel call (costs computed
    inside it, no cost tensor).

    Parameters
    ----------
    X : array-like, shape (n_ts, sz, d) or (n_ts, sz), a list of series, or a tensor
        Time series dataset; NaN-padded variable-length series are supported.
    barycenter_size : int or None (default: None)
        Length of the barycenter; None means ``sz``, or the length of ``init_barycenter``.
    init_barycenter : array-like, shape (bsz, d), or None (default: None)
        Starting barycenter; None means the mean of the series at each time step (over the
        series that have it), linearly interpolated to ``barycenter_size``.
    max_iter : int >= 0 (default: 30)
        Maximum number of iterations (0 returns the initial barycenter).
    tol : float >= 0 (default: 1e-5)
        Stop when the cost changes by less than ``tol``.
    weights : None or array-like, shape (n_ts,)
        Non-negative weight of each series, not all zero; None means uniform (an array of
        the wrong length is an error, where tslearn silently uses ones).
    metric_params : dict or None (default: None)
        Global constraint of the paths: keys ``global_constraint`` ("sakoe_chiba",
        "itakura", None, or tslearn's codes 0, 1, 2), ``sakoe_chiba_radius``,
        ``itakura_max_slope`` (see :func:`tsgrad.metrics.dtw_path`).
    verbose : bool (default: False)
        Print the cost at each iteration.
    n_init : int >= 1 (default: 1)
        Accepted for tslearn compatibility.  The initialisation is deterministic, so every
        restart would return the same barycenter: it runs once.
    n_jobs : None or int
        Accepted for tslearn compatibility; the kernel uses every core numba is allowed.

    Returns
    -------
    array, shape (barycenter_size, d)
        NumPy for NumPy inputs; for a tensor, a tensor of its dtype on its device (the
        computation runs on the CPU).

    Examples
    --------
    >>> dtw_barycenter_averaging([[1, 2, 3, 4], [1, 2, 4, 5]], max_iter=5).ravel().tolist()
    [1.0, 2.0, 3.5, 4.5]
    >>> dtw_barycenter_averaging([[1, 2, 3, 4], [1, 2, 3, 4, 5]], max_iter=5).ravel().tolist()
    [1.0, 2.0, 3.0, 4.0, 4.5]
    >>> X = [[1, 2, 3, 4], [1, 2, 3, 4, 5]]
    >>> dtw_barycenter_averaging(X, max_iter=5, barycenter_size=3).ravel().round(4).tolist()
    [1.5, 3.0, 4.3333]
    """
    func = "dtw_barycenter_averaging"
    v.integer(n_init, "n_init", func, minimum=1)
    bary, _ = _dba_entry(
        func,
        X,
        barycenter_size,
        init_barycenter,
        max_iter,
        tol,
        weights,
        metric_params,
        verbose,
        n_jobs,
        series_first=False,
    )
    return bary


def dtw_barycenter_averaging_petitjean(
    X,
    barycenter_size=None,
    init_barycenter=None,
    max_iter=30,
    tol=1e-5,
    weights=None,
    metric_params=None,
    verbose=False,
    n_jobs=None,
):
    """DTW Barycenter Averaging in Petitjean et al.'s form (assignment, then averaging).

    The same iteration as :func:`dtw_barycenter_averaging` (each step of the barycenter
    becomes the weighted mean of the points its DTW paths align with it), with the paths
    computed as ``dtw_path(x_i, b)`` instead of ``dtw_path(b, x_i)``: the optimum is the
    same, only ties between equally good paths may be broken differently.  Kept, as in
    tslearn, because :class:`tsgrad.clustering.TimeSeriesKMeans` uses this form.

    Parameters
    ----------
    X, barycenter_size, init_barycenter, max_iter, tol, weights, metric_params, verbose, n_jobs
        As in :func:`dtw_barycenter_averaging`.

    Returns
    -------
    array, shape (barycenter_size, d)

    Examples
    --------
    >>> dtw_barycenter_averaging_petitjean([[0, 0, 0], [10, 10, 10]],
    ...                                    weights=[0.75, 0.25]).ravel().tolist()
    [2.5, 2.5, 2.5]
    """
    func = "dtw_barycenter_averaging_petitjean"
    bary, _ = _dba_entry(
        func,
        X,
        barycenter_size,
        init_barycenter,
        max_iter,
        tol,
        weights,
        metric_params,
        verbose,
        n_jobs,
        series_first=True,
    )
    return bary


def _dba_entry(
    func,
    X,
    barycenter_size,
    init_barycenter,
    max_iter,
    tol,
    weights,
    metric_params,
    verbose,
    n_jobs,
    series_first,
):
    max_iter = v.integer(max_iter, "max_iter", func, minimum=0)
    tol = v.real(tol, "tol", func, minimum=0.0)
    v.n_jobs(n_jobs, func)
    data, w, bary, constraint = _start(
        func, X, barycenter_size, init_barycenter, weights, metric_params, max_iter
    )
    keep = w > 0
    barys, cost = _majorize_minimize(
        func,
        data.values[keep],
        data.lengths[keep],
        w[keep],
        np.zeros(int(keep.sum()), dtype=np.int64),
        bary[None],
        constraint,
        max_iter,
        tol,
        verbose,
        series_first,
    )
    return like_input(barys[0], data.like), float(cost[0])


def dtw_barycenter_averaging_subgradient(
    X,
    barycenter_size=None,
    init_barycenter=None,
    max_iter=30,
    initial_step_size=0.05,
    final_step_size=0.005,
    tol=1e-5,
    random_state=None,
    weights=None,
    metric_params=None,
    verbose=False,
):
    r"""DTW Barycenter Averaging by stochastic subgradient descent (Schultz & Jain, 2018).

    Each epoch visits the series in a random order; series :math:`i` moves the barycenter
    by :math:`b \leftarrow b - \frac{2\eta}{\bar w} w_i (V_i b - W_i x_i)`, the subgradient
    of :math:`w_i \mathrm{DTW}(b, x_i)^2` (``W_i`` the 0/1 matrix of the optimal path,
    ``V_i`` the diagonal of its row sums, :math:`\bar w` the mean weight).  The step
    :math:`\eta` decreases linearly from ``initial_step_size`` to ``final_step_size``
    during the first epoch and then stays there.  After each epoch the cost
    :math:`\sum_i w_i \mathrm{DTW}(b, x_i)^2 / \sum_i w_i` is measured; the best barycenter
    seen is returned (tslearn 0.10 returns the last one, because it updates the best in
    place).

    Parameters
    ----------
    X, barycenter_size, init_barycenter, weights, metric_params, verbose
        As in :func:`dtw_barycenter_averaging`.
    max_iter : int >= 0 (default: 30)
        Number of epochs.
    initial_step_size, final_step_size : float > 0 (defaults: 0.05, 0.005)
    tol : float >= 0 (default: 1e-5)
        Stop when an epoch changes the best cost by less than ``tol``.
    random_state : None, int or numpy.random.RandomState
        Order of the series in each epoch (an int gives tslearn's order).

    Returns
    -------
    array, shape (barycenter_size, d)

    Examples
    --------
    >>> b = dtw_barycenter_averaging_subgradient([[1, 2, 3, 4], [1, 2, 4, 5]],
    ...                                          max_iter=10, random_state=0)
    >>> b.ravel().round(3).tolist()
    [1.0, 2.0, 3.517, 4.517]
    """
    func = "dtw_barycenter_averaging_subgradient"
    max_iter = v.integer(max_iter, "max_iter", func, minimum=0)
    eta0 = v.real(initial_step_size, "initial_step_size", func, minimum=0.0, strict=True)
    eta1 = v.real(final_step_size, "final_step_size", func, minimum=0.0, strict=True)
    tol = v.real(tol, "tol", func, minimum=0.0)
    rng = v.random_state(random_state, func)
    data, w, bary, constraint = _start(
        func, X, barycenter_size, init_barycenter, weights, metric_params, max_iter
    )
    values, lengths = data.values, data.lengths
    n, size = values.shape[0], bary.shape[0]
    scale = 2.0 / (w.sum() / n)
    eta = eta0
    best, best_cost = bary.copy(), np.inf
    for it in range(max_iter):
        for i in rng.permutation(n):
            if w[i] == 0:
                continue
            _, steps_z, steps_x, _ = _aligned(
                func, bary[None], values[i : i + 1], lengths[i : i + 1], constraint
            )
            counts = np.bincount(steps_z, minlength=size)
            pulled = np.stack(
                [
                    np.bincount(steps_z, weights=values[i, steps_x, k], minlength=size)
                    for k in range(values.shape[2])
                ],
                axis=1,
            )
            bary = bary - (scale * eta * w[i]) * (counts[:, None] * bary - pulled)
            if it == 0:
                eta -= (eta0 - eta1) * w[i] / w.sum()
        costs = _aligned(
            func, np.broadcast_to(bary, (n, *bary.shape)), values, lengths, constraint
        )[0]
        cost = float(w @ costs / w.sum())
        if verbose:
            print(f"[DBA] epoch {it + 1}, cost: {cost:.3f}")
        if cost < best_cost:
            best = bary.copy()
        if abs(best_cost - cost) < tol:
            break
        best_cost = min(cost, best_cost)
    return like_input(best, data.like)
