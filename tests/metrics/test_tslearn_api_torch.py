"""The metrics beyond DTW / soft-DTW on torch: NumPy parity, gradients (gradcheck, float64,
batch > 1) where the mathematics gives one."""

import numpy as np
import pytest

import tsgrad.metrics as M

torch = pytest.importorskip("torch")


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def _pair(seed, n=6, m=5, d=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d))


def _value(v):
    return float(v.detach()) if isinstance(v, torch.Tensor) else float(v)


def _same(a, b):
    """NumPy result ``a`` and torch result ``b`` agree (values 1e-12, paths exactly)."""
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            _same(u, v)
    elif isinstance(a, list):
        assert a == b
    elif isinstance(a, M.CCAProjection):
        np.testing.assert_allclose(a.x_weights_, b.x_weights_, rtol=1e-12)
    else:
        bn = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
        np.testing.assert_allclose(np.asarray(a), bn, rtol=1e-12, atol=1e-14)


x6, y5 = _pair(0)
DS1 = [np.random.default_rng(1).normal(size=(k, 2)) for k in (5, 7, 6)]
DS2 = [np.random.default_rng(2).normal(size=(k, 2)) for k in (4, 6)]
MASK = M.compute_mask(6, 5, sakoe_chiba_radius=2)

CALLS = {
    "frechet": lambda a, b: M.frechet(a, b, sakoe_chiba_radius=2),
    "frechet_path": lambda a, b: M.frechet_path(a, b),
    "frechet_path_from_metric": lambda a, b: M.frechet_path_from_metric(a, b, metric="euclidean"),
    "frechet_accumulated_matrix": lambda a, b: M.frechet_accumulated_matrix(a, b, MASK),
    "lcss": lambda a, b: M.lcss(a, b, eps=0.8),
    "lcss_path": lambda a, b: M.lcss_path(a, b, eps=0.8),
    "lcss_path_from_metric": lambda a, b: M.lcss_path_from_metric(a, b, metric="sqeuclidean"),
    "dtw_path_from_metric": lambda a, b: M.dtw_path_from_metric(a, b, metric="sqeuclidean"),
    "dtw_accumulated_matrix": lambda a, b: M.dtw_accumulated_matrix(a, b, MASK),
    "ldtw": lambda a, b: M.dtw_limited_warping_length(a, b, 7),
    "ldtw_path": lambda a, b: M.dtw_path_limited_warping_length(a, b, 7),
    "subsequence_cost_matrix": lambda a, b: M.subsequence_cost_matrix(b[:2], a),
    "dtw_subsequence_path": lambda a, b: M.dtw_subsequence_path(b[:2], a),
    "gak": lambda a, b: M.gak(a, b, sigma=1.5),
    "unnormalized_gak": lambda a, b: M.unnormalized_gak(a, b, sigma=1.5),
    "ctw_path": lambda a, b: M.ctw_path(a, b[:, :1]),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_numpy_and_torch_agree(name):
    a = CALLS[name](x6, y5)
    b = CALLS[name](_t(x6), _t(y5))
    _same(a, b)


def test_pairwise_and_statistics_agree():
    for f in (M.cdist_frechet, M.cdist_gak, M.cdist_ctw):
        _same(f(DS1, DS2), f([_t(s) for s in DS1], [_t(s) for s in DS2]))
        out = f(_t(M.to_time_series_dataset(DS1)))
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
        _same(f(DS1), out)
    X = M.to_time_series_dataset(DS1)
    _same(M.sigma_gak(X, random_state=0), M.sigma_gak(_t(X), random_state=0))
    _same(M.gamma_soft_dtw(X, random_state=0), M.gamma_soft_dtw(_t(X), random_state=0))
    S = np.random.default_rng(3).integers(0, 4, size=(3, 5, 1))
    _same(M.cdist_sax(S, [-1.0, 0.0, 1.0], 10), M.cdist_sax(_t(S), [-1.0, 0.0, 1.0], 10))
    Z = np.random.default_rng(4).normal(size=(3, 8, 2))
    neg = -np.ones(3)
    _same(
        M.cdist_normalized_cc(Z, Z, neg, neg, True),
        M.cdist_normalized_cc(_t(Z), _t(Z), neg, neg, True),
    )
    _same(M.y_shifted_sbd_vec(Z[0], Z, -1.0, neg), M.y_shifted_sbd_vec(_t(Z[0]), _t(Z), -1.0, neg))


# Gradients, checked with gradcheck in float64 on batches of more than one pair: a
# pairwise matrix, or several pairs stacked.
def _stacked(f, ys):
    return lambda a: torch.stack([f(a, _t(y)) for y in ys])


YS = [_pair(s, 5, 5)[1] for s in (3, 4)]
GRAD_CALLS = {
    "frechet": lambda a, b: M.frechet(a, b),
    "frechet_path": lambda a, b: M.frechet_path(a, b, sakoe_chiba_radius=1)[1],
    "frechet_path_from_metric": lambda a, b: M.frechet_path_from_metric(
        a, b, metric=lambda u, v: ((u - v) ** 2).sum()
    )[1],
    "dtw_path_from_metric": lambda a, b: M.dtw_path_from_metric(a, b, metric="euclidean")[1],
    "ldtw": lambda a, b: M.dtw_limited_warping_length(a, b, 6),
    "dtw_subsequence_path": lambda a, b: M.dtw_subsequence_path(b[:3], a)[1],
    "gak": lambda a, b: M.gak(a, b, sigma=1.2),
    "unnormalized_gak": lambda a, b: M.unnormalized_gak(a, b, sigma=1.2),
    "ctw": lambda a, b: M.ctw(a, b[:, :1]),
}


@pytest.mark.parametrize("name", list(GRAD_CALLS))
def test_gradcheck_of_pair_values(name):
    x = _t(_pair(5, 6, 2)[0], grad=True)
    assert torch.autograd.gradcheck(_stacked(GRAD_CALLS[name], YS), (x,))


@pytest.mark.parametrize(
    "f",
    [M.dtw_accumulated_matrix, M.frechet_accumulated_matrix],
    ids=["dtw_accumulated_matrix", "frechet_accumulated_matrix"],
)
def test_gradcheck_of_accumulated_matrices(f):
    x, y = _pair(6, 6, 5)
    G = torch.rand(6, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))

    def weighted(a, b):
        R = f(a, b, MASK)
        return (torch.where(torch.isinf(R), 0.0, R) * G).sum()

    assert torch.autograd.gradcheck(weighted, (_t(x, True), _t(y, True)))
    Rs = M.subsequence_cost_matrix(_t(y[:3], True), _t(x, True))
    assert Rs.requires_grad
    assert torch.autograd.gradcheck(
        lambda a, b: (M.subsequence_cost_matrix(a, b) * G.T[:3]).sum(),
        (_t(y[:3], True), _t(x, True)),
    )


