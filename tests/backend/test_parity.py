"""NumPy-vs-torch parity: every operation of the backend contract, same values and dtypes.

Each case is ``(op, id, fn, inputs)``: ``fn(be, *xs)`` runs on the NumPy backend with NumPy
copies of ``inputs`` and on the PyTorch backend with tensors made from them; the results must
agree in value, shape and dtype, and each backend must return its own array type.
``test_every_operation_has_a_parity_case`` keeps the list complete.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pytest
import torch

from tsgrad.backend import (
    OPERATIONS,
    NumPyBackend,
    PyTorchBackend,  # noqa: E402  (needs torch)
)

NP, PT = NumPyBackend(), PyTorchBackend()

_rng = np.random.default_rng(0)
A = _rng.standard_normal((3, 4))
B = _rng.standard_normal((3, 4))
C3 = _rng.standard_normal((2, 3, 4))
POS = np.abs(A) + 0.1
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.25, -0.0, 3.0])
SIGNS = np.array([-2.0, 0.0, 3.5, -0.0])
WITH_NAN = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 0.0]])
INTS = np.array([[3, -1, 2], [0, 5, 5]], dtype=np.int64)
BOOLS = np.array([[True, False, True], [False, False, False]])
V4, V4B = _rng.standard_normal(4), _rng.standard_normal(4)
M45 = _rng.standard_normal((4, 5))
X2, Y2 = _rng.standard_normal((2, 5, 2)), _rng.standard_normal((2, 6, 2))
X12, Y12 = _rng.standard_normal((2, 5, 12)), _rng.standard_normal((6, 12))


class Case(NamedTuple):
    op: str
    id: str
    fn: Any
    inputs: tuple = ()


def _empty_shape_and_dtype(be):
    out = be.empty((2, 3), dtype=be.float32)  # values undefined: compare shape and dtype
    return be.shape(out), str(out.dtype).removeprefix("torch.")


def _cdist(be, x, y):
    return be.sqeuclidean_cdist(x, y)


CASES = [
    # constants and dtypes
    Case("inf", "inf", lambda be: be.full((2,), be.inf, dtype=be.float64)),
    Case("nan", "nan", lambda be: be.full((2,), be.nan, dtype=be.float64)),
    Case("float32", "float32", lambda be: be.ones(3, dtype=be.float32)),
    Case("float64", "float64", lambda be: be.ones(3, dtype=be.float64)),
    Case("int32", "int32", lambda be: be.ones(3, dtype=be.int32)),
    Case("int64", "int64", lambda be: be.ones(3, dtype=be.int64)),
    Case("bool", "bool", lambda be: be.array([1, 0, 2], dtype=be.bool)),
    # creation and conversion
    Case("array", "array-ndarray", lambda be, x: be.array(x), (A,)),
    Case("array", "array-list-dtype-float", lambda be: be.array([[0, 1], [2, 3]], dtype=float)),
    Case("array", "array-int-to-float32", lambda be, x: be.array(x, dtype=be.float32), (INTS,)),
    Case("array", "array-dtype-name", lambda be, x: be.array(x, dtype="float32"), (A,)),
    Case("array", "array-list-of-arrays", lambda be, x, y: be.array([x, y]), (V4, V4B)),
    Case("asarray", "asarray", lambda be, x: be.asarray(x), (A,)),
    Case("asarray", "asarray-dtype", lambda be, x: be.asarray(x, dtype=be.float32), (A,)),
    Case("asarray", "asarray-python-list", lambda be: be.asarray([[1, 2]], dtype=be.float64)),
    Case("astype", "astype-float-to-int", lambda be, x: be.astype(3 * x, be.int64), (A,)),
    Case("astype", "astype-int-to-float", lambda be, x: be.astype(x, float), (INTS,)),
    Case("copy", "copy", lambda be, x: be.copy(x), (A,)),
    Case("from_numpy", "from_numpy", lambda be, x: be.from_numpy(be.to_numpy(x)), (A,)),
    Case("to_numpy", "to_numpy", lambda be, x: be.to_numpy(x), (A,)),
    Case("zeros", "zeros", lambda be: be.zeros((2, 3), dtype=be.float64)),
    Case("zeros", "zeros-int-shape", lambda be: be.zeros(4, dtype=be.int64)),
    Case("ones", "ones", lambda be: be.ones((2, 1), dtype=be.float64)),
    Case("empty", "empty-shape-and-dtype", _empty_shape_and_dtype),
    Case("full", "full", lambda be: be.full((2, 2), 1.5, dtype=be.float64)),
    Case("full", "full-int-fill", lambda be: be.full((3,), 7)),
    Case("arange", "arange-stop", lambda be: be.arange(5)),
    Case("arange", "arange-start-stop-step", lambda be: be.arange(1.0, 3.0, 0.5, dtype=float)),
    Case("linspace", "linspace", lambda be: be.linspace(0.0, 1.0, 7, dtype=be.float64)),
    Case("eye", "eye-square", lambda be: be.eye(3, dtype=be.float64)),
    Case("eye", "eye-rectangular", lambda be: be.eye(2, 4, dtype=be.float64)),
    Case("zeros_like", "zeros_like", lambda be, x: be.zeros_like(x), (A,)),
    Case("zeros_like", "zeros_like-dtype", lambda be, x: be.zeros_like(x, dtype=be.int32), (A,)),
    Case("ones_like", "ones_like", lambda be, x: be.ones_like(x), (INTS,)),
    Case("full_like", "full_like", lambda be, x: be.full_like(x, 2.5), (A,)),
    # element-wise
    Case("exp", "exp", lambda be, x: be.exp(x), (A,)),
    Case("log", "log", lambda be, x: be.log(x), (POS,)),
    Case("sqrt", "sqrt", lambda be, x: be.sqrt(x), (POS,)),
    Case("abs", "abs", lambda be, x: be.abs(x), (A,)),
    Case("sign", "sign", lambda be, x: be.sign(x), (SIGNS,)),
    Case("floor", "floor", lambda be, x: be.floor(3 * x), (A,)),
    Case("ceil", "ceil", lambda be, x: be.ceil(3 * x), (A,)),
    Case("round", "round-half-to-even", lambda be, x: be.round(x), (HALVES,)),
    Case("round", "round-decimals-2", lambda be, x: be.round(x, 2), (A,)),
    Case("clip", "clip-numbers", lambda be, x: be.clip(x, -0.5, 0.5), (A,)),
    Case("clip", "clip-array-and-number", lambda be, x, lo: be.clip(x, lo, 0.5), (A, B)),
    Case("clip", "clip-upper-only", lambda be, x: be.clip(x, None, 0.0), (A,)),
    Case("maximum", "maximum", lambda be, x, y: be.maximum(x, y), (A, B)),
    Case("maximum", "maximum-number", lambda be, x: be.maximum(x, 0), (A,)),
    Case("maximum", "maximum-number-first", lambda be, x: be.maximum(0.0, x), (A,)),
    Case("minimum", "minimum", lambda be, x, y: be.minimum(x, y), (A, B)),
    Case("minimum", "minimum-broadcast", lambda be, x, y: be.minimum(x, y), (C3, V4)),
    Case("where", "where", lambda be, x, y: be.where(x > 0, x, y), (A, B)),
    Case("where", "where-number", lambda be, x: be.where(be.isnan(x), 0.0, x), (WITH_NAN,)),
    Case("isnan", "isnan", lambda be, x: be.isnan(x), (WITH_NAN,)),
    Case("isfinite", "isfinite", lambda be, x: be.isfinite(x), (WITH_NAN,)),
    # reductions and scans
    Case("sum", "sum-all", lambda be, x: be.sum(x), (C3,)),
    Case("sum", "sum-axis", lambda be, x: be.sum(x, axis=-1), (C3,)),
    Case("sum", "sum-axes-keepdims", lambda be, x: be.sum(x, axis=(0, 2), keepdims=True), (C3,)),
    Case("sum", "sum-bool", lambda be, x: be.sum(x, axis=1), (BOOLS,)),
    Case("sum", "sum-dtype", lambda be, x: be.sum(x, dtype=be.float64), (INTS,)),
    Case("mean", "mean-all", lambda be, x: be.mean(x), (C3,)),
    Case("mean", "mean-axis-keepdims", lambda be, x: be.mean(x, axis=1, keepdims=True), (C3,)),
    Case("mean", "mean-int", lambda be, x: be.mean(x, axis=0), (INTS,)),
    Case("max", "max-all", lambda be, x: be.max(x), (C3,)),
    Case("max", "max-axis", lambda be, x: be.max(x, axis=1), (C3,)),
    Case("max", "max-axes-keepdims", lambda be, x: be.max(x, axis=(0, 1), keepdims=True), (C3,)),
    Case("min", "min-all", lambda be, x: be.min(x), (INTS,)),
    Case("min", "min-axis", lambda be, x: be.min(x, axis=0), (C3,)),
    Case("argmin", "argmin-flat", lambda be, x: be.argmin(x), (C3,)),
    Case("argmin", "argmin-axis", lambda be, x: be.argmin(x, axis=1), (C3,)),
    Case("argmax", "argmax-flat-ties", lambda be, x: be.argmax(x), (INTS,)),
    Case("argmax", "argmax-axis-keepdims", lambda be, x: be.argmax(x, 2, keepdims=True), (C3,)),
    Case("any", "any-all", lambda be, x: be.any(x), (BOOLS,)),
    Case("any", "any-axis", lambda be, x: be.any(x, axis=1), (BOOLS,)),
    Case("all", "all-all", lambda be, x: be.all(x > -10), (A,)),
    Case("all", "all-axis-keepdims", lambda be, x: be.all(x, axis=0, keepdims=True), (BOOLS,)),
    Case("cumsum", "cumsum-flat", lambda be, x: be.cumsum(x), (A,)),
    Case("cumsum", "cumsum-axis", lambda be, x: be.cumsum(x, axis=1), (C3,)),
    Case("cumsum", "cumsum-bool", lambda be, x: be.cumsum(x, axis=1), (BOOLS,)),
    # shapes
    Case("reshape", "reshape", lambda be, x: be.reshape(x, (4, 3)), (A,)),
    Case("reshape", "reshape-flat", lambda be, x: be.reshape(x, -1), (C3,)),
    Case("transpose", "transpose-default", lambda be, x: be.transpose(x), (C3,)),
    Case("transpose", "transpose-axes", lambda be, x: be.transpose(x, (1, 0, 2)), (C3,)),
    Case("swapaxes", "swapaxes", lambda be, x: be.swapaxes(x, 0, -1), (C3,)),
    Case("expand_dims", "expand_dims-0", lambda be, x: be.expand_dims(x, 0), (A,)),
    Case("expand_dims", "expand_dims-neg", lambda be, x: be.expand_dims(x, -1), (A,)),
    Case("expand_dims", "expand_dims-tuple", lambda be, x: be.expand_dims(x, (0, 3)), (A,)),
    Case("concatenate", "concatenate-0", lambda be, x, y: be.concatenate([x, y]), (A, B)),
    Case("concatenate", "concatenate-1", lambda be, x, y: be.concatenate((x, y), 1), (A, B)),
    Case("concatenate", "concatenate-none", lambda be, x, y: be.concatenate([x, y], None), (A, V4)),
    Case("stack", "stack-0", lambda be, x, y: be.stack([x, y]), (A, B)),
    Case("stack", "stack-last", lambda be, x, y: be.stack([x, y], axis=-1), (A, B)),
    # linear algebra and distances
    Case("matmul", "matmul-2d", lambda be, x, y: be.matmul(x, y), (A, M45)),
    Case("matmul", "matmul-batched", lambda be, x, y: be.matmul(x, y), (C3, M45)),
    Case("matmul", "matmul-int-float", lambda be, x, y: be.matmul(x, y), (INTS, A)),
    Case("dot", "dot-1d-1d", lambda be, x, y: be.dot(x, y), (V4, V4B)),
    Case("dot", "dot-2d-1d", lambda be, x, y: be.dot(x, y), (A, V4)),
    Case("dot", "dot-2d-2d", lambda be, x, y: be.dot(x, y), (A, M45)),
    Case("dot", "dot-3d-2d", lambda be, x, y: be.dot(x, y), (C3, M45)),
    Case("dot", "dot-3d-3d", lambda be, x, y: be.dot(x, be.transpose(y, (0, 2, 1))), (C3, C3)),
    Case("dot", "dot-scalar", lambda be, x: be.dot(x, 2.0), (A,)),
    Case("einsum", "einsum-batched", lambda be, x, y: be.einsum("bij,jk->bik", x, y), (C3, M45)),
    Case("einsum", "einsum-trace", lambda be, x: be.einsum("ii->", x[:3, :3]), (A,)),
    Case("linalg", "norm-default", lambda be, x: be.linalg.norm(x), (A,)),
    # eigenvectors and singular vectors are defined up to sign: compare what is not
    Case("linalg", "eigh-values", lambda be, x: be.linalg.eigh(be.matmul(x, x.T))[0], (A,)),
    Case(
        "linalg",
        "eigh-projector",
        lambda be, x: (lambda w, v: be.matmul(v[:, 1:] * w[1:], v[:, 1:].T))(
            *be.linalg.eigh(be.matmul(x, x.T))
        ),
        (A,),
    ),
    Case("linalg", "svd-values", lambda be, x: be.linalg.svd(x)[1], (A,)),
    Case(
        "linalg",
        "svd-reduced-product",
        lambda be, x: (lambda u, s, vh: be.matmul(u * s, vh))(*be.linalg.svd(x, False)),
        (A,),
    ),
    Case("linalg", "norm-vector", lambda be, x: be.linalg.norm(x), (V4,)),
    Case("linalg", "norm-ord1-axis1", lambda be, x: be.linalg.norm(x, ord=1, axis=1), (A,)),
    Case("linalg", "norm-inf-axis0", lambda be, x: be.linalg.norm(x, np.inf, 0), (A,)),
    Case("linalg", "norm-fro", lambda be, x: be.linalg.norm(x, "fro"), (A,)),
    Case("linalg", "norm-matrix-ord1", lambda be, x: be.linalg.norm(x, 1), (A,)),
    Case("linalg", "norm-2-axis-keepdims", lambda be, x: be.linalg.norm(x, 2, -1, True), (C3,)),
    Case("linalg", "norm-axes", lambda be, x: be.linalg.norm(x, axis=(1, 2)), (C3,)),
    Case("linalg", "norm-int", lambda be, x: be.linalg.norm(x), (INTS,)),
    Case("sqeuclidean_cdist", "cdist-d2-batched", _cdist, (X2, Y2)),
    Case("sqeuclidean_cdist", "cdist-d12-broadcast", _cdist, (X12, Y12)),
    Case("sqeuclidean_cdist", "cdist-2d-self", _cdist, (A, A)),
    # inspection
    Case("is_array", "is_array", lambda be, x: be.is_array(x), (A,)),
    Case("is_array", "is_array-list", lambda be: be.is_array([1.0, 2.0])),
    Case("is_floating", "is_floating-float", lambda be, x: be.is_floating(x), (A,)),
    Case("is_floating", "is_floating-int", lambda be, x: be.is_floating(x), (INTS,)),
    Case("is_float", "is_float-bool", lambda be, x: be.is_float(x), (BOOLS,)),
    Case("ndim", "ndim", lambda be, x: be.ndim(x), (C3,)),
    Case("shape", "shape", lambda be, x: be.shape(x), (C3,)),
    Case("device", "device", lambda be, x: be.device(x), (A,)),
]


def _run(be, case):
    if be is NP:
        return case.fn(NP, *[a.copy() for a in case.inputs])
    return case.fn(PT, *[torch.from_numpy(a.copy()) for a in case.inputs])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_numpy_torch_parity(case):
    out_np, out_pt = _run(NP, case), _run(PT, case)
    if isinstance(out_np, (np.ndarray, np.generic)):
        expected_type = np.ndarray if case.op == "to_numpy" else torch.Tensor
        assert isinstance(out_pt, expected_type)
        got = out_pt if case.op == "to_numpy" else out_pt.numpy(force=True)
        assert got.shape == np.shape(out_np)
        assert got.dtype == np.asarray(out_np).dtype
        np.testing.assert_allclose(got, out_np, rtol=1e-12, atol=1e-12, equal_nan=True)
    else:
        # Python values (shapes, flags, devices): the same on both backends.
        assert not isinstance(out_pt, torch.Tensor)
        assert str(out_pt) == str(out_np)


def test_every_operation_has_a_parity_case():
    assert {c.op for c in CASES} == set(OPERATIONS)


@pytest.mark.parametrize("op", OPERATIONS)
def test_both_backends_provide(op):
    assert hasattr(NP, op)
    assert hasattr(PT, op)
