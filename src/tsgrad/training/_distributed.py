"""Data-parallel plumbing: read ``torchrun``'s environment, start / stop the process group.

``torchrun --nproc_per_node N script.py`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` in every process; :func:`fit` reads them, joins the
group and leaves it when done if it joined it itself.  The backend follows the device the
model trains on, not the machine: NCCL for a CUDA device, gloo for the CPU (NCCL cannot
reduce CPU tensors, so CPU training on a machine with a GPU needs gloo too).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in a data-parallel run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # True when fit started the process group and must end it

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(
            f"The environment variable {name} must be an int (as torchrun sets it). "
            f"Got {raw!r} instead."
        ) from None


def backend_for(device: torch.device) -> str:
    """The collective backend for a model trained on ``device``: NCCL on CUDA, else gloo."""
    return "nccl" if device.type == "cuda" else "gloo"


def setup(device: torch.device) -> DistInfo:
    """Join the process group described by the environment (no-op for one process).

    ``device`` is where the model trains; it chooses the backend (:func:`backend_for`).
    """
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), dist.get_world_size(), _env_int("LOCAL_RANK", 0))
    world = _env_int("WORLD_SIZE", 1)
    if world <= 1:
        return DistInfo()
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed.")
    dist.init_process_group(backend=backend_for(device), init_method="env://")
    return DistInfo(dist.get_rank(), dist.get_world_size(), _env_int("LOCAL_RANK", 0), True)


def teardown(info: DistInfo, finished_on: torch.device | None) -> None:
    """Leave the group ``fit`` joined.

    After a run that finished on every rank (``finished_on`` its device), a barrier first
    keeps a fast rank from closing its connections while a slower one still talks to it;
    after an error (``None``) the other ranks may be stuck in a collective, so no barrier.
    """
    if not (info.owns_group and dist.is_initialized()):
        return
    try:
        if finished_on is not None:
            ids = [finished_on.index] if finished_on.type == "cuda" else None
            dist.barrier(device_ids=ids)
    finally:
        dist.destroy_process_group()


def all_sum(values: list[float], info: DistInfo, device) -> list[float]:
    """Element-wise sum of ``values`` over the ranks (float64, one collective)."""
    if not info.enabled:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def broadcast_from_main(values: list[float], info: DistInfo, device) -> list[float]:
    """Rank 0's ``values`` on every rank, so that decisions (early stopping) agree."""
    if not info.enabled:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.broadcast(t, src=0)
    return t.tolist()
