"""Solver statistics, filled in on request."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SolverStats"]


@dataclass
class SolverStats:
    """Counters filled in by a solve when passed as ``options={"stats": stats}``.

    Attributes
    ----------
    nfe : int
        Function evaluations ``func(t, y)`` (including the initial-step heuristic).
    n_accepted : int
        Accepted steps.
    n_rejected : int
        Rejected steps (always 0 for fixed-grid methods).
    njev : int
        Jacobian evaluations of the implicit methods (each one ``func`` call and a batched
        vector-Jacobian product per column).
    nlu : int
        LU factorisations of Newton matrices (each one batched call for all samples).
    per_sample_accepted, per_sample_rejected : list of int or None
        With per-sample step control (``options={"batch_dim": d}``), the counts of each
        sample of the batch; ``None`` otherwise.

    Examples
    --------
    >>> import torch
    >>> from tsgrad.ode import SolverStats, odeint
    >>> stats = SolverStats()
    >>> _ = odeint(lambda t, y: -y, torch.ones(3), torch.tensor([0.0, 1.0]),
    ...            options={"stats": stats})
    >>> stats.nfe > 0 and stats.n_accepted > 0
    True
    """

    nfe: int = 0
    n_accepted: int = 0
    n_rejected: int = 0
    njev: int = 0
    nlu: int = 0
    per_sample_accepted: list[int] | None = field(default=None)
    per_sample_rejected: list[int] | None = field(default=None)

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.nfe = self.n_accepted = self.n_rejected = self.njev = self.nlu = 0
        self.per_sample_accepted = self.per_sample_rejected = None
