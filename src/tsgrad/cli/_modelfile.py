"""``model.pt``: a trained forecaster with everything needed to rebuild and use it.

The file is a plain dict (tensors, numbers, strings, lists), written atomically and read
with ``weights_only`` loading, so opening a file never runs code from it::

    {"format": "tsgrad-model", "format_version": 1, "tsgrad_version": "0.1.0",
     "model": {"name", "input_size", "output_size", "input_len", "horizon", "hyper"},
     "state_dict": {...}, "scaler": None or {"mean": [...], "scale": [...]},
     "data": {...}, "training": {...}, "metrics": {...}}

``data`` holds the :class:`FileSettings` of a user's file (``tsgrad train``) or the spec of
an experiment's data set (``tsgrad reproduce``).
"""

from __future__ import annotations

from pathlib import Path

from ._errors import CLIError

FORMAT = "tsgrad-model"
FORMAT_VERSION = 1


def model_hyper(name: str, hidden_size: int) -> dict:
    """The constructor arguments of model ``name`` for one ``--hidden-size``."""
    if name == "node":
        return {
            "encoder_hidden_size": hidden_size,
            "ode_hidden_size": hidden_size,
            "latent_size": min(32, hidden_size),
        }
    return {"hidden_size": hidden_size}


def save_model_file(
    path, *, model, spec: dict, scaler, data: dict, training: dict, metrics: dict
) -> Path:
    """Write ``model.pt`` atomically; ``spec`` is the ``model`` entry (name, shapes, hyper)."""
    from tsgrad import __version__
    from tsgrad.training import save_checkpoint

    state = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tsgrad_version": __version__,
        "model": dict(spec),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "scaler": None
        if scaler is None
        else {"mean": scaler.mean.tolist(), "scale": scaler.scale.tolist()},
        "data": dict(data),
        "training": dict(training),
        "metrics": dict(metrics),
    }
    return save_checkpoint(state, path)


def load_model_file(path):
    """Read ``model.pt``: ``(model in eval mode, scaler or None, the file's dict)``."""
    from tsgrad.data import StandardScaler
    from tsgrad.models import build_model
    from tsgrad.training import load_checkpoint

    if not Path(path).is_file():
        raise CLIError(f"--checkpoint: no such file: {path}")
    try:
        state = load_checkpoint(path)
    except ValueError:  # torch's own message is long and about pickling
        raise CLIError(
            f"--checkpoint: {path} is not a tsgrad model.pt file (not a readable torch file)"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        hint = ""
        if isinstance(state, dict) and "optimizer" in state:
            hint = " (it is a training-state checkpoint for --resume; pass the model.pt next to it)"
        raise CLIError(f"--checkpoint: {path} is not a tsgrad model.pt file{hint}")
    if state.get("format_version") != FORMAT_VERSION:
        raise CLIError(
            f"--checkpoint: {path} has format version {state.get('format_version')}; this "
            f"tsgrad reads version {FORMAT_VERSION}"
        )
    spec = state["model"]
    model = build_model(
        spec["name"],
        input_size=spec["input_size"],
        output_size=spec["output_size"],
        input_len=spec["input_len"],
        horizon=spec["horizon"],
        **spec["hyper"],
    )
    try:
        model.load_state_dict(state["state_dict"])
    except RuntimeError as exc:
        raise CLIError(f"--checkpoint: {path}: the weights do not fit the model: {exc}") from None
    model.eval()
    scaler = state["scaler"]
    if scaler is not None:
        scaler = StandardScaler(scaler["mean"], scaler["scale"])
    return model, scaler, state
