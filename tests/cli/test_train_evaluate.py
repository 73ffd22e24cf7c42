"""``tsgrad train`` then ``tsgrad evaluate``: UCR and CSV files, the real ECG5000 file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ._helpers import ECG, interrupt_on_training_call, write_ucr

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
        "config.json",
        "checkpoint.pt",
        "model.pt",
        "metrics.json",
    }
    saved = _metrics(out / "metrics.json")
    assert saved["n_test"] == 12 and saved["history"]["best_epoch"] in (1, 2)

    scored = cli("evaluate", "--checkpoint", out / "model.pt", "--data", data, "--json",
                 tmp_path / "m.json")  # fmt: skip
    assert scored.code == 0, scored.err
    assert _metrics(tmp_path / "m.json")["metrics"] == saved["test_metrics"]

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
    assert _metrics(tmp_path / "m.json")["metrics"] == saved["test_metrics"]


def test_train_resume_continues_to_more_epochs(tmp_path, cli):
    data = write_ucr(tmp_path / "toy_TRAIN.txt")
    argv = ["train", "--data", data, "--format", "ucr", "--input-len", "20", "--horizon", "10"]
    argv += ["--hidden-size", "8", "--batch-size", "20", "--quiet", "--loss", "mse"]
    assert cli(*argv, "--epochs", "4", "--out", tmp_path / "ref").code == 0
    assert cli(*argv, "--epochs", "2", "--out", tmp_path / "run").code == 0
    more = cli(*argv, "--epochs", "4", "--out", tmp_path / "run", "--resume")
    assert more.code == 0, more.err
    ref, got = (
        _metrics(tmp_path / "ref" / "metrics.json"),
        _metrics(tmp_path / "run" / "metrics.json"),
    )
    assert len(got["history"]["train"]) == 4
    assert got["test_metrics"] == ref["test_metrics"]


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


@pytest.mark.skipif(not ECG.is_file(), reason="ECG5000_TRAIN.txt not present in ../shared/data")
def test_train_and_evaluate_on_the_real_ecg5000_file(tmp_path, cli):
    out = tmp_path / "ecg"
    argv = ["--data", ECG, "--format", "ucr", "--input-len", "84", "--horizon", "56"]
    trained = cli("train", *argv, "--epochs", "1", "--hidden-size", "8", "--quiet", "--out", out)
    assert trained.code == 0, trained.err
    assert "300 train / 100 validation / 100 test" in trained.out
    scored = cli("evaluate", "--checkpoint", out / "model.pt", "--data", ECG, "--json",
                 tmp_path / "m.json")  # fmt: skip
    assert scored.code == 0, scored.err
    assert (
        _metrics(tmp_path / "m.json")["metrics"] == _metrics(out / "metrics.json")["test_metrics"]
    )


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
