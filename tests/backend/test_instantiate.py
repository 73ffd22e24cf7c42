"""``instantiate_backend`` follows tslearn's documented rules; torch stays optional."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from tsgrad.backend import (
    Backend,
    NumPyBackend,
    PyTorchBackend,  # noqa: E402  (needs torch)
    instantiate_backend,
)


class _ForeignBackend:
    """Another library's backend object (tslearn's ``Backend``): it names its backend."""

    def __init__(self, name):
        self.backend_string = name


class _OtherAttribute:
    backend_string = "jax"  # not a backend tsgrad has: decides nothing


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("numpy",), "numpy"),
        (("pytorch",), "pytorch"),
        ((np.array([0]),), "numpy"),
        ((np.float64(1.0),), "numpy"),
        ((torch.tensor([0]),), "pytorch"),
        ((torch.nn.Parameter(torch.zeros(2)),), "pytorch"),
        ((None,), "numpy"),
        ((), "numpy"),
        (("Hello, World!",), "numpy"),
        ((1,), "numpy"),
        (([torch.tensor(0.0)],), "numpy"),  # a list decides nothing, even of tensors
        ((_ForeignBackend("pytorch"), np.zeros(2)), "pytorch"),
        ((_ForeignBackend("numpy"), torch.zeros(2)), "numpy"),
        ((_ForeignBackend, torch.zeros(2)), "pytorch"),  # a class decides nothing
        ((_OtherAttribute(), torch.zeros(2)), "pytorch"),
        ((NumPyBackend,), "numpy"),
        ((PyTorchBackend,), "pytorch"),
        ((1, None, "Hello, World!", torch.tensor([0]), "numpy"), "pytorch"),
        ((1, None, "Hello, World!"), "numpy"),
        ((None, np.zeros(2), torch.zeros(2)), "numpy"),
        ((None, torch.zeros(2), np.zeros(2)), "pytorch"),
        (("numpy", torch.zeros(2)), "numpy"),
        ((Backend, torch.zeros(2)), "pytorch"),  # the abstract base class decides nothing
    ],
    ids=[
        "str-numpy",
        "str-pytorch",
        "numpy-array",
        "numpy-scalar",
        "tensor",
        "parameter",
        "none",
        "no-argument",
        "other-string",
        "int",
        "list-of-tensors",
        "foreign-backend-pytorch",
        "foreign-backend-numpy",
        "foreign-backend-class",
        "foreign-unknown-name",
        "numpy-backend-class",
        "pytorch-backend-class",
        "tslearn-doc-several-args",
        "several-args-none-decides",
        "array-before-tensor",
        "tensor-before-array",
        "string-before-tensor",
        "base-class-then-tensor",
    ],
)
def test_selection_rules(args, expected):
    be = instantiate_backend(*args)
    assert be.backend_string == expected
    assert isinstance(be, NumPyBackend if expected == "numpy" else PyTorchBackend)


@pytest.mark.parametrize("name", ["jax", "PyTorch", "torch", "pytorch ", "NumPy", ""])
def test_unknown_strings_decide_nothing(name):
    """tslearn's rule, documented: only the exact names decide; others fall through."""
    assert instantiate_backend(name).backend_string == "numpy"
    assert instantiate_backend(name, torch.zeros(1)).backend_string == "pytorch"


@pytest.mark.parametrize("be", [NumPyBackend(), PyTorchBackend()], ids=["numpy", "pytorch"])
def test_backend_instance_is_returned_as_is(be):
    assert instantiate_backend(be) is be
    assert instantiate_backend(None, be, "numpy") is be


def test_subclass_instance_is_returned_as_is():
    class MyBackend(NumPyBackend):
        pass

    mine = MyBackend()
    assert instantiate_backend(mine) is mine
    assert isinstance(instantiate_backend(MyBackend), MyBackend)


def test_base_class_cannot_be_instantiated():
    with pytest.raises(TypeError, match="abstract base class"):
        Backend()


def test_incomplete_backend_is_rejected_when_defined():
    with pytest.raises(TypeError, match="does not provide .*exp"):

        class Incomplete(Backend):
            backend_string = "incomplete"


def test_backends_compare_by_type():
    assert NumPyBackend() == instantiate_backend("numpy")
    assert PyTorchBackend() != NumPyBackend()
    assert len({NumPyBackend(), NumPyBackend(), PyTorchBackend()}) == 2
    assert repr(PyTorchBackend()) == "PyTorchBackend()"


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_numpy_path_does_not_import_torch():
    proc = _run_python(
        """
        import sys
        import numpy as np
        from tsgrad.backend import instantiate_backend, is_torch_tensor, to_numpy
        be = instantiate_backend(None, np.zeros(3), "Hello, World!")
        assert be.backend_string == "numpy"
        assert not is_torch_tensor(np.zeros(3))
        assert be.sum(be.sqeuclidean_cdist(np.ones((2, 1)), np.zeros((3, 1)))) == 6.0
        assert to_numpy([1.0, 2.0]).shape == (2,)
        assert "torch" not in sys.modules, "torch was imported"
        print("ok")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_clear_import_error_without_torch():
    proc = _run_python(
        """
        import sys
        sys.modules["torch"] = None  # makes `import torch` fail as if torch were not installed
        import numpy as np
        import tsgrad.backend as tb
        assert tb.instantiate_backend(np.zeros(2), "pytorch").backend_string == "numpy"
        assert tb.instantiate_backend().backend_string == "numpy"
        for attempt in (lambda: tb.instantiate_backend("pytorch"), lambda: tb.PyTorchBackend):
            try:
                attempt()
            except ImportError as exc:
                msg = str(exc)
                assert "'torch' package" in msg and "pip install torch" in msg, msg
            else:
                raise AssertionError("no ImportError")
        print("ok")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


@pytest.mark.parametrize("name", ["numpy", "pytorch"])
def test_tslearn_backend_objects_are_honoured(name):
    tslearn_backend = pytest.importorskip("tslearn.backend")
    other = torch.zeros(2) if name == "numpy" else np.zeros(2)
    assert instantiate_backend(tslearn_backend.Backend(name), other).backend_string == name
