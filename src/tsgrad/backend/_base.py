"""The backend contract: the base class, the list of operations, and type detection.

Nothing here imports PyTorch.  A torch tensor is recognised through ``sys.modules``: if torch
was never imported, no object can be a torch tensor, so the NumPy path never pays for torch.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

import numpy as np

__all__ = ["OPERATIONS", "Backend", "is_numpy_array", "is_torch_tensor", "to_numpy"]

#: Every name a concrete backend must provide.  The same names, with NumPy's meaning, on every
#: backend; ``tests/backend`` holds a NumPy-vs-torch parity test for each of them.
OPERATIONS: tuple[str, ...] = (
    # constants and dtypes
    "inf", "nan", "float32", "float64", "int32", "int64", "bool",
    # creation (``dtype=`` and keyword-only ``device=``)
    "array", "asarray", "astype", "copy", "from_numpy", "to_numpy",
    "zeros", "ones", "empty", "full", "arange", "linspace", "eye",
    "zeros_like", "ones_like", "full_like",
    # element-wise
    "exp", "log", "sqrt", "abs", "sign", "floor", "ceil", "round", "clip",
    "maximum", "minimum", "where", "isnan", "isfinite",
    # reductions and scans
    "sum", "mean", "max", "min", "argmin", "argmax", "any", "all", "cumsum",
    # shapes
    "reshape", "transpose", "swapaxes", "expand_dims", "concatenate", "stack",
    # linear algebra and distances
    "matmul", "dot", "einsum", "linalg", "sqeuclidean_cdist",
    # inspection
    "is_array", "is_floating", "is_float", "ndim", "shape", "device",
)  # fmt: skip

# Below this many features ``sqeuclidean_cdist`` subtracts before squaring (exact, and
# exactly 0 on the diagonal of cdist(x, x)); above it, the Gram expansion saves memory.
_EXACT_CDIST_MAX_FEATURES = 8


# The dtypes both libraries share, by their common name.
_DTYPE_NAMES = (
    "bool", "uint8", "int8", "int16", "int32", "int64",
    "float16", "float32", "float64", "complex64", "complex128",
)  # fmt: skip


def dtype_name(dtype: Any, where: str) -> str:
    """The common name ("float64", ...) of a dtype given as NumPy or torch dtype, str or type.

    ``where`` names the calling function in the error raised for anything else.
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(dtype, torch.dtype):
        names = {getattr(torch, name): name for name in _DTYPE_NAMES}
        if dtype in names:
            return names[dtype]
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
        if name in _DTYPE_NAMES:
            return name
    raise TypeError(
        f"The 'dtype' parameter of {where} must be one of {', '.join(_DTYPE_NAMES)}, as a "
        f"NumPy or torch dtype, a string, or a Python type (float, int, bool, complex). "
        f"Got {dtype!r} instead."
    )


def is_torch_tensor(x: Any) -> bool:
    """Whether ``x`` is a ``torch.Tensor`` (parameters included), without importing torch.

    Parameters
    ----------
    x : object

    Returns
    -------
    bool
        False whenever torch has not been imported: no tensor can exist then.

    Examples
    --------
    >>> import numpy as np
    >>> is_torch_tensor(np.zeros(3))
    False
    >>> import torch
    >>> is_torch_tensor(torch.zeros(3))
    True
    """
    torch = sys.modules.get("torch")
    tensor_type = getattr(torch, "Tensor", None)
    return tensor_type is not None and isinstance(x, tensor_type)


