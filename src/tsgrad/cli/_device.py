"""``--device``: where a command's model runs."""

from __future__ import annotations

from ._errors import CLIError


def resolve_device(choice: str):
    """``"auto"`` (CUDA when available, else the CPU), ``"cpu"`` or ``"cuda"`` -> a device.

    Raises
    ------
    CLIError
        ``"cuda"`` on a machine or a torch build without CUDA.
    """
    import torch

    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        why = (
            "this torch is a CPU-only build"
            if torch.version.cuda is None
            else "no CUDA device is visible"
        )
        raise CLIError(
            f"--device cuda: CUDA is not available ({why}: torch {torch.__version__}); "
            "use --device cpu or --device auto"
        )
    return torch.device(choice)
