"""Checkpoints: atomic writes, bit-identical resume (between and inside epochs)."""

import os
import signal

import pytest
import torch

from tsgrad.training import _checkpoint as checkpoint_module
from tsgrad.training import fit, load_checkpoint, save_checkpoint

from ._helpers import NoisyDataset, make_model, params, step_dataset


def _setup():
    """A run that consumes every generator: dropout (torch), data noise (random, NumPy)."""
    train = NoisyDataset(step_dataset(40))
    val = step_dataset(16, seed=1)
    return train, val, make_model(dropout=0.3)


KW = {
    "batch_size": 16,
    "lr": 1e-2,
    "loss": "mse",
    "grad_clip": 1.0,
    "seed": 7,
    "early_stopping_patience": 10,
    "progress": False,
}


def _assert_same(a, b):
    assert all(torch.equal(p, q) for p, q in zip(params(a), params(b), strict=True))


def _same_history(h1, h2):
    return h1.train == h2.train and h1.val == h2.val and h1.best_epoch == h2.best_epoch


def test_resume_between_epochs_is_bit_identical(tmp_path):
    train, val, straight = _setup()
    h_straight = fit(straight, train, val_data=val, epochs=4, **KW)

    path = tmp_path / "run" / "ckpt.pt"
    _, _, resumed = _setup()
    fit(resumed, train, val_data=val, epochs=2, checkpoint_path=path, **KW)
    assert load_checkpoint(path)["epoch"] == 2
    h_resumed = fit(resumed, train, val_data=val, epochs=4, checkpoint_path=path, resume=True, **KW)
    _assert_same(straight, resumed)
    assert _same_history(h_straight, h_resumed)
    # and the optimizer state matches too: one more epoch from each stays identical
    assert load_checkpoint(path)["epoch"] == 4


class _InterruptAt(torch.nn.Module):
    """Sends this process SIGINT (Ctrl-C) during its `at`-th forward call in training mode."""

    def __init__(self, inner, at):
        super().__init__()
        self.inner, self.at, self.calls = inner, at, 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                os.kill(os.getpid(), signal.SIGINT)
        return self.inner(x)


def test_ctrl_c_writes_a_checkpoint_then_resume_is_bit_identical(tmp_path):
    train, val, straight = _setup()
    fit(straight, train, val_data=val, epochs=3, **KW)

    path = tmp_path / "ckpt.pt"
    _, _, inner = _setup()
    # 40 series / 16 = 3 batches per epoch: call 5 is the 2nd batch of the 2nd epoch.
    model = _InterruptAt(inner, at=5)
    # The handler in place before fit (Python's default, or SIG_IGN when the tests run in
    # a background job) must be back afterwards.
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        fit(model, train, val_data=val, epochs=3, checkpoint_path=path, **KW)
    ckpt = load_checkpoint(path)
    assert (ckpt["epoch"], ckpt["batch"]) == (1, 2)  # the step in flight was completed
    assert signal.getsignal(signal.SIGINT) is before  # handler restored

    model.at = -1
    fit(model, train, val_data=val, epochs=3, checkpoint_path=path, resume=True, **KW)
    _assert_same(straight, inner)


def test_resuming_a_finished_run_changes_nothing(tmp_path):
    train, val, model = _setup()
    path = tmp_path / "ckpt.pt"
    h1 = fit(model, train, val_data=val, epochs=2, checkpoint_path=path, **KW)
    before = params(model)
    h2 = fit(model, train, val_data=val, epochs=2, checkpoint_path=path, resume=True, **KW)
    assert all(torch.equal(p, q) for p, q in zip(before, params(model), strict=True))
    assert _same_history(h1, h2)


def test_checkpoint_every(tmp_path):
    train, _, model = _setup()
    path = tmp_path / "ckpt.pt"
    fit(
        model,
        train,
        epochs=3,
        checkpoint_path=path,
        checkpoint_every=2,
        **{k: v for k, v in KW.items() if k != "early_stopping_patience"},
    )
    assert load_checkpoint(path)["epoch"] == 3  # the last epoch is always written


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"lr": 0.5}, "lr: checkpoint 0.01, now 0.5"),
        ({"loss": "dilate"}, "loss: checkpoint 'mse', now 'dilate'"),
        ({"batch_size": 8}, "batch_size"),
    ],
    ids=["lr", "loss", "batch_size"],
)
def test_resume_with_other_settings_is_refused(tmp_path, change, match):
    train, val, model = _setup()
    path = tmp_path / "ckpt.pt"
    fit(model, train, val_data=val, epochs=1, checkpoint_path=path, **KW)
    with pytest.raises(ValueError, match=f"Cannot resume.*{match}"):
        fit(
            model,
            train,
            val_data=val,
            epochs=2,
            checkpoint_path=path,
            resume=True,
            **{**KW, **change},
        )


