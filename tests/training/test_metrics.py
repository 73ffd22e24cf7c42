"""Evaluation metrics against brute force and hand-computed cases."""

import itertools

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from tsgrad.training import (
    METRIC_NAMES,
    aggregate,
    changepoints,
    evaluate,
    forecast_metrics,
    hausdorff,
    ramp_score,
    swinging_door,
)

from ._helpers import all_paths, make_model, max_lag_sum, step_dataset

# --------------------------------------------------------------------------- TDI


def test_tdi_of_the_identity_path_is_zero():
    y = torch.randn(5, 20, 1)
    assert forecast_metrics(y, y)["tdi"].tolist() == [0.0] * 5


def test_worst_path_tdi_for_k20_is_11_4475():
    # Brute force: enumerate every monotone path where feasible; the max-plus DP agrees ...
    for k in (2, 3, 4, 5):
        brute = max(sum((i - j) ** 2 for i, j in p) for p in all_paths(k, k))
        assert max_lag_sum(k) == brute
    # ... and for k = 20 (10^13 paths) it gives the L-shaped path along the first row and
    # the last column: sum_{j<20} j^2 + sum_{i<19} i^2 = 2470 + 2109 = 4579.
    corner = [(0, j) for j in range(20)] + [(i, 19) for i in range(1, 20)]
    assert sum((i - j) ** 2 for i, j in corner) == max_lag_sum(20) == 4579
    assert max_lag_sum(20) / 20**2 == pytest.approx(11.4475, abs=1e-12)  # 1 / k^2 normalised


def test_worst_tdi_reachable_by_an_optimal_dtw_path():
    # A strictly optimal DTW path never pays for the corner cell (a diagonal step skips it),
    # so the largest TDI a forecast can get is 2 * sum_{t<19} t^2 / 400 = 10.545:
    # the output jumps right away, the target at the very end.
    out = torch.ones(1, 20, 1)
    out[0, 0] = 0.0
    target = torch.zeros(1, 20, 1)
    target[0, -1] = 1.0
    assert forecast_metrics(out, target)["tdi"].item() == pytest.approx(4218 / 400)
    assert 4218 == 2 * sum(t * t for t in range(19))


def test_dtw_and_tdi_match_brute_force_paths():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 5, 2, generator=g, dtype=torch.float64)
    y = torch.randn(4, 5, 2, generator=g, dtype=torch.float64)
    m = forecast_metrics(x, y)
    paths = list(all_paths(5, 5))
    for b in range(4):
        D = ((x[b, :, None] - y[b, None]) ** 2).sum(-1)
        cost, path = min((sum(D[i, j].item() for i, j in p), p) for p in paths)
        assert m["dtw"][b].item() == pytest.approx(cost**0.5, rel=1e-12)
        assert m["tdi"][b].item() == pytest.approx(sum((i - j) ** 2 for i, j in path) / 25)
    np.testing.assert_allclose(m["mse"].numpy(), ((x - y) ** 2).mean((1, 2)).numpy())


# --------------------------------------------------------------------------- change points


def _segment_cost(y, bounds, penalty):
    cost = 0.0
    for s, t in zip(bounds[:-1], bounds[1:], strict=True):
        seg = y[s:t]
        cost += float(((seg - seg.mean(0)) ** 2).sum()) + penalty
    return cost


def _brute_force_changepoints(y, penalty):
    """Every subset of {1..n-1} as change points; the cheapest penalised segmentation."""
    n = y.shape[0]
    best = None
    for r in range(n):
        for cps in itertools.combinations(range(1, n), r):
            c = _segment_cost(y, [0, *cps, n], penalty)
            if best is None or c < best[0] - 1e-12:
                best = (c, cps)
    return best[1]


@pytest.mark.parametrize("penalty", [0.05, 0.5, 3.0], ids=["pen0.05", "pen0.5", "pen3"])
def test_changepoints_are_the_exact_penalised_optimum(penalty):
    g = torch.Generator().manual_seed(1)
    y = torch.randn(6, 9, 2, generator=g, dtype=torch.float64)
    y[:, 4:] += 2.0
    got = changepoints(y, penalty)
    for b in range(6):
        expected = _brute_force_changepoints(y[b], penalty)
        assert tuple(got[b].nonzero()[:, 0].tolist()) == expected


def _brute_force_fixed_count(y, count):
    n = y.shape[0]
    return min(
        itertools.combinations(range(1, n), count),
        key=lambda cps: _segment_cost(y, [0, *cps, n], 0.0),
    )


