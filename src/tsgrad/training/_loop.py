"""The training loop: one ``fit`` for every model, loss and process count."""

from __future__ import annotations

import copy
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DistributedSampler

from .. import _validation as check
from .._kernels import engine_for_run
from . import _distributed as _dist
from ._batches import DeviceData
from ._checkpoint import FORMAT_VERSION, load_checkpoint, save_checkpoint
from ._losses import TrainingLoss, make_loss
from ._seeding import rng_state, seed_everything, set_rng_state
from ._threads import DEFAULT_NUM_THREADS, thread_count


@dataclass
class History:
    """Per-epoch record of a run, returned by :func:`fit` and stored in its checkpoints.

    Attributes
    ----------
    train : list of dict
        One dict per epoch: ``"loss"`` and the loss's named terms (e.g. ``"shape"``,
        ``"temporal"`` for DILATE), averaged over the epoch's series.
    val : list of dict
        The same on the validation data; empty without validation data.
    seconds : list of float
        Wall-clock seconds of each epoch (training and validation).
    best_epoch : int or None
        1-based epoch with the lowest validation loss (None without validation data).
    best_val_loss : float or None
    stopped_early : bool
        True when early stopping ended the run before ``epochs``.

    Examples
    --------
    >>> import json, torch
    >>> from torch.utils.data import TensorDataset
    >>> from tsgrad.training import History, fit
    >>> x = torch.randn(40, 6, 1)
    >>> data = TensorDataset(x, 2 * x[:, -3:])
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 3),
    ...                             torch.nn.Unflatten(1, (3, 1)))
    >>> history = fit(model, data, epochs=4, batch_size=10, lr=1e-2, val_data=data,
    ...               progress=False)
    >>> history.epochs_run, sorted(history.train[0])  # the loss and its named terms
    (4, ['loss', 'mse'])
    >>> history.val_loss[-1] < history.val_loss[0]
    True
    >>> history.best_val_loss == history.val_loss[history.best_epoch - 1]
    True
    >>> History.from_dict(json.loads(json.dumps(history.to_dict()))) == history
    True
    """

    train: list[dict[str, float]] = field(default_factory=list)
    val: list[dict[str, float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_loss: float | None = None
    stopped_early: bool = False

    @property
    def epochs_run(self) -> int:
        """Number of epochs recorded."""
        return len(self.train)

    @property
    def train_loss(self) -> list[float]:
        """The training loss of each epoch."""
        return [r["loss"] for r in self.train]

    @property
    def val_loss(self) -> list[float]:
        """The validation loss of each epoch (empty without validation data)."""
        return [r["loss"] for r in self.val]

    def to_dict(self) -> dict:
        """Plain lists / dicts / floats (JSON-serialisable)."""
        return {
            "train": [dict(r) for r in self.train],
            "val": [dict(r) for r in self.val],
            "seconds": list(self.seconds),
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "stopped_early": self.stopped_early,
        }

    @classmethod
    def from_dict(cls, d: dict) -> History:
        """The history that :meth:`to_dict` wrote (copied, not shared)."""
        return cls(**{k: copy.deepcopy(d[k]) for k in cls.__dataclass_fields__})


class _DeferredInterrupt:
    """Turn Ctrl-C into a flag read between optimisation steps.

    A ``KeyboardInterrupt`` raised in the middle of ``optimizer.step()`` could leave the
    parameters half updated; deferring it to the next step boundary lets ``fit`` write a
    consistent checkpoint before re-raising.  A second Ctrl-C interrupts at once.  Only the
    main thread can install signal handlers; elsewhere this is a no-op.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def _resolve_loss(loss, loss_options) -> TrainingLoss:
    if isinstance(loss, TrainingLoss):
        if loss_options:
            raise ValueError(
                "The 'loss_options' parameter of fit must be None when 'loss' is a "
                f"TrainingLoss (its options are set). Got {loss_options!r} instead."
            )
        return loss
    if not isinstance(loss, str):
        raise TypeError(
            "The 'loss' parameter of fit must be a loss name (str) or a TrainingLoss from "
            f"make_loss. Got {type(loss).__name__} instead."
        )
    if loss_options is not None and not isinstance(loss_options, dict):
        raise TypeError(
            f"The 'loss_options' parameter of fit must be a dict or None. Got "
            f"{type(loss_options).__name__} instead."
        )
    return make_loss(loss, **(loss_options or {}))


def _training_device(model: nn.Module, device) -> torch.device:
    """``device``, or the device of the model's parameters (the CPU without any)."""
    if device is None:
        p = next(model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")
    return torch.device(device)


def _rank_device(device: torch.device, info: _dist.DistInfo) -> torch.device:
    """Under torchrun, each process trains on its own GPU: ``cuda:LOCAL_RANK``."""
    if info.enabled and device.type == "cuda":
        return torch.device("cuda", info.local_rank)
    return device


def _check_prediction(pred, target, where: str):
    if not isinstance(pred, torch.Tensor) or pred.shape != target.shape:
        got = tuple(pred.shape) if isinstance(pred, torch.Tensor) else type(pred).__name__
        raise ValueError(
            f"The model's prediction must have the target's shape {tuple(target.shape)} "
            f"({where}). Got {got} instead; check the model's horizon and feature count."
        )


def _epoch_record(sums: list[float], names: list[str]) -> dict[str, float]:
    count = sums[-1]
    return {name: s / count for name, s in zip(names, sums[:-1], strict=True)}


@torch.no_grad()
def _validate(model, loss_fn, data: DeviceData, batch_size, names) -> dict[str, float]:
    was_training = model.training
    model.eval()
    sums = [0.0] * (len(names) + 1)
    try:
        for x, y in data.batches(range(len(data.data)), batch_size):
            pred = model(x)
            _check_prediction(pred, y, "validation data")
            loss, terms = loss_fn(pred, y)
            n = y.shape[0]
            for k, v in enumerate([loss, *terms.values()]):
                sums[k] += float(v) * n
            sums[-1] += n
    finally:
        model.train(was_training)
    return _epoch_record(sums, names)


def _config(loss_fn, batch_size, lr, grad_clip, seed, shuffle, world_size) -> dict:
    return {
        "loss": loss_fn.name,
        "loss_options": dict(loss_fn.options),
        "batch_size": batch_size,
        "lr": lr,
        "grad_clip": grad_clip,
        "seed": seed,
        "shuffle": shuffle,
        "world_size": world_size,
    }


def fit(
    model: nn.Module,
    train_data,
    *,
    epochs: int,
    batch_size: int = 100,
    lr: float = 1e-3,
    loss: str | TrainingLoss = "mse",
    loss_options: dict | None = None,
    val_data=None,
    grad_clip: float | None = None,
    early_stopping_patience: int | None = None,
    seed: int = 0,
    shuffle: bool = True,
    checkpoint_path: str | os.PathLike | None = None,
    checkpoint_every: int = 1,
    resume: bool = False,
    progress: bool = True,
    num_threads: int | None = DEFAULT_NUM_THREADS,
    device: str | torch.device | None = None,
) -> History:
    r"""Train ``model`` in place with Adam; one loop for every model, loss and process count.

    Each step minimises ``loss(model(input), target)`` averaged over a batch of series, with
    optional gradient-norm clipping.  With ``val_data`` the validation loss (same loss
    function) is computed after every epoch; the model ends with the weights of the best
    validation epoch, and ``early_stopping_patience`` stops the run after that many epochs
    without improvement.

    **Reproducibility.**  ``seed`` seeds ``random``, NumPy and torch when the run starts and
    the shuffling (a permutation drawn from ``seed + epoch``); the model's initial weights
    come from whatever seeded the caller before building it (see :func:`seed_everything`).

    **Checkpoints.**  With ``checkpoint_path`` the model, the optimizer, the epoch, the
    history, the early-stopping state and every RNG state (torch, NumPy, ``random``, the
    DataLoader generator) are written atomically every ``checkpoint_every`` epochs and at
    the end; ``resume=True`` continues from the file bit-identically (2 + 2 epochs give
    exactly the parameters of 4).  Ctrl-C is deferred to the end of the current
    optimisation step, a checkpoint of that point is written, then ``KeyboardInterrupt``
    is re-raised; resuming continues mid-epoch, again bit-identically.

    **Data parallel.**  Launched by ``torchrun --nproc_per_node N`` (which sets ``RANK``,
    ``WORLD_SIZE``, ``LOCAL_RANK``), ``fit`` joins the process group (NCCL when the model
    trains on CUDA, gloo when it trains on the CPU, also on a machine with a GPU), wraps
    the model in ``DistributedDataParallel`` and shards every epoch's
    permutation with a ``DistributedSampler``.  ``batch_size`` is the *global* batch: each
    rank takes ``batch_size / N`` series, and since DDP averages the ranks' gradients of
    their batch means, a step equals the single-process step on the same global batch
    (exactly so when every batch divides evenly, i.e. ``len(train_data)`` is a multiple of
    ``batch_size``).  Only rank 0 writes checkpoints and shows progress; the validation
    loss of rank 0 is broadcast so that every rank takes the same early-stopping decision.

    **Device.**  The model trains on ``device``.  A dataset whose items are rows of two
    tensors (``TensorDataset``, ``ForecastDataset``) is moved there once per run when it
    takes at most a quarter of the device's free memory, and its batches are taken by
    index; other datasets are read item by item through a ``DataLoader``, one batch at a
    time (both give the same run).

    **Threads.**  ``num_threads`` torch and numba threads are used for the run and the
    previous settings restored afterwards.  For the paper's Seq2Seq GRU (batch 100) on
    the 2-core development machine (``python benchmarks/bench_training.py --threads``),
    2 threads made an epoch 7-19% faster when nothing else ran, and 4-8x slower whenever
    another process used a core (both pools then spin against the competitor); hence the
    default of 1.  Pass ``num_threads=2`` (or more) on a dedicated machine.

    Parameters
    ----------
    model : nn.Module
        Maps inputs ``(B, n_in, d)`` to predictions shaped like the targets ``(B, n_out, d)``.
    train_data : Dataset
        Map-style dataset of ``(input, target, ...)`` tuples (extra items are ignored).
    epochs : int >= 1
        Total number of epochs (also when resuming: 2 done + ``epochs=4`` runs 2 more).
    batch_size : int >= 1 (default: 100)
        Global batch size; with N processes it must be a multiple of N.
    lr : float > 0 (default: 1e-3)
        Adam's learning rate.
    loss : str or TrainingLoss (default: "mse")
        A name of :data:`LOSS_NAMES` or the result of :func:`make_loss`.
    loss_options : dict, optional
        Options of a named loss, e.g. ``{"alpha": 0.5, "gamma": 0.01}`` for ``"dilate"``.
    val_data : Dataset, optional
        Validation dataset, same item layout as ``train_data``.
    grad_clip : float > 0, optional
        Maximum total gradient norm (``torch.nn.utils.clip_grad_norm_``).
    early_stopping_patience : int >= 1, optional
        Stop after this many epochs without a lower validation loss (needs ``val_data``).
    seed : int >= 0 (default: 0)
    shuffle : bool (default: True)
    checkpoint_path : str or PathLike, optional
    checkpoint_every : int >= 1 (default: 1)
        Epochs between checkpoints (the last epoch and Ctrl-C always write one).
    resume : bool (default: False)
        Continue from ``checkpoint_path``; the loss, its options, ``batch_size``, ``lr``,
        ``grad_clip``, ``seed``, ``shuffle`` and the process count must match the run that
        wrote it.
    progress : bool (default: True)
        Show a tqdm bar (per epoch, with the loss terms) on rank 0.
    num_threads : int >= 1 or None (default: 1)
        torch intra-op and numba threads during the run; None leaves them alone.
    device : str or torch.device, optional
        Where the model trains (it is moved there).  Default: the device of the model's
        parameters.  Under torchrun, CUDA means ``cuda:LOCAL_RANK``.

    Returns
    -------
    History
        Per-epoch training / validation losses and terms; the model is trained in place.

    Raises
    ------
    FileNotFoundError
        ``resume=True`` and no checkpoint at ``checkpoint_path``.
    FloatingPointError
        The loss became NaN or infinite (the message says at which epoch and batch).
    KeyboardInterrupt
        Re-raised after writing a checkpoint.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> x = torch.randn(40, 6, 1)
    >>> data = TensorDataset(x, 2 * x[:, -3:])
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 3),
    ...                             torch.nn.Unflatten(1, (3, 1)))
    >>> history = fit(model, data, epochs=3, batch_size=10, lr=1e-2, progress=False)
    >>> len(history.train_loss)
    3
    """
    func = "fit"
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"The 'model' parameter of {func} must be a torch.nn.Module. "
            f"Got {type(model).__name__} instead."
        )
    train_data = check.map_dataset(train_data, "train_data", func)
    val_data = check.map_dataset(val_data, "val_data", func, allow_none=True)
    epochs = check.integer(epochs, "epochs", func)
    batch_size = check.integer(batch_size, "batch_size", func)
    lr = check.positive_real(lr, "lr", func)
    grad_clip = check.positive_real(grad_clip, "grad_clip", func, allow_none=True)
    if early_stopping_patience is not None:
        early_stopping_patience = check.integer(
            early_stopping_patience, "early_stopping_patience", func
        )
        if val_data is None:
            raise ValueError(
                "The 'early_stopping_patience' parameter of fit needs validation data. "
                "Got val_data=None; pass val_data or set early_stopping_patience=None."
            )
    seed = check.integer(seed, "seed", func, minimum=0)
    checkpoint_every = check.integer(checkpoint_every, "checkpoint_every", func)
    if num_threads is not None:
        num_threads = check.integer(num_threads, "num_threads", func)
    if resume and checkpoint_path is None:
        raise ValueError(
            "The 'resume' parameter of fit needs a checkpoint_path. Got checkpoint_path=None."
        )
    loss_fn = _resolve_loss(loss, loss_options)

    with thread_count(num_threads):
        # The device the model trains on chooses the backend (gloo for a CPU model, also
        # on a machine with a GPU), so it is known before the group is joined.
        device = _training_device(model, device)
        info = _dist.setup(device)
        device = _rank_device(device, info)
        try:
            with engine_for_run(device):
                history = _run(
                    model,
                    train_data,
                    val_data,
                    loss_fn,
                    info,
                    epochs=epochs,
                    batch_size=batch_size,
                    lr=lr,
                    grad_clip=grad_clip,
                    patience=early_stopping_patience,
                    seed=seed,
                    shuffle=bool(shuffle),
                    checkpoint_path=checkpoint_path,
                    checkpoint_every=checkpoint_every,
                    resume=resume,
                    progress=progress,
                    device=device,
                )
        except BaseException:
            _dist.teardown(info, finished_on=None)
            raise
        _dist.teardown(info, finished_on=device)
        return history


def _run(
    model,
    train_data,
    val_data,
    loss_fn,
    info,
    *,
    epochs,
    batch_size,
    lr,
    grad_clip,
    patience,
    seed,
    shuffle,
    checkpoint_path,
    checkpoint_every,
    resume,
    progress,
    device,
):
    from tqdm.auto import tqdm

    if batch_size % info.world_size:
        raise ValueError(
            f"The 'batch_size' parameter of fit is the global batch and must be a multiple "
            f"of the number of processes ({info.world_size}). Got {batch_size} instead."
        )
    model.to(device)
    config = _config(loss_fn, batch_size, lr, grad_clip, seed, shuffle, info.world_size)

    seed_everything(seed)
    loader_gen = torch.Generator().manual_seed(seed)
    sampler = DistributedSampler(
        train_data, num_replicas=info.world_size, rank=info.rank, shuffle=shuffle, seed=seed
    )
    train_batches = DeviceData(train_data, device)
    val_batches = None if val_data is None else DeviceData(val_data, device)
    local_batch = batch_size // info.world_size
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    es = {"best_val_loss": math.inf, "best_epoch": None, "bad_epochs": 0, "best_state": None}
    start_epoch, skip_batches, partial = 0, 0, None
    names = None  # "loss" + the loss's term names, known after the first batch

    if resume:
        # Read on the CPU: the RNG states must stay CPU tensors; the model and optimizer
        # states are copied to the parameters' device when loaded.
        ckpt = load_checkpoint(checkpoint_path)
        _check_compatible(ckpt, config, checkpoint_path)
        try:
            model.load_state_dict(ckpt["model"])
        except RuntimeError as exc:
            raise ValueError(
                f"The checkpoint {str(checkpoint_path)!r} does not fit this model: {exc}"
            ) from exc
        try:
            optimizer.load_state_dict(ckpt["optimizer"])
            history = History.from_dict(ckpt["history"])
            set_rng_state(ckpt["rng"], loader_gen)
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise ValueError(
                f"{str(checkpoint_path)!r} is a damaged tsgrad training checkpoint "
                f"({type(exc).__name__}: {exc}). Start a new run instead of resuming."
            ) from exc
        es = ckpt["early_stopping"]
        start_epoch, skip_batches, partial = ckpt["epoch"], ckpt["batch"], ckpt["partial"]
        names = ckpt["names"]

    net = model
    if info.enabled:
        ids = [device.index] if device.type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def write(epoch_done: int, batch_done: int, sums, loader_state):
        if checkpoint_path is None or not info.is_main:
            return
        rng = rng_state(loader_gen)
        rng["loader"] = loader_state
        save_checkpoint(
            {
                "format_version": FORMAT_VERSION,
                "config": config,
                "epoch": epoch_done,
                "batch": batch_done,
                "partial": sums,
                "names": names,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "history": history.to_dict(),
                "early_stopping": es,
                "rng": rng,
            },
            checkpoint_path,
        )

    bar = tqdm(
        total=epochs,
        initial=min(start_epoch, epochs),
        desc=f"fit[{loss_fn.name}]",
        unit="epoch",
        disable=not (progress and info.is_main),
        leave=False,
    )
    try:
        with _DeferredInterrupt() as interrupt:
            for epoch in range(start_epoch, epochs):
                if history.stopped_early:
                    break
                t0 = time.perf_counter()
                sampler.set_epoch(epoch)
                epoch_loader_state = loader_gen.get_state()
                sums = partial
                net.train()
                # The epoch's order first, so that resuming mid-epoch skips the done batches
                # without loading them (loading may draw random numbers: augmentation).
                batches = train_batches.batches(
                    list(sampler), local_batch, skip=skip_batches, generator=loader_gen
                )
                for b, (x, y) in enumerate(batches, start=skip_batches):
                    pred = net(x)
                    if sums is None:
                        _check_prediction(pred, y, "training data")
                    value, terms = loss_fn(pred, y)
                    if not bool(torch.isfinite(value)):
                        raise FloatingPointError(
                            f"The {loss_fn.name!r} loss is {float(value.detach())} at epoch "
                            f"{epoch + 1}, batch {b + 1}. Try a lower 'lr' or set 'grad_clip'."
                        )
                    optimizer.zero_grad(set_to_none=True)
                    value.backward()
                    if grad_clip is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                    optimizer.step()
                    if names is None:
                        names = ["loss", *terms]
                    if sums is None:
                        sums = [0.0] * (len(names) + 1)
                    n = y.shape[0]
                    for k, v in enumerate([value.detach(), *terms.values()]):
                        sums[k] += float(v) * n
                    sums[-1] += n
                    if interrupt.requested:
                        write(epoch, b + 1, sums, epoch_loader_state)
                        raise KeyboardInterrupt
                skip_batches, partial = 0, None
                history.train.append(_epoch_record(_dist.all_sum(sums, info, device), names))
                postfix = {k: f"{v:.4g}" for k, v in history.train[-1].items()}
                if val_data is not None:
                    val = _validate(model, loss_fn, val_batches, batch_size, names)
                    vals = _dist.broadcast_from_main(list(val.values()), info, device)
                    history.val.append(dict(zip(val, vals, strict=True)))
                    _early_stopping_update(es, history, epoch, model, patience)
                    postfix["val"] = f"{history.val[-1]['loss']:.4g}"
                history.seconds.append(time.perf_counter() - t0)
                done = epoch + 1
                last = done == epochs or history.stopped_early
                if done % checkpoint_every == 0 or last or interrupt.requested:
                    write(done, 0, None, loader_gen.get_state())
                bar.set_postfix(postfix)
                bar.update(1)
                if interrupt.requested:
                    raise KeyboardInterrupt
    finally:
        bar.close()
    if es["best_state"] is not None:
        model.load_state_dict(es["best_state"])
    return history


def _early_stopping_update(es, history, epoch, model, patience):
    loss = history.val[-1]["loss"]
    if loss < es["best_val_loss"]:
        es["best_val_loss"], es["best_epoch"], es["bad_epochs"] = loss, epoch + 1, 0
        es["best_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    else:
        es["bad_epochs"] += 1
    history.best_epoch = es["best_epoch"]
    history.best_val_loss = es["best_val_loss"]
    if patience is not None and es["bad_epochs"] >= patience:
        history.stopped_early = True


# The entries of a training checkpoint and their types (written by fit's ``write``).
_CHECKPOINT_KEYS = {
    "config": dict,
    "epoch": int,
    "batch": int,
    "partial": (list, type(None)),
    "names": (list, type(None)),
    "model": dict,
    "optimizer": dict,
    "history": dict,
    "early_stopping": dict,
    "rng": dict,
}
_EARLY_STOPPING_KEYS = ("best_val_loss", "best_epoch", "bad_epochs", "best_state")


def _check_compatible(ckpt: dict, config: dict, path) -> None:
    """A complete checkpoint of this format, written by a run with the same settings."""
    if not isinstance(ckpt, dict) or ckpt.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{str(path)!r} is not a tsgrad training checkpoint (format version {FORMAT_VERSION})."
        )
    missing = [repr(k) for k in _CHECKPOINT_KEYS if k not in ckpt]
    wrong = [
        f"{k!r} ({type(ckpt[k]).__name__})"
        for k, kind in _CHECKPOINT_KEYS.items()
        if k in ckpt and (not isinstance(ckpt[k], kind) or isinstance(ckpt[k], bool))
    ]
    if not missing and not wrong:
        es = ckpt["early_stopping"]
        missing = [f"early_stopping[{k!r}]" for k in _EARLY_STOPPING_KEYS if k not in es]
    if missing or wrong:
        what = "; ".join(
            ([f"missing {', '.join(missing)}"] if missing else [])
            + ([f"wrong type of {', '.join(wrong)}"] if wrong else [])
        )
        raise ValueError(
            f"{str(path)!r} is not a complete tsgrad training checkpoint ({what}). "
            "Start a new run instead of resuming."
        )
    diff = [
        f"{k}: checkpoint {ckpt['config'].get(k)!r}, now {v!r}"
        for k, v in config.items()
        if ckpt["config"].get(k) != v
    ]
    if diff:
        raise ValueError(
            f"Cannot resume from {str(path)!r}: the run's settings differ ("
            + "; ".join(diff)
            + "). Use the original settings or start a new run."
        )
