"""Jacobians by batched autograd and the Newton systems of the implicit methods.

A :class:`BlockJacobian` is ``df/dy`` of the internal right-hand side as a block-diagonal
matrix over a flat state: each *part* of the state (a slice) carries per-sample blocks
``(B, d, d)`` (``B = 1`` for a joint state; ``B`` samples along ``batch_dim`` when ``func``
treats them independently) or none (a zero Jacobian, e.g. the quadratures of the adjoint).
The Newton matrix of an implicit Runge-Kutta method is ``I - kron(C, J)`` with ``C`` an
``s x s`` matrix (``h A`` for all stages at once, ``h a_ii`` for one stage of a diagonally
implicit method); :meth:`BlockJacobian.factor` LU-factors it for every sample in one batched
call and :class:`NewtonFactor` solves with it.

Systems of at most :data:`INVERSE_SIZE` unknowns per sample are inverted outright (one
batched ``torch.linalg.inv``, then a batched matrix product per solve): for the tiny blocks
of a batch of small systems a batched LU solve costs far more in overhead than in
arithmetic, and the simplified Newton iterations absorb the inverse's rounding. Larger
ones are LU-factored (``torch.linalg.lu_factor`` / ``lu_solve``).

The Jacobian itself costs one call of ``func`` with autograd and ``d`` vector-Jacobian
products in one vmapped backward pass (``torch.autograd.grad(..., is_grads_batched=True)``;
one cotangent ``e_k`` per row, the same in every sample). Only the backward graph is
vmapped, so ``func`` may use ``.item()``, in-place updates or Python control flow; a
backward formula that vmap cannot batch falls back to ``d`` plain autograd products. (On a
batch of small systems this is about ten times cheaper than ``torch.func.vjp`` under
``torch.func.vmap``, whose per-call tracing overhead dominates.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["INVERSE_SIZE", "BlockJacobian", "FuncJacobian", "NewtonFactor", "Part"]

INVERSE_SIZE = 32  # unknowns per sample up to which Newton matrices are inverted


@dataclass
class Part:
    """A slice of the flat state with its Jacobian blocks."""

    start: int  # slice of the flat state
    stop: int
    shape: tuple[int, ...]  # the part's own shape (in the state's layout)
    batch_dim: int | None  # the samples' dimension in ``shape`` (None: one block)
    blocks: torch.Tensor | None  # (B, d, d), or None for a zero Jacobian

    def to_rows(self, x: torch.Tensor) -> torch.Tensor:
        """(s, n_part) -> (B, s, d), samples first."""
        s = x.shape[0]
        x = x.reshape((s, *self.shape))
        if self.batch_dim is not None:
            x = x.movedim(1 + self.batch_dim, 1)
            b = x.shape[1]
        else:
            b = 1
        return x.reshape(s, b, -1).transpose(0, 1)

    def from_rows(self, x: torch.Tensor) -> torch.Tensor:
        """(B, s, d) -> (s, n_part)."""
        s = x.shape[1]
        x = x.transpose(0, 1)
        if self.batch_dim is not None:
            moved = list(self.shape)
            moved.insert(0, moved.pop(self.batch_dim))
            x = x.reshape((s, *moved)).movedim(1, 1 + self.batch_dim)
        return x.reshape(s, -1)


@dataclass
class BlockJacobian:
    """``df/dy`` as block-diagonal parts of a flat state of ``n`` entries."""

    parts: list[Part]
    n: int

    def rows(self, rows: torch.Tensor) -> BlockJacobian:
        """The blocks of some samples only (one part, samples first)."""
        (part,) = self.parts
        sub = Part(part.start, part.stop, part.shape, part.batch_dim, part.blocks[rows])
        return BlockJacobian([sub], self.n)

    def replaced(self, other: BlockJacobian, mask: torch.Tensor) -> BlockJacobian:
        """These blocks with the samples in ``mask`` (B,) taken from ``other``."""
        (part,) = self.parts
        blocks = torch.where(mask[:, None, None], other.parts[0].blocks, part.blocks)
        return BlockJacobian(
            [Part(part.start, part.stop, part.shape, part.batch_dim, blocks)], self.n
        )

    def factor(
        self, coeff: torch.Tensor, stages: list[BlockJacobian] | None = None
    ) -> NewtonFactor:
        """LU factors of ``I - kron(coeff, J)``, one per sample, in one batched call.

        ``coeff`` is (s, s), or (B, s, s) with one matrix per sample. With ``stages`` (s
        Jacobians of the same structure) column block ``j`` uses ``stages[j]``: the exact
        Jacobian of the stage equations, ``I - [C_ij J(Y_j)]``.
        """
        lus = []
        for k, part in enumerate(self.parts):
            if part.blocks is None:
                lus.append(None)
                continue
            c = coeff if coeff.dim() == 3 else coeff.unsqueeze(0)
            # a complex ``coeff`` gives complex factors of the blocks' precision
            dtype = part.blocks.dtype
            if c.is_complex():
                dtype = torch.promote_types(dtype, torch.complex64)
            c = c.to(device=part.blocks.device, dtype=dtype)
            s, d = c.shape[-1], part.blocks.shape[-1]
            eye = torch.eye(s * d, dtype=dtype, device=c.device)
            if stages is None and s == 1:  # one stage (shifted systems): one fused op
                m = torch.addcmul(eye, c, part.blocks, value=-1)
            else:
                if stages is None:
                    j = part.blocks[:, None, :, None, :]  # (B, 1, d, 1, d)
                else:
                    j = torch.stack([st.parts[k].blocks for st in stages], dim=1)  # (B, s, d, d)
                    j = j.permute(0, 2, 1, 3)[:, None, :, :, :]  # (B, 1, d, s, d)
                m = -(c[:, :, None, :, None] * j.to(c.dtype))
                b = max(m.shape[0], part.blocks.shape[0])
                m = m.expand(b, s, d, s, d).reshape(b, s * d, s * d) + eye
            if s * d <= INVERSE_SIZE:
                lus.append((torch.linalg.inv(m),))
            else:
                lus.append(torch.linalg.lu_factor(m))
        return NewtonFactor(self, lus)


@dataclass
class NewtonFactor:
    """Solves ``(I - kron(C, J)) x = r`` for stacked stage vectors ``r`` of shape (s, n)."""

    jac: BlockJacobian
    lus: list

    def solve(self, r: torch.Tensor) -> torch.Tensor:
        """``r``: (s, n), real or complex; the result has the factors' dtype."""
        parts = self.jac.parts
        if len(parts) == 1 and parts[0].batch_dim in (None, 0):  # no reordering needed
            b = parts[0].blocks.shape[0]
            s = r.shape[0]
            rows = r.reshape(s, b, -1).transpose(0, 1) if s > 1 else r.reshape(b, 1, -1)
            sol = self._apply(self.lus[0], rows)
            return sol.transpose(0, 1).reshape(r.shape) if s > 1 else sol.reshape(r.shape)
        dtype = torch.promote_types(r.dtype, self.lus[0][0].dtype) if self.lus[0] else r.dtype
        out = r.to(dtype).clone()
        for part, lu in zip(parts, self.lus, strict=True):
            if lu is None:
                continue  # a zero Jacobian: the identity
            rows = part.to_rows(r[:, part.start : part.stop])  # (B, s, d)
            out[:, part.start : part.stop] = part.from_rows(self._apply(lu, rows))
        return out

    def merged(self, other: NewtonFactor, rows: torch.Tensor) -> NewtonFactor:
        """These factors with the samples ``rows`` taken from ``other`` (factored for those
        samples only): a per-sample refactorisation."""
        lus = []
        for mine, theirs in zip(self.lus, other.lus, strict=True):
            if mine is None:
                lus.append(None)
                continue
            merged = []
            for a, b in zip(mine, theirs, strict=True):
                a = a.clone()
                a[rows] = b
                merged.append(a)
            lus.append(tuple(merged))
        return NewtonFactor(self.jac, lus)

    @staticmethod
    def _apply(lu, rows: torch.Tensor) -> torch.Tensor:
        """The solution for ``rows`` (B, s, d), same shape, the factors' dtype."""
        b, s, d = rows.shape
        x = rows.reshape(b, s * d, 1).to(lu[0].dtype)
        sol = lu[0] @ x if len(lu) == 1 else torch.linalg.lu_solve(*lu, x)
        return sol.reshape(b, s, d)


