"""The training layer on the real stack: tsgrad.data, tsgrad.models, tsgrad.losses."""

import pytest
import torch

from tsgrad import data, models
from tsgrad.training import METRIC_NAMES, evaluate, fit, seed_everything

SMALL = {
    "seq2seq": {"hidden_size": 16},
    "mlp": {"hidden_size": 16},
    "node": {"latent_size": 8, "encoder_hidden_size": 16, "ode_hidden_size": 16},
}
LOSSES = [
    ("mse", None),
    ("soft_dtw", {"gamma": 0.01}),
    ("soft_dtw_divergence", {"gamma": 0.01}),
    ("dilate", {"alpha": 0.5, "gamma": 0.01}),
]


@pytest.fixture(scope="module")
def splits():
    return data.synthetic_step_datasets(48, 20, 20, 0.01, seed=0, val_fraction=0.25)


def _model(name):
    seed_everything(0)
    return models.build_model(
        name, input_size=1, output_size=1, input_len=20, horizon=20, **SMALL[name]
    )


@pytest.mark.parametrize("loss", LOSSES, ids=[c[0] for c in LOSSES])
@pytest.mark.parametrize("name", list(SMALL))
def test_each_model_with_each_loss_reduces_the_training_loss(splits, name, loss):
    model = _model(name)
    history = fit(
        model,
        splits.train,
        loss=loss[0],
        loss_options=loss[1],
        epochs=4,
        batch_size=12,
        lr=1e-2,
        progress=False,
    )
    first, last = history.train_loss[0], history.train_loss[-1]
    assert last < first - 0.03 * abs(first)


def test_early_stopping_and_evaluation_on_the_synthetic_steps(splits):
    model = _model("mlp")
    history = fit(
        model,
        splits.train,
        val_data=splits.val,
        loss="dilate",
        epochs=30,
        batch_size=12,
        lr=1e-2,
        early_stopping_patience=2,
        progress=False,
    )
    assert history.best_epoch is not None and history.epochs_run <= 30
    if history.stopped_early:
        assert history.epochs_run == history.best_epoch + 2
    m = evaluate(model, splits.test)
    assert list(m) == list(METRIC_NAMES)
    assert all(v >= 0.0 and v == v for v in m.values())


def test_evaluating_the_targets_themselves_gives_zeros(splits):
    test = splits.test
    targets = torch.stack([test[i][1] for i in range(len(test))])

    class Oracle(torch.nn.Module):
        def forward(self, x):
            return targets[: x.shape[0]]

    m = evaluate(Oracle(), test)
    assert m == dict.fromkeys(METRIC_NAMES, 0.0)


def test_resume_is_bit_identical_with_the_seq2seq_gru_and_dilate(splits, tmp_path):
    kw = {"loss": "dilate", "batch_size": 12, "lr": 1e-2, "progress": False}
    straight = _model("seq2seq")
    fit(straight, splits.train, epochs=2, **kw)
    resumed = _model("seq2seq")
    path = tmp_path / "ckpt.pt"
    fit(resumed, splits.train, epochs=1, checkpoint_path=path, **kw)
    fit(resumed, splits.train, epochs=2, checkpoint_path=path, resume=True, **kw)
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(p, q)
