"""Tables, JSON and CSV files of the results, and the versions that made them."""

from __future__ import annotations

import csv
import io
import json
import platform
import sys
from pathlib import Path

# (metric, column title, factor, decimals): the paper's Table 1 columns, then Table 2's.
COLUMNS: tuple[tuple[str, str, float, int], ...] = (
    ("mse", "MSE x100", 100.0, 2),
    ("dtw", "DTW x100", 100.0, 1),
    ("tdi", "TDI x10", 10.0, 1),
    ("hausdorff", "Hausdorff", 1.0, 2),
    ("ramp_score", "Ramp x100", 100.0, 2),
)


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically, with the mode ``open`` would give (umask)."""
    from tsgrad.training._checkpoint import atomic_write

    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def write_json(path, data) -> Path:
    return write_text(path, json.dumps(data, indent=2, allow_nan=True) + "\n")


def read_json(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def versions() -> dict[str, str]:
    """Versions of Python, the platform and the libraries that shape the results."""
    import numpy
    import torch

    from tsgrad import __version__

    out = {
        "tsgrad": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
    }
    try:
        import numba

        out["numba"] = numba.__version__
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    return out


def _cell(stats: dict, factor: float, decimals: int) -> str:
    """``mean +- std``; the mean alone for a single run (its spread is unknown, not 0)."""
    mean, std = stats["mean"] * factor, stats["std"] * factor
    if stats["n"] < 2:
        return f"{mean:.{decimals}f}"
    return f"{mean:.{decimals}f} +- {std:.{decimals}f}"


def format_table(rows: list[tuple[str, str, dict]], *, title: str | None = None) -> str:
    """A fixed-width table: one row per ``(model, loss, aggregates)``.

    ``aggregates`` maps each metric to ``{"mean", "std", "n"}`` (:func:`aggregate`); a
    row of one seed shows its value without a spread.
    """
    header = ["model", "loss", "seeds"] + [c[1] for c in COLUMNS]
    body = []
    for model, loss, agg in rows:
        n = agg[COLUMNS[0][0]]["n"]
        body.append([model, loss, str(n)] + [_cell(agg[k], f, d) for k, _, f, d in COLUMNS])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells):
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    rule = "-" * len(line(header))
    lines = ([title] if title else []) + [line(header), rule] + [line(r) for r in body]
    return "\n".join(lines)


def format_metrics(metrics: dict) -> str:
    """One run's metrics on one line, in the table's units."""
    return ", ".join(f"{title} {metrics[k] * f:.{d}f}" for k, title, f, d in COLUMNS)


def results_csv(rows: list[tuple[str, str, dict]]) -> str:
    """CSV text: one row per model / loss, mean and std of each metric (unscaled)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keys = [c[0] for c in COLUMNS]
    writer.writerow(
        ["model", "loss", "seeds"] + [f"{k}_{s}" for k in keys for s in ("mean", "std")]
    )
    for model, loss, agg in rows:
        writer.writerow(
            [model, loss, agg[keys[0]]["n"]]
            + [repr(float(agg[k][s])) for k in keys for s in ("mean", "std")]
        )
    return buf.getvalue()


def echo(text: str = "", *, file=None) -> None:
    """Print without breaking a tqdm bar that may be on screen."""
    from tqdm.auto import tqdm

    tqdm.write(text, file=file or sys.stdout)