def test_resume_errors(tmp_path):
    train, _, model = _setup()
    with pytest.raises(FileNotFoundError, match="No checkpoint at"):
        fit(
            model,
            train,
            epochs=1,
            checkpoint_path=tmp_path / "missing.pt",
            resume=True,
            progress=False,
        )
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable tsgrad checkpoint"):
        fit(model, train, epochs=1, checkpoint_path=bad, resume=True, progress=False)
    other = tmp_path / "other.pt"
    save_checkpoint({"epoch": 1}, other)
    with pytest.raises(ValueError, match="not a tsgrad training checkpoint"):
        fit(model, train, epochs=1, checkpoint_path=other, resume=True, progress=False)


def test_resume_into_another_architecture_is_explained(tmp_path):
    train, _, model = _setup()
    path = tmp_path / "ckpt.pt"
    kw = {k: v for k, v in KW.items() if k != "early_stopping_patience"}
    fit(model, train, epochs=1, checkpoint_path=path, **kw)
    with pytest.raises(ValueError, match="does not fit this model"):
        fit(make_model(hidden=5), train, epochs=2, checkpoint_path=path, resume=True, **kw)


@pytest.mark.parametrize(
    "failure", [OSError("disk full"), KeyboardInterrupt()], ids=["crash", "ctrl-c"]
)
def test_a_write_interrupted_midway_leaves_the_old_checkpoint_intact(
    tmp_path, monkeypatch, failure
):
    path = tmp_path / "ckpt.pt"
    save_checkpoint({"epoch": 1, "w": torch.arange(5.0)}, path)
    original_save = torch.save

    def crash_midway(obj, f):
        original_save(obj, f)
        f.truncate(10)  # half-written file ...
        raise failure  # ... then the crash

    monkeypatch.setattr(checkpoint_module.torch, "save", crash_midway)
    with pytest.raises(type(failure)):
        save_checkpoint({"epoch": 2, "w": torch.zeros(5)}, path)
    monkeypatch.undo()
    old = load_checkpoint(path)
    assert old["epoch"] == 1 and torch.equal(old["w"], torch.arange(5.0))
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # no temporary file left behind


def test_a_crash_before_the_rename_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_checkpoint({"epoch": 1}, path)

    def no_rename(src, dst):
        raise OSError("killed before the rename")

    monkeypatch.setattr(checkpoint_module.os, "replace", no_rename)
    with pytest.raises(OSError, match="killed"):
        save_checkpoint({"epoch": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_writes_next_to_the_target_then_renames(tmp_path, monkeypatch):
    calls = []
    original = os.replace

    def spy(src, dst):
        calls.append((os.path.dirname(src), os.fspath(dst)))
        return original(src, dst)

    monkeypatch.setattr(checkpoint_module.os, "replace", spy)
    save_checkpoint({"epoch": 1}, tmp_path / "ckpt.pt")
    assert calls == [(str(tmp_path), str(tmp_path / "ckpt.pt"))]


def _complete_checkpoint(tmp_path):
    train, _, model = _setup()
    path = tmp_path / "ckpt.pt"
    kw = {k: v for k, v in KW.items() if k != "early_stopping_patience"}
    fit(model, train, epochs=1, checkpoint_path=path, **kw)
    return train, model, path, kw


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda c: {"format_version": 1},
         r"not a complete tsgrad training checkpoint \(missing 'config', 'epoch', 'batch', "
         r"'partial', 'names', 'model', 'optimizer', 'history', 'early_stopping', 'rng'\)"),
        (lambda c: {**c, "epoch": "2"}, r"not a complete .*wrong type of 'epoch' \(str\)"),
        (lambda c: {**c, "early_stopping": {}},
         r"not a complete .*missing early_stopping\['best_val_loss'\]"),
        (lambda c: {**c, "history": {"train": []}}, r"damaged tsgrad training checkpoint"),
        (lambda c: {**c, "rng": {}}, r"damaged tsgrad training checkpoint"),
    ],
    ids=["only-the-version", "wrong-type", "early-stopping-keys", "history", "rng"],
)  # fmt: skip
def test_an_incomplete_checkpoint_is_a_clear_value_error(tmp_path, damage, match):
    train, model, path, kw = _complete_checkpoint(tmp_path)
    save_checkpoint(damage(load_checkpoint(path)), path)
    with pytest.raises(ValueError, match=match) as info:
        fit(model, train, epochs=2, checkpoint_path=path, resume=True, **kw)
    assert str(path) in str(info.value) and "Start a new run instead of resuming" in str(info.value)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=["022", "077", "002"])
def test_a_checkpoint_gets_the_mode_open_gives_under_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        save_checkpoint({"epoch": 1}, tmp_path / "ckpt.pt")
        with open(tmp_path / "plain", "w"):
            pass
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"ckpt.pt": 0o666 & ~umask, "plain": 0o666 & ~umask}
