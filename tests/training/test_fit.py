"""fit: each loss learns, early stopping, clipping, seeds, errors."""

import math

import pytest
import torch

from tsgrad.training import History, fit, make_loss, seed_everything

from ._helpers import make_model, params, step_dataset

LOSS_CASES = [
    ("mse", None),
    ("soft_dtw", {"gamma": 0.1}),
    ("soft_dtw_divergence", {"gamma": 0.1}),
    ("dilate", {"alpha": 0.5, "gamma": 0.01}),
]


@pytest.mark.parametrize(("loss", "options"), LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_a_few_epochs_reduce_the_training_loss(loss, options):
    model = make_model()
    data = step_dataset(64)
    history = fit(
        model,
        data,
        loss=loss,
        loss_options=options,
        epochs=6,
        batch_size=16,
        lr=1e-2,
        progress=False,
    )
    assert history.epochs_run == 6
    first, last = history.train_loss[0], history.train_loss[-1]
    assert last < first - 0.1 * abs(first)
    # the logged terms are there, per epoch
    expected = {
        "mse": ["mse"],
        "soft_dtw": ["soft_dtw"],
        "soft_dtw_divergence": ["soft_dtw_divergence"],
        "dilate": ["shape", "temporal"],
    }[loss]
    assert list(history.train[-1]) == ["loss", *expected]


def test_dilate_epoch_loss_is_the_weighted_sum_of_its_terms():
    history = fit(
        make_model(),
        step_dataset(40),
        loss="dilate",
        loss_options={"alpha": 0.25, "gamma": 0.01},
        epochs=2,
        batch_size=16,
        progress=False,
    )
    for r in history.train:  # 40 = 16 + 16 + 8: a weighted mean over unequal batches
        assert r["loss"] == pytest.approx(0.25 * r["shape"] + 0.75 * r["temporal"], rel=1e-5)


def test_epoch_loss_is_the_mean_over_series():
    # lr tiny -> parameters barely move: the epoch mean equals the full-data MSE.
    model = make_model()
    data = step_dataset(40)
    x, y = data.tensors[0], data.tensors[1]
    with torch.no_grad():
        full = ((model(x) - y) ** 2).mean().item()
    history = fit(model, data, epochs=1, batch_size=16, lr=1e-12, shuffle=False, progress=False)
    assert history.train_loss[0] == pytest.approx(full, rel=1e-5)


def test_same_seed_gives_identical_runs_and_other_seed_differs():
    data = step_dataset(48)
    runs = []
    for seed in (3, 3, 4):
        seed_everything(seed)  # the model's initial weights
        model = make_model(seed=seed)
        h = fit(model, data, epochs=3, batch_size=16, lr=1e-2, seed=seed, progress=False)
        runs.append((params(model), h.train_loss))
    assert all(torch.equal(a, b) for a, b in zip(runs[0][0], runs[1][0], strict=True))
    assert runs[0][1] == runs[1][1]
    assert runs[0][1] != runs[2][1]


def test_shuffling_depends_on_the_seed_only_through_fit():
    data = step_dataset(48)
    a, b = make_model(), make_model()
    fit(a, data, epochs=2, batch_size=16, seed=1, progress=False)
    torch.manual_seed(12345)  # global state before fit must not matter: fit seeds
    fit(b, data, epochs=2, batch_size=16, seed=1, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(params(a), params(b), strict=True))


class _MemorizeThenOverfit(torch.nn.Module):
    """Validation loss improves for `good` epochs then gets worse (independent of data)."""

    def __init__(self, good):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(()))
        self.good = good

    def forward(self, x):
        return torch.zeros(x.shape[0], 6, 1) + self.w


def test_early_stopping_stops_and_restores_the_best_weights():
    data = step_dataset(32)
    # Train on a set whose targets are all 5; validate on a set whose targets are 0.
    train = torch.utils.data.TensorDataset(data.tensors[0], torch.full((32, 6, 1), 5.0))
    val = torch.utils.data.TensorDataset(data.tensors[0], torch.zeros(32, 6, 1))
    model = _MemorizeThenOverfit(good=0)
    history = fit(
        model,
        train,
        val_data=val,
        epochs=50,
        batch_size=32,
        lr=0.1,
        early_stopping_patience=3,
        progress=False,
    )
    # w moves from 0 towards 5 monotonically: the validation loss w^2 is best at epoch 1.
    assert history.stopped_early and history.epochs_run == 4
    assert history.best_epoch == 1
    assert history.best_val_loss == pytest.approx(history.val_loss[0])
    assert model.w.item() == pytest.approx(math.sqrt(history.val_loss[0]), rel=1e-6)
    assert history.val_loss == sorted(history.val_loss)


def test_validation_without_patience_runs_all_epochs_and_restores_best():
    data = step_dataset(32)
    train = torch.utils.data.TensorDataset(data.tensors[0], torch.full((32, 6, 1), 5.0))
    val = torch.utils.data.TensorDataset(data.tensors[0], torch.zeros(32, 6, 1))
    model = _MemorizeThenOverfit(good=0)
    history = fit(model, train, val_data=val, epochs=5, batch_size=32, lr=0.1, progress=False)
    assert not history.stopped_early and history.epochs_run == 5 and history.best_epoch == 1
    assert model.w.item() == pytest.approx(math.sqrt(history.val_loss[0]), rel=1e-6)


