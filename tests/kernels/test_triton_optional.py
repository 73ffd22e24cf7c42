"""tsgrad imports and runs without Triton (CI machines without it, macOS)."""

import subprocess
import sys

# Run in a fresh interpreter in which Triton cannot be found, whether or not it is
# installed here: importing tsgrad must not need it, and the engine must say it is not
# available rather than fail.
_SCRIPT = """
import importlib.abc, importlib.util, sys

class NoTriton(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "triton":
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoTriton())
find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: (
    None if name.split(".")[0] == "triton" else find_spec(name, *a)
)

import torch
import tsgrad, tsgrad.losses, tsgrad.metrics
from tsgrad._kernels._triton_engine import available

assert not available(torch.zeros(1))
assert not any(m.split(".")[0] == "triton" for m in sys.modules)
print("ok")
"""


def test_tsgrad_imports_without_triton():
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
