"""Forecasting models: ``torch.nn.Module`` s mapping ``(B, T_in, d)`` to ``(B, horizon, d)``.

All are batch-first, take any batch size and multivariate series, and have keyword-only
constructors.

Classes / functions
-------------------
Seq2SeqGRU           Encoder-decoder GRU of the DILATE paper (autoregressive decoder).
MLPForecaster        One-hidden-layer MLP on the flattened window (the paper's second model).
NeuralODEForecaster  GRU encoder -> latent ODE (tsgrad.ode, optional adjoint) -> linear decoder.
build_model          A model by name: "seq2seq", "mlp", "node".
MODELS               The name -> class registry used by build_model.
"""

from ._factory import MODELS, build_model
from ._mlp import MLPForecaster
from ._node import NeuralODEForecaster
from ._seq2seq import Seq2SeqGRU

__all__ = ["MODELS", "MLPForecaster", "NeuralODEForecaster", "Seq2SeqGRU", "build_model"]