@pytest.mark.parametrize("f", [M.cdist_frechet, M.cdist_gak, M.cdist_ctw], ids=lambda f: f.__name__)
def test_gradcheck_of_cross_matrices_with_padding(f):
    X = _t(M.to_time_series_dataset(DS1), True)
    Y = _t(M.to_time_series_dataset(DS2), True)
    assert torch.autograd.gradcheck(lambda a, b: f(a, b), (X, Y))
    out = f(X)
    out.sum().backward()
    assert torch.isfinite(X.grad).all()
    assert (X.grad[0, 5:] == 0).all()  # the padding of the shortest series gets no gradient


def test_zero_distance_has_a_zero_gradient():
    x = _t(x6, True)
    M.frechet(x, x6).backward()
    assert torch.equal(x.grad, torch.zeros_like(x))


def test_soft_dtw_objects():
    x, y = _pair(7, 5, 4)
    D = _t(M.SquaredEuclidean(x, y).compute(), True)
    assert torch.autograd.gradcheck(lambda d: M.SoftDTW(d, gamma=0.5).compute(), (D,))
    sdtw = M.SoftDTW(D, gamma=0.5)
    sdtw.compute().backward()
    torch.testing.assert_close(D.grad, sdtw.grad().detach(), rtol=1e-10, atol=1e-12)
    # jacobian_product is the chain rule of the cost: compare with autograd
    xt = _t(x, True)
    se = M.SquaredEuclidean(xt, _t(y))
    sdtw = M.SoftDTW(se.compute(), gamma=0.5)
    (g,) = torch.autograd.grad(sdtw.compute(), xt)
    G = se.jacobian_product(sdtw.grad().detach())
    torch.testing.assert_close(G, g, rtol=1e-10, atol=1e-12)


L1 = lambda a, b: (a[:, :, None] - b[:, None]).abs().sum(-1)  # noqa: E731


@pytest.mark.parametrize(
    "kw",
    [
        pytest.param({}, id="fused"),
        pytest.param({"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": 2}, id="banded"),
        pytest.param(
            {"dist_func": lambda a, b: (a[:, :, None] - b[:, None]).abs().sum(-1)}, id="l1"
        ),
    ],
)
@pytest.mark.parametrize("normalize", [False, True])
def test_soft_dtw_loss_module(kw, normalize):
    rng = np.random.default_rng(8)
    x = _t(rng.normal(size=(3, 6, 2)), True)
    y = _t(rng.normal(size=(3, 5, 2)), True)
    loss = M.SoftDTWLossPyTorch(gamma=0.7, normalize=normalize, **kw)
    assert torch.autograd.gradcheck(lambda a, b: loss(a, b), (x, y))
    values = loss(x, y).detach().numpy()
    # each value is the metric soft-DTW of that pair (divergence when normalized)
    f = M.soft_dtw_normalized if normalize else M.soft_dtw
    if "dist_func" not in kw:
        want = [f(x[b].detach(), y[b].detach(), gamma=0.7, **kw) for b in range(3)]
        np.testing.assert_allclose(values, [float(w) for w in want], rtol=1e-10)
