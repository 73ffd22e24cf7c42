"""Backend selection: ``instantiate_backend``, following tslearn's documented rules."""

from __future__ import annotations

from typing import Any

from ._base import Backend, is_numpy_array, is_torch_tensor
from ._numpy import NumPyBackend

__all__ = ["instantiate_backend", "pytorch_backend_class"]

_NUMPY = NumPyBackend()
_PYTORCH: Backend | None = None


def pytorch_backend_class() -> type[Backend]:
    """The ``PyTorchBackend`` class, importing torch now; a clear ImportError without it."""
    try:
        from ._pytorch import PyTorchBackend
    except ImportError as exc:
        if not (exc.name or "").startswith("torch"):
            raise
        raise ImportError(
            "The PyTorch backend needs the 'torch' package, which could not be imported "
            f"({exc}). Install it with `pip install torch` (CPU-only build: `pip install torch "
            "--index-url https://download.pytorch.org/whl/cpu`), or use the NumPy backend "
            "(be='numpy')."
        ) from exc
    return PyTorchBackend


def _pytorch() -> Backend:
    global _PYTORCH
    if _PYTORCH is None:
        _PYTORCH = pytorch_backend_class()()
    return _PYTORCH


def _decide(arg: Any) -> Backend | None:
    """The backend ``arg`` asks for, or None when ``arg`` does not decide."""
    if isinstance(arg, Backend):
        return arg
    if isinstance(arg, str):
        # Exact names only: "PyTorch", "torch" or "pytorch " do not decide (tslearn's rule).
        if arg == "numpy":
            return _NUMPY
        if arg == "pytorch":
            return _pytorch()
        return None
    if isinstance(arg, type):
        # A concrete backend class (tslearn maps NumPyBackend / PyTorchBackend classes to
        # their backend; its abstract Backend class decides nothing).
        if issubclass(arg, Backend) and arg.backend_string is not None:
            return arg()
        return None
    if is_numpy_array(arg):
        return _NUMPY
    if is_torch_tensor(arg):
        return _pytorch()
    return _foreign_backend(arg)


def _foreign_backend(arg: Any) -> Backend | None:
    """The backend named by another library's backend object, e.g. tslearn's ``Backend``.

    Recognised by what it exposes, not by its type's name: an instance (not a class) whose
    ``backend_string`` attribute is ``"numpy"`` or ``"pytorch"``.  tslearn's ``Backend("numpy")``
    forwards that attribute to the NumPy backend it wraps.
    """
    if isinstance(arg, type):
        return None
    try:
        name = getattr(arg, "backend_string", None)
    except Exception:  # an object whose attribute access fails does not decide
        return None
    if isinstance(name, str) and name == "numpy":
        return _NUMPY
    if isinstance(name, str) and name == "pytorch":
        return _pytorch()
    return None


def instantiate_backend(*args: Any) -> Backend:
    """Select a backend from the arguments: the first argument that decides wins.

    The rules are tslearn's (``tslearn.backend.instantiate_backend``), read in order over
    ``args``:

    * a :class:`Backend` instance is returned as is;
    * the string ``"numpy"`` gives the NumPy backend, ``"pytorch"`` the PyTorch backend;
    * a NumPy array (or NumPy scalar) gives the NumPy backend, a ``torch.Tensor`` the PyTorch
      backend;
    * a concrete backend class (``NumPyBackend``, ``PyTorchBackend``) gives an instance of it;
    * another library's backend object whose ``backend_string`` is ``"numpy"`` or
      ``"pytorch"`` (tslearn's ``Backend("numpy")``, ``Backend("pytorch")``) gives that backend
      (detected by this attribute: tsgrad never imports tslearn);
    * anything else (``None``, ``1``, a list, any other string) does not decide: the next
      argument is read.  When no argument decides, or there is none, the result is the NumPy
      backend.

    Detection is by type (``isinstance``), never by the type's name.  Torch is imported only
    when the PyTorch backend is asked for: a tensor can only exist once torch is imported.

    Note that **strings are matched exactly and an unknown string silently means "no
    decision"**, as tslearn documents it: ``"jax"``, ``"PyTorch"``, ``"torch"`` and
    ``"pytorch "`` all give the NumPy backend when nothing else decides.  Check
    ``be.backend_string`` if a user-provided name may be misspelt.

    Parameters
    ----------
    *args : Backend, str, array, tensor, backend class or anything
        Read left to right; typically ``instantiate_backend(be, x, y)`` where ``be`` is the
        user's ``be=`` argument (None by default) and ``x``, ``y`` are the inputs.

    Returns
    -------
    Backend
        A :class:`NumPyBackend` or :class:`PyTorchBackend` (or the instance that was passed).

    Raises
    ------
    ImportError
        When the PyTorch backend is asked for (``"pytorch"`` or ``PyTorchBackend``) and torch
        is not installed; the message says how to install it.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from tsgrad.backend import instantiate_backend
    >>> be = instantiate_backend("numpy")
    >>> print(be.backend_string)
    numpy
    >>> print(instantiate_backend("pytorch").backend_string)
    pytorch
    >>> print(instantiate_backend(np.array([0])).backend_string)
    numpy
    >>> be = instantiate_backend(torch.tensor([0]))
    >>> print(be.backend_string)
    pytorch
    >>> instantiate_backend(be) is be
    True
    >>> print(instantiate_backend(None).backend_string)
    numpy
    >>> print(instantiate_backend("Hello, World!").backend_string)
    numpy
    >>> print(instantiate_backend().backend_string)
    numpy
    >>> be = instantiate_backend(1, None, "Hello, World!", torch.tensor([0]), "numpy")
    >>> print(be.backend_string)
    pytorch
    >>> print(instantiate_backend(1, None, "Hello, World!").backend_string)
    numpy
    """
    for arg in args:
        be = _decide(arg)
        if be is not None:
            return be
    return _NUMPY
