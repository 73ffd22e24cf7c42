"""The synthetic step data set against the reference checksums and a global-random oracle."""

import random

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from tsgrad.data import ForecastDataset, generate_synthetic_steps, synthetic_step_datasets


def _global_random_oracle(n, n_input, n_output, sigma, seed):
    """The generator as the paper's code runs it: on the *global* random state."""
    random.seed(seed)
    series, breakpoints = [], []
    for _ in range(2 * n):
        row = np.array([sigma * random.random() for _ in range(n_input + n_output)])
        i1 = random.randint(1, 10)
        i2 = random.randint(10, 18)
        j1 = random.random()
        j2 = random.random()
        interval = abs(i2 - i1) + random.randint(-3, 3)
        row[i1] += j1
        row[i2] += j2
        row[i2 + interval :] += j2 - j1
        series.append(row)
        breakpoints.append(i2 + interval)
    return np.stack(series), np.array(breakpoints)


@pytest.fixture(scope="module")
def paper_data():
    return generate_synthetic_steps(500, 20, 20, 0.01, seed=0)


def test_checksums_of_the_reference(paper_data):
    assert paper_data.train_target.sum() == pytest.approx(-171.977146, abs=1e-6)
    assert paper_data.test_input.sum() == pytest.approx(504.908478, abs=1e-6)


def test_first_breakpoints_of_the_reference(paper_data):
    assert paper_data.train_breakpoints[:3].tolist() == [35, 17, 34]
    assert paper_data.test_breakpoints[:3].tolist() == [26, 29, 24]


def test_shapes_and_dtypes(paper_data):
    for name in ("train_input", "train_target", "test_input", "test_target"):
        array = getattr(paper_data, name)
        assert array.shape == (500, 20) and array.dtype == np.float64
    assert paper_data.train_breakpoints.shape == (500,)
    assert paper_data.train_breakpoints.dtype == np.int64


@pytest.mark.parametrize(
    ("n", "n_input", "n_output", "sigma", "seed"),
    [(500, 20, 20, 0.01, 0), (30, 12, 9, 0.1, 7), (5, 40, 30, 0.0, 123)],
    ids=["paper", "short-noisy", "long-noiseless"],
)
def test_bit_identical_to_global_random(n, n_input, n_output, sigma, seed):
    state = random.getstate()
    data = generate_synthetic_steps(n, n_input, n_output, sigma, seed=seed)
    assert random.getstate() == state  # the global stream is neither read nor advanced
    series, breakpoints = _global_random_oracle(n, n_input, n_output, sigma, seed)
    ours = np.concatenate(
        [
            np.concatenate([data.train_input, data.train_target], axis=1),
            np.concatenate([data.test_input, data.test_target], axis=1),
        ]
    )
    np.testing.assert_array_equal(ours, series)
    np.testing.assert_array_equal(
        np.concatenate([data.train_breakpoints, data.test_breakpoints]), breakpoints
    )


def test_breakpoint_is_where_the_level_changes(paper_data):
    """Apart from the two spikes (at i1 and i2), the series is noise in [0, 0.01) before the
    breakpoint and a constant level j2 - j1 plus such noise from the breakpoint on."""
    series = np.concatenate([paper_data.train_input, paper_data.train_target], axis=1)
    for row, bp in zip(series, paper_data.train_breakpoints, strict=True):
        assert 7 <= bp <= 38
        before, after = row[:bp], row[bp:]
        assert np.sum((before < 0) | (before >= 0.01)) <= 2
        level = np.median(after)
        assert np.sum(np.abs(after - level) >= 0.01) <= 2


def test_datasets_items_and_loader():
    splits = synthetic_step_datasets(500, 20, 20, 0.01, seed=0)
    assert splits.val is None and splits.scaler is None
    x, y, bp = splits.train[0]
    assert x.shape == (20, 1) and y.shape == (20, 1)
    assert x.dtype == torch.float32 and y.dtype == torch.float32 and bp.dtype == torch.int64
    assert int(bp) == 35
    assert float(splits.train.targets.double().sum()) == pytest.approx(-171.977146, abs=1e-3)
    xb, yb, bpb = next(iter(DataLoader(splits.test, batch_size=100)))
    assert xb.shape == (100, 20, 1) and yb.shape == (100, 20, 1) and bpb.shape == (100,)
    assert bpb[:3].tolist() == [26, 29, 24]


def test_validation_split_is_deterministic_and_disjoint():
    a = synthetic_step_datasets(100, seed=0, val_fraction=0.2, split_seed=3)
    b = synthetic_step_datasets(100, seed=0, val_fraction=0.2, split_seed=3)
    c = synthetic_step_datasets(100, seed=0, val_fraction=0.2, split_seed=4)
    assert (len(a.train), len(a.val), len(a.test)) == (80, 20, 100)
    assert torch.equal(a.val.inputs, b.val.inputs) and torch.equal(a.train.inputs, b.train.inputs)
    assert not torch.equal(a.val.inputs, c.val.inputs)
    full = synthetic_step_datasets(100, seed=0).train
    rows = {tuple(r.flatten().tolist()) for r in full.inputs}
    train_rows = {tuple(r.flatten().tolist()) for r in a.train.inputs}
    val_rows = {tuple(r.flatten().tolist()) for r in a.val.inputs}
    assert train_rows | val_rows == rows and not train_rows & val_rows
    test_alone = synthetic_step_datasets(100, seed=0).test
    assert torch.equal(a.test.inputs, test_alone.inputs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_series": 0}, ValueError, "'n_series'"),
        ({"n_input": 5, "n_output": 5}, ValueError, "at least 19"),
        ({"sigma": -1.0}, ValueError, "'sigma'"),
        ({"seed": 1.5}, TypeError, "'seed'"),
    ],
    ids=["no-series", "too-short", "negative-sigma", "float-seed"],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        generate_synthetic_steps(**kwargs)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.001], ids=["zero", "one", "empty-part"])
def test_bad_split_fraction(fraction):
    ds = ForecastDataset(np.zeros((10, 4)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="'fraction' parameter of ForecastDataset.split"):
        ds.split(fraction)


def test_dataset_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="'targets'"):
        ForecastDataset(np.zeros((10, 4)), np.zeros((9, 2)))


def test_dataset_copies_its_inputs():
    inputs = torch.zeros(3, 4, 1, requires_grad=True)
    targets = np.zeros((3, 2))
    ds = ForecastDataset(inputs, targets, breakpoints=[1, 2, 3])
    targets[0, 0] = 5.0
    with torch.no_grad():
        inputs[0, 0, 0] = 5.0
    assert ds.inputs[0, 0, 0] == 0 and ds.targets[0, 0, 0] == 0
    assert not ds.inputs.requires_grad and ds.breakpoints.dtype == torch.int64
    sub = ds.subset([2, 0])
    assert sub.breakpoints.tolist() == [3, 1] and len(sub) == 2