@pytest.mark.parametrize("count", [1, 2, 3], ids=["1cp", "2cp", "3cp"])
def test_changepoints_with_a_fixed_count_are_the_exact_optimum(count):
    g = torch.Generator().manual_seed(2)
    y = torch.randn(5, 9, 2, generator=g, dtype=torch.float64)
    y[:, 3:] += 1.5
    got = changepoints(y, count=count)
    assert (got.sum(1) == count).all()
    for b in range(5):
        assert tuple(got[b].nonzero()[:, 0].tolist()) == _brute_force_fixed_count(y[b], count)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of"),
        ({"penalty": 1.0, "count": 1}, "exactly one of"),
        ({"count": 5, "min_size": 2}, "6 segments of min_size=2 in n=9"),
        ({"penalty": 0.0}, "'penalty' parameter of changepoints"),
    ],
    ids=["none", "both", "too-many", "penalty0"],
)
def test_changepoints_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        changepoints(torch.zeros(1, 9, 1), **kwargs)


def test_fixed_count_never_leaves_a_set_empty():
    flat = torch.zeros(3, 20, 1)
    step = flat.clone()
    step[:, 12:] = 1.0
    by_penalty = forecast_metrics(flat, step)["hausdorff"]
    assert by_penalty.tolist() == [20.0] * 3  # no change found in the flat forecast
    by_count = forecast_metrics(flat, step, changepoint_count=1)["hausdorff"]
    assert (by_count < 20).all()
    with pytest.raises(ValueError, match="at most one of"):
        forecast_metrics(flat, step, changepoint_penalty=0.1, changepoint_count=1)


def test_changepoints_min_size():
    y = torch.tensor([0.0, 0.0, 5.0, 0.0, 0.0, 0.0]).reshape(1, 6, 1)
    assert changepoints(y, 0.1).nonzero()[:, 1].tolist() == [2, 3]  # the spike alone
    # segments of >= 2 points: [0, 2) [2, 4) [4, 6) costs 12.5 + 3 * 0.1, the best split
    assert changepoints(y, 0.1, min_size=2).nonzero()[:, 1].tolist() == [2, 4]


def test_changepoints_of_a_clean_step_and_of_a_constant():
    y = torch.zeros(2, 20, 1)
    y[0, 13:] = 1.0
    cps = changepoints(y, 0.05)
    assert cps[0].nonzero()[:, 0].tolist() == [13] and not cps[1].any()


# --------------------------------------------------------------------------- Hausdorff


def _mask(n, *rows):
    m = torch.zeros(len(rows), n, dtype=torch.bool)
    for b, idx in enumerate(rows):
        m[b, list(idx)] = True
    return m


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([5], [5], 0.0),
        ([5], [8], 3.0),
        ([2, 7], [3], 4.0),
        ([3], [2, 7], 4.0),
        ([1, 10], [2, 9], 1.0),
        ([], [], 0.0),
        ([4], [], 12.0),
        ([], [4, 6], 12.0),
    ],
    ids=[
        "same",
        "shift3",
        "extra-in-a",
        "extra-in-b",
        "two-each",
        "both-empty",
        "b-empty",
        "a-empty",
    ],
)
def test_hausdorff_hand_cases(a, b, expected):
    assert hausdorff(_mask(12, a), _mask(12, b)).item() == expected


def test_hausdorff_is_batched_and_symmetric():
    a = _mask(12, [1], [2, 7], [], [0, 11])
    b = _mask(12, [4], [3], [5], [6])
    torch.testing.assert_close(hausdorff(a, b), hausdorff(b, a))
    assert hausdorff(a, b).tolist() == [3.0, 4.0, 12.0, 6.0]


# --------------------------------------------------------------------------- ramp score


def test_swinging_door_keeps_lines_and_drops_noise():
    t = torch.arange(10, dtype=torch.float64)
    line = (0.3 * t + 1.0)[None]
    torch.testing.assert_close(swinging_door(line, 0.01), line)
    noisy = torch.tensor([[0.0, 0.02, -0.02, 0.01, 0.0, 0.02]], dtype=torch.float64)
    # within +-0.05 of one straight line from the first to the last point: two knots only
    expected = torch.linspace(0.0, 0.02, 6, dtype=torch.float64)[None]
    torch.testing.assert_close(swinging_door(noisy, 0.05), expected)


