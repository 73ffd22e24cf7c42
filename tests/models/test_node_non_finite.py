"""NeuralODEForecaster with a NaN in one input series: a named error, never a hang.

The latent solve used to hang on the NaN initial state; forward, ``fit`` and ``evaluate``
must now end with the ODE package's ``NonFiniteStateError``, passed through unchanged. Each
call runs under a deadline so that a regression fails instead of hanging CI.
"""

import threading

import pytest
import torch
from torch.utils.data import TensorDataset

from tsgrad.models import NeuralODEForecaster
from tsgrad.ode import NonFiniteStateError
from tsgrad.training import evaluate, fit

DEADLINE_S = 60.0
INPUT_LEN, HORIZON = 8, 4


def _raised_within(fn):
    box = {}

    def target():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    if thread.is_alive():
        pytest.fail(f"the call did not end within {DEADLINE_S} s (a hang)")
    return box.get("error")


def _data():
    torch.manual_seed(0)
    x = torch.randn(6, INPUT_LEN, 1)
    x[3, 5, 0] = float("nan")  # one value of one series
    return x, torch.randn(6, HORIZON, 1)


@pytest.mark.parametrize("adjoint", [False, True], ids=["backprop", "adjoint"])
@pytest.mark.parametrize("call", ["forward", "fit", "evaluate"])
def test_nan_series_ends_with_the_named_error(call, adjoint):
    model = NeuralODEForecaster(
        horizon=HORIZON, latent_size=4, encoder_hidden_size=8, ode_hidden_size=8, adjoint=adjoint
    )
    x, y = _data()
    data = TensorDataset(x, y)
    run = {
        "forward": lambda: model(x),
        "fit": lambda: fit(model, data, epochs=1, batch_size=6, progress=False),
        "evaluate": lambda: evaluate(model, data),
    }[call]
    error = _raised_within(run)
    assert isinstance(error, NonFiniteStateError), repr(error)
    # the NaN shows in the latent initial state of that one series (4 latent entries)
    assert "initial state y0 holds NaN or inf (4 of 24 entries" in str(error)
    if call != "fit":  # fit shuffles the series
        assert "the first at index (3, 0)" in str(error)
