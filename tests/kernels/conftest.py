"""Kernel-engine tests.  Without a CUDA device the Triton kernels run in Triton's
interpreter on CPU tensors: ``TRITON_INTERPRET`` must be set before the kernels are
defined, which Triton 3.x reads when ``@triton.jit`` is applied, i.e. when
``tsgrad._kernels._triton_kernels`` is first imported (the engine imports it lazily, on
its first call)."""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
