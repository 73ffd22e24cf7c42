"""Per-sample step-size control for batched states (``options={"batch_dim": d}``).

Every sample along the batch dimension has its own time, step size and accept/reject
decision, so one stiff or fast sample does not force small steps on the whole batch. All
samples still advance together in one vectorised loop (one batched ``func`` call per stage);
a sample that has reached the final time idles. ``func`` receives the per-sample times as a
tensor of shape ``(B,)``.

Supported with adaptive Runge-Kutta methods that have a dense output (``dopri5``, ``tsit5``,
``bosh3``, ``dopri8``), a tensor state, and without events, ``step_t`` / ``jump_t`` or a
custom ``norm``.
"""

from __future__ import annotations

import math

import torch

from ._errors import MaxStepsExceededError, NonFiniteStateError, StepSizeUnderflowError
from ._tableaus import TABLEAUS

__all__ = ["check_batched", "integrate_per_sample"]


def check_batched(prob) -> int:
    """Validate a per-sample problem; return the (non-negative) batch dimension."""
    opts = prob.options
    d = opts["batch_dim"]
    where = "odeint"
    tab = TABLEAUS[prob.method]
    problems = []
    if prob.shapes is not None:
        problems.append("a tensor state (not a tuple)")
    if tab.dense is None:
        problems.append("a method with dense output (dopri5, tsit5, bosh3, dopri8)")
    if prob.event is not None:
        problems.append("no event_fn")
    if opts["step_t"] or opts["jump_t"] or opts["norm"] is not None:
        problems.append("no step_t, jump_t or norm option")
    if prob.t.requires_grad and torch.is_grad_enabled():
        problems.append("t without requires_grad (time gradients are not supported)")
    if problems:
        raise ValueError(
            f"The 'batch_dim' option of {where} needs {', '.join(problems)}. "
            f"Got method={prob.method!r} and such arguments instead."
        )
    ndim = prob.y0.dim()
    if not -ndim <= d < ndim:
        raise ValueError(
            f"The 'batch_dim' option of {where} must be a dimension of y0 (ndim {ndim}). "
            f"Got {d} instead."
        )
    return d % ndim


