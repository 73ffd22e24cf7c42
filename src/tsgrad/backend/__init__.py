"""NumPy and PyTorch backends: one NumPy-named namespace of array operations for both.

Library code resolves the backend once, at the public boundary, and then writes ``be.exp``,
``be.sum(x, axis=-1)``, ``be.linalg.norm`` ... once for both libraries::

    be = instantiate_backend(be, s1, s2)   # the user's be=, else the inputs' type, else NumPy

Importing this package does not import torch; ``PyTorchBackend`` (and
``instantiate_backend("pytorch")``) import it on first use, with a clear ImportError when it
is not installed.

Public names
------------
instantiate_backend   Select a backend (tslearn's rules).
Backend               Base class; documents the contract every backend provides.
NumPyBackend          NumPy backend.
PyTorchBackend        PyTorch backend (imported lazily).
is_torch_tensor       ``isinstance(x, torch.Tensor)`` without importing torch.
to_numpy              Any array or tensor as a NumPy array (detached, on the CPU).
OPERATIONS            The names every backend provides (the contract; see ``Backend``).
"""

from __future__ import annotations

from typing import Any

from ._base import OPERATIONS, Backend, is_torch_tensor, to_numpy
from ._instantiate import instantiate_backend, pytorch_backend_class
from ._numpy import NumPyBackend

__all__ = [
    "OPERATIONS",
    "Backend",
    "NumPyBackend",
    "PyTorchBackend",
    "instantiate_backend",
    "is_torch_tensor",
    "to_numpy",
]


def __getattr__(name: str) -> Any:
    # PEP 562: ``PyTorchBackend`` is imported, with torch, only when it is asked for.
    if name == "PyTorchBackend":
        return pytorch_backend_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
