"""``tsgrad train`` and ``tsgrad evaluate``: a forecaster on a user's own data file.

Layout of ``train --out``::

    config.json      the settings (compared on --resume)
    checkpoint.pt    the training state (model, optimizer, RNG, history): --resume
    model.pt         model + weights + scaler + data settings: ``tsgrad evaluate``
    metrics.json     test metrics (the keys of ``evaluate --json``), history, timings
    .tsgrad.lock     held while a command uses the folder: one run at a time

``metrics.json`` and ``evaluate --json`` share their keys (``metrics``, ``n_series``,
``part``, ``data``, ``settings``, ``checkpoint``, ``versions``); ``train`` adds ``config``,
``history``, ``resumed_from_epoch`` and ``timings``.
"""

from __future__ import annotations

import time
from pathlib import Path

from ._datasets import FileSettings, all_pairs, file_splits, read_values
from ._device import resolve_device
from ._errors import CLIError, Interrupted
from ._lock import folder_lock
from ._modelfile import load_model_file, model_hyper, save_model_file
from ._report import COLUMNS, echo, read_json, versions, write_json
from ._reproduce import loss_options, resume_point

TRAIN_FILES = ("config.json", "checkpoint.pt", "model.pt", "metrics.json")
# Settings that may change between a run and its --resume (more epochs, other output).
_RESUMABLE = ("epochs", "patience", "threads", "out", "device")


def _metrics_text(metrics: dict, n: int, what: str) -> str:
    lines = [f"{what} ({n} series):"]
    for key, title, factor, _ in COLUMNS:
        scaled = f"  ({title}: {metrics[key] * factor:.4g})" if factor != 1 else ""
        lines.append(f"  {key:<11s} {metrics[key]:.6g}{scaled}")
    return "\n".join(lines)


def _settings(args) -> FileSettings:
    return FileSettings(
        format=args.format,
        input_len=args.input_len,
        horizon=args.horizon,
        csv_layout=args.csv_layout or "columns",
        csv_header=bool(args.csv_header),
        delimiter=args.delimiter or ",",
        val_fraction=args.val_fraction,
        test_fraction=args.test_fraction,
        split_seed=args.split_seed,
        stride=args.stride,
        scale=args.scale,
    )


def _check_file_options(args, settings_format: str) -> None:
    if settings_format != "csv":
        for opt, value in (
            ("--csv-layout", args.csv_layout),
            ("--csv-header", args.csv_header),
            ("--delimiter", args.delimiter),
        ):
            if value is not None:
                raise CLIError(f"{opt} is for --format csv only")


def _prepare_out(out: Path, config: dict, *, resume: bool, overwrite: bool) -> None:
    """Refuse to mix runs: --resume needs the same settings, a new run an empty --out."""
    earlier = [out / f for f in TRAIN_FILES if (out / f).exists()]
    if resume:
        if (out / "config.json").is_file():
            old = read_json(out / "config.json")
            diff = [
                f"{k}: {old.get(k)!r} then, {v!r} now"
                for k, v in config.items()
                if k not in _RESUMABLE and old.get(k) != v
            ]
            if diff:
                raise CLIError(
                    f"--resume: {out} was trained with other settings ({'; '.join(diff)}); "
                    "rerun with the original settings, --overwrite, or another --out"
                )
    elif earlier:
        if not overwrite:
            raise CLIError(
                f"--out: {out} holds an earlier run; pass --resume to continue it, "
                "--overwrite to start over, or --out for another folder"
            )
        for path in earlier:
            path.unlink()


def run_train(args) -> int:
    """The ``train`` command."""
    _check_file_options(args, args.format)
    if args.resume and args.overwrite:
        raise CLIError("--resume and --overwrite exclude each other")
    settings = _settings(args)
    if settings.kind == "pairs" and args.stride != 1:
        raise CLIError("--stride is for sliding windows (--format csv --csv-layout columns)")
    device = resolve_device(args.device)
    start = time.perf_counter()
    values = read_values(args.data, settings)
    splits = file_splits(values, settings, path=args.data)
    out = Path(args.out)
    # Held until the command ends: a second command on this --out stops here (exit 2).
    with folder_lock(
        out,
        busy=f"--out: {out} is in use by another tsgrad command",
        advice="wait for it to finish, or pass another --out",
    ):
        return _train(args, settings, splits, out, device, start)


