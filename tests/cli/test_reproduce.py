"""``tsgrad reproduce dilate`` with tiny settings: table, files, figures, resume."""

from __future__ import annotations

import csv
import json

import pytest

from ._helpers import TINY, default_file_mode, file_mode, interrupt_on_training_call

LOSSES = ["mse", "soft_dtw", "dilate"]
METRICS = ["mse", "dtw", "tdi", "hausdorff", "ramp_score"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny reproduction with figures, shared by the tests that only read its files."""
    import contextlib
    import io

    from tsgrad.cli import main

    out = tmp_path_factory.mktemp("repro") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["reproduce", "dilate", *TINY, "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_prints_the_settings_the_table_and_the_timing(tiny_run):
    code, stdout, stderr, out = tiny_run
    assert code == 0, stderr
    assert "30 train and 30 test series" in stdout and "10 validation series" in stdout
    assert "2 epochs, batch 10, Adam lr 0.003" in stdout and "thread(s) on cpu" in stdout
    # the tiny settings are not "the quick defaults"
    assert "dilate: custom settings (n_series, n_val, epochs, batch_size, hidden_size" in stdout
    assert "quick defaults (" not in stdout
    header = next(line for line in stdout.splitlines() if line.startswith("model"))
    for column in ["MSE x100", "DTW x100", "TDI x10", "Hausdorff", "Ramp x100"]:
        assert column in header
    rows = [line.split() for line in stdout.splitlines() if line.startswith("seq2seq")]
    assert [r[1] for r in rows] == LOSSES
    assert all(r[2] == "2" and r[4] == "+-" for r in rows)  # seeds, "mean +- std"
    assert "wall time" in stdout


def test_results_json_holds_config_runs_aggregates_timings_versions(tiny_run):
    out = tiny_run[3]
    results = json.loads((out / "results.json").read_text())
    assert {"config", "dataset", "versions", "table", "aggregates", "runs", "timings"} <= set(
        results
    )
    assert results["config"]["epochs"] == 2 and results["config"]["seeds"] == [0, 1]
    assert {"tsgrad", "torch", "numpy", "python"} <= set(results["versions"])
    assert len(results["runs"]) == 6
    for run in results["runs"]:
        assert list(run["metrics"]) == METRICS
        assert run["epochs_run"] == 2 and run["train_seconds"] > 0
    assert [(a["model"], a["loss"]) for a in results["aggregates"]] == [
        ("seq2seq", loss) for loss in LOSSES
    ]
    agg = results["aggregates"][0]["metrics"]["mse"]
    per_seed = [r["metrics"]["mse"] for r in results["runs"] if r["loss"] == "mse"]
    assert agg["n"] == 2 and agg["mean"] == pytest.approx(sum(per_seed) / 2)
    assert results["timings"]["wall_seconds"] > results["timings"]["train_seconds"] > 0


def test_results_csv_has_one_row_per_model_and_loss(tiny_run):
    out = tiny_run[3]
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["model"], r["loss"]) for r in rows] == [("seq2seq", loss) for loss in LOSSES]
    for row in rows:
        assert row["seeds"] == "2"
        assert all(float(row[f"{m}_mean"]) >= 0 and float(row[f"{m}_std"]) >= 0 for m in METRICS)


@pytest.mark.parametrize("name", ["forecasts_seq2seq.png", "training_curves.png", "metrics.png"])
def test_figures_are_readable_pngs(tiny_run, name):
    from matplotlib.image import imread

    image = imread(tiny_run[3] / name)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert image[..., :3].std() > 0.01  # not a blank canvas


def test_each_run_folder_keeps_its_result_and_model_but_no_checkpoint(tiny_run):
    runs = sorted(p.name for p in (tiny_run[3] / "runs").iterdir())
    assert runs == sorted(f"seq2seq-{loss}-seed{s}" for loss in LOSSES for s in (0, 1))
    for name in runs:
        folder = tiny_run[3] / "runs" / name
        assert {p.name for p in folder.iterdir()} == {
            ".tsgrad.lock",
            "spec.json",
            "result.json",
            "model.pt",
        }


def test_every_file_gets_the_mode_open_gives_it(tiny_run):
    # results.json / .csv and the .pt files are written through temporary files (0600);
    # like the PNGs they end with 0666 less the umask (0644 under the usual 022).
    files = [p for p in tiny_run[3].rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".json", ".csv", ".png", ".pt"}
    assert {p.relative_to(tiny_run[3]).as_posix(): file_mode(p) for p in files} == {
        p.relative_to(tiny_run[3]).as_posix(): default_file_mode() for p in files
    }


def test_an_out_folder_with_results_needs_resume_or_overwrite(tiny_run, cli):
    result = cli("reproduce", "dilate", *TINY, "--out", tiny_run[3], "--no-figures")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "--resume" in result.err and "--overwrite" in result.err


def test_resume_with_other_settings_is_refused(tiny_run, cli):
    argv = [*TINY, "--out", tiny_run[3], "--resume", "--no-figures", "--lr", "0.01"]
    result = cli("reproduce", "dilate", *argv)
    assert result.code == 2 and "other settings" in result.err and "lr" in result.err


def test_resume_after_ctrl_c_gives_the_uninterrupted_results(tmp_path, cli, monkeypatch):
    argv = ["reproduce", "dilate", *TINY, "--losses", "mse,dilate", "--no-figures"]
    reference = cli(*argv, "--out", tmp_path / "ref")
    assert reference.code == 0

    # Ctrl-C in the second run (dilate, seed 0), epoch 2, batch 1 of 3: mid-epoch.
    with monkeypatch.context() as m:
        interrupt_on_training_call(m, run_index=2, call=4)
        stopped = cli(*argv, "--out", tmp_path / "out")
    assert stopped.code == 130
    assert stopped.err.count("\n") == 1 and "checkpoint" in stopped.err
    assert "--resume" in stopped.err
    run_dir = tmp_path / "out" / "runs" / "seq2seq-dilate-seed0"
    assert (run_dir / "checkpoint.pt").is_file() and not (run_dir / "result.json").exists()
    assert (tmp_path / "out" / "runs" / "seq2seq-mse-seed0" / "result.json").is_file()

    resumed = cli(*argv, "--out", tmp_path / "out", "--resume")
    assert resumed.code == 0, resumed.err
    ref = json.loads((tmp_path / "ref" / "results.json").read_text())
    got = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [r["metrics"] for r in got["runs"]] == [r["metrics"] for r in ref["runs"]]
    assert [r["resumed"] for r in got["runs"]] == [False, True, False, False]
    assert [r["resumed_from_epoch"] for r in got["runs"]] == [None, 1, None, None]
    assert got["aggregates"] == ref["aggregates"]
    # a resumed reproduction says so, also with --quiet
    assert "1 of them trained in an earlier session, 1 resumed from a checkpoint" in resumed.out
    assert got["timings"]["runs_resumed"] == 1


def test_resume_skips_finished_runs(tmp_path, cli):
    argv = ["reproduce", "dilate", *TINY, "--seeds", "1", "--losses", "mse", "--no-figures"]
    assert cli(*argv, "--out", tmp_path).code == 0
    first = json.loads((tmp_path / "results.json").read_text())
    result_file = tmp_path / "runs" / "seq2seq-mse-seed0" / "result.json"
    stamp = result_file.stat().st_mtime_ns
    again = cli(*argv, "--out", tmp_path, "--resume")
    assert again.code == 0
    second = json.loads((tmp_path / "results.json").read_text())
    assert second["runs"] == first["runs"]
    assert result_file.stat().st_mtime_ns == stamp  # loaded, not retrained
    assert second["timings"]["runs_loaded"] == 1 and first["timings"]["runs_loaded"] == 0


def test_processes_with_their_own_first_seed_share_one_out_folder(tmp_path, cli):
    argv = ["reproduce", "dilate", *TINY, "--losses", "mse", "--no-figures"]
    shared, direct = tmp_path / "shared", tmp_path / "direct"
    assert cli(*argv, "--seeds", "1", "--first-seed", "1", "--out", shared).code == 0
    assert cli(*argv, "--seeds", "1", "--out", shared, "--resume").code == 0
    collected = cli(*argv, "--seeds", "2", "--out", shared, "--resume")
    assert collected.code == 0
    assert cli(*argv, "--seeds", "2", "--out", direct).code == 0
    together = json.loads((shared / "results.json").read_text())
    alone = json.loads((direct / "results.json").read_text())
    assert together["timings"]["runs_loaded"] == 2  # nothing retrained
    assert [r["seed"] for r in together["runs"]] == [0, 1]
    assert [r["metrics"] for r in together["runs"]] == [r["metrics"] for r in alone["runs"]]


def test_the_mlp_and_the_neural_ode_run_too(tmp_path, cli):
    argv = [*TINY, "--seeds", "1", "--epochs", "1", "--losses", "dilate", "--no-figures"]
    result = cli("reproduce", "dilate", *argv, "--models", "mlp,node", "--out", tmp_path)
    assert result.code == 0, result.err
    rows = [line.split() for line in result.out.splitlines() if line.startswith(("mlp", "node"))]
    assert [r[:2] for r in rows] == [["mlp", "dilate"], ["node", "dilate"]]
    # one seed: each metric's value alone, no "+- 0.00" spread
    assert all(r[2] == "1" and len(r) == 8 and "+-" not in r for r in rows)
    assert "DILATE reproduction, synthetic: one seed, 1 epochs" in result.out


def test_ecg5000_says_how_the_training_series_were_split(tmp_path, cli):
    # no --data-dir: the copy shipped with tsgrad
    argv = ["--dataset", "ecg5000", "--seeds", "1", "--epochs", "1"]
    argv += ["--losses", "mse", "--hidden-size", "8", "--quiet", "--no-figures"]
    result = cli("reproduce", "dilate", *argv, "--out", tmp_path)
    assert result.code == 0, result.err
    assert "only the 500 series of the UCR training split" in result.out
    assert "300 train / 100 validation / 100 test" in result.out
    assert "first 84 of 140 points -> the last 56" in result.out
    assert "tsgrad/data/datasets/ECG5000_TRAIN.txt" in result.out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["dataset"]["split"] == [300, 100, 100]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], {"seeds": [0, 1], "epochs": 200, "lr": 3e-3, "n_val": 100}),
        (["--full"], {"seeds": list(range(10)), "epochs": 500, "lr": 1e-3}),
        (["--full", "--epochs", "7", "--lr", "0.01"], {"seeds": list(range(10)), "epochs": 7}),
        (["--n-series", "50"], {"n_series": 50, "n_val": 10}),
        (["--dataset", "ecg5000"], {"n_series": None, "n_val": None}),
    ],
    ids=["defaults", "full", "explicit-beats-full", "n-val-follows-n-series", "ecg5000"],
)
def test_settings_resolve_explicit_then_full_then_defaults(extra, expected):
    from tsgrad.cli._parser import build_parser
    from tsgrad.cli._reproduce import resolve_config

    cfg = resolve_config(build_parser().parse_args(["reproduce", "dilate", *extra]))
    assert {k: cfg[k] for k in expected} == expected
    assert cfg["losses"] == LOSSES and cfg["models"] == ["seq2seq"] and cfg["batch_size"] == 100


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        ([], "the quick defaults (--full: the paper's setting)"),
        (["--out", "elsewhere", "--threads", "2", "--no-figures", "--quiet"],
         "the quick defaults (--full: the paper's setting)"),
        (["--full"], "the paper's setting (--full)"),
        (["--dataset", "ecg5000"], "the quick defaults (--full: the paper's setting)"),
        (["--epochs", "50"], "custom settings (epochs differ from the quick defaults)"),
        (["--full", "--seeds", "3", "--alpha", "0.8"],
         "custom settings (seeds, alpha differ from the paper's setting (--full))"),
    ],
    ids=["defaults", "output-options", "full", "ecg5000", "epochs", "full-with-changes"],
)  # fmt: skip
def test_the_settings_are_named_quick_defaults_only_when_they_are(extra, name):
    from tsgrad.cli._parser import build_parser
    from tsgrad.cli._reproduce import _setting_name, resolve_config

    cfg = resolve_config(build_parser().parse_args(["reproduce", "dilate", *extra]))
    assert _setting_name(cfg) == name


def test_a_run_trained_by_another_process_is_refused(tmp_path, cli):
    from tsgrad.cli._lock import folder_lock

    argv = ["reproduce", "dilate", *TINY, "--seeds", "1", "--losses", "mse", "--no-figures"]
    run_dir = tmp_path / "runs" / "seq2seq-mse-seed0"
    with folder_lock(run_dir, busy="", advice=""):  # as a process training that run does
        result = cli(*argv, "--out", tmp_path, "--resume")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "run seq2seq/mse seed 0" in result.err and "another tsgrad command" in result.err
    assert "--first-seed" in result.err and not (run_dir / "result.json").exists()


def test_figures_markers_labels_and_units():
    import matplotlib
    import numpy as np

    from tsgrad.cli import _figures

    runs = [
        {"model": "seq2seq", "loss": "mse", "seed": s,
         "history": {"train": [{"loss": 1.0 / e} for e in range(1, 6)],
                     "val": [{"loss": 1.0 / e + 0.1 * (e == 5)} for e in range(1, 6)],
                     "best_epoch": 4}}
        for s in (0, 1)
    ]  # fmt: skip
    fig = _figures.draw_curves(runs=runs, models=["seq2seq"], losses=["mse"])
    best = [
        line for line in fig.axes[0].get_lines() if line.get_marker() == "o"
    ]  # one dot per seed, at the best epoch, big enough to find
    assert [list(line.get_xdata()) for line in best] == [[4], [4]]
    assert all(line.get_markersize() >= 8 for line in best)

    fig = _figures.draw_forecasts(
        inputs=np.zeros((2, 5)), targets=np.ones((2, 3)),
        predictions={"mse": np.ones((2, 3)), "dilate": np.ones((2, 3))}, title="t",
    )  # fmt: skip
    axes = np.array(fig.axes).reshape(2, 2)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["value", "value"]

    stats = {"mean": 1.0, "std": 0.1, "n": 2}
    agg = dict.fromkeys(["mse", "dtw", "tdi", "hausdorff", "ramp_score"], stats)
    fig = _figures.draw_metrics(rows=[("seq2seq", "mse", agg)], title="t")
    titles = [ax.get_title() for ax in fig.axes]
    assert "Hausdorff (time steps)" in titles
    matplotlib.pyplot.close("all")
