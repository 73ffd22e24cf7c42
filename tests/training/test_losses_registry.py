"""make_loss: names, options, the terms each loss logs, values against tsgrad.losses."""

import pytest
import torch

from tsgrad.training import LOSS_NAMES, TrainingLoss, make_loss


def _pair(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(4, 7, 2, generator=g), torch.randn(4, 7, 2, generator=g)


def test_names():
    assert LOSS_NAMES == ("mse", "soft_dtw", "soft_dtw_divergence", "dilate")


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'mse', 'soft_dtw', 'soft_dtw_divergence', 'dilate'"):
        make_loss("mae")


@pytest.mark.parametrize(
    ("name", "options", "match"),
    [
        ("mse", {"gamma": 1.0}, "Unknown option.*'gamma'.*Valid options: none"),
        ("dilate", {"beta": 1.0}, "Unknown option.*'beta'.*'alpha', 'gamma'"),
        ("dilate", {"alpha": 1.5}, "'alpha' parameter.*\\[0, 1\\].*1.5"),
        ("soft_dtw", {"gamma": 0.0}, "'gamma' parameter.*> 0.*0.0"),
        ("soft_dtw_divergence", {"gamma": -1}, "'gamma' parameter.*> 0"),
    ],
    ids=["mse-extra-option", "dilate-unknown", "dilate-alpha", "sdtw-gamma0", "div-gamma<0"],
)
def test_bad_options(name, options, match):
    with pytest.raises(ValueError, match=match):
        make_loss(name, **options)


def test_bool_option_type():
    with pytest.raises(TypeError, match="'normalize' parameter.*bool"):
        make_loss("soft_dtw", normalize=1)


def test_defaults_are_filled_in():
    assert make_loss("dilate").options == {"alpha": 0.5, "gamma": 0.01}
    assert make_loss("soft_dtw", gamma=0.1).options == {"gamma": 0.1, "normalize": False}
    assert repr(make_loss("dilate", alpha=0.8)) == "TrainingLoss('dilate', alpha=0.8, gamma=0.01)"


def test_mse_value_and_term():
    x, y = _pair()
    loss, terms = make_loss("mse")(x, y)
    torch.testing.assert_close(loss, ((x - y) ** 2).mean())
    assert list(terms) == ["mse"] and not terms["mse"].requires_grad


@pytest.mark.parametrize(
    ("name", "options", "terms"),
    [
        ("soft_dtw", {"gamma": 0.1}, ["soft_dtw"]),
        ("soft_dtw_divergence", {"gamma": 0.1}, ["soft_dtw_divergence"]),
        ("dilate", {"alpha": 0.3, "gamma": 0.05}, ["shape", "temporal"]),
    ],
    ids=["soft_dtw", "divergence", "dilate"],
)
def test_dtw_losses_match_tsgrad_losses(name, options, terms):
    from tsgrad import losses

    x, y = _pair(1)
    x.requires_grad_(True)
    loss_fn = make_loss(name, **options)
    loss, got_terms = loss_fn(x, y)
    assert list(got_terms) == terms
    if name == "dilate":
        ref, shape, temporal = losses.dilate_loss(x, y, options["alpha"], options["gamma"])
        torch.testing.assert_close(got_terms["shape"], shape.detach())
        torch.testing.assert_close(got_terms["temporal"], temporal.detach())
    elif name == "soft_dtw":
        ref = losses.soft_dtw_loss(x, y, options["gamma"])
    else:
        ref = losses.soft_dtw_divergence(x, y, options["gamma"])
    torch.testing.assert_close(loss, ref)
    loss.backward()  # differentiable through the registry
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_training_loss_pickles():
    import pickle

    loss_fn = pickle.loads(pickle.dumps(make_loss("dilate", alpha=0.2)))
    assert isinstance(loss_fn, TrainingLoss) and loss_fn.options["alpha"] == 0.2
