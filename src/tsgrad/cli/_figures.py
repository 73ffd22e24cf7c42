"""PNG figures of a reproduction, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._report import COLUMNS

_DPI = 110
# Units of the metrics whose column title does not say them (the others are unitless).
_UNITS = {"hausdorff": "time steps"}
# The best-epoch markers of the training curves: large enough to find at a glance.
_BEST_MARKER = {"marker": "o", "ms": 9, "mec": "black", "mew": 1.2, "zorder": 3}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    plt = _pyplot()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return Path(path)


def forecast_figure(path, **kwargs) -> Path:
    """Save :func:`draw_forecasts` as a PNG at ``path``."""
    return _save(draw_forecasts(**kwargs), path)


def curves_figure(path, **kwargs) -> Path:
    """Save :func:`draw_curves` as a PNG at ``path``."""
    return _save(draw_curves(**kwargs), path)


def metrics_figure(path, **kwargs) -> Path:
    """Save :func:`draw_metrics` as a PNG at ``path``."""
    return _save(draw_metrics(**kwargs), path)


def draw_forecasts(*, inputs, targets, predictions: dict, title: str, ylabel: str = "value"):
    """Sample forecasts of each loss side by side on the same test inputs.

    Parameters
    ----------
    inputs : array, shape (S, L)
    targets : array, shape (S, H)
    predictions : dict of str to array, shape (S, H)
        One entry per loss (a column of panels); the rows are the ``S`` samples.
    ylabel : str
        The y axis of the left column: what the series' values are.
    """
    plt = _pyplot()
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    n_rows, n_cols = inputs.shape[0], len(predictions)
    L, H = inputs.shape[1], targets.shape[1]
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(4.2 * n_cols, 2.6 * n_rows), squeeze=False, sharex=True
    )
    t_in, t_out = np.arange(L), np.arange(L - 1, L + H)
    for col, (loss, pred) in enumerate(predictions.items()):
        pred = np.asarray(pred)
        for row in range(n_rows):
            ax = axes[row, col]
            last = inputs[row, -1:]
            ax.plot(t_in, inputs[row], color="tab:blue", lw=2, label="input")
            ax.plot(t_out, np.r_[last, targets[row]], color="tab:orange", lw=2, label="target")
            ax.plot(t_out, np.r_[last, pred[row]], color="tab:green", lw=2, label="prediction")
            ax.axvline(L - 0.5, color="0.7", lw=0.8, ls=":")
            if row == 0:
                ax.set_title(loss)
            if row == n_rows - 1:
                ax.set_xlabel("time step")
            if col == 0:
                ax.set_ylabel(ylabel)
    axes[0, 0].legend(loc="upper left", fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def draw_curves(*, runs: list[dict], models: list[str], losses: list[str]):
    """Training (solid) and validation (dashed) loss per epoch, one panel per model / loss;
    a large dot marks each run's best validation epoch."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(
        len(models), len(losses), figsize=(4.4 * len(losses), 3.6 * len(models)), squeeze=False
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, model in enumerate(models):
        for j, loss in enumerate(losses):
            ax = axes[i, j]
            mine = sorted(
                (r for r in runs if r["model"] == model and r["loss"] == loss),
                key=lambda r: r["seed"],
            )
            shown = []  # values after the first tenth of the epochs set the y range
            for k, run in enumerate(mine):
                color = colors[k % len(colors)]
                hist = run["history"]
                train = np.array([e["loss"] for e in hist["train"]])
                epochs = np.arange(1, len(train) + 1)
                ax.plot(epochs, train, color=color, lw=1.2, label=f"seed {run['seed']}")
                shown.append(train[len(train) // 10 :])
                if hist["val"]:
                    val = np.array([e["loss"] for e in hist["val"]])
                    ax.plot(epochs, val, color=color, lw=1.0, ls="--")
                    shown.append(val[len(val) // 10 :])
                    if hist["best_epoch"]:
                        b = hist["best_epoch"]
                        ax.plot([b], [val[b - 1]], color=color, ls="none", **_BEST_MARKER)
            if shown:
                values = np.concatenate(shown)
                low, high = float(values.min()), float(values.max())
                pad = 0.05 * (high - low) or 0.05 * abs(high) or 0.05
                ax.set_ylim(low - pad, high + pad)
                ax.legend(fontsize="x-small")
            ax.set_title(f"{model} / {loss}")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.set_ylabel(f"{loss} loss")
    fig.suptitle(
        "training loss per epoch (solid: train; dashed: validation; large dot: best epoch)"
    )
    fig.tight_layout()
    return fig


def draw_metrics(*, rows: list[tuple[str, str, dict]], title: str):
    """Bar chart of every metric (mean +- std over seeds), grouped by model, one bar per loss."""
    plt = _pyplot()
    models = list(dict.fromkeys(r[0] for r in rows))
    losses = list(dict.fromkeys(r[1] for r in rows))
    lookup = {(m, lo): agg for m, lo, agg in rows}
    fig, axes = plt.subplots(1, len(COLUMNS), figsize=(3.3 * len(COLUMNS), 3.8), squeeze=False)
    width = 0.8 / len(losses)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    x = np.arange(len(models))
    for ax, (key, label, factor, _) in zip(axes[0], COLUMNS, strict=True):
        for k, loss in enumerate(losses):
            means = [
                lookup[(m, loss)][key]["mean"] * factor if (m, loss) in lookup else np.nan
                for m in models
            ]
            stds = [
                lookup[(m, loss)][key]["std"] * factor if (m, loss) in lookup else 0.0
                for m in models
            ]
            ax.bar(
                x + (k - (len(losses) - 1) / 2) * width,
                means,
                width,
                yerr=stds,
                capsize=3,
                color=colors[k % len(colors)],
                label=loss,
            )
        ax.set_xticks(x, models)
        ax.set_title(f"{label} ({_UNITS[key]})" if key in _UNITS else label)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(losses), fontsize="small")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
