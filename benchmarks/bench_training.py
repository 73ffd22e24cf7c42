"""Benchmark of tsgrad.training: a DILATE epoch vs an MSE epoch, and test-set evaluation.

Usage::

    python benchmarks/bench_training.py [--repeats 7] [--threads]

The DILATE synthetic data (500 training and 500 test series, 20 + 20 points, sigma 0.01,
seed 0) and the paper's Seq2Seq GRU (hidden 128), batch 100, Adam lr 1e-3.

* Training: one epoch with ``fit(..., loss="mse")`` and one with ``loss="dilate"``
  (alpha 0.5, gamma 0.01), interleaved, medians; target DILATE / MSE <= 1.15 (the
  reference code: 1.2 s vs 0.68 s, 1.8x).
* Evaluation of the 500 test series: ``evaluate`` (forward pass + MSE, DTW, TDI,
  Hausdorff, ramp score, vectorized) against the reference code's evaluation (forward pass
  + tslearn ``dtw_path`` per series in a Python loop, MSE, DTW, TDI only); target < 50 ms.
  The metrics alone (``forecast_metrics`` on precomputed forecasts) are timed too.
* ``--threads``: the same epochs with 1 and 2 torch threads (the default of ``fit`` is the
  faster one).

torch runs on 1 thread unless stated; numba kernels use their default pool.  The first
call of everything (JIT compilation, caches) is excluded.
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import interleaved, table, warm  # noqa: E402
from tsgrad.training import evaluate, fit, forecast_metrics  # noqa: E402


def load_data():
    """(train, test) datasets of the DILATE synthetic benchmark."""
    from tsgrad.data import synthetic_step_datasets

    splits = synthetic_step_datasets(500, 20, 20, 0.01, seed=0)
    return splits.train, splits.test


def build_model():
    from tsgrad.models import Seq2SeqGRU

    torch.manual_seed(0)
    return Seq2SeqGRU(input_size=1, output_size=1, hidden_size=128, horizon=20)


def reference_evaluation(model, data):
    """The reference code's evaluation: tslearn's dtw_path per series in a Python loop."""
    from tslearn.metrics import dtw_path

    x = torch.stack([data[i][0] for i in range(len(data))])
    y = torch.stack([data[i][1] for i in range(len(data))])
    with torch.no_grad():
        pred = model(x)
    mse = torch.nn.functional.mse_loss(pred, y).item()
    k = y.shape[1]
    dtw = tdi = 0.0
    for b in range(y.shape[0]):
        path, sim = dtw_path(y[b, :, 0].numpy(), pred[b, :, 0].numpy())
        dtw += sim
        tdi += sum((i - j) ** 2 for i, j in path) / (k * k)
    return mse, dtw / y.shape[0], tdi / y.shape[0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--threads", action="store_true", help="also time the epochs with 1 and 2 torch threads"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    train, test = load_data()
    model = build_model()
    opts = {"epochs": 1, "batch_size": 100, "lr": 1e-3, "progress": False, "num_threads": 1}

    def epoch(loss, threads=1):
        options = {"alpha": 0.5, "gamma": 0.01} if loss == "dilate" else None
        return lambda: fit(
            model, train, loss=loss, loss_options=options, **{**opts, "num_threads": threads}
        )

    fns = {"mse": epoch("mse"), "dilate": epoch("dilate")}
    if args.threads:
        fns.update({"mse-2thr": epoch("mse", 2), "dilate-2thr": epoch("dilate", 2)})
    for f in fns.values():
        warm(f)
    t = interleaved(fns, repeats=args.repeats)

    model.eval()
    x = torch.stack([test[i][0] for i in range(len(test))])
    y = torch.stack([test[i][1] for i in range(len(test))])
    with torch.no_grad():
        pred = model(x)
    ev = {
        "evaluate": lambda: evaluate(model, test),
        "metrics": lambda: forecast_metrics(pred, y),
        "forward": lambda: model(x),
        "reference": lambda: reference_evaluation(model, test),
    }
    with torch.no_grad():
        for f in ev.values():
            warm(f)
        te = interleaved(ev, repeats=args.repeats)

    ms = lambda s: f"{s * 1e3:.1f} ms"  # noqa: E731
    rows = [
        ("MSE epoch (500 series, batch 100)", ms(t["mse"]), "", ""),
        ("DILATE epoch", ms(t["dilate"]), f"{t['dilate'] / t['mse']:.2f} x MSE", "<= 1.15"),
        (
            "evaluate(500 test series)",
            ms(te["evaluate"]),
            f"{te['evaluate'] / te['reference']:.3f} x reference",
            "< 50 ms",
        ),
        ("  of which model forward", ms(te["forward"]), "", ""),
        ("  forecast_metrics alone", ms(te["metrics"]), "", ""),
        ("reference eval (tslearn loop)", ms(te["reference"]), "", ""),
    ]
    if args.threads:
        for loss in ("mse", "dilate"):
            rows.append(
                (
                    f"{loss} epoch, 2 threads",
                    ms(t[f"{loss}-2thr"]),
                    f"{t[f'{loss}-2thr'] / t[loss]:.2f} x 1 thread",
                    "",
                )
            )
    print(f"torch {torch.__version__}, {args.repeats} interleaved repeats, medians")
    print(table(rows, ("case", "time", "ratio", "target")))


if __name__ == "__main__":
    main()
