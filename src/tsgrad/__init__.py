"""tsgrad: differentiable time series.

Subpackages
-----------
backend   NumPy / PyTorch backends (``instantiate_backend``).
metrics   DTW, soft-DTW and their pairwise versions, global constraints.
losses    Batched soft-DTW, soft-DTW divergence, DILATE and TDI for training.
ode       torchdiffeq-compatible ODE solvers (``odeint``, ``odeint_adjoint``, ...).
data      Synthetic and real forecasting datasets.
models    Forecasting models (Seq2Seq GRU, MLP, neural ODE).
training  Training loop, checkpoints, evaluation.
cli       The ``tsgrad`` command line.

Subpackages are imported on demand so that ``import tsgrad.metrics`` on NumPy arrays does
not import PyTorch.

Functions
---------
use_engine   Choose the engine of the alignment kernels ("auto", "numba", "triton",
             "wavefront"); also a context manager, and the ``TSGRAD_ENGINE`` variable.
"""

from ._kernels import use_engine

__version__ = "0.1.0"

__all__ = ["__version__", "use_engine"]
