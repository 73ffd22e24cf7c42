"""The training device: the data-parallel backend follows it, and tensor-backed data go
to it once per run (CUDA paths checked by making CUDA look available)."""

import pytest
import torch
import torch.distributed as dist
from torch.utils.data import Dataset

from tsgrad.data import ForecastDataset
from tsgrad.training import _batches, fit

from ._helpers import make_model, params, step_dataset


class _Joined(Exception):
    """Raised by the fake init_process_group: the backend is known, stop there."""


@pytest.mark.parametrize(
    ("device", "backend"),
    [(None, "gloo"), ("cpu", "gloo"), ("cuda", "nccl")],
    ids=["cpu-model", "cpu", "cuda"],
)
def test_torchrun_backend_follows_the_training_device_not_the_machine(monkeypatch, device, backend):
    # A machine with a GPU (CUDA available) and torchrun's environment for 2 processes.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    env = {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": "1"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    joined = []

    def init_process_group(backend, **kwargs):
        joined.append(backend)
        raise _Joined

    monkeypatch.setattr(dist, "is_initialized", lambda: False)
    monkeypatch.setattr(dist, "init_process_group", init_process_group)
    model = make_model()  # on the CPU
    with pytest.raises(_Joined):
        fit(model, step_dataset(16), epochs=1, batch_size=8, progress=False, device=device)
    assert joined == [backend]


class _ItemByItem(Dataset):
    """The same items as ``base``, but not tensor-backed: read through a DataLoader."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        return self.base[i]


def test_what_counts_as_tensor_backed():
    data = step_dataset(8)
    assert _batches.tensor_pair(data) == (data.tensors[0], data.tensors[1])
    forecast = ForecastDataset(torch.zeros(4, 5, 1), torch.ones(4, 2, 1), [1, 2, 3, 4])
    assert _batches.tensor_pair(forecast) == (forecast.inputs, forecast.targets)
    assert _batches.tensor_pair(_ItemByItem(data)) is None

    class Noisy(ForecastDataset):  # computes its items: must be read item by item
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x + torch.randn(()), y

    assert _batches.tensor_pair(Noisy(torch.zeros(4, 5, 1), torch.ones(4, 2, 1))) is None


def test_tensor_backed_and_item_by_item_data_train_identically():
    data, val = step_dataset(40), step_dataset(12, seed=1)
    kw = {"epochs": 3, "batch_size": 16, "lr": 1e-2, "seed": 3, "progress": False}
    by_index, by_item = make_model(dropout=0.2), make_model(dropout=0.2)
    h1 = fit(by_index, data, val_data=val, **kw)
    h2 = fit(by_item, _ItemByItem(data), val_data=_ItemByItem(val), **kw)
    assert all(torch.equal(p, q) for p, q in zip(params(by_index), params(by_item), strict=True))
    assert h1.train == h2.train and h1.val == h2.val


@pytest.mark.parametrize("resident", [True, False], ids=["fits", "too-big"])
def test_tensor_backed_data_are_copied_once_per_run_where_they_fit(monkeypatch, resident):
    copies = []
    real_move = _batches.move

    def move(t, device):
        copies.append(tuple(t.shape))
        return real_move(t, device)

    monkeypatch.setattr(_batches, "move", move)
    monkeypatch.setattr(_batches, "fits_on", lambda device, nbytes: resident)
    data, val = step_dataset(40), step_dataset(12, seed=1)
    fit(make_model(), data, val_data=val, epochs=3, batch_size=16, progress=False)
    if resident:  # inputs and targets of each dataset, once
        assert copies == [(40, 8, 1), (40, 6, 1), (12, 8, 1), (12, 6, 1)]
    else:  # inputs and targets of each batch: 3 epochs x (3 train + 1 validation batches)
        assert len(copies) == 3 * (3 + 1) * 2


def test_data_stay_on_a_cuda_device_only_within_a_share_of_its_free_memory(monkeypatch):
    free = 4000
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free, 8 * free))
    cuda = torch.device("cuda", 0)
    assert _batches.fits_on(cuda, int(_batches.RESIDENT_SHARE * free))
    assert not _batches.fits_on(cuda, int(_batches.RESIDENT_SHARE * free) + 1)
    assert _batches.fits_on(torch.device("cpu"), 10**15)  # nothing is copied on the CPU
    assert not _batches.fits_on(torch.device("meta"), 1)  # other devices: batch by batch
