"""Data-parallel training on 2 processes (torchrun, gloo) equals single-process training."""

import os
import socket
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, out: str):
    # What torchrun exports to each process; fit reads it and joins the gloo group.
    os.environ.update(
        {
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world_size),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
    )
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


def test_two_processes_match_one_process_on_the_same_global_batch(tmp_path):
    # Forked workers inherit the imported modules, which keeps this test to ~2 s.
    assert dist.is_available() and dist.is_gloo_available()
    out = tmp_path / "ddp.pt"
    mp.start_processes(
        _worker, args=(2, _free_port(), str(out)), nprocs=2, join=True, start_method="fork"
    )
    _check_against_single_process(tmp_path, out)


@pytest.mark.slow
def test_torchrun_launch(tmp_path):
    # The real launcher: fresh interpreters, rendezvous, environment variables (~13 s).
    out = tmp_path / "ddp.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
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
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
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