def is_numpy_array(x: Any) -> bool:
    """Whether ``x`` is a NumPy array or a NumPy scalar (``np.float64(1.0)``, ...)."""
    return isinstance(x, (np.ndarray, np.generic))


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array: tensors are detached and copied to the CPU.

    Parameters
    ----------
    x : array-like, torch tensor (any device, with or without a graph), or a list or tuple
        of tensors (stacked).

    Returns
    -------
    numpy.ndarray
        It may share memory with ``x`` (a NumPy array, or a CPU tensor); copy it before writing
        to it.  The autograd graph is dropped.

    Examples
    --------
    >>> import torch
    >>> to_numpy(torch.ones(2, requires_grad=True))
    array([1., 1.], dtype=float32)
    """
    if is_torch_tensor(x):
        # force=True: detach, move to the CPU, resolve the lazy conjugate/negative bits.
        return x.numpy(force=True)
    if isinstance(x, (list, tuple)) and any(is_torch_tensor(v) for v in x):
        return np.stack([to_numpy(v) for v in x])
    return np.asarray(x)


def _expand_dims_shape(shape: tuple[int, ...], axis: int | tuple[int, ...]) -> tuple[int, ...]:
    """The shape of NumPy's ``expand_dims(x, axis)`` for ``x`` of shape ``shape``."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out_ndim = len(shape) + len(axes)
    normalised = []
    for a in axes:
        if not -out_ndim <= a < out_ndim:
            raise ValueError(
                f"The 'axis' parameter of expand_dims must be in [{-out_ndim}, {out_ndim}) for "
                f"an array of {len(shape)} dimension(s). Got {axis!r} instead."
            )
        normalised.append(int(a) % out_ndim)
    if len(set(normalised)) != len(normalised):
        raise ValueError(f"The 'axis' parameter of expand_dims repeats an axis. Got {axis!r}.")
    rest = iter(shape)
    return tuple(1 if i in normalised else next(rest) for i in range(out_ndim))


