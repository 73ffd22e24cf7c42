"""Data-parallel training on 2 processes (torchrun, gloo) equals single-process training."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from tsgrad.training import fit, load_checkpoint

from . import _ddp_script as script

HERE = Path(__file__).parent


def _store() -> dist.TCPStore:
    """A TCPStore server on a port the system picks and this process keeps.

    The workers connect to it as clients, as torchrun's workers connect to its agent's
    store (TORCHELASTIC_USE_AGENT_STORE).  Choosing a free port first and binding it later
    would leave a window in which a concurrent test (pytest -n) can take that port, and a
    worker would then talk to another process's store or gloo socket.
    """
    return dist.TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False)


def _worker(rank: int, world_size: int, port: int, out: str, cuda_visible: bool):
    # What torchrun exports to each process; fit reads it and joins the gloo group.
    os.environ.update(
        {
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world_size),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "TORCHELASTIC_USE_AGENT_STORE": "True",
        }
    )
    if cuda_visible:  # a machine with a GPU: a CPU model must still train with gloo
        torch.cuda.is_available = lambda: True
        torch.cuda.get_rng_state_all = list  # the RNG states fit saves: none on this machine
    script.main(out)


def _check_against_single_process(tmp_path, out):
    ddp = torch.load(out, weights_only=True)
    assert ddp["world_size"] == 2

    data, val, model = script.build()
    history = fit(model, data, val_data=val, **script.SETTINGS)
    for p, q in zip(model.parameters(), ddp["params"], strict=True):
        torch.testing.assert_close(p.detach(), q, rtol=1e-12, atol=1e-12)
    # the epoch losses are the global means (all-reduced), the validation loss rank 0's
    torch.testing.assert_close(
        torch.tensor(ddp["train_loss"]), torch.tensor(history.train_loss), rtol=1e-12, atol=0
    )
    torch.testing.assert_close(
        torch.tensor(ddp["val_loss"]), torch.tensor(history.val_loss), rtol=1e-12, atol=0
    )
    # only rank 0 wrote the checkpoint (one file, no temporary leftovers from rank 1)
    assert load_checkpoint(str(out) + ".ckpt")["config"]["world_size"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp.pt", "ddp.pt.ckpt"]


@pytest.mark.parametrize("cuda_visible", [False, True], ids=["cpu-machine", "gpu-machine"])
def test_two_processes_match_one_process_on_the_same_global_batch(tmp_path, cuda_visible):
    # Forked workers inherit the imported modules, which keeps this test to ~2 s.
    assert dist.is_available() and dist.is_gloo_available()
    out = tmp_path / "ddp.pt"
    store = _store()
    mp.start_processes(
        _worker,
        args=(2, store.port, str(out), cuda_visible),
        nprocs=2,
        join=True,
        start_method="fork",
    )
    del store
    _check_against_single_process(tmp_path, out)


@pytest.mark.slow
def test_torchrun_launch(tmp_path):
    # The real launcher: fresh interpreters, rendezvous, environment variables (~13 s).
    out = tmp_path / "ddp.pt"
    # One thread per pool in each worker: under pytest -n on 2 cores, more would only
    # oversubscribe (numba's pool starts with fit's thread setting).
    threads = dict.fromkeys(("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"), "1")
    env = {**os.environ, **threads}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(HERE / "_ddp_script.py"),
        str(out),
    ]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout[-1500:]}\n{run.stderr[-3000:]}"
    _check_against_single_process(tmp_path, out)


def test_batch_size_must_split_over_the_processes(monkeypatch):
    data, _, model = script.build()
    # Pretend to be one of 3 ranks of an already-initialised group.
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_rank", lambda: 0)
    monkeypatch.setattr(dist, "get_world_size", lambda: 3)
    try:
        fit(model, data, epochs=1, batch_size=16, progress=False)
    except ValueError as exc:
        assert "multiple of the number of processes (3). Got 16" in str(exc)
    else:
        raise AssertionError("expected a ValueError")