def integrate_per_sample(prob):
    """Solve ``prob`` with one step size per sample; returns an ``Outcome``."""
    from ._solve import Outcome

    d = check_batched(prob)
    opts = prob.options
    tab = TABLEAUS[prob.method]
    y0 = prob.y0.movedim(d, 0)
    batch = y0.shape[0]
    dev = y0.device
    real = y0.real.dtype if y0.is_complex() else y0.dtype
    nfe = [0]

    def f(tt: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        nfe[0] += 1
        return prob.tensor_func(tt.to(prob.time_dtype), y.movedim(0, d)).movedim(d, 0)

    def bcast(v: torch.Tensor) -> torch.Tensor:  # (B,) -> (B, 1, ..., 1)
        return v.to(real).reshape((batch,) + (1,) * (y0.dim() - 1))

    def bmask(m: torch.Tensor) -> torch.Tensor:  # (..., B) bool -> broadcastable on states
        return m.reshape(tuple(m.shape) + (1,) * (y0.dim() - 1))

    def rms(x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(batch, -1)
        if x.shape[1] == 0:
            return x.new_zeros(batch, dtype=real)
        return torch.linalg.vector_norm(x, dim=1) / math.sqrt(x.shape[1])

    rtol, atol = prob.rtol, prob.atol
    floor = 0.0
    if float(atol.min() if isinstance(atol, torch.Tensor) else atol) == 0:
        floor = torch.finfo(real).tiny
    if isinstance(rtol, torch.Tensor) and rtol.dim() > 0:
        rtol = rtol.movedim(d, 0)
    if isinstance(atol, torch.Tensor) and atol.dim() > 0:
        atol = atol.movedim(d, 0)
    safety, ifactor, dfactor = opts["safety"], opts["ifactor"], opts["dfactor"]
    min_step, max_step = opts["min_step"], opts["max_step"]
    expo = -1.0 / (tab.error_order + 1)
    a_rows = [[(j, a) for j, a in enumerate(row) if a != 0.0] for row in tab.a]
    b = [(j, w) for j, w in enumerate(tab.b) if w != 0.0]
    e = [(j, w) for j, w in enumerate(tab.b_err) if w != 0.0]
    dense = torch.tensor(tab.dense, dtype=torch.float64, device=dev)  # (s, p)
    powers = torch.arange(1, dense.shape[1] + 1, dtype=torch.float64, device=dev)

    t_out = torch.tensor(prob.t_out, dtype=torch.float64, device=dev)
    n_out = len(prob.t_out)
    t_end = prob.t_out[-1]
    buf = y0.unsqueeze(0).expand((n_out,) + tuple(y0.shape))  # outputs, filled as reached
    rest = tuple(y0.shape[1:])

    t = torch.full((batch,), prob.t_out[0], dtype=torch.float64, device=dev)
    y = y0
    k0 = f(t, y)
    if not bool(torch.isfinite(k0).all()):
        raise NonFiniteStateError(
            "func(t0, y0) is NaN or inf",
            t=prob.user_time(prob.t_out[0]),
            step=0,
            hint="Check func at the initial state (a division by zero, a log of 0, ...).",
        )
    if opts["first_step"] is not None:
        h0 = opts["first_step"]
    else:
        from ._control import StepSizeController, rms_norm

        ctrl = StepSizeController(
            rtol=prob.rtol,
            atol=prob.atol,
            norm=rms_norm,
            error_order=tab.error_order,
            max_step=max_step,
            floor=floor,
        )
        h0 = ctrl.initial_step(
            lambda s, yy: f(torch.full((batch,), s, dtype=torch.float64, device=dev), yy),
            prob.t_out[0],
            y0,
            k0,
        )
    h = torch.full((batch,), min(max(h0, min_step), max_step), dtype=torch.float64, device=dev)
    n_acc = torch.zeros(batch, dtype=torch.long, device=dev)
    n_rej = torch.zeros(batch, dtype=torch.long, device=dev)
    next_out = 1
    max_num_steps = opts["max_num_steps"]
    while True:
        active = t < t_end
        last = h >= t_end - t
        h_eff = torch.where(active, torch.where(last, t_end - t, h), torch.zeros_like(h))
        t1 = torch.where(active & last, torch.full_like(t, t_end), t + h_eff)
        hb = bcast(h_eff)
        ks = [k0]
        yi = y
        for i in range(1, tab.stages):
            acc = sum((ks[j] * a for j, a in a_rows[i][1:]), ks[a_rows[i][0][0]] * a_rows[i][0][1])
            yi = y + hb * acc
            ks.append(f(t + tab.c[i] * h_eff, yi))
        y1 = yi if tab.fsal else y + hb * sum(ks[j] * w for j, w in b)
        with torch.no_grad():
            err = bcast(h_eff) * sum(ks[j].detach() * w for j, w in e)
            scale = atol + rtol * torch.maximum(y.detach().abs(), y1.detach().abs())
            if floor:
                scale = scale.clamp_min(floor)
            ratio = rms(err / scale).to(torch.float64)
            finite = torch.isfinite(ratio)
            accept = active & finite & ((ratio <= 1.0) | (h_eff <= min_step))
            factor = safety * ratio.clamp_min(1e-300) ** expo
            factor = torch.where(ratio == 0, torch.full_like(factor, ifactor), factor)
            lower = torch.where(accept, torch.ones_like(factor), torch.full_like(factor, dfactor))
            factor = torch.minimum(torch.maximum(factor, lower), torch.full_like(factor, ifactor))
            factor = torch.where(finite, factor, torch.full_like(factor, dfactor))
            h_new = (h_eff * factor).clamp(min_step, max_step)
            h = torch.where(active, h_new, h)
            n_acc += accept
            n_rej += active & ~accept
        # outputs inside accepted steps, in one batched interpolation per output time
        with torch.no_grad():
            hi = int(torch.searchsorted(t_out, t1.max(), right=True))
        if hi > next_out:
            # Only the (output, sample) pairs inside an accepted step are interpolated.
            window = t_out[next_out:hi]  # (n_w,)
            inside = (
                accept[None, :] & (window[:, None] > t[None, :]) & (window[:, None] <= t1[None, :])
            )
            pairs = inside.nonzero()
            if pairs.numel():
                jl, bi = pairs[:, 0], pairs[:, 1]
                tj, t0b, hb_p = window[jl], t[bi], h_eff[bi]
                theta = ((tj - t0b) / hb_p).clamp(0, 1)
                w = ((theta[:, None] ** powers) @ dense.T) * hb_p[:, None]  # (P, s)
                kst = torch.stack(ks, dim=1)[bi].reshape(len(bi), tab.stages, -1)
                vals = y[bi].reshape(len(bi), -1) + (w.to(y.dtype)[:, :, None] * kst).sum(1)
                exact = (tj == t1[bi])[:, None]
                vals = torch.where(exact, y1[bi].reshape(len(bi), -1), vals)
                buf = buf.index_put((jl + next_out, bi), vals.reshape((len(bi),) + rest))
        acc_b = bmask(accept)
        y = torch.where(acc_b, y1, y)
        k0 = torch.where(acc_b, ks[-1] if tab.fsal else f(t1, y1), k0)
        t = torch.where(accept, t1, t)
        with torch.no_grad():
            done_upto = int(torch.searchsorted(t_out, t.min(), right=True))
            status = torch.stack(
                [
                    (t < t_end).any().to(torch.float64),
                    torch.where(t < t_end, h, torch.full_like(h, math.inf)).min(),
                    n_acc.max().to(torch.float64),
                    (n_acc + n_rej).max().to(torch.float64),
                    (active & ~finite).any().to(torch.float64),
                ]
            ).tolist()
        next_out = max(next_out, done_upto)
        if not status[0]:
            break
        s_min = float(t.min())
        # "not >=" so that a NaN step size is caught too
        if not status[1] >= 8 * math.ulp(max(abs(s_min), 1.0)):
            where = dict(t=prob.user_time(s_min), step=int(status[2]))
            if status[4]:
                raise NonFiniteStateError("The ODE state of a sample became non-finite", **where)
            raise StepSizeUnderflowError(
                f"The step size of a sample fell to {status[1]:.3g}", **where
            )
        if status[3] >= max_num_steps:
            raise MaxStepsExceededError(
                f"max_num_steps={max_num_steps} reached for a sample (accepted and rejected steps)",
                t=prob.user_time(s_min),
                step=int(status[2]),
            )
    ys = buf.movedim(1, d + 1)
    stats = opts.get("stats")
    if stats is not None:
        stats.per_sample_accepted = n_acc.tolist()
        stats.per_sample_rejected = n_rej.tolist()
    return Outcome(ys=ys, nfe=nfe[0], n_accepted=int(n_acc.max()), n_rejected=int(n_rej.max()))
