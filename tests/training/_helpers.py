"""Shared oracles and tiny models / datasets of the training tests."""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.utils.data import TensorDataset


class TinyForecaster(nn.Module):
    """Flatten -> Linear -> Tanh -> Linear -> (B, n_out, d): fast, deterministic on CPU."""

    def __init__(
        self, n_in: int = 8, n_out: int = 6, d: int = 1, hidden: int = 16, dropout: float = 0.0
    ):
        super().__init__()
        self.n_out, self.d = n_out, d
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_in * d, hidden),
            nn.Tanh(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_out * d),
        )

    def forward(self, x):
        return self.net(x).reshape(x.shape[0], self.n_out, self.d)


def step_dataset(
    n: int = 64, n_in: int = 8, n_out: int = 6, seed: int = 0, dtype=torch.float32
) -> TensorDataset:
    """Noisy steps at a random time: the target continues the input's level and jumps."""
    g = torch.Generator().manual_seed(seed)
    total = n_in + n_out
    t = torch.arange(total)
    jump_at = torch.randint(n_in // 2, total - 1, (n, 1), generator=g)
    height = torch.rand(n, 1, generator=g) + 0.5
    series = height * (t >= jump_at) + 0.05 * torch.randn(n, total, generator=g)
    series = series.to(dtype)[..., None]
    return TensorDataset(series[:, :n_in], series[:, n_in:], jump_at[:, 0])


class NoisyDataset(torch.utils.data.Dataset):
    """Adds noise drawn from Python's `random` and NumPy's global generator to each item,
    so that a run depends on those generators' states too."""

    def __init__(self, base: TensorDataset):
        self.base = base

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        import random

        import numpy as np

        x, y, _ = self.base[i]
        noise = 0.01 * (random.random() + float(np.random.rand()))  # noqa: NPY002
        return x + noise, y


def make_model(seed: int = 0, dtype=torch.float32, **kwargs) -> TinyForecaster:
    torch.manual_seed(seed)
    return TinyForecaster(**kwargs).to(dtype)


def params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def all_paths(n: int, m: int):
    """Every monotone warping path from (0, 0) to (n-1, m-1), by recursion."""

    def extend(path):
        i, j = path[-1]
        if (i, j) == (n - 1, m - 1):
            yield path
            return
        for di, dj in ((1, 1), (1, 0), (0, 1)):
            if i + di < n and j + dj < m:
                yield from extend(path + [(i + di, j + dj)])

    yield from extend([(0, 0)])


def max_lag_sum(k: int) -> int:
    """max over monotone k x k paths of sum (i - j)^2, by a max-plus dynamic programme."""
    best = {(0, 0): 0}
    for i, j in itertools.product(range(k), range(k)):
        if (i, j) != (0, 0):
            prev = [best[p] for p in ((i - 1, j - 1), (i - 1, j), (i, j - 1)) if p in best]
            best[(i, j)] = (i - j) ** 2 + max(prev)
    return best[(k - 1, k - 1)]
