"""``tsgrad reproduce dilate``: Table 1 of the DILATE paper, with figures and resumable runs.

Layout of ``--out``::

    config.json                  the resolved settings of the last invocation
    results.json, results.csv    per-seed metrics, aggregates, timings, versions / the table
    forecasts_<model>.png, training_curves.png, metrics.png
    runs/<model>-<loss>-seed<k>/
        spec.json                everything that determines the run's result
        .tsgrad.lock             held while a process trains the run
        checkpoint.pt            the training state while the run is unfinished
        result.json              metrics, history, timings, sample forecasts (run finished)
        model.pt                 the selected weights (readable by ``tsgrad evaluate``)

A run is finished when its ``result.json`` exists; ``--resume`` skips finished runs and
continues unfinished ones from ``checkpoint.pt`` (bit-identically: see
:func:`tsgrad.training.fit`).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from . import _parser as P
from ._datasets import ecg5000_data, synthetic_data
from ._device import resolve_device
from ._errors import CLIError, Interrupted
from ._lock import folder_lock
from ._modelfile import model_hyper, save_model_file
from ._report import (
    echo,
    format_metrics,
    format_table,
    read_json,
    results_csv,
    versions,
    write_json,
    write_text,
)

# fit writes a checkpoint every this many epochs (and at the end, and on Ctrl-C).
CHECKPOINT_EVERY = 10
# Test series drawn in the forecast figure (the first ones: the same for every loss).
N_SAMPLES = 4
FIGURES = ("training_curves.png", "metrics.png")  # plus forecasts_<model>.png
OUTPUT_FILES = ("config.json", "results.json", "results.csv")


def loss_options(loss: str, alpha: float, gamma: float) -> dict | None:
    """The options of each training loss from ``--alpha`` and ``--gamma``."""
    if loss == "dilate":
        return {"alpha": alpha, "gamma": gamma}
    if loss in ("soft_dtw", "soft_dtw_divergence"):
        return {"gamma": gamma}
    return None


def resume_point(ckpt: Path, epochs: int) -> tuple[int | None, str]:
    """The epoch a resumed run continues from, and a phrase such as "2 of 4 epochs done"
    (``None, ""`` for a file that fit will refuse, with the reason)."""
    from tsgrad.training import load_checkpoint

    state = load_checkpoint(ckpt)
    done = state.get("epoch") if isinstance(state, dict) else None
    if not isinstance(done, int) or isinstance(done, bool):
        return None, ""
    batch = state.get("batch")
    mid = f", batch {batch} of epoch {done + 1}" if isinstance(batch, int) and batch else ""
    return done, f"{done} of {epochs} epochs done{mid}"


def resolve_config(args) -> dict:
    """The settings of a reproduction: explicit options > ``--full`` > defaults."""
    synthetic = args.dataset == "synthetic"
    if synthetic and args.data_dir is not None:
        raise CLIError("--data-dir is for --dataset ecg5000 (the synthetic data are generated)")
    if not synthetic:
        for opt, value in (("--n-series", args.n_series), ("--n-val", args.n_val)):
            if value is not None:
                raise CLIError(f"{opt} is for --dataset synthetic only")
    if args.resume and args.overwrite:
        raise CLIError("--resume and --overwrite exclude each other")
    seeds = args.seeds or (P.FULL_SEEDS if args.full else P.DEFAULT_SEEDS)
    epochs = args.epochs or (P.FULL_EPOCHS if args.full else P.DEFAULT_EPOCHS)
    lr = args.lr or (P.FULL_LR if args.full else P.DEFAULT_LR)
    n_series = args.n_series or 500
    return {
        "experiment": args.experiment,
        "dataset": args.dataset,
        "data_dir": args.data_dir,
        "n_series": n_series if synthetic else None,
        "n_val": (n_series // 5 if args.n_val is None else args.n_val) if synthetic else None,
        "models": list(args.models),
        "losses": list(args.losses),
        "seeds": list(range(args.first_seed, args.first_seed + seeds)),
        "epochs": epochs,
        "full": bool(args.full),
        "alpha": args.alpha,
        "gamma": args.gamma,
        "batch_size": args.batch_size,
        "lr": lr,
        "hidden_size": args.hidden_size,
        "patience": args.patience,
        "threads": args.threads,
        "device": args.device,
        "out": args.out,
        "figures": not args.no_figures,
    }


def _prepare_out(out: Path, *, resume: bool, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out: {out} exists and is not a folder")
    earlier = [out / name for name in OUTPUT_FILES if (out / name).exists()]
    if (out / "runs").is_dir():
        earlier.append(out / "runs")
    if earlier and not resume:
        if not overwrite:
            raise CLIError(
                f"--out: {out} holds an earlier run; pass --resume to continue it, "
                "--overwrite to start over, or --out for another folder"
            )
        figures = [*out.glob("forecasts_*.png"), *(out / name for name in FIGURES)]
        for path in earlier + [f for f in figures if f.is_file()]:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _diff(old: dict, new: dict) -> str:
    keys = sorted(set(old) | set(new))
    return "; ".join(
        f"{k}: {old.get(k)!r} then, {new.get(k)!r} now" for k in keys if old.get(k) != new.get(k)
    )


class _Run:
    """One model x loss x seed: its folder, spec, and how to train or reload it."""

    def __init__(self, out: Path, model: str, loss: str, seed: int, cfg: dict, data_spec: dict):
        self.model, self.loss, self.seed = model, loss, seed
        self.name = f"{model}-{loss}-seed{seed}"
        self.dir = out / "runs" / self.name
        self.spec = {
            "data": data_spec,
            "model": model,
            "hyper": model_hyper(model, cfg["hidden_size"]),
            "loss": loss,
            "loss_options": loss_options(loss, cfg["alpha"], cfg["gamma"]),
            "seed": seed,
            "epochs": cfg["epochs"],
            "batch_size": cfg["batch_size"],
            "lr": cfg["lr"],
            "patience": cfg["patience"],
        }

    @property
    def label(self) -> str:
        return f"{self.model}/{self.loss} seed {self.seed}"

    def check_spec(self) -> None:
        path = self.dir / "spec.json"
        if path.is_file():
            stored = read_json(path)
            if stored != self.spec:
                raise CLIError(
                    f"--resume: {self.dir} was made with other settings ("
                    + _diff(stored, self.spec)
                    + "); rerun with the original settings, --overwrite, or another --out"
                )

    def finished(self) -> dict | None:
        path = self.dir / "result.json"
        return read_json(path) if path.is_file() else None

    def train(self, splits, cfg: dict, device, progress: bool, where: str) -> dict:
        """Train and evaluate the run, unless another process finished it meanwhile."""
        with folder_lock(
            self.dir,
            busy=f"run {self.label} in {self.dir} is being trained by another tsgrad command",
            advice="give each process its own seeds with --first-seed",
        ):
            return self.finished() or self._train(splits, cfg, device, progress, where)

    def _train(self, splits, cfg: dict, device, progress: bool, where: str) -> dict:
        import torch

        from tsgrad.models import build_model
        from tsgrad.training import evaluate, fit, seed_everything

        write_json(self.dir / "spec.json", self.spec)
        ckpt = self.dir / "checkpoint.pt"
        resumed = ckpt.is_file()
        resumed_from = None
        if resumed:
            resumed_from, point = resume_point(ckpt, self.spec["epochs"])
            if progress and point:  # else fit refuses the file below, saying why
                echo(f"{where} {self.label}: resuming from {ckpt}: {point}")
        train, val, test = splits.train, splits.val, splits.test
        shape = {
            "input_size": train.n_channels,
            "output_size": train.n_channels,
            "input_len": train.input_len,
            "horizon": train.horizon,
        }
        t0 = time.perf_counter()
        seed_everything(self.seed)  # the initial weights
        model = build_model(self.model, **shape, **self.spec["hyper"])
        try:
            history = fit(
                model,
                train,
                epochs=self.spec["epochs"],
                batch_size=self.spec["batch_size"],
                lr=self.spec["lr"],
                loss=self.loss,
                loss_options=self.spec["loss_options"],
                val_data=val,
                early_stopping_patience=self.spec["patience"],
                seed=self.seed,
                checkpoint_path=ckpt,
                checkpoint_every=CHECKPOINT_EVERY,
                resume=resumed,
                progress=progress,
                num_threads=cfg["threads"],
                device=device,
            )
        except KeyboardInterrupt:
            if ckpt.is_file():
                raise Interrupted(f"the checkpoint of run {self.label} is in {ckpt}") from None
            raise Interrupted(f"run {self.label} stopped before its first checkpoint") from None
        t1 = time.perf_counter()
        metrics = evaluate(model, test, num_threads=cfg["threads"], device=device)
        n = min(N_SAMPLES, len(test))
        with torch.no_grad():
            model.eval()
            samples = model(test.inputs[:n].to(device))[..., 0].cpu().tolist()
        t2 = time.perf_counter()
        result = {
            "model": self.model,
            "loss": self.loss,
            "seed": self.seed,
            "metrics": metrics,
            "epochs_run": history.epochs_run,
            "best_epoch": history.best_epoch,
            "stopped_early": history.stopped_early,
            "train_seconds": sum(history.seconds),
            "eval_seconds": t2 - t1,
            "session_seconds": t2 - t0,
            "resumed": resumed,
            "resumed_from_epoch": resumed_from,
            "device": str(device),
            "history": history.to_dict(),
            "sample_predictions": samples,
        }
        save_model_file(
            self.dir / "model.pt",
            model=model,
            spec={"name": self.model, **shape, "hyper": self.spec["hyper"]},
            scaler=splits.scaler,
            data=self.spec["data"],
            training={k: v for k, v in self.spec.items() if k not in ("data", "hyper")},
            metrics=metrics,
        )
        write_json(self.dir / "result.json", result)
        ckpt.unlink(missing_ok=True)  # finished: result.json and model.pt are what remains
        return result


# The settings that shape the results (not where they are written or how fast).
_RESULT_SETTINGS = (
    "n_series", "n_val", "models", "losses", "seeds", "epochs", "alpha", "gamma",
    "batch_size", "lr", "hidden_size", "patience",
)  # fmt: skip


def _setting_name(cfg: dict) -> str:
    """The name of the setting: the quick defaults, the paper's (--full), or what differs."""
    base = ["reproduce", cfg["experiment"], "--dataset", cfg["dataset"]]
    reference = resolve_config(P.build_parser().parse_args(base + ["--full"] * cfg["full"]))
    changed = [k for k in _RESULT_SETTINGS if cfg[k] != reference[k]]
    name = "the paper's setting (--full)" if cfg["full"] else "the quick defaults"
    if not changed:
        return name if cfg["full"] else f"{name} (--full: the paper's setting)"
    return f"custom settings ({', '.join(changed)} differ from {name})"


