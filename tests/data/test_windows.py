"""Sliding windows (chronological splits, train-only scaling) and fixed-length pairs."""

import numpy as np
import pytest
import torch

from tsgrad.data import StandardScaler, fixed_length_pairs, make_windows


def _ramp(n_steps, d):
    """Channel c at time t holds 1000 * c + t: every value names its own time step."""
    return np.arange(n_steps)[:, None] + 1000.0 * np.arange(d)[None, :]


@pytest.mark.parametrize("d", [1, 3], ids=["univariate", "three-channels"])
@pytest.mark.parametrize("stride", [1, 4], ids=["stride1", "stride4"])
def test_windows_shapes_and_contents(d, stride):
    series = _ramp(200, d)
    splits = make_windows(series, input_len=12, horizon=6, stride=stride)
    for part in (splits.train, splits.val, splits.test):
        assert part.inputs.shape[1:] == (12, d) and part.targets.shape[1:] == (6, d)
        start = part.inputs[:, 0, 0]
        # Inputs are consecutive and the targets follow them directly.
        expected_in = start[:, None] + torch.arange(12.0)
        expected_out = start[:, None] + 12 + torch.arange(6.0)
        assert torch.equal(part.inputs[:, :, 0], expected_in)
        assert torch.equal(part.targets[:, :, 0], expected_out)
        if d == 3:
            assert torch.equal(part.inputs[:, :, 2], part.inputs[:, :, 0] + 2000)
        assert torch.all(torch.diff(start) == stride)
    assert splits.scaler is None


def test_windows_split_is_chronological_without_target_leakage():
    splits = make_windows(np.arange(100.0), input_len=10, horizon=5, val_fraction=0.1)
    # Cuts at t1 = 70, t2 = 80 (test_fraction 0.2).
    assert splits.train.targets.max() < 70
    assert splits.val.targets.min() >= 70 and splits.val.targets.max() < 80
    assert splits.test.targets.min() >= 80 and splits.test.targets.max() == 99
    assert (len(splits.train), len(splits.val), len(splits.test)) == (56, 6, 16)


def test_windows_without_validation():
    splits = make_windows(np.arange(100.0), input_len=10, horizon=5, val_fraction=0.0)
    assert splits.val is None and splits.train.targets.max() < 80


def test_scaling_is_fitted_on_train_only_and_inverts():
    rng = np.random.default_rng(0)
    series = np.concatenate([rng.normal(5.0, 2.0, size=(300, 2)), rng.normal(50.0, 9.0, (100, 2))])
    splits = make_windows(
        series, input_len=8, horizon=4, val_fraction=0.1, test_fraction=0.15, scale=True
    )
    scaler = splits.scaler
    t1 = 400 - 40 - 60
    np.testing.assert_allclose(scaler.mean, series[:t1].mean(axis=0))
    np.testing.assert_allclose(scaler.scale, series[:t1].std(axis=0))
    restored = scaler.inverse_transform(splits.test.targets.double())
    first_target = 400 - 60  # the first test window's targets start at t2
    np.testing.assert_allclose(
        restored[0].numpy(), series[first_target : first_target + 4], rtol=1e-6
    )
    # numpy round trip is exact up to rounding; torch keeps dtype and gradients.
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(series)), series)
    x = torch.ones(3, 4, 2, requires_grad=True)
    scaler.inverse_transform(x).sum().backward()
    np.testing.assert_allclose(x.grad[0, 0].numpy(), scaler.scale)


def test_scaler_constant_channel():
    scaler = StandardScaler.fit(np.ones((5, 1)))
    assert scaler.scale.tolist() == [1.0]
    assert scaler.transform(np.ones((2, 1))).tolist() == [[0.0], [0.0]]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_len": 0, "horizon": 5}, ValueError, "'input_len'"),
        ({"input_len": 10, "horizon": 5, "stride": 1.0}, TypeError, "'stride'"),
        (
            {"input_len": 10, "horizon": 5, "val_fraction": 0.5, "test_fraction": 0.5},
            ValueError,
            "sum to < 1",
        ),
        ({"input_len": 80, "horizon": 5}, ValueError, "train part .* holds no window"),
        ({"input_len": 10, "horizon": 5, "scale": "yes"}, TypeError, "'scale'"),
    ],
    ids=["zero-input-len", "float-stride", "fractions-sum", "window-too-long", "scale-not-bool"],
)
def test_windows_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_windows(np.arange(100.0), **kwargs)


def test_windows_refuse_nan():
    series = np.arange(100.0)
    series[42] = np.nan
    with pytest.raises(ValueError, match="time step 42"):
        make_windows(series, input_len=10, horizon=5)


def test_fixed_length_pairs_split_is_seeded_disjoint_and_complete():
    values = np.arange(50 * 30, dtype=np.float64).reshape(50, 30)  # row r starts at 30 r
    a = fixed_length_pairs(values, input_len=20, horizon=6, seed=1)
    b = fixed_length_pairs(values, input_len=20, horizon=6, seed=1)
    c = fixed_length_pairs(values, input_len=20, horizon=6, seed=2)
    assert (len(a.train), len(a.val), len(a.test)) == (30, 10, 10)
    assert torch.equal(a.test.inputs, b.test.inputs) and not torch.equal(
        a.test.inputs, c.test.inputs
    )
    rows = [part.inputs[:, 0, 0].numpy() / 30 for part in (a.train, a.val, a.test)]
    assert sorted(np.concatenate(rows).tolist()) == list(range(50))
    # First 20 points in, last 6 out (points 20..23 unused).
    assert torch.equal(a.train.targets[:, 0, 0] - a.train.inputs[:, 0, 0], torch.full((30,), 24.0))


def test_fixed_length_pairs_multichannel_and_bad_lengths():
    values = np.zeros((10, 30, 2))
    splits = fixed_length_pairs(
        values, input_len=10, horizon=20, val_fraction=0.0, test_fraction=0.3
    )
    assert splits.val is None and splits.train.inputs.shape == (7, 10, 2)
    with pytest.raises(ValueError, match="at most the series length 30"):
        fixed_length_pairs(values, input_len=20, horizon=11)