def _cotangents(shape, batch_dim, dtype, device) -> tuple[torch.Tensor, int, int]:
    """``(d, *shape)`` cotangents: ``e_k`` in every sample's block; and ``(B, d)``."""
    if batch_dim is None:
        n = math.prod(shape)
        return torch.eye(n, dtype=dtype, device=device).reshape(n, *shape), 1, n
    moved = list(shape)
    b = moved.pop(batch_dim)
    d = math.prod(moved)
    eye = torch.eye(d, dtype=dtype, device=device).reshape(d, 1, *moved).expand(d, b, *moved)
    return eye.movedim(1, 1 + batch_dim), b, d


def _rows_to_blocks(rows: torch.Tensor, shape, batch_dim, b: int, d: int) -> torch.Tensor:
    """vjp rows ``(d, *shape)`` (row k: ``e_k^T J`` of every sample) -> blocks (B, d, d)."""
    if batch_dim is not None:
        rows = rows.movedim(1 + batch_dim, 1)
    return rows.reshape(d, b, d).transpose(0, 1)


class FuncJacobian:
    """The Jacobian of ``func(t, y)`` with respect to ``y`` (a tensor of fixed shape).

    Parameters
    ----------
    func : callable
        ``func(t, y)``, the internal right-hand side.
    shape : tuple of int
        The state's shape.
    batch_dim : int, optional
        A dimension of independent samples: the Jacobian is kept as one ``d x d`` block per
        sample (``func`` must not couple them). None: one block of the whole state.
    """

    def __init__(self, func: Callable, shape, batch_dim: int | None = None):
        self.func, self.shape, self.batch_dim = func, tuple(shape), batch_dim
        self.njev = 0
        self._batched = True  # all d products in one vmapped backward pass

    def blocks(self, t, y: torch.Tensor) -> torch.Tensor:
        """``(B, d, d)`` blocks of ``df/dy`` at ``(t, y)``, without autograd history."""
        self.njev += 1
        cot, b, d = _cotangents(self.shape, self.batch_dim, y.dtype, y.device)
        with torch.enable_grad():
            yy = y.detach().requires_grad_(True)
            out = self.func(t, yy)
            if not out.requires_grad:  # f does not depend on y (or on anything)
                return torch.zeros((b, d, d), dtype=y.dtype, device=y.device)
            rows = None
            if self._batched:
                try:
                    rows = torch.autograd.grad(
                        out, yy, cot, allow_unused=True, is_grads_batched=True
                    )[0]
                except RuntimeError:  # a backward formula vmap cannot batch
                    self._batched = False
                    out = self.func(t, yy)  # the failed pass may have freed the graph
            if rows is None and not self._batched:
                rows = [
                    torch.autograd.grad(out, yy, c, retain_graph=True, allow_unused=True)[0]
                    for c in cot
                ]
                rows = None if rows[0] is None else torch.stack(rows)
        if rows is None:  # ``out`` requires grad through something other than ``y``
            return torch.zeros((b, d, d), dtype=y.dtype, device=y.device)
        return _rows_to_blocks(rows.detach(), self.shape, self.batch_dim, b, d)

    def __call__(self, t, y: torch.Tensor) -> BlockJacobian:
        n = math.prod(self.shape)
        part = Part(0, n, self.shape, self.batch_dim, self.blocks(t, y))
        return BlockJacobian([part], n)
