"""build_model and the models' validation of their parameters and inputs."""

import pytest
import torch

from tsgrad.models import MODELS, MLPForecaster, NeuralODEForecaster, Seq2SeqGRU, build_model

SHAPES = {"input_size": 1, "output_size": 1, "input_len": 20, "horizon": 10}


@pytest.mark.parametrize(
    ("name", "cls"),
    [("seq2seq", Seq2SeqGRU), ("mlp", MLPForecaster), ("node", NeuralODEForecaster)],
    ids=["seq2seq", "mlp", "node"],
)
def test_build_model_names(name, cls):
    model = build_model(name, **SHAPES)
    assert type(model) is cls and model.horizon == 10 and MODELS[name] is cls


def test_build_model_forwards_hyperparameters():
    model = build_model("seq2seq", **SHAPES, hidden_size=32, num_layers=2)
    assert model.encoder.gru.hidden_size == 32 and model.encoder.gru.num_layers == 2
    node = build_model("node", **SHAPES, adjoint=True, method="rk4")
    assert node.adjoint and node.method == "rk4"


def test_build_model_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"\['mlp', 'node', 'seq2seq'\]. Got 'lstm' instead"):
        build_model("lstm", **SHAPES)


def test_build_model_unknown_hyperparameter():
    with pytest.raises(TypeError, match="unknown hyperparameters \\['dropout'\\].*hidden_size"):
        build_model("mlp", **SHAPES, dropout=0.1)


@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (
            lambda: Seq2SeqGRU(horizon=0),
            ValueError,
            "'horizon' parameter of Seq2SeqGRU must be an integer >= 1",
        ),
        (lambda: Seq2SeqGRU(horizon=5, output_size=2), ValueError, "'output_size'"),
        (lambda: Seq2SeqGRU(horizon=5.0), TypeError, "'horizon'"),
        (lambda: MLPForecaster(input_len=0, horizon=3), ValueError, "'input_len'"),
        (lambda: NeuralODEForecaster(horizon=3, method="rk9"), ValueError, "'method'"),
        (lambda: NeuralODEForecaster(horizon=3, rtol=0.0), ValueError, "'rtol'"),
        (lambda: NeuralODEForecaster(horizon=3, adjoint=1), TypeError, "'adjoint'"),
        (lambda: NeuralODEForecaster(horizon=3, options=[1]), TypeError, "'options'"),
    ],
    ids=[
        "zero-horizon",
        "seq2seq-output-size",
        "float-horizon",
        "mlp-zero-input-len",
        "node-method",
        "node-rtol",
        "node-adjoint-not-bool",
        "node-options-not-dict",
    ],
)
def test_bad_constructor_arguments(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


@pytest.mark.parametrize(
    ("model", "x", "match"),
    [
        (Seq2SeqGRU(horizon=3), torch.zeros(4, 20), r"\(B, T, 1\). Got shape \(4, 20\)"),
        (Seq2SeqGRU(horizon=3), torch.zeros(4, 20, 2), r"\(B, T, 1\). Got shape \(4, 20, 2\)"),
        (MLPForecaster(input_len=20, horizon=3), torch.zeros(4, 19, 1), r"\(B, 20, 1\)"),
        (NeuralODEForecaster(horizon=3), torch.zeros(4, 0, 1), r"\(B, T, 1\)"),
    ],
    ids=["seq2seq-2d", "seq2seq-channels", "mlp-length", "node-empty"],
)
def test_bad_inputs(model, x, match):
    with pytest.raises(ValueError, match=match):
        model(x)
