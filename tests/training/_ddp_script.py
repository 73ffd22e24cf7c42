"""Run by test_ddp.py under ``torchrun --nproc_per_node 2``: data-parallel fit, rank 0 saves.

Usage: python -m torch.distributed.run --standalone --nproc_per_node 2 _ddp_script.py OUT
(test_ddp.py also forks two workers that set torchrun's variables and call ``main``).
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _helpers import make_model, step_dataset  # noqa: E402

from tsgrad.training import fit  # noqa: E402

# Shared with test_ddp.py: the same run, single-process there.
SETTINGS = {
    "epochs": 3,
    "batch_size": 16,
    "lr": 1e-2,
    "seed": 5,
    "grad_clip": 10.0,
    "progress": False,
    "num_threads": 1,
}
N_SERIES = 64  # a multiple of batch_size: every global batch splits evenly over 2 ranks


def build():
    data = step_dataset(N_SERIES, dtype=torch.float64)
    val = step_dataset(16, seed=1, dtype=torch.float64)
    return data, val, make_model(seed=0, dtype=torch.float64)


def main(out: str):
    data, val, model = build()
    history = fit(model, data, val_data=val, checkpoint_path=out + ".ckpt", **SETTINGS)
    if int(os.environ["RANK"]) == 0:
        torch.save(
            {
                "params": [p.detach() for p in model.parameters()],
                "train_loss": history.train_loss,
                "val_loss": history.val_loss,
                "world_size": int(os.environ["WORLD_SIZE"]),
            },
            out,
        )


if __name__ == "__main__":
    main(sys.argv[1])
