"""Forecasting models: shapes, an oracle for the Seq2Seq GRU, gradients, a few training steps."""

import pytest
import torch
from torch import nn

from tsgrad.models import MLPForecaster, NeuralODEForecaster, Seq2SeqGRU, build_model

INPUT_LEN, HORIZON = 12, 5

# Small hidden sizes keep the suite fast; the defaults are exercised by test_default_sizes.
SMALL = {
    "seq2seq": {"hidden_size": 16, "fc_units": 8},
    "mlp": {"hidden_size": 16},
    "node": {"latent_size": 8, "encoder_hidden_size": 16, "ode_hidden_size": 16},
    "node-adjoint": {"latent_size": 8, "encoder_hidden_size": 16, "ode_hidden_size": 16},
}
NAMES = list(SMALL)


def _make(key, d, **extra):
    name = "node" if key.startswith("node") else key
    hyper = dict(SMALL[key], **extra)
    if key == "node-adjoint":
        hyper["adjoint"] = True
    return build_model(
        name, input_size=d, output_size=d, input_len=INPUT_LEN, horizon=HORIZON, **hyper
    )


@pytest.mark.parametrize("d", [1, 3], ids=["d1", "d3"])
@pytest.mark.parametrize("batch", [1, 7, 100], ids=["B1", "B7", "B100"])
@pytest.mark.parametrize("key", NAMES)
def test_output_shape(key, batch, d):
    torch.manual_seed(0)
    model = _make(key, d)
    out = model(torch.randn(batch, INPUT_LEN, d))
    assert out.shape == (batch, HORIZON, d) and out.dtype == torch.float32
    assert torch.isfinite(out).all()


@pytest.mark.parametrize(
    ("model", "shape"),
    [
        (Seq2SeqGRU(horizon=20), (100, 20, 1)),
        (MLPForecaster(input_len=20, horizon=20), (100, 20, 1)),
        (NeuralODEForecaster(horizon=20), (100, 20, 1)),
    ],
    ids=["seq2seq", "mlp", "node"],
)
def test_default_sizes(model, shape):
    assert model(torch.randn(100, 20, 1)).shape == shape


@pytest.mark.parametrize("key", ["seq2seq", "mlp"])
def test_batch_elements_are_independent(key):
    torch.manual_seed(0)
    model = _make(key, 2)
    x = torch.randn(7, INPUT_LEN, 2)
    alone = torch.cat([model(x[i : i + 1]) for i in range(7)])
    torch.testing.assert_close(model(x), alone, rtol=1e-5, atol=1e-6)


def _reference_seq2seq(model: Seq2SeqGRU, x: torch.Tensor) -> torch.Tensor:
    """The reference Net_GRU.forward: one encoder step at a time, preallocated outputs."""
    hidden = torch.zeros(model.encoder.gru.num_layers, x.shape[0], model.encoder.gru.hidden_size)
    for i in range(x.shape[1]):
        _, hidden = model.encoder.gru(x[:, i : i + 1, :], hidden)
    value = x[:, -1, :].unsqueeze(1)
    outputs = torch.zeros(x.shape[0], model.horizon, x.shape[2])
    for k in range(model.horizon):
        out, hidden = model.decoder.gru(value, hidden)
        value = model.decoder.out(torch.relu(model.decoder.fc(out)))
        outputs[:, k : k + 1, :] = value
    return outputs


@pytest.mark.parametrize("num_layers", [1, 2], ids=["1-layer", "2-layers"])
def test_seq2seq_matches_the_stepwise_reference(num_layers):
    torch.manual_seed(0)
    model = Seq2SeqGRU(
        input_size=2, output_size=2, hidden_size=16, num_layers=num_layers, horizon=7
    )
    x = torch.randn(9, 11, 2)
    torch.testing.assert_close(model(x), _reference_seq2seq(model, x), rtol=1e-5, atol=1e-6)


