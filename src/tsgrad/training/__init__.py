"""Training and evaluation of forecasters.

One training loop for every model and loss (Adam, early stopping, gradient clipping,
seeds, atomic checkpoints with bit-identical resume, data-parallel under ``torchrun``),
and a vectorized evaluation with the DILATE paper's metrics.

Functions / classes
-------------------
make_loss, TrainingLoss, LOSS_NAMES   the training losses by name -> (loss, terms)
fit, History                          the training loop and its per-epoch record
seed_everything                       seed random / NumPy / torch
save_checkpoint, load_checkpoint      atomic checkpoint files
evaluate, forecast_metrics            MSE, DTW, TDI, Hausdorff, ramp score
aggregate                             mean / std over seeds
changepoints, hausdorff, swinging_door, ramp_score   the timing metrics' building blocks
"""

from ._checkpoint import load_checkpoint, save_checkpoint
from ._evaluate import METRIC_NAMES, aggregate, evaluate, forecast_metrics
from ._loop import DEFAULT_NUM_THREADS, History, fit
from ._losses import LOSS_NAMES, TrainingLoss, make_loss
from ._metrics import changepoints, hausdorff, ramp_score, swinging_door
from ._seeding import seed_everything

__all__ = [
    "DEFAULT_NUM_THREADS",
    "LOSS_NAMES",
    "METRIC_NAMES",
    "History",
    "TrainingLoss",
    "aggregate",
    "changepoints",
    "evaluate",
    "fit",
    "forecast_metrics",
    "hausdorff",
    "load_checkpoint",
    "make_loss",
    "ramp_score",
    "save_checkpoint",
    "seed_everything",
    "swinging_door",
]
