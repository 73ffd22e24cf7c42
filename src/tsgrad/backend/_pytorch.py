"""The PyTorch backend: torch functions behind NumPy's names, arguments and meaning.

This module imports torch; ``tsgrad.backend`` imports it only when the PyTorch backend is
asked for.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np
import torch

from ._base import Backend, dtype_name, to_numpy

__all__ = ["PyTorchBackend"]

Tensor = torch.Tensor


def _dtype(dtype: Any, where: str) -> torch.dtype | None:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, dtype_name(dtype, f"PyTorchBackend.{where}"))


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (numbers.Integral, np.integer)) else tuple(shape)


def _from_ndarray(a: np.ndarray) -> Tensor:
    """A tensor sharing ``a``'s memory where torch can (writeable, non-negative strides)."""
    if not a.flags.writeable or any(s < 0 for s in a.strides):
        a = a.copy()
    try:
        return torch.from_numpy(a)
    except TypeError:
        raise TypeError(
            "The 'obj' parameter of the PyTorch backend must hold numbers or booleans. "
            f"Got a NumPy array of dtype {a.dtype} instead."
        ) from None


def _holds_tensors(obj: Any) -> bool:
    return isinstance(obj, (list, tuple)) and any(isinstance(v, Tensor) for v in obj)


def _t(x: Any) -> Tensor:
    """``x`` as a tensor (no copy for tensors)."""
    return x if isinstance(x, Tensor) else PyTorchBackend.asarray(x)


def _like(value: Any, x: Tensor) -> Any:
    """A Python number as is; anything else as a tensor on ``x``'s device."""
    if value is None or isinstance(value, numbers.Number):
        return value
    return _t(value).to(device=x.device)


def _promoted(*xs: Any) -> list[Tensor]:
    """Tensors cast to their common dtype (torch's matmul/einsum do not promote; NumPy does)."""
    ts = [_t(x) for x in xs]
    common = functools.reduce(torch.promote_types, (t.dtype for t in ts))
    return [t.to(common) for t in ts]


def _real(x: Tensor) -> Tensor:
    """Integers and booleans as float64, as NumPy's mean and norm do."""
    return x if x.is_floating_point() or x.is_complex() else x.to(torch.float64)


class _TorchLinalg:
    """``be.linalg`` of the PyTorch backend."""

    @staticmethod
    def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
        """NumPy's ``linalg.norm`` (``torch.linalg.norm`` with ``dim=axis``)."""
        return torch.linalg.norm(_real(_t(x)), ord=ord, dim=axis, keepdim=keepdims)

    @staticmethod
    def eigh(a: Any) -> tuple[Tensor, Tensor]:
        """NumPy's ``linalg.eigh``: ascending eigenvalues and eigenvectors (columns) of a
        symmetric matrix; differentiable while the eigenvalues are distinct."""
        w, v = torch.linalg.eigh(_real(_t(a)))
        return w, v

    @staticmethod
    def svd(a: Any, full_matrices: bool = True) -> tuple[Tensor, Tensor, Tensor]:
        """NumPy's ``linalg.svd``: ``(U, S, Vh)`` with ``a = U diag(S) Vh``; differentiable
        while the singular values are distinct."""
        U, S, Vh = torch.linalg.svd(_real(_t(a)), full_matrices=full_matrices)
        return U, S, Vh


