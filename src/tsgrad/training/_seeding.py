"""Seeds and the capture / restore of every random number generator a run consumes."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    Call it before building the model so that its initial weights are reproducible too;
    :func:`fit` calls it again when a run starts.

    Parameters
    ----------
    seed : int
        Any int ``>= 0``.

    Examples
    --------
    >>> seed_everything(0)
    >>> a = torch.rand(2)
    >>> seed_everything(0)
    >>> torch.equal(a, torch.rand(2))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(
            f"The 'seed' parameter of seed_everything must be an int >= 0. Got {seed!r} instead."
        )
    random.seed(seed)
    # The legacy global generator on purpose: it is what user code and libraries draw from.
    np.random.seed(seed % 2**32)  # noqa: NPY002
    torch.manual_seed(seed)  # also seeds every CUDA device


def rng_state(loader_generator: torch.Generator | None = None) -> dict:
    """The state of every generator, as plain tensors / tuples (loadable with weights_only)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002
    state = {
        "random": random.getstate(),
        "numpy": (
            kind,
            torch.from_numpy(keys.astype(np.int64)),
            int(pos),
            int(has_gauss),
            float(cached),
        ),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    if loader_generator is not None:
        state["loader"] = loader_generator.get_state()
    return state


def set_rng_state(state: dict, loader_generator: torch.Generator | None = None) -> None:
    """Inverse of :func:`rng_state`."""
    version, internal, gauss = state["random"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(  # noqa: NPY002
        (kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached)
    )
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if loader_generator is not None and "loader" in state:
        loader_generator.set_state(state["loader"])
