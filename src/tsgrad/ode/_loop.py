"""The one stepping loop shared by every odeint method but ``scipy_solver``.

:func:`integrate` repeats: check the step budget, attempt a step (the stepper computes the
stages), judge it (the step-size controller or the grid), then either report the rejection
or commit the step (outputs inside it, events, the next state). What differs between a
joint solve and per-sample step control is *whose* time it is, so it lives in two clocks
with one interface:

* :class:`JointClock`: one time for the whole state, Python floats (the only host
  synchronisation per step is the error norm that decides acceptance), a schedule that
  proposes step ends (adaptive, or a fixed grid), events, callbacks, step records;
* :class:`PerSampleClock` (``options={"batch_dim": d}``): one time, step size and
  accept/reject decision per sample along dimension ``d``, all samples advancing together
  in one batched stepper call per stage; a sample that reached the final time idles.

Every run ends: ``max_num_steps`` bounds the attempted steps (accepted and rejected), a
step that cannot advance the time raises, and a non-finite ``func`` value ends in a named
error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._control import StepSizeController, rms_norm
from ._errors import MaxStepsExceededError, NonFiniteStateError, StepSizeUnderflowError
from ._problem import Problem
from ._step import Step

__all__ = ["JointClock", "Outcome", "PerSampleClock", "integrate", "step_outputs"]


@dataclass
class Outcome:
    """What a run of the loop produced (internal coordinates)."""

    ys: torch.Tensor  # (n_out, *y0.shape); with an event: (2, *y0.shape) = [y0, y(t_event)]
    event_t: float | None = None
    steps: list[Step] | None = None
    outputs_per_step: list[int] | None = None
    n_accepted: int = 0
    n_rejected: int = 0
    nfe: int = 0
    njev: int = 0
    nlu: int = 0
    per_sample_accepted: list[int] | None = None
    per_sample_rejected: list[int] | None = None


def integrate(
    prob: Problem,
    y0: torch.Tensor,
    stepper,
    schedule=None,
    *,
    record: bool = False,
    recorder=None,
    check_steps: bool = False,
) -> Outcome:
    """Run the stepping loop from ``prob.t_out[0]`` over all output times (or to an event).

    Parameters
    ----------
    prob : Problem
    y0 : tensor
        The initial state (``prob.y0`` or a differentiable stand-in for it).
    stepper
        Computes a step: ``step(t0, h, y0, f0, end_perturb, with_error) -> Step``.
    schedule
        Where a joint solve steps (None with per-sample control).
    record : bool
        Keep every accepted :class:`Step` (with its stages, for dense output).
    recorder : object, optional
        ``recorder.add(step, n_outputs)`` for each accepted step (what it keeps is its
        business: the checkpoint route keeps times and a few states).
    check_steps : bool
        Check every accepted state for NaN / inf (one host synchronisation per step): the
        fixed-grid methods replay a failed solve so, to name the step.
    """
    if prob.batch_dim is not None:
        clock = PerSampleClock(prob, y0, stepper, schedule)
    else:
        clock = JointClock(prob, y0, stepper, schedule, record, recorder, check_steps)
    budget = prob.options.max_num_steps
    clock.start()
    while clock.running():
        if clock.attempts >= budget:
            raise MaxStepsExceededError(
                f"max_num_steps={budget} attempted steps reached{clock.describe_attempts()}",
                **clock.where(),
            )
        st = clock.attempt()
        if clock.judge(st):
            clock.commit(st)
        else:
            clock.rejected(st)
    return clock.outcome()


def step_outputs(stepper, st: Step, times: list[float]) -> torch.Tensor:
    """The outputs at ``times`` (inside ``st``, increasing), one batched interpolation."""
    exact_end = times[-1] == st.t1
    inner = times[:-1] if exact_end else times
    parts = []
    if inner:
        parts.append(stepper.interp(st, [(x - st.t0) / st.h for x in inner]))
    if exact_end:
        parts.append(st.y1.unsqueeze(0))
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def _finite(x: torch.Tensor | None) -> bool:
    return x is None or bool(torch.isfinite(x).all())


def _underflows(h: float, t: float) -> bool:
    """A step size the time cannot resolve (``not >=`` catches a NaN step too)."""
    return not h >= 8 * math.ulp(max(abs(t), 1.0))


_NORM_HINT = "Check the 'norm' option: it must return a finite, non-negative scalar."


class JointClock:
    """One Python-float time for the whole state; a schedule proposes the step ends."""

    def __init__(self, prob, y0, stepper, schedule, record, recorder, check_steps):
        self.prob, self.stepper, self.schedule = prob, stepper, schedule
        self.recorder, self.check_steps = recorder, check_steps
        self.callbacks = None if check_steps else prob.callbacks
        self.event = prob.event
        self.steps: list[Step] | None = [] if record else None
        self.per_step: list[int] | None = [] if record else None
        self.outs = [y0.unsqueeze(0)]
        self.y0 = y0
        self.idx, self.t, self.y = 1, prob.t_out[0], y0
        self.f0, self.f0_t, self.after_jump = None, self.t, False
        self.n_acc = self.n_rej = 0
        self.event_t = None
        self.g0 = None
        self.pending = None  # (t1, end_jump) of the attempted step
        self.done = False

    # -- the loop's interface --

    @property
    def attempts(self) -> int:
        return self.n_acc + self.n_rej

    def describe_attempts(self) -> str:
        return f", {self.n_rej} of them rejected"

    def where(self) -> dict:
        return dict(t=self.prob.user_time(self.t), step=self.n_acc)

    def start(self) -> None:
        prob, t = self.prob, self.t
        if self.event is not None:
            self.g0 = self.event.value(t, self.y)
            if self.event.at_zero(self.g0):  # torchdiffeq: an event at t0 is the event
                self.event_t = t
                self.outs.append(self.y0.unsqueeze(0))
                self.done = True
                return
        self._evaluate_f0()
        _check_f0(prob, self.f0, t)
        self.schedule.start(t, self.y, self.f0, self.stepper)
        if math.isnan(self.schedule.h):
            raise NonFiniteStateError(
                "The initial step size is nan (the error norm of the finite y0 and f0 is not "
                "finite)",
                **self.where(),
                hint=_NORM_HINT,
            )

    def running(self) -> bool:
        if self.done:
            return False
        if self.event is None and self.idx >= len(self.prob.t_out):
            return False
        self.pending = self.schedule.propose(self.t)
        return self.pending is not None

    def attempt(self) -> Step:
        t = self.t
        t1, end_jump = self.pending
        if not t1 > t:  # a step the time cannot resolve
            raise StepSizeUnderflowError(
                f"The step size fell to {t1 - t:.3g}, below what t can resolve", **self.where()
            )
        if t1 == math.inf:
            raise NonFiniteStateError(
                "The time became infinite",
                **self.where(),
                hint="The event function never crossed zero: check event_fn and its sign.",
            )
        if self.f0 is None:
            self._evaluate_f0()
        h = t1 - t
        if self.callbacks:
            self.callbacks.step(t, self.y, h)
        st = self.stepper.step(
            t, h, self.y, self.f0, end_perturb=end_jump, with_error=self.schedule.adaptive
        )
        st.t1, st.f0_t, st.end_perturb = t1, self.f0_t, end_jump
        return st

    def judge(self, st: Step) -> bool:
        return self.schedule.judge(st)

    def rejected(self, st: Step) -> None:
        self.n_rej += 1
        t, where = self.t, self.where()
        if self.callbacks:
            self.callbacks.reject(t, self.y, st.h)
        ratio = self.schedule.ratio
        if math.isnan(ratio) and _finite(st.y1) and _finite(st.err):
            raise NonFiniteStateError(
                f"The error norm is {ratio} for a finite error estimate", **where, hint=_NORM_HINT
            )
        if _underflows(self.schedule.h, t):
            if not _finite(st.y1):
                raise NonFiniteStateError("The ODE state became non-finite", **where)
            raise StepSizeUnderflowError(
                f"The step size fell to {self.schedule.h:.3g}, below what t can resolve", **where
            )

    def commit(self, st: Step) -> None:
        prob, t, t1 = self.prob, self.t, st.t1
        self.n_acc += 1
        if self.callbacks:
            self.callbacks.accept(t, self.y, st.h)
        if self.check_steps and not _finite(st.y1):
            raise NonFiniteStateError(
                f"The ODE state became non-finite in the step from t={prob.user_time(t):.17g} "
                f"to t={prob.user_time(t1):.17g}",
                t=prob.user_time(t),
                step=self.n_acc - 1,
            )
        if self.event is not None:
            g1 = self.event.value(t1, st.y1)
            crossing = self.event.crossed(self.g0, g1)
            if crossing:
                theta = self.event.locate(self.stepper, st, self.g0, g1, crossing)
                self.event_t = t + theta * st.h
                y_event = st.y1 if theta == 1.0 else self.stepper.interp(st, [theta])[0]
                self.outs.append(y_event.unsqueeze(0))
                self._keep(st, 1)
                self.done = True
                return
            self.g0 = g1
        t_out, j = prob.t_out, self.idx
        while j < len(t_out) and t_out[j] <= t1:
            j += 1
        if j > self.idx:
            self.outs.append(step_outputs(self.stepper, st, list(t_out[self.idx : j])))
        self._keep(st, j - self.idx)
        self.idx = j
        self.t, self.y = t1, st.y1
        self.after_jump = st.end_perturb
        self.f0 = None if (st.end_perturb or self.stepper.perturb) else st.f1
        self.f0_t = t1

    def outcome(self) -> Outcome:
        ys = torch.cat(self.outs) if len(self.outs) > 1 else self.outs[0]
        if not self.schedule.adaptive and not _finite(ys):
            self._raise_fixed_grid_non_finite(ys)
        return Outcome(
            ys=ys,
            event_t=self.event_t,
            steps=self.steps,
            outputs_per_step=self.per_step,
            n_accepted=self.n_acc,
            n_rejected=self.n_rej,
            nfe=self.stepper.nfe,
            njev=getattr(self.stepper, "njev", 0),
            nlu=getattr(self.stepper, "nlu", 0),
        )

    # -- helpers --

    def _evaluate_f0(self) -> None:
        t = self.t
        nudged = self.after_jump or self.stepper.perturb
        self.f0_t = self.stepper.nudge(t, math.inf) if nudged else t
        self.f0 = self.stepper.eval(self.f0_t, self.y)

    def _keep(self, st: Step, n_outputs: int) -> None:
        if self.steps is not None:
            self.steps.append(st)
            self.per_step.append(n_outputs)
        if self.recorder is not None:
            self.recorder.add(st, n_outputs)

    def _raise_fixed_grid_non_finite(self, ys: torch.Tensor) -> None:
        """Name the step where a fixed-grid solve became non-finite.

        The loop does not synchronise per step to look; a failed solve is replayed once,
        without autograd or callbacks, checking every step (fixed grids are deterministic).
        Should the replay not see it (a NaN only in an interpolated output), the first
        non-finite output time is named.
        """
        prob = self.prob
        if not self.check_steps:
            stepper, schedule = self.stepper.fresh(), self.schedule.fresh()
            with torch.no_grad():
                integrate(prob, self.y0.detach(), stepper, schedule, check_steps=True)
        rows = (~torch.isfinite(ys.reshape(ys.shape[0], -1))).any(dim=1)
        bad = int(rows.nonzero()[0])
        t_bad = prob.t_out[bad] if self.event is None else self.t
        raise NonFiniteStateError(
            "The ODE state became non-finite", t=prob.user_time(t_bad), step=self.n_acc
        )


def _check_f0(prob: Problem, f0: torch.Tensor, t: float) -> None:
    """``f(t0, y0)`` must be finite: the step-size heuristic and every step use it."""
    if not _finite(f0):
        raise NonFiniteStateError(
            "func(t0, y0) is NaN or inf",
            t=prob.user_time(t),
            step=0,
            hint="Check func at the initial state (a division by zero, a log of 0, ...).",
        )


class PerSampleClock:
    """One time, step size and accept/reject decision per sample (batch-first inside).

    The state is moved so that the batch dimension is first; ``func`` receives the
    per-sample times as a tensor of shape ``(B,)``. Outputs are written into a buffer
    ``(n_out, B, ...)`` as each sample passes them, one batched interpolation per step.
    """

    def __init__(self, prob: Problem, y0: torch.Tensor, stepper, controller):
        self.prob, self.stepper, self.controller = prob, stepper, controller
        d = self.d = prob.batch_dim
        y = y0.movedim(d, 0)
        self.batch, self.dev = y.shape[0], y.device
        self.y = y
        self.bshape = (self.batch,) + (1,) * (y.dim() - 1)
        self.t_out = torch.tensor(prob.t_out, dtype=torch.float64, device=self.dev)
        self.t_end = prob.t_out[-1]
        n_out = len(prob.t_out)
        self.buf = y.unsqueeze(0).expand((n_out,) + tuple(y.shape))
        self.next_out = 1
        self.t = torch.full((self.batch,), prob.t_out[0], dtype=torch.float64, device=self.dev)
        self.h = None
        self.k0 = None
        self.n_acc = torch.zeros(self.batch, dtype=torch.long, device=self.dev)
        self.n_att = torch.zeros_like(self.n_acc)  # attempted steps (accepted and rejected)
        # any sample running, its smallest step, most accepted, most attempted, t.min(),
        # the outputs all samples have passed: read from the device once per step
        self.status = [1.0, math.inf, 0.0, 0.0, prob.t_out[0], 1.0]
        self.t_end_tensor = torch.tensor(self.t_end, dtype=torch.float64, device=self.dev)
        self.inf = torch.tensor(math.inf, dtype=torch.float64, device=self.dev)
        self.active = self.t1 = self.h_eff = self.accept = self.ratio = None

    @property
    def attempts(self) -> int:
        return int(self.status[3])

    def describe_attempts(self) -> str:
        return " by one sample"

    def where(self) -> dict:
        return dict(t=self.prob.user_time(self.status[4]), step=int(self.status[2]))

    def start(self) -> None:
        prob, opts = self.prob, self.prob.options
        self.k0 = self.stepper.eval(self.t.reshape(self.bshape), self.y)
        _check_f0(prob, self.k0, prob.t_out[0])
        if opts.first_step is not None:
            h0 = opts.first_step
        else:
            joint = StepSizeController(
                rtol=self.controller.rtol,
                atol=self.controller.atol,
                norm=rms_norm,
                error_order=self.stepper.error_order,
                max_step=opts.max_step,
                floor=prob.scale_floor,
            )
            h0 = joint.initial_step(
                lambda s, yy: self.stepper.eval(torch.full(self.bshape, s, device=self.dev), yy),
                prob.t_out[0],
                self.y,
                self.k0,
            )
        h0 = min(max(h0, opts.min_step), opts.max_step)
        self.h = torch.full((self.batch,), h0, dtype=torch.float64, device=self.dev)

    def running(self) -> bool:
        active, min_h, _, _, t_min = self.status[:5]
        if not active:
            return False
        if _underflows(min_h, t_min):
            if not bool(torch.isfinite(self.ratio[self.t < self.t_end]).all()):
                raise NonFiniteStateError(
                    "The ODE state of a sample became non-finite", **self.where()
                )
            raise StepSizeUnderflowError(
                f"The step size of a sample fell to {min_h:.3g}", **self.where()
            )
        return True

    def attempt(self) -> Step:
        t, h, t_end = self.t, self.h, self.t_end
        self.active = active = t < t_end
        last = h >= t_end - t
        h_eff = torch.where(active, torch.where(last, t_end - t, h), torch.zeros_like(h))
        self.t1 = torch.where(active & last, self.t_end_tensor, t + h_eff)
        self.h_eff = h_eff  # float64; the stepper gets it in the state's dtype
        hb = h_eff.to(self.y.real.dtype if self.y.is_complex() else self.y.dtype)
        st = self.stepper.step(
            t.reshape(self.bshape), hb.reshape(self.bshape), self.y, self.k0, with_error=True
        )
        st.t1 = self.t1
        return st

    def judge(self, st: Step) -> bool:
        """Per-sample decisions; always "commit" (the accepted samples advance)."""
        accept, h_new, self.ratio = self.controller.judge_many(st, self.h_eff)
        self.accept = accept & self.active
        self.h = torch.where(self.active, h_new, self.h)
        self.n_acc += self.accept
        self.n_att += self.active
        return True

    def rejected(self, st: Step) -> None:  # every step is committed, sample by sample
        raise AssertionError("unreachable")

    def commit(self, st: Step) -> None:
        accept, t, t1, y = self.accept, self.t, self.t1, self.y
        with torch.no_grad():
            hi = int(torch.searchsorted(self.t_out, t1.max(), right=True))
        if hi > self.next_out:
            self._write_outputs(st, hi)
        acc = accept.reshape(self.bshape)
        self.y = torch.where(acc, st.y1, y)
        f1 = st.f1 if st.f1 is not None else self.stepper.eval(t1.reshape(self.bshape), st.y1)
        self.k0 = torch.where(acc, f1, self.k0)
        self.t = t = torch.where(accept, t1, t)
        with torch.no_grad():  # one host synchronisation for all the bookkeeping
            running = t < self.t_end
            t_min = t.min()
            self.status = torch.stack(
                [
                    running.any().to(torch.float64),
                    torch.where(running, self.h, self.inf).min(),
                    self.n_acc.max().to(torch.float64),
                    self.n_att.max().to(torch.float64),
                    t_min,
                    torch.searchsorted(self.t_out, t_min, right=True).to(torch.float64),
                ]
            ).tolist()
        self.next_out = max(self.next_out, int(self.status[5]))

    def _write_outputs(self, st: Step, hi: int) -> None:
        """Outputs inside accepted steps: only those (output, sample) pairs, in one batch."""
        window = self.t_out[self.next_out : hi]
        t, t1 = self.t, self.t1
        inside = (
            self.accept[None, :] & (window[:, None] > t[None, :]) & (window[:, None] <= t1[None, :])
        )
        pairs = inside.nonzero()
        if not pairs.numel():
            return
        jl, rows = pairs[:, 0], pairs[:, 1]
        tj = window[jl]
        theta = ((tj - t[rows]) / self.h_eff[rows]).clamp(0, 1)
        vals = self.stepper.interp_rows(st, theta, rows)
        exact = (tj == t1[rows]).reshape((-1,) + (1,) * (vals.dim() - 1))
        vals = torch.where(exact, st.y1[rows], vals)
        self.buf = self.buf.index_put((jl + self.next_out, rows), vals)

    def outcome(self) -> Outcome:
        return Outcome(
            ys=self.buf.movedim(1, self.d + 1),
            nfe=self.stepper.nfe,
            njev=getattr(self.stepper, "njev", 0),
            nlu=getattr(self.stepper, "nlu", 0),
            n_accepted=int(self.n_acc.max()),
            n_rejected=int((self.n_att - self.n_acc).max()),
            per_sample_accepted=self.n_acc.tolist(),
            per_sample_rejected=(self.n_att - self.n_acc).tolist(),
        )
