"""The argument parser of ``tsgrad``: every command, option, default and help text.

Values are checked here, at the boundary, by small ``type=`` functions, so that a bad
value is reported by argparse as one line naming the option (exit code 2).
"""

from __future__ import annotations

import argparse
import textwrap

from ._errors import EXIT_USAGE

PROG = "tsgrad"

MODEL_NAMES = ("seq2seq", "mlp", "node")
LOSS_CHOICES = ("mse", "soft_dtw", "soft_dtw_divergence", "dilate")
DEVICES = ("auto", "cpu", "cuda")
METRICS_HELP = (
    "metrics: MSE, DTW (sqrt of the accumulated squared cost on the optimal path, "
    "tslearn's convention), TDI (temporal distortion index), Hausdorff distance between "
    "detected change points (time steps) and ramp score"
)

# The README's main job: about 5 minutes on an idle 2-core machine (docs/cli.md).
# At lr 1e-3 the DILATE-trained model needs ~300 epochs to reach an MSE close to the
# MSE-trained one; at 3e-3, 200 epochs do. 2 seeds x 3 losses x 200 epochs took 4.8 min
# (4.2 min of CPU time in a later run), 3 seeds 7.2 min on the idle 2-core machine, more
# when other jobs share it (13 min at a load average of 6-8; measurements in docs/cli.md).
DEFAULT_SEEDS = 2
DEFAULT_EPOCHS = 200
DEFAULT_LR = 3e-3
# The paper's setting (Le Guen & Thome, NeurIPS 2019; reference code: Adam lr 1e-3,
# batch 100, 500 epochs).
FULL_SEEDS = 10
FULL_EPOCHS = 500
FULL_LR = 1e-3
DEFAULT_REPRODUCE_OUT = "runs/dilate"
DEFAULT_TRAIN_OUT = "runs/train"
_EXIT_CODES = "0 done, 1 training failed, 2 bad arguments or files, 130 interrupted"


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line: ``tsgrad: error: ...`` and exit code 2.

    Descriptions and epilogs are laid out by :func:`_text` (examples keep their lines).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        message = " ".join(message.split())
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _text(*paragraphs: str, examples: tuple[str, ...] = (), exit_codes: str = "") -> str:
    """Wrapped paragraphs, then examples one per line, then the exit codes."""
    blocks = [textwrap.fill(p, width=78) for p in paragraphs]
    if examples:
        blocks.append("examples:\n" + "\n".join(f"  {e}" for e in examples))
    if exit_codes:
        blocks.append(textwrap.fill(f"exit codes: {exit_codes}", width=78))
    return "\n\n".join(blocks)


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    parse.__name__ = f"int >= {minimum}"
    return parse


positive_int = _int_at_least(1)
nonnegative_int = _int_at_least(0)


def _float_in(low: float, high: float | None, *, low_open: bool, high_open: bool):
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    interval = f"{lo}{low:g}, {'inf' if high is None else f'{high:g}'}{hi}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        too_high = high is not None and (value >= high if high_open else value > high)
        if value != value or too_low or too_high:
            raise argparse.ArgumentTypeError(f"expected a number in {interval}, got {text}")
        return value

    parse.__name__ = f"number in {interval}"
    return parse


positive_float = _float_in(0.0, None, low_open=True, high_open=True)
unit_interval = _float_in(0.0, 1.0, low_open=False, high_open=False)
open_fraction = _float_in(0.0, 1.0, low_open=True, high_open=True)
half_open_fraction = _float_in(0.0, 1.0, low_open=False, high_open=True)


def _name_list(choices: tuple[str, ...]):
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in choices]
        if not names or unknown:
            got = ", ".join(map(repr, unknown)) if unknown else repr(text)
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {', '.join(choices)}; got {got}"
            )
        if len(set(names)) != len(names):
            raise argparse.ArgumentTypeError(f"expected each name once, got {text!r}")
        return names

    parse.__name__ = "list"
    return parse


def _delimiter(text: str) -> str:
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"expected one character (or 'tab'), got {text!r}")
    return text


def _device_option(g) -> None:
    g.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where the model runs: auto (CUDA when available, else CPU), cpu or cuda "
        "(default: auto)",
    )


def _common_run_options(p: argparse.ArgumentParser, *, out_default: str, out_help: str):
    g = p.add_argument_group("output, resuming and speed")
    g.add_argument(
        "--out",
        metavar="DIR",
        default=out_default,
        help=f"{out_help} (default: {out_default})",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out: finished parts are kept, an interrupted training "
        "continues from its checkpoint bit-identically; the settings must be the same",
    )
    g.add_argument(
        "--overwrite",
        action="store_true",
        help="delete the results of an earlier run in --out first (without it, an --out "
        "that holds a run is an error)",
    )
    g.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        metavar="N",
        help="torch and numba threads (default: 1; small models train fastest on one thread, "
        "and on a shared machine more threads slow down)",
    )
    _device_option(g)
    g.add_argument("--quiet", action="store_true", help="no progress bars or per-run lines")
    return g