def test_gradient_clipping_bounds_the_step():
    # One Adam step moves each parameter by ~lr whatever the gradient scale, so test the
    # clipping itself with SGD-like evidence: the clipped gradient norm seen by the optimizer.
    data = step_dataset(16)
    norms = []

    class Spy(torch.optim.Adam):
        def step(self, closure=None):
            g = torch.cat([p.grad.flatten() for grp in self.param_groups for p in grp["params"]])
            norms.append(g.norm().item())
            return super().step(closure)

    original = torch.optim.Adam
    torch.optim.Adam = Spy
    try:
        fit(make_model(), data, epochs=1, batch_size=16, grad_clip=1e-3, progress=False)
        fit(make_model(), data, epochs=1, batch_size=16, progress=False)
    finally:
        torch.optim.Adam = original
    assert norms[0] == pytest.approx(1e-3, rel=1e-4)
    assert norms[1] > 1e-2


def test_history_round_trips_through_a_dict():
    history = fit(
        make_model(),
        step_dataset(16),
        val_data=step_dataset(8, seed=1),
        epochs=2,
        batch_size=8,
        progress=False,
    )
    again = History.from_dict(history.to_dict())
    assert again == history and again.val_loss == history.val_loss


@pytest.mark.parametrize("threads", [1, 2])
def test_threads_are_set_for_the_run_and_restored(threads):
    import numba

    seen = []

    class Probe(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = make_model()

        def forward(self, x):
            seen.append((torch.get_num_threads(), numba.get_num_threads()))
            return self.inner(x)

    model, data = Probe(), step_dataset(8)
    # measured here: torch's first operations may change its OpenMP count on their own
    before = torch.get_num_threads(), numba.get_num_threads()
    fit(model, data, epochs=1, batch_size=8, num_threads=threads, progress=False)
    expected = min(threads, numba.config.NUMBA_NUM_THREADS)
    assert seen == [(threads, expected)]
    assert (torch.get_num_threads(), numba.get_num_threads()) == before


def test_progress_bar_shows_the_loss_terms(capsys):
    fit(make_model(), step_dataset(16), loss="dilate", epochs=1, batch_size=8, progress=True)
    err = capsys.readouterr().err
    assert "fit[dilate]" in err and "shape=" in err and "temporal=" in err


def test_non_finite_loss_is_explained():
    data = step_dataset(16)
    bad = torch.utils.data.TensorDataset(data.tensors[0], torch.full((16, 6, 1), math.nan))
    with pytest.raises(FloatingPointError, match="epoch 1, batch 1.*lower 'lr'"):
        fit(make_model(), bad, epochs=1, batch_size=8, progress=False)


def test_prediction_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match="target's shape \\(8, 6, 1\\).*Got \\(8, 5, 1\\)"):
        fit(make_model(n_out=5), step_dataset(8), epochs=1, batch_size=8, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "'epochs' parameter of fit must be an integer >= 1. Got 0"),
        ({"batch_size": 2.5}, TypeError, "'batch_size'.*Got float 2.5"),
        ({"lr": -1.0}, ValueError, "'lr'.*> 0.*Got -1.0"),
        ({"grad_clip": 0}, ValueError, "'grad_clip'.*or None"),
        ({"early_stopping_patience": 2}, ValueError, "needs validation data"),
        ({"loss": "l1"}, ValueError, "must be one of 'mse'"),
        ({"loss": make_loss("mse"), "loss_options": {"a": 1}}, ValueError, "must be None"),
        ({"loss": torch.nn.MSELoss()}, TypeError, "loss name \\(str\\) or a TrainingLoss"),
        ({"resume": True}, ValueError, "needs a checkpoint_path"),
        ({"seed": -1}, ValueError, "'seed'.*>= 0"),
        ({"num_threads": 0}, ValueError, "'num_threads'"),
    ],
    ids=[
        "epochs",
        "batch_size",
        "lr",
        "grad_clip",
        "patience-no-val",
        "loss-name",
        "loss-options-with-object",
        "loss-type",
        "resume-no-path",
        "seed",
        "threads",
    ],
)
def test_bad_arguments(kwargs, error, match):
    kwargs = {"epochs": 1, **kwargs}
    with pytest.raises(error, match=match):
        fit(make_model(), step_dataset(8), progress=False, **kwargs)


def test_bad_data():
    with pytest.raises(TypeError, match="'train_data' parameter of fit must be a map-style"):
        fit(make_model(), iter([1, 2]), epochs=1, progress=False)
    with pytest.raises(TypeError, match="items of the training data of fit must be"):
        fit(make_model(), torch.zeros(3), epochs=1, progress=False)
    with pytest.raises(ValueError, match="'train_data'.*must not be empty"):
        fit(make_model(), [], epochs=1, progress=False)
    with pytest.raises(TypeError, match="'model' parameter of fit"):
        fit(lambda x: x, step_dataset(8), epochs=1, progress=False)