def test_swinging_door_knots_at_a_step():
    y = torch.tensor([[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], dtype=torch.float64)
    # Point 4 cannot be on the door of 0..3: 3 is archived; from 3, point 5 cannot be on
    # the line through 4: 4 is archived; then flat to the end. The step is kept exactly.
    torch.testing.assert_close(swinging_door(y, 0.1), y)


def test_ramp_score_hand_computed():
    target = torch.zeros(1, 6, 1)
    target[0, 3:] = 1.0  # slopes 0 0 1 0 0
    late = torch.zeros(1, 6, 1)
    late[0, 4:] = 1.0  # slopes 0 0 0 1 0
    # |0-0| + |0-0| + |0-1| + |1-0| + 0 = 2 over n - 1 = 5 unit intervals
    assert ramp_score(late, target, 0.1).item() == pytest.approx(2 / 5)
    assert ramp_score(target, target, 0.1).item() == 0.0


def test_ramp_score_averages_features():
    target = torch.zeros(1, 6, 2)
    target[0, 3:, 0] = 1.0
    out = target.clone()
    out[0, 3:, 0] = 0.0  # feature 0 misses the step (score 1/5), feature 1 is exact
    assert ramp_score(out, target, 0.1).item() == pytest.approx(0.1)


# --------------------------------------------------------------------------- evaluate


class _Shift(torch.nn.Module):
    """Predicts the target shifted by `lag` steps (repeating the edge)."""

    def __init__(self, targets, lag):
        super().__init__()
        self.targets, self.lag = targets, lag
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        idx = (torch.arange(self.targets.shape[1]) - self.lag).clamp(0, self.targets.shape[1] - 1)
        return self.targets[: x.shape[0], idx]


def test_evaluate_equals_the_mean_of_forecast_metrics():
    data = step_dataset(30)
    model = make_model()
    got = evaluate(model, data, batch_size=7)
    with torch.no_grad():
        ref = forecast_metrics(model(data.tensors[0]), data.tensors[1])
    assert list(got) == list(METRIC_NAMES)
    for k in METRIC_NAMES:
        assert got[k] == pytest.approx(ref[k].double().mean().item(), rel=1e-6)
    per = evaluate(model, data, per_series=True)
    assert per["tdi"].shape == (30,)


def test_evaluate_a_late_forecast():
    targets = torch.zeros(4, 20, 1)
    for b, at in enumerate((5, 8, 11, 14)):
        targets[b, at:] = 1.0
    data = TensorDataset(torch.zeros(4, 10, 1), targets)
    m = evaluate(_Shift(targets, lag=2), data)
    assert m["hausdorff"] == 2.0  # each detected step is 2 steps late
    assert m["mse"] == pytest.approx(2 / 20)  # two wrong points per series
    assert m["dtw"] == 0.0  # a pure delay costs nothing in shape ...
    assert m["tdi"] > 0.0  # ... and is seen by the temporal metric
    assert m["ramp_score"] == pytest.approx(2 / 19)
    exact = evaluate(_Shift(targets, lag=0), data)
    assert all(v == 0.0 for v in exact.values())


def test_evaluate_restores_training_mode_and_checks_shapes():
    model = make_model()
    model.train()
    evaluate(model, step_dataset(8))
    assert model.training
    with pytest.raises(ValueError, match="target's shape"):
        evaluate(make_model(n_out=4), step_dataset(8))
    with pytest.raises(ValueError, match="'batch_size' parameter of evaluate"):
        evaluate(model, step_dataset(8), batch_size=0)
    with pytest.raises(ValueError, match="'ramp_epsilon' parameter of forecast_metrics"):
        evaluate(model, step_dataset(8), ramp_epsilon=0)


def test_evaluate_on_a_generic_dataset_uses_the_loader():
    base = step_dataset(12)

    class Items(torch.utils.data.Dataset):
        def __len__(self):
            return 12

        def __getitem__(self, i):
            return base[i]

    model = make_model()
    a, b = evaluate(model, Items(), batch_size=5), evaluate(model, base)
    for k in METRIC_NAMES:
        assert a[k] == pytest.approx(b[k], rel=1e-6)


# --------------------------------------------------------------------------- aggregate


def test_aggregate_mean_and_sample_std():
    runs = [{"mse": 1.0, "tdi": 0.5}, {"mse": 2.0, "tdi": 0.5}, {"mse": 6.0, "tdi": 0.5}]
    out = aggregate(runs)
    assert out["mse"]["mean"] == 3.0 and out["mse"]["n"] == 3
    assert out["mse"]["std"] == pytest.approx(np.std([1.0, 2.0, 6.0], ddof=1))
    assert out["tdi"] == {"mean": 0.5, "std": 0.0, "n": 3}
    assert aggregate([{"mse": 4.0}])["mse"]["std"] == 0.0


@pytest.mark.parametrize(
    ("results", "match"),
    [
        ([], "non-empty list"),
        ([{"mse": 1.0}, {"dtw": 1.0}], "same keys"),
        ([{"mse": "x"}], "must hold numbers"),
    ],
    ids=["empty", "keys", "values"],
)
def test_aggregate_errors(results, match):
    with pytest.raises(ValueError, match=match):
        aggregate(results)
