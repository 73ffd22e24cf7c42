"""The Triton kernels compile to H100 / H200 machine code (sm_90) on a machine without a
GPU: the interpreter tests check what the kernels compute, this checks that Triton's
compiler accepts them (types of loop-carried values, constexpr branches, tl.gather)
before a GPU run.  Triton ships ptxas, so nothing else is needed.

It runs in a fresh interpreter: the test session defines the kernels for Triton's
interpreter, which cannot compile them.
"""

import subprocess
import sys

import pytest

pytest.importorskip("triton")

_SCRIPT = r"""
import os
os.environ.pop("TRITON_INTERPRET", None)
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from tsgrad._kernels import _triton_kernels as tk

def compile_(fn, dtype, warps, ones=(), **consts):
    # Pointers are the upper-case arguments, integers the lower-case ones and B.  Triton
    # makes an integer argument equal to 1 a constant: `ones` compiles such a case.
    sig = {}
    consts = {**consts, **{name: 1 for name in ones}}
    for p in fn.params:
        if p.is_constexpr or p.name in ones:
            sig[p.name] = "constexpr"
        elif p.name.isupper() and p.name != "B":
            sig[p.name] = "*i32" if p.name in ("LO", "HI", "LX", "LY", "FEAS") else dtype
        else:
            sig[p.name] = "i32"
    where = {(fn.arg_names.index(k),): v for k, v in consts.items()}
    triton.compile(
        ASTSource(fn, sig, constexprs=where),
        target=GPUTarget("cuda", 90, 32),
        options={"num_warps": warps, "num_stages": 1},
    )

FORWARDS = (
    dict(COST=1, HARD=0, STORE=1, ZMODE=0, UNIVARIATE=1),  # soft-DTW value + gradient
    dict(COST=1, HARD=0, STORE=1, ZMODE=2, UNIVARIATE=0),  # DILATE
    dict(COST=0, HARD=0, STORE=1, ZMODE=1, UNIVARIATE=0),  # HVP on cost matrices
    dict(COST=0, HARD=1, STORE=0, ZMODE=0, UNIVARIATE=0),  # hard DTW values
)
for dtype, P, BLOCK, warps, gather in (
    ("*fp32", 2, 32, 1, 1), ("*fp64", 1, 128, 2, 0), ("*fp32", 1, 2048, 16, 0)
):
    shape = dict(P=P, BLOCK=BLOCK, GATHER=gather)
    for flags in FORWARDS:
        compile_(tk.forward_kernel, dtype, warps, **shape, **flags)
    compile_(tk.reverse_kernel, dtype, warps, **shape, COST=1, ZMODE=2, UNIVARIATE=1)
    compile_(tk.reverse_kernel, dtype, warps, **shape, COST=1, ZMODE=0, UNIVARIATE=0)
    compile_(tk.reverse_kernel, dtype, warps, **shape, COST=0, ZMODE=1, UNIVARIATE=0)
compile_(tk.path_kernel, "*fp64", 1)
# one problem, one step, one feature, unit strides
ones = ("B", "n", "m", "d", "sxn", "sxd", "syn", "syd", "szi", "szj")
shape = dict(P=1, BLOCK=16, GATHER=1)
for flags in FORWARDS:
    compile_(tk.forward_kernel, "*fp32", 1, ones, **shape, **flags)
ones += ("sei", "sej")
compile_(tk.reverse_kernel, "*fp32", 1, ones, **shape, COST=1, ZMODE=2, UNIVARIATE=1)
compile_(tk.reverse_kernel, "*fp32", 1, ones, **shape, COST=0, ZMODE=1, UNIVARIATE=0)
compile_(tk.path_kernel, "*fp32", 1, ("n", "m", "sai", "saj"))
print("ok")
"""


@pytest.mark.slow
def test_kernels_compile_for_sm90():
    try:
        from triton.backends.compiler import GPUTarget  # noqa: F401
    except ImportError:  # pragma: no cover - Triton without its backends
        pytest.skip("this Triton has no CUDA backend")
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
