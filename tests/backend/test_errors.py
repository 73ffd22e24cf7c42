"""Bad input gets a TypeError / ValueError that names the parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tsgrad.backend import (
    NumPyBackend,
    PyTorchBackend,  # noqa: E402  (needs torch)
)

BACKENDS = [NumPyBackend(), PyTorchBackend()]
BACKEND_IDS = ["numpy", "pytorch"]


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
@pytest.mark.parametrize(
    "call",
    [
        lambda be, dt: be.array([1.0], dtype=dt),
        lambda be, dt: be.asarray([1.0], dtype=dt),
        lambda be, dt: be.zeros(2, dtype=dt),
        lambda be, dt: be.full(2, 1.0, dtype=dt),
        lambda be, dt: be.zeros_like(be.zeros(2), dtype=dt),
        lambda be, dt: be.astype(be.zeros(2), dt),
    ],
    ids=["array", "asarray", "zeros", "full", "zeros_like", "astype"],
)
@pytest.mark.parametrize("dtype", ["float128x", object, "U3", 3.5], ids=repr)
def test_unknown_dtype(be, call, dtype):
    with pytest.raises(TypeError, match=r"The 'dtype' parameter of \w+Backend\.\w+ must be"):
        call(be, dtype)


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
@pytest.mark.parametrize(
    "dtype",
    [float, "float64", np.float64, np.dtype("float64"), torch.float64],
    ids=["python-float", "name", "numpy-type", "numpy-dtype", "torch-dtype"],
)
def test_every_dtype_spelling_means_float64(be, dtype):
    assert be.zeros(2, dtype=dtype).dtype == be.float64


@pytest.mark.parametrize("device", ["cuda", "meta", torch.device("cuda:0")], ids=str)
def test_numpy_backend_rejects_other_devices(device):
    with pytest.raises(ValueError, match=r"The 'device' parameter of NumPyBackend\.zeros"):
        NumPyBackend().zeros(2, device=device)


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
def test_from_numpy_needs_an_ndarray(be):
    with pytest.raises(TypeError, match=r"The 'a' parameter of \w+Backend\.from_numpy"):
        be.from_numpy([1.0, 2.0])


def test_non_numeric_array_to_torch():
    with pytest.raises(TypeError, match="The 'obj' parameter .* numbers"):
        PyTorchBackend().array(np.array(["a", "b"]))


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
@pytest.mark.parametrize(
    ("x_shape", "y_shape", "match"),
    [
        ((3,), (2, 1), "The 'x' parameter of sqeuclidean_cdist must have shape"),
        ((3, 1), (2,), "The 'y' parameter of sqeuclidean_cdist must have shape"),
        ((3, 2), (4, 3), "same number of features"),
    ],
    ids=["x-1d", "y-1d", "feature-mismatch"],
)
def test_sqeuclidean_cdist_shapes(be, x_shape, y_shape, match):
    with pytest.raises(ValueError, match=match):
        be.sqeuclidean_cdist(be.zeros(x_shape), be.zeros(y_shape))


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
@pytest.mark.parametrize("axis", [3, -4, (0, 0)], ids=repr)
def test_expand_dims_bad_axis(be, axis):
    with pytest.raises(ValueError, match="The 'axis' parameter of expand_dims"):
        be.expand_dims(be.zeros((2, 2)), axis)


@pytest.mark.parametrize("num", [-1, 2.5], ids=repr)
def test_linspace_num(num):
    with pytest.raises(ValueError, match="The 'num' parameter of PyTorchBackend.linspace"):
        PyTorchBackend().linspace(0, 1, num)


def test_dot_not_aligned():
    with pytest.raises(ValueError, match="The 'a' and 'b' parameters of PyTorchBackend.dot"):
        PyTorchBackend().dot(torch.zeros(2, 3), torch.zeros(2, 3))