def _settings_text(cfg: dict, data) -> str:
    models = ", ".join(cfg["models"])
    losses = ", ".join(
        f"{loss}" + (f" ({', '.join(f'{k}={v:g}' for k, v in opts.items())})" if opts else "")
        for loss in cfg["losses"]
        for opts in [loss_options(loss, cfg["alpha"], cfg["gamma"])]
    )
    lines = [
        f"tsgrad reproduce dilate: {_setting_name(cfg)}",
        f"  data:     {data.description}",
        f"  models:   {models} (hidden size {cfg['hidden_size']})",
        f"  losses:   {losses}",
        f"  training: {cfg['epochs']} epochs, batch {cfg['batch_size']}, Adam lr "
        f"{cfg['lr']:g}, seeds {cfg['seeds'][0]}..{cfg['seeds'][-1]}"
        + (f", early stopping after {cfg['patience']} epochs" if cfg["patience"] else "")
        + f", {cfg['threads']} thread(s) on {cfg['device']}",
        f"  output:   {cfg['out']}",
    ]
    return "\n".join(lines)


def _rows(cfg: dict, results: list[dict]) -> list[tuple[str, str, dict]]:
    from tsgrad.training import aggregate

    rows = []
    for model in cfg["models"]:
        for loss in cfg["losses"]:
            mine = [r["metrics"] for r in results if r["model"] == model and r["loss"] == loss]
            if mine:
                rows.append((model, loss, aggregate(mine)))
    return rows


