"""``tsgrad train`` then ``tsgrad evaluate``: UCR and CSV files, the real ECG5000 file,
the output files (names, keys, modes), the --out lock, resuming and bad checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import torch

from ._helpers import ECG, default_file_mode, file_mode, interrupt_on_training_call, write_ucr

FAST = ["--epochs", "2", "--hidden-size", "8", "--batch-size", "20", "--quiet"]


def _metrics(path):
    return json.loads(path.read_text())


def test_train_then_evaluate_a_ucr_file_round_trip(tmp_path, cli):
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    out = tmp_path / "run"
    argv = ["--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    trained = cli("train", *argv, *FAST, "--loss", "dilate", "--out", out)
    assert trained.code == 0, trained.err
    assert "36 train / 12 validation / 12 test" in trained.out and "tdi" in trained.out
    assert {p.name for p in out.iterdir()} == {
        ".tsgrad.lock",
        "config.json",
        "checkpoint.pt",
        "model.pt",
        "metrics.json",
    }
    # written atomically (from 0600 temporary files), yet with the mode open() gives
    assert {p.name: file_mode(p) for p in out.iterdir()} == dict.fromkeys(
        (p.name for p in out.iterdir()), default_file_mode()
    )
    saved = _metrics(out / "metrics.json")
    assert saved["n_series"] == 12 and saved["history"]["best_epoch"] in (1, 2)
    assert saved["config"]["device"] == "cpu" and "on cpu" in trained.out

    scored = cli("evaluate", "--checkpoint", out / "model.pt", "--data", data, "--json",
                 tmp_path / "m.json", "--device", "cpu")  # fmt: skip
    assert scored.code == 0, scored.err
    scored_json = _metrics(tmp_path / "m.json")
    assert file_mode(tmp_path / "m.json") == default_file_mode()
    # the same key names in both files, the same values for the same test part
    assert set(scored_json) <= set(saved)
    for key in ("metrics", "n_series", "part", "settings"):
        assert scored_json[key] == saved[key], key

    every = cli("evaluate", "--checkpoint", out / "model.pt", "--data", data, "--part", "all")
    assert every.code == 0 and "(60 series)" in every.out


def test_train_then_evaluate_a_multichannel_csv_recording_with_scaling(tmp_path, cli):
    t = np.arange(400.0)
    series = np.c_[10 + np.sin(t / 7), 100 * (t % 50 > 25)]
    data = tmp_path / "recording.csv"
    np.savetxt(data, series, delimiter=",", header="a,b", comments="")
    out = tmp_path / "run"
    argv = ["--data", data, "--format", "csv", "--csv-header", "--input-len", "24"]
    argv += ["--horizon", "8", "--stride", "4", "--scale", "--loss", "soft_dtw"]
    trained = cli("train", *argv, *FAST, "--model", "mlp", "--out", out)
    assert trained.code == 0, trained.err
    assert "2 channel(s)" in trained.out and "standardised" in trained.out
    saved = _metrics(out / "metrics.json")

    scored = cli("evaluate", "--checkpoint", out / "model.pt", "--data", data,
                 "--json", tmp_path / "m.json")  # fmt: skip
    assert scored.code == 0, scored.err
    assert _metrics(tmp_path / "m.json")["metrics"] == saved["metrics"]


def test_train_resume_continues_to_more_epochs(tmp_path, cli):
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    argv = ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    argv += ["--hidden-size", "8", "--batch-size", "20", "--quiet", "--loss", "mse"]
    assert cli(*argv, "--epochs", "4", "--out", tmp_path / "ref").code == 0
    assert cli(*argv, "--epochs", "2", "--out", tmp_path / "run").code == 0
    more = cli(*argv, "--epochs", "4", "--out", tmp_path / "run", "--resume")
    assert more.code == 0, more.err
    assert "resuming from" in more.out and "2 of 4 epochs done" in more.out  # even --quiet
    assert "trained 4 epochs (2 in this session)" in more.out
    ref, got = (
        _metrics(tmp_path / "ref" / "metrics.json"),
        _metrics(tmp_path / "run" / "metrics.json"),
    )
    assert len(got["history"]["train"]) == 4
    assert got["metrics"] == ref["metrics"]
    assert got["resumed_from_epoch"] == 2 and ref["resumed_from_epoch"] is None


def test_train_ctrl_c_writes_a_checkpoint_and_resume_finishes(tmp_path, cli, monkeypatch):
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    argv = ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    argv += [*FAST, "--out", tmp_path / "run"]
    with monkeypatch.context() as m:
        interrupt_on_training_call(m, run_index=1, call=2)
        stopped = cli(*argv)
    assert stopped.code == 130 and "checkpoint" in stopped.err and "--resume" in stopped.err
    assert (tmp_path / "run" / "checkpoint.pt").is_file()
    assert not (tmp_path / "run" / "model.pt").exists()
    assert cli(*argv, "--resume").code == 0
    assert (tmp_path / "run" / "model.pt").is_file()


def test_train_and_evaluate_on_the_real_ecg5000_file(tmp_path, cli):
    out = tmp_path / "ecg"
    argv = ["--data", ECG, "--format", "ucr", "--input-len", "84", "--horizon", "56"]
    trained = cli("train", *argv, "--epochs", "1", "--hidden-size", "8", "--quiet", "--out", out)
    assert trained.code == 0, trained.err
    assert "300 train / 100 validation / 100 test" in trained.out
    scored = cli("evaluate", "--checkpoint", out / "model.pt", "--data", ECG, "--json",
                 tmp_path / "m.json")  # fmt: skip
    assert scored.code == 0, scored.err
    assert _metrics(tmp_path / "m.json")["metrics"] == _metrics(out / "metrics.json")["metrics"]


def test_a_diverging_training_exits_1_with_the_reason(tmp_path, cli, monkeypatch):
    import tsgrad.training

    def diverge(*args, **kwargs):
        raise FloatingPointError("The 'mse' loss is nan at epoch 3, batch 1. Try a lower 'lr'.")

    monkeypatch.setattr(tsgrad.training, "fit", diverge)
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    argv = ["--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    result = cli("train", *argv, *FAST, "--out", tmp_path / "run")
    assert result.code == 1
    assert (
        result.err == "tsgrad: training failed: The 'mse' loss is nan at epoch 3, batch 1. "
        "Try a lower 'lr'.\n"
    )


def test_train_refuses_to_mix_runs_in_one_out_folder(tmp_path, cli):
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    argv = ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    argv += [*FAST, "--out", tmp_path / "run"]
    assert cli(*argv).code == 0
    again = cli(*argv)
    assert again.code == 2 and "--overwrite" in again.err
    other = cli(*argv, "--resume", "--lr", "0.01")
    assert other.code == 2 and "other settings" in other.err and "lr" in other.err
    assert cli(*argv, "--overwrite").code == 0


def test_resume_from_an_incomplete_checkpoint_is_one_line_and_exit_2(tmp_path, cli):
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    out = tmp_path / "run"
    out.mkdir()
    torch.save({"format_version": 1}, out / "checkpoint.pt")
    argv = ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    result = cli(*argv, *FAST, "--out", out, "--resume")
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err.startswith("tsgrad: error: ") and "Traceback" not in result.err
    assert "checkpoint.pt" in result.err
    assert "not a complete tsgrad training checkpoint" in result.err
    assert "missing 'config'" in result.err and "resuming from" not in result.out


def test_a_second_command_on_a_locked_out_folder_exits_2(tmp_path, cli):
    # Another process holds --out (as a running `tsgrad train` does): this one must stop
    # before touching the folder; once that process ends, the folder is free again.
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, pathlib; from tsgrad.cli._lock import folder_lock\n"
         "with folder_lock(pathlib.Path(sys.argv[1]), busy='', advice=''):\n"
         "    print('locked', flush=True); sys.stdin.read()\n",
         out],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        argv = ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
        blocked = cli(*argv, *FAST, "--out", out)
        assert blocked.code == 2 and blocked.err.count("\n") == 1
        assert f"--out: {out} is in use by another tsgrad command (process {holder.pid})" in (
            blocked.err
        )
        assert sorted(p.name for p in out.iterdir()) == [".tsgrad.lock"]  # nothing written
    finally:
        holder.communicate("", timeout=60)
    assert cli(*argv, *FAST, "--out", out).code == 0


def test_files_honour_the_umask(tmp_path, cli):
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    argv = ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    previous = os.umask(0o077)
    try:
        assert cli(*argv, *FAST, "--out", tmp_path / "run").code == 0
    finally:
        os.umask(previous)
    modes = {p.name: file_mode(p) for p in (tmp_path / "run").iterdir()}
    assert modes == dict.fromkeys(modes, 0o600) and "model.pt" in modes


def test_device_auto_is_cuda_when_available(monkeypatch):
    from tsgrad.cli._device import resolve_device

    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda") == torch.device("cuda")
