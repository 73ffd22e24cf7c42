"""The NumPy backend: NumPy's own functions, plus the few the contract adds."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Backend, dtype_name, is_numpy_array, is_torch_tensor, to_numpy

__all__ = ["NumPyBackend"]


def _dtype(dtype: Any, where: str) -> np.dtype | None:
    return None if dtype is None else np.dtype(dtype_name(dtype, f"NumPyBackend.{where}"))


def _check_device(device: Any, where: str) -> None:
    # str(torch.device("cpu")) == "cpu": a CPU torch device is accepted too.
    if device is not None and str(device) != "cpu":
        raise ValueError(
            f"The 'device' parameter of NumPyBackend.{where} must be None or 'cpu': NumPy "
            f"arrays live in host memory. Got {device!r} instead. Use the PyTorch backend "
            "for other devices."
        )


class _NumPyLinalg:
    """``be.linalg`` of the NumPy backend."""

    norm = staticmethod(np.linalg.norm)
    eigh = staticmethod(np.linalg.eigh)
    svd = staticmethod(np.linalg.svd)


class NumPyBackend(Backend):
    """NumPy backend: ``be.exp`` is ``np.exp``, ``be.linalg.norm`` is ``np.linalg.norm``, ...

    The functions are NumPy's own (no wrapper cost) except where the backend contract adds
    something: creation functions accept a torch or NumPy dtype, a dtype name or a Python type,
    and ``device=None`` or ``"cpu"``; ``array``/``asarray``/``to_numpy`` accept torch tensors
    (detached and copied to the host: the gradient is dropped).  See :class:`Backend` for the
    contract and ``tsgrad.backend.OPERATIONS`` for the list of operations.

    Examples
    --------
    >>> be = NumPyBackend()
    >>> be.backend_string
    'numpy'
    >>> mat = be.array([[0, 1], [2, 3]], dtype=float)
    >>> mat.dtype
    dtype('float64')
    >>> be.linalg.norm(mat)
    np.float64(3.7416573867739413)
    >>> be.sum(mat, axis=0)
    array([2., 4.])
    """

    backend_string = "numpy"
    linalg = _NumPyLinalg()

    # -- creation and conversion ---------------------------------------------------------

    @staticmethod
    def array(obj: Any, dtype: Any = None, *, device: Any = None) -> np.ndarray:
        """A new NumPy array holding a copy of ``obj`` (tensors are detached)."""
        _check_device(device, "array")
        return np.array(to_numpy(obj), dtype=_dtype(dtype, "array"))

    @staticmethod
    def asarray(obj: Any, dtype: Any = None, *, device: Any = None) -> np.ndarray:
        """``obj`` as a NumPy array, without a copy when it already is one."""
        _check_device(device, "asarray")
        return np.asarray(to_numpy(obj), dtype=_dtype(dtype, "asarray"))

    @staticmethod
    def astype(x: Any, dtype: Any) -> np.ndarray:
        return np.asarray(x).astype(_dtype(dtype, "astype"))

    @staticmethod
    def copy(x: Any) -> np.ndarray:
        return np.array(x, copy=True)

    @staticmethod
    def from_numpy(a: np.ndarray) -> np.ndarray:
        """``a`` itself (the PyTorch backend wraps it in a tensor sharing its memory)."""
        if not isinstance(a, np.ndarray):
            raise TypeError(
                f"The 'a' parameter of NumPyBackend.from_numpy must be a numpy.ndarray. "
                f"Got {type(a).__name__} instead."
            )
        return a

    to_numpy = staticmethod(to_numpy)

    @staticmethod
    def zeros(shape: Any, dtype: Any = None, *, device: Any = None) -> np.ndarray:
        _check_device(device, "zeros")
        return np.zeros(shape, dtype=_dtype(dtype, "zeros"))

    @staticmethod
    def ones(shape: Any, dtype: Any = None, *, device: Any = None) -> np.ndarray:
        _check_device(device, "ones")
        return np.ones(shape, dtype=_dtype(dtype, "ones"))

    @staticmethod
    def empty(shape: Any, dtype: Any = None, *, device: Any = None) -> np.ndarray:
        _check_device(device, "empty")
        return np.empty(shape, dtype=_dtype(dtype, "empty"))

    @staticmethod
    def full(shape: Any, fill_value: Any, dtype: Any = None, *, device: Any = None) -> np.ndarray:
        _check_device(device, "full")
        return np.full(shape, fill_value, dtype=_dtype(dtype, "full"))

    @staticmethod
    def arange(
        start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, *, device: Any = None
    ) -> np.ndarray:
        _check_device(device, "arange")
        return np.arange(start, stop, step, dtype=_dtype(dtype, "arange"))

    @staticmethod
    def linspace(
        start: Any, stop: Any, num: int = 50, dtype: Any = None, *, device: Any = None
    ) -> np.ndarray:
        _check_device(device, "linspace")
        return np.linspace(start, stop, num, dtype=_dtype(dtype, "linspace"))

    @staticmethod
    def eye(n: int, m: int | None = None, dtype: Any = None, *, device: Any = None) -> np.ndarray:
        _check_device(device, "eye")
        return np.eye(n, m, dtype=_dtype(dtype, "eye"))

    @staticmethod
    def zeros_like(x: Any, dtype: Any = None) -> np.ndarray:
        return np.zeros_like(x, dtype=_dtype(dtype, "zeros_like"))

    @staticmethod
    def ones_like(x: Any, dtype: Any = None) -> np.ndarray:
        return np.ones_like(x, dtype=_dtype(dtype, "ones_like"))

    @staticmethod
    def full_like(x: Any, fill_value: Any, dtype: Any = None) -> np.ndarray:
        return np.full_like(x, fill_value, dtype=_dtype(dtype, "full_like"))

    # -- NumPy's own functions -------------------------------------------------------------

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    floor = staticmethod(np.floor)
    ceil = staticmethod(np.ceil)
    round = staticmethod(np.round)
    clip = staticmethod(np.clip)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    where = staticmethod(np.where)
    isnan = staticmethod(np.isnan)
    isfinite = staticmethod(np.isfinite)

    sum = staticmethod(np.sum)
    mean = staticmethod(np.mean)
    max = staticmethod(np.max)
    min = staticmethod(np.min)
    argmin = staticmethod(np.argmin)
    argmax = staticmethod(np.argmax)
    any = staticmethod(np.any)
    all = staticmethod(np.all)
    cumsum = staticmethod(np.cumsum)

    reshape = staticmethod(np.reshape)
    transpose = staticmethod(np.transpose)
    swapaxes = staticmethod(np.swapaxes)
    concatenate = staticmethod(np.concatenate)
    stack = staticmethod(np.stack)

    matmul = staticmethod(np.matmul)
    dot = staticmethod(np.dot)
    einsum = staticmethod(np.einsum)

    # -- inspection ------------------------------------------------------------------------

    @staticmethod
    def is_array(x: Any) -> bool:
        """Whether ``x`` is a NumPy array or a NumPy scalar (what NumPy reductions return)."""
        return is_numpy_array(x)

    @staticmethod
    def is_floating(x: Any) -> bool:
        """Whether ``x`` holds real floating-point numbers."""
        if is_torch_tensor(x):
            return x.is_floating_point()
        return bool(np.issubdtype(np.asarray(x).dtype, np.floating))

    @staticmethod
    def device(x: Any) -> str:
        """Always ``"cpu"``."""
        return "cpu"

    # Constants and dtypes last: ``bool`` would shadow the builtin in the class body above.
    inf = np.inf
    nan = np.nan
    float32 = np.float32
    float64 = np.float64
    int32 = np.int32
    int64 = np.int64
    bool = np.bool_
