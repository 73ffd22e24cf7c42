"""Datasets shared by the barycenter tests."""

import numpy as np


def dataset(seed=0, n=8, sz=10, d=2, ragged=False):
    """``(n, sz, d)`` random walks; with ``ragged`` some end early (NaN padding)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, sz, d).cumsum(axis=1) * 0.5
    if ragged:
        X[1, sz - 3 :] = np.nan
        X[-1, sz - 2 :] = np.nan
    return X