class PyTorchBackend(Backend):
    """PyTorch backend: NumPy's names and arguments, computed by torch (differentiable).

    Every function accepts tensors (on any device), NumPy arrays and Python numbers, and
    returns tensors; results stay on the device of the inputs and keep the autograd graph.

    * ``array(obj, dtype=None, *, device=None)`` returns a new tensor, like ``np.array``:
      a tensor ``obj`` is copied (``clone``/``to``, both differentiable, so the graph is kept)
      and stays on its device unless ``device`` is given; a list of tensors is stacked (graph
      kept); a NumPy array or a (nested) list of numbers gives a new leaf tensor on ``device``
      (CPU by default) with ``requires_grad=False``.  ``asarray`` is the same without the copy
      when ``obj`` is already a tensor of the requested dtype and device.
    * Without ``dtype``, torch's defaults apply: Python floats give float32 (as in
      ``torch.tensor``), NumPy arrays keep their dtype.  ``dtype=float`` gives float64.
    * ``to_numpy(x)`` detaches, copies to the CPU and returns a NumPy array (graph dropped).
    * ``from_numpy(a)`` wraps ``a`` in a CPU tensor sharing its memory (a read-only array, or
      one with negative strides, is copied).

    See :class:`Backend` for the contract and ``tsgrad.backend.OPERATIONS`` for the list.

    Examples
    --------
    The example of tslearn's backend page, with ``tsgrad`` for ``tslearn``:

    >>> from tsgrad.backend import instantiate_backend
    >>> be = instantiate_backend("pytorch")
    >>> mat = be.array([[0, 1], [2, 3]], dtype=float)
    >>> print(mat)
    tensor([[0., 1.],
            [2., 3.]], dtype=torch.float64)
    >>> norm = be.linalg.norm(mat)
    >>> print(norm)
    tensor(3.7417, dtype=torch.float64)

    Without ``dtype``, Python floats give torch's default float32:

    >>> be = PyTorchBackend()
    >>> be.linalg.norm(be.array([[0., 1.], [2., 3.]]))
    tensor(3.7417)

    Gradients flow through the backend's functions:

    >>> import torch
    >>> x = torch.tensor([[0.0], [1.0]], dtype=torch.float64, requires_grad=True)
    >>> be.sum(be.sqeuclidean_cdist(x, be.array([[3.0]], dtype=be.float64))).backward()
    >>> x.grad
    tensor([[-6.],
            [-4.]], dtype=torch.float64)
    """

    backend_string = "pytorch"
    linalg = _TorchLinalg()

    # -- creation and conversion ---------------------------------------------------------

    @staticmethod
    def array(obj: Any, dtype: Any = None, *, device: Any = None) -> Tensor:
        """A new tensor holding a copy of ``obj`` (a tensor's graph is kept)."""
        dt = _dtype(dtype, "array")
        if isinstance(obj, Tensor):
            out = obj.to(device=device, dtype=dt)
            return out.clone() if out is obj else out
        if _holds_tensors(obj):
            return torch.stack([PyTorchBackend.array(v, dt, device=device) for v in obj])
        if isinstance(obj, (np.ndarray, np.generic)):
            return _from_ndarray(np.array(obj)).to(device=device, dtype=dt)
        return torch.tensor(obj, dtype=dt, device=device)

    @staticmethod
    def asarray(obj: Any, dtype: Any = None, *, device: Any = None) -> Tensor:
        """``obj`` as a tensor, without a copy when it already is one of this dtype and device."""
        dt = _dtype(dtype, "asarray")
        if isinstance(obj, Tensor):
            return obj.to(device=device, dtype=dt)
        if _holds_tensors(obj):
            return torch.stack([PyTorchBackend.asarray(v, dt, device=device) for v in obj])
        if isinstance(obj, (np.ndarray, np.generic)):
            return _from_ndarray(np.asarray(obj)).to(device=device, dtype=dt)
        return torch.as_tensor(obj, dtype=dt, device=device)

    @staticmethod
    def astype(x: Any, dtype: Any) -> Tensor:
        return _t(x).to(dtype=_dtype(dtype, "astype"))

    @staticmethod
    def copy(x: Any) -> Tensor:
        """A copy of ``x`` (``clone``: differentiable)."""
        return _t(x).clone()

    @staticmethod
    def from_numpy(a: np.ndarray) -> Tensor:
        """A CPU tensor sharing the memory of ``a``."""
        if not isinstance(a, np.ndarray):
            raise TypeError(
                f"The 'a' parameter of PyTorchBackend.from_numpy must be a numpy.ndarray. "
                f"Got {type(a).__name__} instead."
            )
        return _from_ndarray(a)

    to_numpy = staticmethod(to_numpy)

    @staticmethod
    def zeros(shape: Any, dtype: Any = None, *, device: Any = None) -> Tensor:
        return torch.zeros(_shape(shape), dtype=_dtype(dtype, "zeros"), device=device)

    @staticmethod
    def ones(shape: Any, dtype: Any = None, *, device: Any = None) -> Tensor:
        return torch.ones(_shape(shape), dtype=_dtype(dtype, "ones"), device=device)

    @staticmethod
    def empty(shape: Any, dtype: Any = None, *, device: Any = None) -> Tensor:
        return torch.empty(_shape(shape), dtype=_dtype(dtype, "empty"), device=device)

    @staticmethod
    def full(shape: Any, fill_value: Any, dtype: Any = None, *, device: Any = None) -> Tensor:
        return torch.full(_shape(shape), fill_value, dtype=_dtype(dtype, "full"), device=device)

    @staticmethod
    def arange(
        start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, *, device: Any = None
    ) -> Tensor:
        if stop is None:
            start, stop = 0, start
        return torch.arange(start, stop, step, dtype=_dtype(dtype, "arange"), device=device)

    @staticmethod
    def linspace(
        start: Any, stop: Any, num: int = 50, dtype: Any = None, *, device: Any = None
    ) -> Tensor:
        if not isinstance(num, (numbers.Integral, np.integer)) or num < 0:
            raise ValueError(
                "The 'num' parameter of PyTorchBackend.linspace must be a non-negative int. "
                f"Got {num!r} instead."
            )
        return torch.linspace(start, stop, int(num), dtype=_dtype(dtype, "linspace"), device=device)

    @staticmethod
    def eye(n: int, m: int | None = None, dtype: Any = None, *, device: Any = None) -> Tensor:
        dt = _dtype(dtype, "eye")
        return torch.eye(n, n if m is None else m, dtype=dt, device=device)

    @staticmethod
    def zeros_like(x: Any, dtype: Any = None) -> Tensor:
        return torch.zeros_like(_t(x), dtype=_dtype(dtype, "zeros_like"))

    @staticmethod
    def ones_like(x: Any, dtype: Any = None) -> Tensor:
        return torch.ones_like(_t(x), dtype=_dtype(dtype, "ones_like"))

    @staticmethod
    def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
        return torch.full_like(_t(x), fill_value, dtype=_dtype(dtype, "full_like"))

    # -- element-wise ----------------------------------------------------------------------

    @staticmethod
    def exp(x: Any) -> Tensor:
        return torch.exp(_t(x))

    @staticmethod
    def log(x: Any) -> Tensor:
        return torch.log(_t(x))

    @staticmethod
    def sqrt(x: Any) -> Tensor:
        return torch.sqrt(_t(x))

    @staticmethod
    def abs(x: Any) -> Tensor:
        return torch.abs(_t(x))

    @staticmethod
    def sign(x: Any) -> Tensor:
        return torch.sign(_t(x))

    @staticmethod
    def floor(x: Any) -> Tensor:
        return torch.floor(_t(x))

    @staticmethod
    def ceil(x: Any) -> Tensor:
        return torch.ceil(_t(x))

    @staticmethod
    def round(x: Any, decimals: int = 0) -> Tensor:
        """Round half to even, like NumPy."""
        return torch.round(_t(x), decimals=decimals)

    @staticmethod
    def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Tensor:
        x = _t(x)
        lo, hi = _like(a_min, x), _like(a_max, x)
        if isinstance(lo, Tensor) or isinstance(hi, Tensor):
            # torch.clamp takes two numbers or two tensors, not one of each.
            lo, hi = (None if v is None else _t(v).to(device=x.device) for v in (lo, hi))
        return torch.clamp(x, lo, hi)

    @staticmethod
    def maximum(x: Any, y: Any) -> Tensor:
        x, y = PyTorchBackend._pair(x, y)
        return torch.maximum(x, y)

    @staticmethod
    def minimum(x: Any, y: Any) -> Tensor:
        x, y = PyTorchBackend._pair(x, y)
        return torch.minimum(x, y)

    @staticmethod
    def where(condition: Any, x: Any, y: Any) -> Tensor:
        condition = _t(condition)
        return torch.where(condition, _like(x, condition), _like(y, condition))

    @staticmethod
    def isnan(x: Any) -> Tensor:
        return torch.isnan(_t(x))

    @staticmethod
    def isfinite(x: Any) -> Tensor:
        return torch.isfinite(_t(x))

    @staticmethod
    def _pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
        """Two tensors on one device; a Python number becomes a 0-d tensor (no promotion)."""
        if not isinstance(x, Tensor) and isinstance(y, Tensor):
            y2, x2 = PyTorchBackend._pair(y, x)
            return x2, y2
        x = _t(x)
        if isinstance(y, numbers.Number):
            return x, torch.as_tensor(y, device=x.device)
        return x, _t(y).to(device=x.device)

    # -- reductions and scans (NumPy's axis= and keepdims=) --------------------------------

    @staticmethod
    def sum(x: Any, axis: Any = None, dtype: Any = None, *, keepdims: bool = False) -> Tensor:
        return torch.sum(_t(x), dim=axis, keepdim=keepdims, dtype=_dtype(dtype, "sum"))

    @staticmethod
    def mean(x: Any, axis: Any = None, dtype: Any = None, *, keepdims: bool = False) -> Tensor:
        """Mean; integers and booleans are averaged in float64, as NumPy does."""
        return torch.mean(_real(_t(x)), dim=axis, keepdim=keepdims, dtype=_dtype(dtype, "mean"))

    @staticmethod
    def max(x: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
        """Maximum values (NumPy's ``max``/``amax``; no indices)."""
        return torch.amax(_t(x), dim=() if axis is None else axis, keepdim=keepdims)

    @staticmethod
    def min(x: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
        """Minimum values (NumPy's ``min``/``amin``; no indices)."""
        return torch.amin(_t(x), dim=() if axis is None else axis, keepdim=keepdims)

    @staticmethod
    def argmin(x: Any, axis: int | None = None, *, keepdims: bool = False) -> Tensor:
        """Index of the first minimum, over the flattened array when ``axis`` is None."""
        return torch.argmin(_t(x), dim=axis, keepdim=keepdims)

    @staticmethod
    def argmax(x: Any, axis: int | None = None, *, keepdims: bool = False) -> Tensor:
        """Index of the first maximum, over the flattened array when ``axis`` is None."""
        return torch.argmax(_t(x), dim=axis, keepdim=keepdims)

    @staticmethod
    def any(x: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
        return torch.any(_t(x), dim=axis, keepdim=keepdims)

    @staticmethod
    def all(x: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
        return torch.all(_t(x), dim=axis, keepdim=keepdims)

    @staticmethod
    def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
        """Cumulative sum, over the flattened array when ``axis`` is None."""
        x = _t(x)
        if axis is None:
            x, axis = x.reshape(-1), 0
        return torch.cumsum(x, dim=axis, dtype=_dtype(dtype, "cumsum"))

    # -- shapes ----------------------------------------------------------------------------

    @staticmethod
    def reshape(x: Any, shape: Any) -> Tensor:
        return torch.reshape(_t(x), _shape(shape))

    @staticmethod
    def transpose(x: Any, axes: Any = None) -> Tensor:
        """Permute the axes; reverse them when ``axes`` is None (NumPy's rule)."""
        x = _t(x)
        return x.permute(*(reversed(range(x.ndim)) if axes is None else axes))

    @staticmethod
    def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
        return torch.swapaxes(_t(x), axis1, axis2)

    @staticmethod
    def concatenate(arrays: Any, axis: int | None = 0) -> Tensor:
        """Join along ``axis``; flatten the arrays first when ``axis`` is None."""
        ts = _promoted(*arrays)
        if axis is None:
            return torch.cat([t.reshape(-1) for t in ts])
        return torch.cat(ts, dim=axis)

    @staticmethod
    def stack(arrays: Any, axis: int = 0) -> Tensor:
        return torch.stack(_promoted(*arrays), dim=axis)

    # -- linear algebra --------------------------------------------------------------------

    @staticmethod
    def matmul(a: Any, b: Any) -> Tensor:
        return torch.matmul(*_promoted(a, b))

    @staticmethod
    def dot(a: Any, b: Any) -> Tensor:
        """NumPy's ``dot``: sum over the last axis of ``a`` and the second-to-last of ``b``."""
        a, b = _promoted(a, b)
        if a.ndim == 0 or b.ndim == 0:
            return a * b
        b_axis = 0 if b.ndim == 1 else b.ndim - 2
        if a.shape[-1] != b.shape[b_axis]:
            raise ValueError(
                f"The 'a' and 'b' parameters of PyTorchBackend.dot are not aligned: shapes "
                f"{tuple(a.shape)} and {tuple(b.shape)} (dim {a.ndim - 1} != dim {b_axis})."
            )
        return torch.tensordot(a, b, dims=([a.ndim - 1], [b_axis]))

    @staticmethod
    def einsum(subscripts: str, *operands: Any) -> Tensor:
        return torch.einsum(subscripts, *_promoted(*operands))

    # -- inspection ------------------------------------------------------------------------

    @staticmethod
    def is_array(x: Any) -> bool:
        """Whether ``x`` is a ``torch.Tensor`` (parameters included)."""
        return isinstance(x, Tensor)

    @staticmethod
    def is_floating(x: Any) -> bool:
        """Whether ``x`` holds real floating-point numbers."""
        return _t(x).is_floating_point()

    @staticmethod
    def device(x: Any) -> torch.device:
        """The device of a tensor; ``cpu`` for anything else."""
        return x.device if isinstance(x, Tensor) else torch.device("cpu")

    # Constants and dtypes last: ``bool`` would shadow the builtin in the class body above.
    inf = math.inf
    nan = math.nan
    float32 = torch.float32
    float64 = torch.float64
    int32 = torch.int32
    int64 = torch.int64
    bool = torch.bool