def _train(args, settings: FileSettings, splits, out: Path, device, start: float) -> int:
    from tsgrad.models import build_model
    from tsgrad.training import evaluate, fit, seed_everything

    config = {
        "data": str(Path(args.data).resolve()),
        "settings": settings.to_dict(),
        "model": args.model,
        "hyper": model_hyper(args.model, args.hidden_size),
        "loss": args.loss,
        "loss_options": loss_options(args.loss, args.alpha, args.gamma),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
        "patience": args.patience,
        "threads": args.threads,
        "device": str(device),
        "out": str(out),
    }
    _prepare_out(out, config, resume=args.resume, overwrite=args.overwrite)
    train, val, test = splits.train, splits.val, splits.test
    d = train.n_channels
    shape = {
        "input_size": d,
        "output_size": d,
        "input_len": settings.input_len,
        "horizon": settings.horizon,
    }
    echo(
        f"tsgrad train: {args.data} ({settings.kind}: {len(train)} train / "
        f"{0 if val is None else len(val)} validation / {len(test)} test, {d} channel(s), "
        f"{settings.input_len} -> {settings.horizon} points"
        + (", standardised" if splits.scaler is not None else "")
        + f"); {args.model} (hidden {args.hidden_size}), loss {args.loss}, {args.epochs} "
        f"epochs, batch {args.batch_size}, lr {args.lr:g}, seed {args.seed}, on {device}"
    )
    write_json(out / "config.json", config)
    ckpt = out / "checkpoint.pt"
    resumed = args.resume and ckpt.is_file()
    resumed_from = None
    if args.resume and not resumed:
        echo(f"--resume: no checkpoint in {out}; starting a new run")
    if resumed:
        resumed_from, point = resume_point(ckpt, args.epochs)
        if point:  # else fit refuses the file below, saying why
            echo(f"resuming from {ckpt}: {point}")
    seed_everything(args.seed)
    model = build_model(args.model, **shape, **config["hyper"])
    try:
        history = fit(
            model,
            train,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            loss=args.loss,
            loss_options=config["loss_options"],
            val_data=val,
            early_stopping_patience=args.patience,
            seed=args.seed,
            checkpoint_path=ckpt,
            resume=resumed,
            progress=not args.quiet,
            num_threads=args.threads,
            device=device,
        )
    except KeyboardInterrupt:
        if ckpt.is_file():
            raise Interrupted(f"the training checkpoint is in {ckpt}") from None
        raise Interrupted("training stopped before its first checkpoint") from None
    metrics = evaluate(model, test, num_threads=args.threads, device=device)
    training = {
        k: config[k]
        for k in ("loss", "loss_options", "epochs", "batch_size", "lr", "seed", "patience")
    }
    training.update(epochs_run=history.epochs_run, best_epoch=history.best_epoch)
    save_model_file(
        out / "model.pt",
        model=model,
        spec={"name": args.model, **shape, "hyper": config["hyper"]},
        scaler=splits.scaler,
        data={**settings.to_dict(), "path": config["data"]},
        training=training,
        metrics=metrics,
    )
    wall = time.perf_counter() - start
    write_json(
        out / "metrics.json",
        {
            "metrics": metrics,
            "n_series": len(test),
            "part": "test",
            "data": str(args.data),
            "settings": settings.to_dict(),
            "checkpoint": str(out / "model.pt"),
            "versions": versions(),
            "config": config,
            "history": history.to_dict(),
            "resumed_from_epoch": resumed_from,
            "timings": {"wall_seconds": wall, "train_seconds": sum(history.seconds)},
        },
    )
    best = f", best validation epoch {history.best_epoch}" if history.best_epoch else ""
    ran = history.epochs_run - (resumed_from or 0)
    session = f" ({ran} in this session)" if resumed_from else ""
    echo(f"trained {history.epochs_run} epochs{session}{best} in {sum(history.seconds):.1f} s")
    echo(_metrics_text(metrics, len(test), "test metrics"))
    echo(f"wrote {out / 'model.pt'} (for tsgrad evaluate), {ckpt}, {out / 'metrics.json'}")
    return 0


def run_evaluate(args) -> int:
    """The ``evaluate`` command."""
    from tsgrad.training import evaluate

    device = resolve_device(args.device)
    model, scaler, state = load_model_file(args.checkpoint)
    stored = state["data"]
    if "format" in stored:  # written by tsgrad train
        settings = FileSettings.from_dict(stored)
    else:  # written by tsgrad reproduce: default splits (ECG5000's 300 / 100 / 100)
        if args.format is None and stored.get("name") == "ecg5000":
            args.format = "ucr"
        if args.format is None:
            raise CLIError(
                f"--checkpoint: {args.checkpoint} was trained on the {stored.get('name')!r} "
                "data set of 'tsgrad reproduce'; pass --format for --data"
            )
        settings = FileSettings(
            format=args.format,
            input_len=state["model"]["input_len"],
            horizon=state["model"]["horizon"],
        )
    if args.format is not None:
        settings.format = args.format
    _check_file_options(args, settings.format)
    for name in ("csv_layout", "csv_header", "delimiter"):
        if getattr(args, name) is not None:
            setattr(settings, name, getattr(args, name))

    values = read_values(args.data, settings)
    if args.part == "all":
        data = all_pairs(values, settings, scaler, path=args.data)
    else:
        splits = file_splits(values, settings, scaler, path=args.data)
        data = getattr(splits, args.part)
        if data is None:
            raise CLIError("--part val: the model was trained without a validation part")
    d = state["model"]["input_size"]
    if data.n_channels != d:
        raise CLIError(f"--data: the model reads {d} channel(s); the file gives {data.n_channels}")
    metrics = evaluate(model.to(device), data, num_threads=args.threads, device=device)
    echo(
        f"tsgrad evaluate: {args.checkpoint} ({state['model']['name']}, trained with "
        f"{state['training'].get('loss')}) on {args.data}, part {args.part}, on {device}"
    )
    echo(_metrics_text(metrics, len(data), "metrics"))
    if args.json:
        write_json(
            args.json,
            {
                "metrics": metrics,
                "n_series": len(data),
                "part": args.part,
                "data": str(args.data),
                "settings": settings.to_dict(),
                "checkpoint": str(args.checkpoint),
                "versions": versions(),
            },
        )
        echo(f"wrote {args.json}")
    return 0