class Backend:
    """Base class of the backends: a thin, NumPy-named namespace of array operations.

    A backend is a stateless object; choose one with
    :func:`~tsgrad.backend.instantiate_backend`.  Code written against a backend ``be`` uses
    ``be.zeros``, ``be.exp``, ``be.sum(x, axis=...)``, ... with NumPy's names, arguments and
    meaning, and runs unchanged on NumPy arrays (:class:`NumPyBackend`) and torch tensors
    (:class:`PyTorchBackend`, differentiable).

    The contract (``tsgrad.backend.OPERATIONS`` lists the names):

    1. ``backend_string`` is ``"numpy"`` or ``"pytorch"``.
    2. Constants and dtypes: ``inf``, ``nan``, ``float32``, ``float64``, ``int32``,
       ``int64``, ``bool`` (the library's own dtype objects).
    3. Creation functions take ``dtype=`` and a keyword-only ``device=``.  A ``dtype`` may be
       a dtype of either library, a NumPy dtype name (``"float64"``) or a Python type
       (``float`` means float64 on both backends).  Without ``dtype`` each library keeps its
       own default: NumPy creates float64, torch creates float32 from Python floats.
    4. Element-wise functions, reductions (``axis=None`` or an int or a tuple, and
       ``keepdims=``), shape functions and linear algebra follow NumPy's signatures;
       ``be.linalg`` holds NumPy's ``norm(x, ord=None, axis=None, keepdims=False)``,
       ``eigh(a)`` and ``svd(a, full_matrices=True)``.
    5. ``sqeuclidean_cdist(x, y)``: squared Euclidean distances between the rows of
       ``x`` (..., n, d) and ``y`` (..., m, d), shape (..., n, m).
    6. Inspection: ``is_array``, ``is_floating`` (alias ``is_float``), ``ndim``, ``shape``,
       ``device``; conversion: ``to_numpy``, ``from_numpy``.

    A new backend is a subclass that sets ``backend_string`` and provides every name in the
    contract; a missing name is an error when the subclass is defined.

    Examples
    --------
    >>> from tsgrad.backend import NumPyBackend
    >>> be = NumPyBackend()
    >>> isinstance(be, Backend), be.backend_string
    (True, 'numpy')
    >>> be.sqeuclidean_cdist(be.array([[0.0], [1.0]]), be.array([[3.0]]))
    array([[9.],
           [4.]])
    """

    #: "numpy" or "pytorch"; None on this abstract base.
    backend_string: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.backend_string is None:
            return
        missing = [name for name in OPERATIONS if not hasattr(cls, name)]
        if missing:
            raise TypeError(
                f"The backend class {cls.__name__} does not provide {', '.join(missing)}. "
                "A backend must provide every name in tsgrad.backend.OPERATIONS."
            )

    def __init__(self) -> None:
        if self.backend_string is None:
            raise TypeError(
                "Backend is the abstract base class of the backends and cannot be instantiated. "
                "Use NumPyBackend(), PyTorchBackend() or instantiate_backend(...)."
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    # The operations below are written once, on top of the backend's own operations.

    @staticmethod
    def ndim(x: Any) -> int:
        """Number of dimensions of ``x``."""
        return int(x.ndim) if hasattr(x, "ndim") else int(np.ndim(x))

    @staticmethod
    def shape(x: Any) -> tuple[int, ...]:
        """Shape of ``x`` as a tuple of Python ints."""
        return tuple(int(s) for s in (x.shape if hasattr(x, "shape") else np.shape(x)))

    def is_float(self, x: Any) -> bool:
        """Alias of :meth:`is_floating`."""
        return self.is_floating(x)

    def expand_dims(self, x: Any, axis: int | tuple[int, ...]) -> Any:
        """Insert axes of length one at the positions ``axis`` (NumPy's rules)."""
        x = self.asarray(x)
        return self.reshape(x, _expand_dims_shape(self.shape(x), axis))

    def sqeuclidean_cdist(self, x: Any, y: Any) -> Any:
        r"""Squared Euclidean distances between the rows of ``x`` and of ``y``.

        .. math:: C_{\dots ij} = \sum_k (x_{\dots ik} - y_{\dots jk})^2

        Parameters
        ----------
        x : array, shape (..., n, d)
        y : array, shape (..., m, d)
            Leading dimensions broadcast against those of ``x``.

        Returns
        -------
        array, shape (..., n, m)
            Differentiable on the PyTorch backend.  For ``d <= 8`` (time series features)
            the differences are squared directly, so ``sqeuclidean_cdist(x, x)`` has an exact
            zero diagonal and exact gradients; for larger ``d`` the Gram expansion
            ``|x|^2 + |y|^2 - 2 x.y``, clipped at 0, avoids an (n, m, d) temporary.

        Examples
        --------
        >>> from tsgrad.backend import NumPyBackend
        >>> be = NumPyBackend()
        >>> be.sqeuclidean_cdist(be.array([[0.0, 0.0], [1.0, 1.0]]), be.array([[1.0, 2.0]]))
        array([[5.],
               [1.]])
        """
        x, y = self.asarray(x), self.asarray(y)
        for name, a in (("x", x), ("y", y)):
            if self.ndim(a) < 2:
                raise ValueError(
                    f"The '{name}' parameter of sqeuclidean_cdist must have shape (..., n, d). "
                    f"Got an array of shape {self.shape(a)} instead."
                )
        d = self.shape(x)[-1]
        if self.shape(y)[-1] != d:
            raise ValueError(
                "The 'x' and 'y' parameters of sqeuclidean_cdist must have the same number of "
                f"features (last dimension). Got shapes {self.shape(x)} and {self.shape(y)}."
            )
        if d <= _EXACT_CDIST_MAX_FEATURES:
            diff = self.expand_dims(x, -2) - self.expand_dims(y, -3)
            return self.sum(diff * diff, axis=-1)
        x2 = self.sum(x * x, axis=-1, keepdims=True)
        y2 = self.swapaxes(self.sum(y * y, axis=-1, keepdims=True), -1, -2)
        gram = self.matmul(x, self.swapaxes(y, -1, -2))
        return self.maximum(x2 + y2 - 2 * gram, 0)