def test_seq2seq_parameter_names_are_the_reference_ones():
    names = set(Seq2SeqGRU(horizon=3).state_dict())
    expected = {
        f"{m}.gru.{w}_{k}_l0"
        for m in ("encoder", "decoder")
        for w in ("weight", "bias")
        for k in ("ih", "hh")
    }
    expected |= {f"decoder.{layer}.{w}" for layer in ("fc", "out") for w in ("weight", "bias")}
    assert names == expected
    model = Seq2SeqGRU(horizon=3)
    assert model.decoder.fc.out_features == 16 and model.encoder.gru.hidden_size == 128


def test_mlp_is_one_hidden_layer():
    torch.manual_seed(0)
    model = MLPForecaster(input_size=2, output_size=3, input_len=4, horizon=5, hidden_size=6)
    x = torch.randn(3, 4, 2)
    manual = torch.relu(x.reshape(3, 8) @ model.hidden.weight.T + model.hidden.bias)
    manual = (manual @ model.out.weight.T + model.out.bias).reshape(3, 5, 3)
    torch.testing.assert_close(model(x), manual)


@pytest.mark.parametrize("key", NAMES)
def test_gradients_reach_every_parameter(key):
    torch.manual_seed(0)
    model = _make(key, 2)
    x, y = torch.randn(7, INPUT_LEN, 2), torch.randn(7, HORIZON, 2)
    nn.functional.mse_loss(model(x), y).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all() and param.grad.abs().sum() > 0, name


@pytest.mark.parametrize("key", NAMES)
def test_adam_steps_reduce_the_mse(key):
    torch.manual_seed(0)
    model = _make(key, 1)
    t = torch.linspace(0, 3, INPUT_LEN + HORIZON)
    phase = torch.rand(32, 1, 1) * 6
    series = torch.sin(t[None, :, None] + phase)
    x, y = series[:, :INPUT_LEN], series[:, INPUT_LEN:]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("key", NAMES)
def test_gradcheck_float64(key):
    torch.manual_seed(0)
    extra = {"method": "rk4", "options": {"step_size": 0.5}} if key.startswith("node") else {}
    model = _make(key, 2, **extra).double()
    x = torch.randn(3, INPUT_LEN, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(model, (x,), eps=1e-6, atol=1e-5)


def test_node_adjoint_gradients_match_direct_backprop():
    torch.manual_seed(0)
    hyper = dict(SMALL["node"], rtol=1e-9, atol=1e-10)
    direct = build_model(
        "node", input_size=2, output_size=2, input_len=INPUT_LEN, horizon=HORIZON, **hyper
    ).double()
    adjoint = build_model(
        "node",
        input_size=2,
        output_size=2,
        input_len=INPUT_LEN,
        horizon=HORIZON,
        adjoint=True,
        **hyper,
    ).double()
    adjoint.load_state_dict(direct.state_dict())
    x = torch.randn(4, INPUT_LEN, 2, dtype=torch.float64)
    y = torch.randn(4, HORIZON, 2, dtype=torch.float64)
    grads = []
    for model in (direct, adjoint):
        loss = nn.functional.mse_loss(model(x), y)
        grads.append(torch.autograd.grad(loss, list(model.parameters())))
    for g_direct, g_adjoint in zip(*grads, strict=True):
        torch.testing.assert_close(g_adjoint, g_direct, rtol=1e-5, atol=1e-8)


def test_node_forecast_times_follow_step():
    """With zero dynamics the latent state is constant: every step decodes to the same value;
    with f = const c the latent moves linearly, so consecutive forecasts differ by step * W c."""
    torch.manual_seed(0)
    model = NeuralODEForecaster(horizon=4, step=0.5, latent_size=3, method="rk4")
    last = model.dynamics.net[2]
    nn.init.zeros_(last.weight)
    with torch.no_grad():
        last.bias.copy_(torch.tensor([1.0, -2.0, 0.5]))
    out = model(torch.randn(2, 6, 1))
    step = 0.5 * (model.decoder.weight @ last.bias)
    torch.testing.assert_close(out.diff(dim=1), step.expand(2, 3, 1), rtol=1e-5, atol=1e-6)
