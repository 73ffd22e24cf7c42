"""Bad input raises ValueError / TypeError naming the parameter."""

import pytest
import torch

from tsgrad.losses import (
    DILATELoss,
    SoftDTWLoss,
    dilate_loss,
    dtw_batch,
    soft_dtw_divergence,
    soft_dtw_loss,
    tdi,
)

X = torch.randn(2, 5, 1)
Y = torch.randn(2, 4, 1)
NAN = X.clone()
NAN[0, 1, 0] = float("nan")
OK_MASK = (torch.ones(2, 5, dtype=torch.bool), None)

CASES = {
    "shape-mismatch-B": (lambda: soft_dtw_loss(X, Y[:1]), ValueError, "'x' and 'y'"),
    "shape-mismatch-d": (
        lambda: dilate_loss(X, torch.randn(2, 4, 2)),
        ValueError,
        "'outputs' and 'targets'",
    ),
    "not-3d": (lambda: soft_dtw_loss(X[..., 0], Y), ValueError, "'x'"),
    "not-tensor": (lambda: dtw_batch(X.numpy(), Y), TypeError, "'x'"),
    "int-dtype": (lambda: tdi(X.long(), Y), TypeError, "'outputs'"),
    "dtype-mismatch": (lambda: soft_dtw_loss(X, Y.double()), TypeError, "same dtype"),
    "gamma-zero": (lambda: soft_dtw_loss(X, Y, 0.0), ValueError, "'gamma'"),
    "gamma-negative": (lambda: soft_dtw_divergence(X, Y, -1.0), ValueError, "'gamma'"),
    "gamma-nan": (lambda: dilate_loss(X, Y, gamma=float("nan")), ValueError, "'gamma'"),
    "gamma-str": (lambda: soft_dtw_loss(X, Y, "1"), TypeError, "'gamma'"),
    "alpha-above": (lambda: dilate_loss(X, Y, alpha=1.5), ValueError, "'alpha'"),
    "alpha-below": (lambda: DILATELoss(alpha=-0.1), ValueError, "'alpha'"),
    "nan-x": (lambda: soft_dtw_loss(NAN, Y), ValueError, "'x'"),
    "nan-outputs": (lambda: dilate_loss(NAN, Y), ValueError, "'outputs'"),
    "nan-targets": (lambda: tdi(Y, NAN), ValueError, "'targets'"),
    "reduction": (lambda: soft_dtw_loss(X, Y, reduction="avg"), ValueError, "'reduction'"),
    "reduction-module": (lambda: SoftDTWLoss(reduction=None), ValueError, "'reduction'"),
    "cost-name": (lambda: soft_dtw_loss(X, Y, cost="euclidean"), ValueError, "'cost'"),
    "cost-type": (lambda: soft_dtw_loss(X, Y, cost=3), TypeError, "'cost'"),
    "cost-shape": (lambda: soft_dtw_loss(X, Y, cost=lambda a, b: a), ValueError, "'cost'"),
    "mask-type": (lambda: soft_dtw_loss(X, Y, mask=torch.ones(2, 5)), TypeError, "'mask'"),
    "mask-shape": (
        lambda: soft_dtw_loss(X, Y, mask=(torch.ones(2, 4, dtype=torch.bool), None)),
        ValueError,
        "x_mask",
    ),
    "mask-dtype": (
        lambda: dilate_loss(X, Y, mask=(None, torch.ones(2, 4))),
        TypeError,
        "targets_mask",
    ),
    "mask-not-prefix": (
        lambda: soft_dtw_loss(
            X, Y, mask=(torch.tensor([[True, False, True, True, True]] * 2), None)
        ),
        ValueError,
        "prefix",
    ),
    "mask-empty": (
        lambda: soft_dtw_loss(X, Y, mask=(torch.zeros(2, 5, dtype=torch.bool), None)),
        ValueError,
        "non-empty",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name):
    call, exc, fragment = CASES[name]
    with pytest.raises(exc, match=fragment):
        call()


def test_valid_mask_is_accepted():
    assert torch.isfinite(soft_dtw_loss(X, Y, mask=OK_MASK))
