"""The batches of a run, on the device the model trains on.

A dataset whose items are rows of two tensors (a ``TensorDataset``, a ``ForecastDataset``)
is *tensor-backed*: its batches are slices of those tensors, taken by index, with no
``DataLoader`` and no per-item collation.  Its tensors go to the device once, when the run
starts, if they take at most :data:`RESIDENT_SHARE` of the device's free memory (always
on the CPU, where nothing is copied); otherwise each batch is sliced on the host and
copied.  Any other dataset is read item by item through a ``DataLoader`` and each batch
copied, since its items may be computed (augmentation draws random numbers, so reading
ahead would change a run).  Both ways give the same tensors, hence the same run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DataLoader, TensorDataset

# Tensor-backed data stay on a CUDA device when they take at most this share of its free
# memory (the rest is left to the model, its activations and the optimiser).
RESIDENT_SHARE = 0.25


def tensor_pair(data) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(inputs, targets)`` of a dataset whose items are their rows, else None.

    Only the item method of ``TensorDataset`` and ``ForecastDataset`` counts: a subclass
    that computes its items (noise, crops) is read item by item.
    """
    from tsgrad.data import ForecastDataset

    getitem = getattr(type(data), "__getitem__", None)
    if getitem is TensorDataset.__getitem__ and len(data.tensors) >= 2:
        return data.tensors[0], data.tensors[1]
    if getitem is ForecastDataset.__getitem__:
        return data.inputs, data.targets
    return None


def fits_on(device: torch.device, nbytes: int) -> bool:
    """Whether ``nbytes`` of data may stay on ``device`` for the whole run."""
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return nbytes <= RESIDENT_SHARE * free
    return False


def _batch_pair(batch, device):
    if not isinstance(batch, (list, tuple)) or len(batch) < 2:
        raise TypeError(
            "The items of the training data of fit must be (input, target, ...) tuples. "
            f"Got batches of type {type(batch).__name__} instead."
        )
    return batch[0].to(device), batch[1].to(device)


class DeviceData:
    """The ``(input, target)`` batches of ``data`` on ``device`` (see the module docstring).

    Attributes
    ----------
    resident : bool
        True when the data's tensors were moved to ``device`` once, at construction.
    """

    def __init__(self, data, device: torch.device):
        self.data, self.device = data, device
        self._pair = tensor_pair(data)
        self.resident = False
        if self._pair is not None:
            nbytes = sum(t.numel() * t.element_size() for t in self._pair)
            if fits_on(device, nbytes):
                self._pair = tuple(move(t, device) for t in self._pair)
                self.resident = True

    def batches(
        self,
        order: Sequence[int],
        batch_size: int,
        *,
        skip: int = 0,
        generator: torch.Generator | None = None,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches of ``batch_size`` items of ``order`` (the last may be smaller), from
        batch number ``skip`` on (0-based).

        ``generator`` is the ``DataLoader``'s (it draws a seed from it for each pass); by
        default a private one, so that reading never draws from torch's global generator
        (which dropout uses): both ways of reading give the same run.
        """
        starts = range(skip * batch_size, len(order), batch_size)
        if self._pair is None:
            chunks = [list(order[i : i + batch_size]) for i in starts]
            if generator is None:
                generator = torch.Generator()
            loader = DataLoader(self.data, batch_sampler=chunks, generator=generator)
            for batch in loader:
                yield _batch_pair(batch, self.device)
            return
        inputs, targets = self._pair
        index = torch.as_tensor(order, dtype=torch.long, device=inputs.device)
        for i in starts:
            rows = index[i : i + batch_size]
            x, y = inputs[rows], targets[rows]
            if not self.resident:
                x, y = move(x, self.device), move(y, self.device)
            yield x, y


def move(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Copy ``t`` to ``device`` (no copy when it is there): the one host-device copy."""
    return t.to(device)