def _figures(out: Path, cfg: dict, splits, results: list[dict], title: str) -> list[Path]:
    from ._figures import curves_figure, forecast_figure, metrics_figure

    paths = []
    test = splits.test
    n = min(N_SAMPLES, len(test))
    first_seed = cfg["seeds"][0]
    for model in cfg["models"]:
        preds = {
            r["loss"]: r["sample_predictions"]
            for r in results
            if r["model"] == model and r["seed"] == first_seed
        }
        if preds:
            paths.append(
                forecast_figure(
                    out / f"forecasts_{model}.png",
                    inputs=test.inputs[:n, :, 0].numpy(),
                    targets=test.targets[:n, :, 0].numpy(),
                    predictions=preds,
                    title=f"{model}, seed {first_seed}: the first {n} test series",
                    ylabel="value" if cfg["dataset"] == "synthetic" else "value (z-normalised)",
                )
            )
    paths.append(
        curves_figure(
            out / "training_curves.png",
            runs=results,
            models=cfg["models"],
            losses=cfg["losses"],
        )
    )
    paths.append(metrics_figure(out / "metrics.png", rows=_rows(cfg, results), title=title))
    return paths


def run(args) -> int:
    """The ``reproduce`` command."""
    start = time.perf_counter()
    cfg = resolve_config(args)
    device = resolve_device(cfg["device"])
    cfg["device"] = str(device)  # "auto" resolved: the device the runs train on
    out = Path(cfg["out"])
    if cfg["dataset"] == "synthetic":
        data = synthetic_data(cfg["n_series"], cfg["n_val"])
    else:
        data = ecg5000_data(cfg["data_dir"])
    _prepare_out(out, resume=args.resume, overwrite=args.overwrite)  # after every check
    echo(_settings_text(cfg, data))
    write_json(out / "config.json", cfg)

    runs = [
        _Run(out, model, loss, seed, cfg, data.spec)
        for seed in cfg["seeds"]
        for model in cfg["models"]
        for loss in cfg["losses"]
    ]
    for r in runs:  # refuse a mismatch before spending any time
        r.check_spec()
    progress = not args.quiet
    from tqdm.auto import tqdm

    results, loaded, resumed = [], 0, 0
    bar = tqdm(total=len(runs), desc="runs", unit="run", disable=not progress)
    try:
        for k, r in enumerate(runs, start=1):
            done = r.finished()
            if done is not None:
                loaded += 1
                if progress:
                    echo(f"[{k}/{len(runs)}] {r.label}: finished earlier, loaded {r.dir}")
            else:
                bar.set_description(r.label)
                where = f"[{k}/{len(runs)}]"
                done = r.train(data.splits, cfg, device, progress, where)
                resumed += bool(done.get("resumed"))
                if progress:
                    best = f", best epoch {done['best_epoch']}" if done["best_epoch"] else ""
                    again = done.get("resumed_from_epoch")
                    again = f" (resumed after epoch {again})" if again is not None else ""
                    echo(
                        f"{where} {r.label}: {done['epochs_run']} epochs{again}{best}, "
                        f"{done['session_seconds']:.1f} s: {format_metrics(done['metrics'])}"
                    )
            results.append(done)
            bar.update(1)
    except KeyboardInterrupt:
        raise Interrupted(f"finished runs are kept in {out / 'runs'}") from None
    finally:
        bar.close()

    rows = _rows(cfg, results)
    n_seeds = len(cfg["seeds"])
    spread = f"mean +- std over {n_seeds} seeds" if n_seeds > 1 else "one seed"
    title = f"DILATE reproduction, {cfg['dataset']}: {spread}, {cfg['epochs']} epochs"
    table = format_table(rows, title=title)
    figures = []
    if cfg["figures"]:
        figures = _figures(out, cfg, data.splits, results, title)
    wall = time.perf_counter() - start
    train_total = sum(r["train_seconds"] for r in results)
    summary = {
        "config": cfg,
        "command": getattr(args, "argv", None),
        "dataset": {"description": data.description, **data.spec},
        "versions": versions(),
        "table": table,
        "aggregates": [{"model": m, "loss": lo, "metrics": agg} for m, lo, agg in rows],
        "runs": [{k: v for k, v in r.items() if k != "history"} for r in results],
        "timings": {
            "wall_seconds": wall,
            "train_seconds": train_total,
            "eval_seconds": sum(r["eval_seconds"] for r in results),
            "runs_loaded": loaded,
            "runs_resumed": resumed,
        },
        "files": sorted(p.name for p in figures),
    }
    write_json(out / "results.json", summary)
    write_text(out / "results.csv", results_csv(rows))
    echo()
    echo(table)
    echo()
    echo(
        f"wall time {wall:.1f} s ({wall / 60:.1f} min; training {train_total:.1f} s over "
        f"{len(results)} runs"
        + (f", {loaded} of them trained in an earlier session" if loaded else "")
        + (f", {resumed} resumed from a checkpoint" if resumed else "")
        + f"); results in {out}/results.json, results.csv"
        + (", " + ", ".join(p.name for p in figures) if figures else "")
    )
    return 0