def _training_options(
    p: argparse.ArgumentParser,
    *,
    epochs_default: int | None,
    epochs_help: str,
    lr_default: float | None,
    lr_help: str,
) -> None:
    g = p.add_argument_group("training")
    g.add_argument(
        "--alpha",
        type=unit_interval,
        default=0.5,
        help="DILATE weight of the shape term, in [0, 1]; 1 - alpha weights the temporal "
        "term (default: 0.5)",
    )
    g.add_argument(
        "--gamma",
        type=positive_float,
        default=0.01,
        help="soft-min smoothing of the soft-DTW and DILATE losses, > 0 (default: 0.01)",
    )
    g.add_argument(
        "--epochs", type=positive_int, default=epochs_default, metavar="E", help=epochs_help
    )
    g.add_argument("--batch-size", type=positive_int, default=100, metavar="B", help="default: 100")
    g.add_argument("--lr", type=positive_float, default=lr_default, help=lr_help)
    g.add_argument(
        "--hidden-size",
        type=positive_int,
        default=128,
        metavar="N",
        help="hidden units of every model: the GRUs of seq2seq, the hidden layer of mlp, the "
        "encoder GRU and the ODE network of node (default: 128, the paper's)",
    )
    g.add_argument(
        "--patience",
        type=positive_int,
        default=None,
        metavar="P",
        help="stop a run after P epochs without a lower validation loss (default: never; "
        "the weights of the best validation epoch are kept in any case)",
    )


def _reproduce_parser(sub) -> None:
    p = sub.add_parser(
        "reproduce",
        help="reproduce a paper's experiment (DILATE, Le Guen & Thome 2019)",
        description=_text(
            "Reproduce Table 1 of the DILATE paper (Le Guen & Thome, NeurIPS 2019): train "
            "each model with each loss for each seed (seed_everything, build, fit on the "
            "train part, keep the best validation epoch), evaluate on the test part, and "
            "print MSE x100, DTW x100 and TDI x10 (mean +- std over seeds), plus the "
            "Hausdorff distance between change points and the ramp score x100. Writes "
            "results.json, results.csv, PNG figures and one folder per run under --out.",
            f"The defaults ({DEFAULT_SEEDS} seeds x {DEFAULT_EPOCHS} epochs at lr "
            f"{DEFAULT_LR:g}) take about 5 minutes on 2 idle CPU cores; --full is the "
            f"paper's setting ({FULL_SEEDS} seeds x {FULL_EPOCHS} epochs at lr {FULL_LR:g}, "
            "over an hour per model). Ctrl-C writes a checkpoint; rerun the same command "
            "with --resume to continue.",
        ),
        epilog=_text(
            examples=(
                "tsgrad reproduce dilate",
                "tsgrad reproduce dilate --full",
                "tsgrad reproduce dilate --models seq2seq,mlp,node --seeds 5",
                "tsgrad reproduce dilate --dataset ecg5000",
                "tsgrad reproduce dilate --resume",
            ),
            exit_codes=_EXIT_CODES,
        ),
    )
    p.add_argument(
        "experiment",
        choices=("dilate",),
        help="the experiment: 'dilate' (synthetic steps or ECG5000, Seq2Seq GRU / MLP / "
        "neural ODE, losses MSE / soft-DTW / DILATE)",
    )
    g = p.add_argument_group("data")
    g.add_argument(
        "--dataset",
        choices=("synthetic", "ecg5000"),
        default="synthetic",
        help="synthetic: the paper's step series (20 input + 20 output points, noise 0.01, "
        "generator seed 0), --n-series train and test series; ecg5000: the first 84 of 140 "
        "points -> the last 56, from ECG5000_TRAIN.txt (default: synthetic)",
    )
    g.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="ecg5000 only: the folder holding ECG5000_TRAIN.txt, or the file itself "
        "(default: the copy shipped with tsgrad, tsgrad.data.ecg5000_path())",
    )
    g.add_argument(
        "--n-series",
        type=positive_int,
        default=None,
        metavar="N",
        help="synthetic only: series in the train part and in the test part (default: 500, "
        "the paper's N)",
    )
    g.add_argument(
        "--n-val",
        type=nonnegative_int,
        default=None,
        metavar="N",
        help="synthetic only: validation series, drawn by the same generator with seed 1 "
        "(independent of train and test); each run keeps the weights of its best "
        "validation epoch. 0: no validation, the last epoch is kept, as in the reference "
        "code (default: N/5 = 100)",
    )
    g = p.add_argument_group("experiment")
    g.add_argument(
        "--models",
        type=_name_list(MODEL_NAMES),
        default=["seq2seq"],
        metavar="LIST",
        help=f"comma-separated models among {', '.join(MODEL_NAMES)} (default: seq2seq)",
    )
    g.add_argument(
        "--losses",
        type=_name_list(LOSS_CHOICES),
        default=["mse", "soft_dtw", "dilate"],
        metavar="LIST",
        help=f"comma-separated training losses among {', '.join(LOSS_CHOICES)} "
        "(default: mse,soft_dtw,dilate)",
    )
    g.add_argument(
        "--seeds",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"runs per model and loss, with seeds 0..N-1 (default: {DEFAULT_SEEDS}; "
        f"--full: {FULL_SEEDS})",
    )
    g.add_argument(
        "--first-seed",
        type=nonnegative_int,
        default=0,
        metavar="K",
        help="start the seeds at K (seeds K..K+N-1): lets several processes share one "
        "--out, each with its own seeds; a last '--resume' over all seeds then only "
        "collects the finished runs into the table (default: 0)",
    )
    g.add_argument(
        "--full",
        action="store_true",
        help=f"the paper's setting: {FULL_SEEDS} seeds, {FULL_EPOCHS} epochs, lr {FULL_LR:g} "
        "(an explicit --seeds, --epochs or --lr still wins)",
    )
    _training_options(
        p,
        epochs_default=None,
        epochs_help=f"epochs per run (default: {DEFAULT_EPOCHS}; --full: {FULL_EPOCHS})",
        lr_default=None,
        lr_help=f"Adam's learning rate (default: {DEFAULT_LR:g}, with which {DEFAULT_EPOCHS} "
        f"epochs suffice; --full: {FULL_LR:g}, the paper's)",
    )
    g = _common_run_options(
        p,
        out_default=DEFAULT_REPRODUCE_OUT,
        out_help="folder for the run folders (checkpoints, results), results.json / .csv "
        "and the figures",
    )
    g.add_argument(
        "--no-figures", action="store_true", help="skip the PNG figures (faster, no matplotlib)"
    )
    p.set_defaults(command="reproduce")


