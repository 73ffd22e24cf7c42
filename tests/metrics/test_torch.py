"""PyTorch path: gradients (gradcheck, finite differences), NumPy/torch parity."""

import numpy as np
import pytest
import torch

import tsgrad.metrics as M


def _t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _pair(seed, n=6, m=5, d=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d))


KWS = [
    pytest.param({}, id="free"),
    pytest.param({"sakoe_chiba_radius": 1}, id="sakoe1"),
    pytest.param({"global_constraint": "itakura"}, id="itakura"),
]


@pytest.mark.parametrize("kw", KWS)
@pytest.mark.parametrize("gamma", [0.1, 1.0])
def test_soft_dtw_gradcheck(gamma, kw):
    x, y = _pair(0, 6, 6)
    xt, yt = _t(x, True), _t(y, True)
    assert torch.autograd.gradcheck(lambda a, b: M.soft_dtw(a, b, gamma=gamma, **kw), (xt, yt))


def test_soft_dtw_alignment_is_twice_differentiable():
    x, y = _pair(1)
    xt = _t(x, True)
    G = torch.rand(6, 5, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda a: (M.soft_dtw_alignment(a, _t(y), gamma=0.5)[0] * G).sum(), (xt,)
    )


@pytest.mark.parametrize("kw", KWS)
def test_dtw_gradcheck(kw):
    x, y = _pair(2, 6, 6)
    xt, yt = _t(x, True), _t(y, True)
    assert torch.autograd.gradcheck(lambda a, b: M.dtw(a, b, **kw), (xt, yt))


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_cdist_soft_dtw_gradcheck_with_nan_padding(gamma):
    rng = np.random.default_rng(3)
    X = M.to_time_series_dataset([rng.normal(size=(k, 2)) for k in (4, 6, 5)])
    Y = M.to_time_series_dataset([rng.normal(size=(k, 2)) for k in (3, 6)])
    Xt, Yt = _t(X, True), _t(Y, True)

    def f(a, b):
        out = M.cdist_soft_dtw(a, b, gamma=gamma)
        return out

    # gradcheck perturbs the NaN padding too: the result must not depend on it
    out = f(Xt, Yt)
    out.sum().backward()
    assert torch.isfinite(Xt.grad).all() and torch.isfinite(Yt.grad).all()
    assert torch.all(Xt.grad[0, 4:] == 0)
    mask_x = ~torch.isnan(Xt)
    Xz = torch.nan_to_num(Xt.detach()).requires_grad_(True)

    def g(a):
        a = torch.where(mask_x, a, torch.full_like(a, float("nan")))
        return M.cdist_soft_dtw(a, Yt.detach(), gamma=gamma)

    assert torch.autograd.gradcheck(g, (Xz,))
    np.testing.assert_allclose(out.detach().numpy(), M.cdist_soft_dtw(X, Y, gamma=gamma))


def test_cdist_dtw_self_similarity_is_differentiable_and_symmetric():
    rng = np.random.default_rng(4)
    X = _t(rng.normal(size=(4, 7, 1)), True)
    out = M.cdist_dtw(X)
    assert torch.allclose(out, out.T)
    assert torch.all(out.diagonal() == 0)
    out.sum().backward()
    assert torch.isfinite(X.grad).all()
    np.testing.assert_allclose(out.detach().numpy(), M.cdist_dtw(X.detach().numpy()))


FUNCS = [
    pytest.param(lambda a, b: M.dtw(a, b), id="dtw"),
    pytest.param(lambda a, b: M.dtw_path(a, b)[1], id="dtw_path"),
    pytest.param(lambda a, b: M.soft_dtw(a, b, gamma=0.3), id="soft_dtw"),
    pytest.param(lambda a, b: M.soft_dtw_alignment(a, b, gamma=0.3)[0], id="alignment"),
    pytest.param(lambda a, b: M.soft_dtw_normalized(a, b, gamma=0.3), id="normalized"),
    pytest.param(lambda a, b: M.cdist_dtw(a[None], b[None]), id="cdist_dtw"),
    pytest.param(lambda a, b: M.cdist_soft_dtw(a[None], b[None]), id="cdist_soft_dtw"),
    pytest.param(
        lambda a, b: M.cdist_soft_dtw_normalized(a[None], b[None]), id="cdist_soft_dtw_norm"
    ),
]


@pytest.mark.parametrize("func", FUNCS)
def test_numpy_torch_parity(func):
    x, y = _pair(5, 9, 7, 3)
    expected = np.asarray(func(x, y), dtype=float)
    got = func(_t(x), _t(y))
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_float32_tensors_give_float64_values_and_float32_grads():
    s1 = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    s2 = torch.tensor([[3.0], [4.0], [-3.0]])
    sim = M.soft_dtw(s1, s2, gamma=1.0)
    assert sim.dtype == torch.float64
    sim.backward()
    assert s1.grad.dtype == torch.float32


def test_dtw_gradient_matches_finite_differences():
    x, y = _pair(6, 8, 8, 1)
    xt = _t(x, True)
    M.dtw(xt, _t(y)).backward()
    eps = 1e-6
    fd = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        fd[idx] = (M.dtw(xp, y) - M.dtw(xm, y)) / (2 * eps)
    np.testing.assert_allclose(xt.grad.numpy(), fd, rtol=1e-6, atol=1e-8)
