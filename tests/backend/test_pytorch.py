"""PyTorch backend specifics: autograd graph, devices, memory sharing, gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from tsgrad.backend import (
    NumPyBackend,
    PyTorchBackend,  # noqa: E402  (needs torch)
    instantiate_backend,
    is_torch_tensor,
    to_numpy,
)

PT = PyTorchBackend()
BACKENDS = [NumPyBackend(), PT]
BACKEND_IDS = ["numpy", "pytorch"]


def _leaf(*shape, dtype=torch.float64):
    gen = torch.Generator().manual_seed(sum(shape))
    return torch.randn(*shape, dtype=dtype, generator=gen).requires_grad_()


# -- array / asarray: copies, graph, dtype --------------------------------------------------


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
def test_array_dtype_float_is_float64(be):
    assert be.array([[0, 1], [2, 3]], dtype=float).dtype == be.float64
    assert be.array(np.zeros(2, dtype=np.float32), dtype=float).dtype == be.float64


def test_array_of_tensor_is_a_copy_that_keeps_the_graph():
    x = _leaf(3)
    y = PT.array(x)
    assert y is not x and y.data_ptr() != x.data_ptr()
    (2 * y).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((3,), 2.0, dtype=torch.float64))


def test_array_dtype_change_keeps_the_graph():
    x = _leaf(3, dtype=torch.float32)
    y = PT.array(x, dtype=float)
    assert y.dtype == torch.float64 and y.requires_grad
    y.sum().backward()
    torch.testing.assert_close(x.grad, torch.ones(3))


def test_array_of_list_of_tensors_stacks_with_graph():
    a, b = _leaf(2), _leaf(2)
    y = PT.array([a, b])
    assert y.shape == (2, 2)
    (y[0] * 3 + y[1]).sum().backward()
    torch.testing.assert_close(a.grad, torch.full((2,), 3.0, dtype=torch.float64))
    torch.testing.assert_close(b.grad, torch.ones(2, dtype=torch.float64))


def test_array_of_numpy_is_a_new_leaf_without_grad():
    a = np.arange(3.0)
    y = PT.array(a)
    assert not y.requires_grad and y.dtype == torch.float64
    y[0] = 10.0
    assert a[0] == 0.0  # a copy, like np.array


def test_asarray_does_not_copy_a_tensor_of_the_right_dtype():
    x = _leaf(3)
    assert PT.asarray(x) is x
    assert PT.asarray(x, dtype=torch.float64) is x


def test_asarray_shares_numpy_memory():
    a = np.zeros(3)
    PT.asarray(a)[1] = 5.0
    assert a[1] == 5.0


def test_python_floats_follow_torch_default_dtype():
    assert PT.array([0.5, 1.0]).dtype == torch.get_default_dtype()
    assert NumPyBackend().array([0.5, 1.0]).dtype == np.float64


def test_negative_strides_are_accepted():
    a = np.arange(6.0)[::-1]
    np.testing.assert_array_equal(PT.array(a).numpy(), a)
    np.testing.assert_array_equal(PT.asarray(a).numpy(), a)
    np.testing.assert_array_equal(PT.from_numpy(a).numpy(), a)


# -- conversion to and from NumPy -----------------------------------------------------------


def test_to_numpy_detaches_a_tensor_with_grad():
    x = _leaf(2, 3)
    out = PT.to_numpy(x * 2)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_allclose(out, 2 * x.detach().numpy())


def test_to_numpy_of_a_list_of_tensors():
    out = to_numpy([_leaf(2), _leaf(2)])
    assert isinstance(out, np.ndarray) and out.shape == (2, 2)


def test_from_numpy_shares_memory():
    a = np.zeros(3)
    t = PT.from_numpy(a)
    a[2] = 7.0
    assert t[2].item() == 7.0


def test_from_numpy_copies_read_only_arrays_without_warning():
    a = np.broadcast_to(np.arange(3.0), (2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = PT.from_numpy(a)
    np.testing.assert_array_equal(t.numpy(), a)


def test_numpy_backend_array_accepts_tensors_with_grad():
    x = _leaf(3)
    out = NumPyBackend().array(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, x.detach().numpy())


def test_is_torch_tensor():
    assert is_torch_tensor(torch.zeros(1))
    assert is_torch_tensor(torch.nn.Parameter(torch.zeros(1)))
    assert not is_torch_tensor(np.zeros(1))
    assert not is_torch_tensor([torch.zeros(1)])


# -- devices (the "meta" device stands in for a GPU: shapes and dtypes, no data) -------------


def test_array_keeps_the_device_of_a_tensor():
    x = torch.zeros(2, 3, device="meta")
    for out in (PT.array(x), PT.asarray(x, dtype=float), PT.zeros_like(x), PT.exp(x),
                PT.sum(x, axis=0), PT.maximum(x, 0.0), PT.where(x > 0, x, 1.0),
                PT.sqeuclidean_cdist(x[None], x[None]), PT.linalg.norm(x, axis=1)):  # fmt: skip
        assert out.device.type == "meta"


@pytest.mark.parametrize(
    "make",
    [
        lambda d: PT.array(np.zeros(3), device=d),
        lambda d: PT.asarray([1.0, 2.0], device=d),
        lambda d: PT.zeros((2,), device=d),
        lambda d: PT.ones(2, device=d),
        lambda d: PT.empty(2, device=d),
        lambda d: PT.full((2,), 1.0, device=d),
        lambda d: PT.arange(3, device=d),
        lambda d: PT.linspace(0, 1, 3, device=d),
        lambda d: PT.eye(2, device=d),
    ],
    ids=["array", "asarray", "zeros", "ones", "empty", "full", "arange", "linspace", "eye"],
)
def test_creation_on_a_device(make):
    assert make("meta").device.type == "meta"
    assert make(None).device.type == "cpu"


def test_device_of():
    assert PT.device(torch.zeros(1, device="meta")).type == "meta"
    assert PT.device(np.zeros(1)) == torch.device("cpu")
    assert NumPyBackend().device(np.zeros(1)) == "cpu"


@pytest.mark.parametrize("device", [None, "cpu", torch.device("cpu")], ids=str)
def test_numpy_backend_accepts_cpu(device):
    assert NumPyBackend().zeros(2, device=device).shape == (2,)


# -- sqeuclidean_cdist: oracle, exact zeros, gradients ---------------------------------------


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
@pytest.mark.parametrize("d", [1, 3, 8, 9, 40], ids=lambda d: f"d{d}")
def test_sqeuclidean_cdist_matches_scipy(be, d):
    rng = np.random.default_rng(d)
    x, y = rng.standard_normal((3, 7, d)), rng.standard_normal((3, 5, d))
    out = to_numpy(be.sqeuclidean_cdist(be.asarray(x), be.asarray(y)))
    expected = np.stack([cdist(xi, yi, "sqeuclidean") for xi, yi in zip(x, y, strict=True)])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("be", BACKENDS, ids=BACKEND_IDS)
def test_sqeuclidean_cdist_exact_zero_diagonal_for_few_features(be):
    x = be.asarray(np.random.default_rng(1).standard_normal((6, 3)) * 1e3)
    diag = to_numpy(be.sqeuclidean_cdist(x, x)).diagonal()
    assert np.all(diag == 0.0)


@pytest.mark.parametrize("d", [2, 12], ids=["exact-path", "gram-path"])
def test_sqeuclidean_cdist_gradcheck(d):
    x, y = _leaf(2, 4, d), _leaf(2, 3, d)
    assert torch.autograd.gradcheck(PT.sqeuclidean_cdist, (x, y))


def test_instantiated_backend_runs_the_tslearn_doc_example():
    be = instantiate_backend("pytorch")
    norm = be.linalg.norm(be.array([[0, 1], [2, 3]], dtype=float))
    assert norm.dtype == torch.float64
    assert norm.item() == pytest.approx(np.sqrt(14.0), rel=1e-15)


# -- the wrappers keep the autograd graph ----------------------------------------------------

DIFFERENTIABLE = {
    "array-dtype": lambda be, x: be.array(x, dtype=be.float64),
    "asarray": lambda be, x: be.asarray(x),
    "copy": lambda be, x: be.copy(x),
    "exp": lambda be, x: be.exp(x),
    "log": lambda be, x: be.log(be.abs(x) + 1),
    "sqrt": lambda be, x: be.sqrt(x * x + 1),
    "clip": lambda be, x: be.clip(x, -0.5, 0.5),
    "maximum-number": lambda be, x: be.maximum(x, 0.1),
    "where": lambda be, x: be.where(x > 0, x, 2 * x),
    "sum-axis": lambda be, x: be.sum(x, axis=(0, 2)),
    "mean-keepdims": lambda be, x: be.mean(x, axis=1, keepdims=True),
    "max-axis": lambda be, x: be.max(x, axis=-1),
    "cumsum-flat": lambda be, x: be.cumsum(x),
    "transpose": lambda be, x: be.transpose(x),
    "expand_dims": lambda be, x: be.expand_dims(x, (0, 2)),
    "concatenate": lambda be, x: be.concatenate([x, 2 * x], axis=None),
    "stack": lambda be, x: be.stack([x, x * x], axis=1),
    "matmul": lambda be, x: be.matmul(x, be.swapaxes(x, -1, -2)),
    "dot": lambda be, x: be.dot(x, be.ones(3, dtype=be.float64)),
    "einsum": lambda be, x: be.einsum("bij,bkj->bik", x, x),
    "norm": lambda be, x: be.linalg.norm(x, axis=(1, 2)),
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_gradcheck_through_the_backend(name):
    x = _leaf(2, 4, 3)
    assert torch.autograd.gradcheck(lambda t: DIFFERENTIABLE[name](PT, t), (x,))