def _file_format_options(p: argparse.ArgumentParser, *, from_checkpoint: bool) -> None:
    default_note = "default: as at training" if from_checkpoint else None
    g = p.add_argument_group("data file")
    g.add_argument(
        "--data",
        metavar="PATH",
        required=True,
        help="the data file: UCR/UEA text (label then values on each line, spaces or "
        "commas) or CSV",
    )
    g.add_argument(
        "--format",
        choices=("ucr", "csv"),
        default=None,
        required=not from_checkpoint,
        help="ucr: equal-length series, one per line -> (first L, last H) pairs; csv: see "
        "--csv-layout" + (f" ({default_note})" if default_note else ""),
    )
    g.add_argument(
        "--csv-layout",
        choices=("columns", "rows"),
        default=None,
        help="columns: one long recording, one channel per column, one row per time step -> "
        "sliding windows cut chronologically; rows: one equal-length series per row -> "
        "(first L, last H) pairs as for ucr (" + (default_note or "default: columns") + ")",
    )
    g.add_argument(
        "--csv-header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the CSV file's first line holds names (never guessed)"
        + (f" ({default_note})" if default_note else ""),
    )
    g.add_argument(
        "--delimiter",
        type=_delimiter,
        default=None,
        metavar="C",
        help="CSV delimiter, one character or 'tab' (" + (default_note or "default: ,") + ")",
    )


def _train_parser(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a forecaster on your own data file",
        description=_text(
            "Train a forecaster on a UCR/UEA or CSV file, evaluate it on the held-out test "
            f"part ({METRICS_HELP}) and write --out/model.pt (everything needed to rebuild "
            "it: model, weights, scaler, data settings), --out/checkpoint.pt (the training "
            "state, for --resume) and --out/metrics.json.",
            "Metrics are computed in the units the model sees (standardised with --scale).",
        ),
        epilog=_text(
            examples=(
                "tsgrad train --data ECG5000_TRAIN.txt --format ucr --input-len 84 "
                "--horizon 56 --loss dilate --epochs 50",
                "tsgrad train --data load.csv --format csv --csv-header --input-len 96 "
                "--horizon 24 --stride 4 --scale --loss mse",
            ),
            exit_codes=_EXIT_CODES + " (rerun with --resume)",
        ),
    )
    _file_format_options(p, from_checkpoint=False)
    g = p.add_argument_group("forecasting task")
    g.add_argument(
        "--input-len",
        type=positive_int,
        required=True,
        metavar="L",
        help="points the model reads",
    )
    g.add_argument(
        "--horizon", type=positive_int, required=True, metavar="H", help="points to forecast"
    )
    g.add_argument(
        "--val-fraction",
        type=half_open_fraction,
        default=0.2,
        metavar="F",
        help="share of the series (pairs) or of the time steps (windows) for validation, "
        "in [0, 1); 0: no validation, the last epoch is kept (default: 0.2)",
    )
    g.add_argument(
        "--test-fraction",
        type=open_fraction,
        default=0.2,
        metavar="F",
        help="share for the test part, in (0, 1) (default: 0.2)",
    )
    g.add_argument(
        "--split-seed",
        type=nonnegative_int,
        default=0,
        metavar="S",
        help="seed of the random split of pairs (windows are split chronologically) (default: 0)",
    )
    g.add_argument(
        "--stride",
        type=positive_int,
        default=1,
        metavar="K",
        help="windows only: steps between consecutive windows (default: 1)",
    )
    g.add_argument(
        "--scale",
        action="store_true",
        help="standardise each channel with the mean and std of the train part (stored in "
        "model.pt and reused by evaluate)",
    )
    g = p.add_argument_group("model")
    g.add_argument(
        "--model",
        choices=MODEL_NAMES,
        default="seq2seq",
        help="seq2seq: encoder-decoder GRU; mlp: one hidden layer; node: GRU encoder -> "
        "latent neural ODE -> linear decoder (default: seq2seq)",
    )
    g.add_argument(
        "--loss",
        choices=LOSS_CHOICES,
        default="dilate",
        help="training loss (default: dilate)",
    )
    g.add_argument(
        "--seed",
        type=nonnegative_int,
        default=0,
        help="seed of the initial weights and of the shuffling (default: 0)",
    )
    _training_options(
        p,
        epochs_default=100,
        epochs_help="epochs (default: 100)",
        lr_default=1e-3,
        lr_help="Adam's learning rate (default: 1e-3)",
    )
    _common_run_options(
        p,
        out_default=DEFAULT_TRAIN_OUT,
        out_help="folder for model.pt, checkpoint.pt, metrics.json and config.json",
    )
    p.set_defaults(command="train")


def _evaluate_parser(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate a trained model.pt on a data file",
        description=_text(
            f"Reload a model.pt written by 'tsgrad train' and print its {METRICS_HELP}. "
            "The data are prepared as at training (input length, horizon, split, stored "
            "scaler)."
        ),
        epilog=_text(
            examples=(
                "tsgrad evaluate --checkpoint runs/train/model.pt --data ECG5000_TRAIN.txt",
                "tsgrad evaluate --checkpoint runs/train/model.pt --data other.txt --part all "
                "--json metrics.json",
            ),
            exit_codes="0 done, 2 bad arguments or files, 130 interrupted",
        ),
    )
    p.add_argument(
        "--checkpoint",
        metavar="FILE",
        required=True,
        help="a model.pt written by 'tsgrad train' (or by a reproduce run)",
    )
    _file_format_options(p, from_checkpoint=True)
    p.add_argument(
        "--part",
        choices=("test", "val", "train", "all"),
        default="test",
        help="which part of the file to score: the train / val / test part of the split used "
        "at training, or all of it, e.g. for another file (default: test)",
    )
    p.add_argument(
        "--json", metavar="FILE", default=None, help="also write the metrics to this JSON file"
    )
    p.add_argument(
        "--threads", type=positive_int, default=1, metavar="N", help="torch threads (default: 1)"
    )
    _device_option(p)
    p.set_defaults(command="evaluate")


def build_parser() -> argparse.ArgumentParser:
    """The ``tsgrad`` parser with its ``reproduce``, ``train`` and ``evaluate`` commands."""
    from tsgrad import __version__

    parser = _Parser(
        prog=PROG,
        description=_text(
            "tsgrad: differentiable time series. Train and evaluate forecasters with shape- "
            "and time-aware losses (soft-DTW, DILATE), and reproduce the DILATE paper."
        ),
        epilog=_text(
            "Run 'tsgrad COMMAND --help' for a command's options.",
            examples=("tsgrad reproduce dilate",),
            exit_codes=_EXIT_CODES,
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _reproduce_parser(sub)
    _train_parser(sub)
    _evaluate_parser(sub)
    return parser
