"""Butcher tableaus as data, validated when built, and the registry of named methods.

A new explicit Runge-Kutta method is data entry: build a :class:`ButcherTableau` and pass it
to :func:`register_tableau`; the stepping loop needs nothing else. The tableau checks its
own algebra at construction: rows of ``a`` sum to ``c``, ``sum(b) = 1``, ``sum(b_err) =
0``, the dense-output polynomials reach ``b`` at ``theta = 1``, and the order conditions of
every rooted tree up to the claimed ``order`` (and ``error_order`` for the embedded
weights, :func:`order_defect`), so a typo in a coefficient fails loudly instead of
silently lowering the order.

Numbers are plain Python floats (backend-neutral); the solver turns them into step weights.
Sources: Dormand & Prince (1980) for dopri5, with Shampine's (1986) dense output; Bogacki &
Shampine (1989) for bosh3; Tsitouras (2011) for tsit5; the DOP853 coefficients of Hairer,
Norsett & Wanner (numerical values as distributed with SciPy, BSD licence) for dopri8;
Fehlberg (1969) for fehlberg2; Kutta's 3/8 rule for rk4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction as Fr
from functools import cache

import numpy as np

__all__ = [
    "ButcherTableau",
    "IMPLICIT_TABLEAUS",
    "ImplicitTableau",
    "TABLEAUS",
    "derive_dense_output",
    "get_tableau",
    "order_defect",
    "register_tableau",
    "rooted_trees",
]

_TOL = 1e-12


def _close(x: float, y: float, scale: float = 1.0) -> bool:
    return abs(x - y) <= _TOL * max(1.0, scale)


# --- order conditions (Butcher's rooted trees) ----------------------------------------------
# A tree is the sorted tuple of its subtrees (the single node is ``()``). The order-p
# conditions are ``b . Phi(tree) = 1 / gamma(tree)`` for every tree of at most p nodes, with
# ``Phi(()) = 1`` and ``Phi(children) = prod_k A Phi(child_k)`` (elementwise product).


@cache
def rooted_trees(n: int) -> tuple:
    """All rooted trees with ``n`` nodes (1, 1, 2, 4, 9, 20, 48, 115, ... of them)."""
    if n == 1:
        return ((),)
    return tuple(sorted(_forests(n - 1)))


@cache
def _forests(m: int) -> frozenset:
    if m == 0:
        return frozenset({()})
    out = set()
    for k in range(1, m + 1):
        for tree in rooted_trees(k):
            for rest in _forests(m - k):
                out.add(tuple(sorted((tree, *rest))))
    return frozenset(out)


def _nodes(tree) -> int:
    return 1 + sum(_nodes(child) for child in tree)


def _density(tree) -> int:
    return _nodes(tree) * math.prod(_density(child) for child in tree)


def order_defect(a, b, order: int) -> tuple[float, int]:
    """The worst order condition of weights ``b`` on the matrix ``a`` (full, s x s).

    Returns ``(residual, n)``: the largest ``|b . Phi - 1/gamma|`` relative to
    ``max(1, |b| . |Phi|)`` over the trees of at most ``order`` nodes, and the node count of
    that tree (0 if all hold exactly).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    phis: dict = {}

    def phi(tree):
        if tree not in phis:
            v = np.ones(len(b))
            for child in tree:
                v = v * (a @ phi(child))
            phis[tree] = v
        return phis[tree]

    worst, where = 0.0, 0
    for n in range(1, order + 1):
        for tree in rooted_trees(n):
            v = phi(tree)
            r = abs(float(b @ v) - 1.0 / _density(tree)) / max(1.0, float(np.abs(b) @ np.abs(v)))
            if r > worst:
                worst, where = r, n
    return worst, where


@dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge-Kutta method, optionally embedded and with dense output.

    Parameters
    ----------
    name : str
        The method name used by ``odeint(method=name)``.
    c : tuple of float, length s
        Stage times as fractions of the step; ``c[0]`` must be 0.
    a : tuple of tuples of float
        The strictly lower-triangular part of the Butcher matrix: row ``i`` holds the ``i``
        coefficients ``a[i][0..i-1]`` (row 0 is empty).
    b : tuple of float, length s
        Weights of the propagated solution, of order ``order``.
    order : int
        Order of the propagated solution.
    b_err : tuple of float, length s, optional
        ``b - b_hat``: weights of the local error estimate ``h * sum(b_err[i] * k[i])``.
        Present for adaptive methods only.
    error_order : int, optional
        Order of the embedded solution ``b_hat`` (the estimate is ``O(h**(error_order+1))``).
    dense : tuple of tuples of float, shape (s, d), optional
        Continuous extension: ``y(t0 + theta*h) = y0 + h * sum_i k[i] * sum_j dense[i][j] *
        theta**(j+1)``. Without it the solver uses cubic Hermite interpolation.

    Notes
    -----
    ``fsal`` (first same as last) is derived: the last stage is evaluated at the new
    solution, so it is reused as the first stage of the next step.

    Examples
    --------
    Heun's method (order 2) with Euler's (order 1) embedded for the error estimate:

    >>> from tsgrad.ode import ButcherTableau
    >>> heun_euler = ButcherTableau(name="heun_euler", c=(0, 1), a=((), (1,)), b=(0.5, 0.5),
    ...                             order=2, b_err=(-0.5, 0.5), error_order=1)
    >>> heun_euler.stages, heun_euler.adaptive, heun_euler.fsal
    (2, True, False)

    A wrong coefficient fails when the tableau is built, naming the broken condition:

    >>> ButcherTableau(name="typo", c=(0, 1), a=((), (1,)), b=(0.4, 0.6), order=2)
    Traceback (most recent call last):
    ...
    ValueError: Butcher tableau 'typo' is invalid: b misses an order condition of a 2-node
    tree (defect 0.1); the claimed order is 2.

    :func:`register_tableau` makes it a ``method`` of :func:`odeint`.
    """

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    order: int
    b_err: tuple[float, ...] | None = None
    error_order: int | None = None
    dense: tuple[tuple[float, ...], ...] | None = None
    fsal: bool = field(init=False)

    def __post_init__(self):
        def fail(what: str):
            raise ValueError(f"Butcher tableau {self.name!r} is invalid: {what}.")

        s = len(self.c)
        as_floats = {
            "c": tuple(float(x) for x in self.c),
            "a": tuple(tuple(float(x) for x in row) for row in self.a),
            "b": tuple(float(x) for x in self.b),
        }
        if self.b_err is not None:
            as_floats["b_err"] = tuple(float(x) for x in self.b_err)
        if self.dense is not None:
            as_floats["dense"] = tuple(tuple(float(x) for x in row) for row in self.dense)
        for key, value in as_floats.items():
            object.__setattr__(self, key, value)

        if s < 1 or self.c[0] != 0.0:
            fail(f"c must start with 0, got c={self.c}")
        if len(self.a) != s:
            fail(f"a must have {s} rows (one per stage), got {len(self.a)}")
        for i, row in enumerate(self.a):
            if len(row) != i:
                fail(f"row {i} of a must have {i} entries, got {len(row)}")
            if not _close(math.fsum(row), self.c[i], sum(map(abs, row))):
                fail(f"row {i} of a sums to {math.fsum(row)!r} but c[{i}] = {self.c[i]!r}")
        if len(self.b) != s or not _close(math.fsum(self.b), 1.0, sum(map(abs, self.b))):
            fail(f"b must have {s} entries summing to 1, got {self.b}")
        if self.order < 1:
            fail(f"order must be >= 1, got {self.order}")
        if (self.b_err is None) != (self.error_order is None):
            fail("b_err and error_order must be given together")
        if self.b_err is not None:
            if len(self.b_err) != s:
                fail(f"b_err must have {s} entries, got {len(self.b_err)}")
            if not _close(math.fsum(self.b_err), 0.0, sum(map(abs, self.b_err))):
                fail(f"b_err must sum to 0, got {math.fsum(self.b_err)!r}")
        if self.dense is not None:
            if len(self.dense) != s:
                fail(f"dense must have {s} rows, got {len(self.dense)}")
            for i, row in enumerate(self.dense):
                if not _close(math.fsum(row), self.b[i], sum(map(abs, row))):
                    fail(f"dense row {i} must sum to b[{i}] (continuity at theta=1)")
        full = np.zeros((s, s))
        for i, row in enumerate(self.a):
            full[i, :i] = row
        defect, n = order_defect(full, self.b, self.order)
        if defect > _TOL:
            fail(
                f"b misses an order condition of a {n}-node tree (defect {defect:.2g}); the "
                f"claimed order is {self.order}"
            )
        if self.b_err is not None:
            b_hat = np.array(self.b) - np.array(self.b_err)
            defect, n = order_defect(full, b_hat, self.error_order)
            if defect > _TOL:
                fail(
                    f"b - b_err misses an order condition of a {n}-node tree (defect "
                    f"{defect:.2g}); the claimed error_order is {self.error_order}"
                )
        fsal = (
            s > 1
            and self.c[-1] == 1.0
            and self.b[-1] == 0.0
            and all(_close(x, y) for x, y in zip(self.a[-1], self.b[:-1], strict=True))
        )
        object.__setattr__(self, "fsal", fsal)

    @property
    def stages(self) -> int:
        """Number of stages ``s``."""
        return len(self.c)

    @property
    def adaptive(self) -> bool:
        """Whether the method has an embedded error estimate."""
        return self.b_err is not None


@dataclass(frozen=True)
class ImplicitTableau:
    """An implicit Runge-Kutta method (full Butcher matrix), validated when built.

    Parameters
    ----------
    name : str
        The method name used by ``odeint(method=name)``.
    c : tuple of float, length s
        Stage times as fractions of the step.
    a : tuple of s tuples of s floats
        The Butcher matrix, row by row. Lower triangular (a diagonally implicit method,
        solved stage by stage; ``a[0]`` may be all zero: an explicit first stage) or full
        and invertible (solved for all stages at once).
    b : tuple of float, length s
        Weights, of order ``order`` (checked on every rooted tree).
    order : int

    Notes
    -----
    ``diagonally_implicit``, ``explicit_first`` and ``stiffly_accurate`` (``b`` is the last
    row of ``a``: the step ends on the last stage) are derived.

    Examples
    --------
    >>> import torch
    >>> from tsgrad.ode import ImplicitTableau, odeint, register_tableau
    >>> tab = register_tableau(ImplicitTableau(name="my_backward_euler", c=(1,), a=((1,),),
    ...                                        b=(1,), order=1))
    >>> tab.stiffly_accurate, tab.diagonally_implicit
    (True, True)
    >>> y = odeint(lambda t, y: -y, torch.ones(1, dtype=torch.float64),
    ...            torch.tensor([0.0, 1.0], dtype=torch.float64), method="my_backward_euler",
    ...            options={"step_size": 0.5})
    >>> round(y[-1].item(), 4)  # (1 / 1.5) ** 2
    0.4444
    """

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    order: int
    diagonally_implicit: bool = field(init=False)
    explicit_first: bool = field(init=False)
    stiffly_accurate: bool = field(init=False)

    def __post_init__(self):
        def fail(what: str):
            raise ValueError(f"Implicit tableau {self.name!r} is invalid: {what}.")

        object.__setattr__(self, "c", tuple(float(x) for x in self.c))
        object.__setattr__(self, "a", tuple(tuple(float(x) for x in row) for row in self.a))
        object.__setattr__(self, "b", tuple(float(x) for x in self.b))
        s = len(self.c)
        if s < 1 or len(self.a) != s or any(len(row) != s for row in self.a):
            fail(f"a must be {s} x {s} (one full row per stage)")
        if len(self.b) != s:
            fail(f"b must have {s} entries, got {len(self.b)}")
        for i, row in enumerate(self.a):
            if not _close(math.fsum(row), self.c[i], sum(map(abs, row))):
                fail(f"row {i} of a sums to {math.fsum(row)!r} but c[{i}] = {self.c[i]!r}")
        if not _close(math.fsum(self.b), 1.0, sum(map(abs, self.b))):
            fail(f"b must sum to 1, got {math.fsum(self.b)!r}")
        full = np.array(self.a)
        defect, n = order_defect(full, self.b, self.order)
        if self.order < 1 or defect > _TOL:
            fail(
                f"b misses an order condition of a {n}-node tree (defect {defect:.2g}); the "
                f"claimed order is {self.order}"
            )
        dirk = bool(np.all(np.triu(full, 1) == 0))
        first = bool(np.all(full[0] == 0))
        if dirk:
            if any(full[i, i] == 0 for i in range(1 if first else 0, s)):
                fail(
                    "a diagonally implicit method needs a non-zero diagonal (but for an "
                    "explicit first stage)"
                )
        elif abs(np.linalg.det(full)) < 1e-12:
            fail("a fully implicit method needs an invertible a")
        object.__setattr__(self, "diagonally_implicit", dirk)
        object.__setattr__(self, "explicit_first", first)
        object.__setattr__(
            self,
            "stiffly_accurate",
            all(_close(x, y) for x, y in zip(self.a[-1], self.b, strict=True)),
        )

    @property
    def stages(self) -> int:
        """Number of stages ``s``."""
        return len(self.c)


def derive_dense_output(tableau: ButcherTableau, degree: int = 4) -> ButcherTableau:
    """``tableau`` with a fourth-order continuous extension derived from its coefficients.

    Solves, in the least-norm sense, the linear conditions on the polynomial weights
    ``b_i(theta) = sum_p r[i, p] theta**p`` (p = 1..degree): the eight order conditions of
    the trees up to order 4 as identities in ``theta``, continuity ``b_i(1) = b_i``, the
    derivative ``k_1`` at ``theta = 0`` and, for FSAL methods, ``k_s = f(t1, y1)`` at
    ``theta = 1`` (a C1 interpolant). Raises ``ValueError`` if the conditions are
    inconsistent, so a method whose stages cannot carry such an interpolant is refused.
    """
    if degree < 4:
        raise ValueError(
            "The 'degree' parameter of derive_dense_output must be >= 4 (a fourth-order "
            f"interpolant). Got {degree} instead."
        )
    s = tableau.stages
    c = np.array(tableau.c)
    a = np.zeros((s, s))
    for i, row in enumerate(tableau.a):
        a[i, :i] = row
    ac = a @ c
    trees = [
        (np.ones(s), 1, 1),
        (c, 2, 2),
        (c**2, 3, 3),
        (ac, 3, 6),
        (c**3, 4, 4),
        (c * ac, 4, 8),
        (a @ c**2, 4, 12),
        (a @ ac, 4, 24),
    ]
    rows, rhs = [], []

    def equation(coeffs: dict, value: float):
        row = np.zeros(s * degree)
        for (i, p), v in coeffs.items():
            row[i * degree + p - 1] = v
        rows.append(row)
        rhs.append(value)

    for v, q, gamma in trees:
        for p in range(1, degree + 1):
            equation({(i, p): v[i] for i in range(s)}, 1.0 / gamma if p == q else 0.0)
    for i in range(s):
        equation({(i, p): 1.0 for p in range(1, degree + 1)}, tableau.b[i])
        equation({(i, 1): 1.0}, 1.0 if i == 0 else 0.0)
        if tableau.fsal:
            equation({(i, p): float(p) for p in range(1, degree + 1)}, float(i == s - 1))
    m, y = np.array(rows), np.array(rhs)
    r = np.linalg.lstsq(m, y, rcond=None)[0]
    residual = float(np.abs(m @ r - y).max())
    if residual > 1e-10:
        raise ValueError(
            f"Butcher tableau {tableau.name!r} admits no continuous extension of order 4 "
            f"with polynomials of degree {degree} (residual {residual:.2g})."
        )
    dense = tuple(tuple(float(x) for x in r[i * degree : (i + 1) * degree]) for i in range(s))
    return replace(tableau, dense=dense)


TABLEAUS: dict[str, ButcherTableau] = {}
IMPLICIT_TABLEAUS: dict[str, ImplicitTableau] = {}
# The built-in methods' names, set once the built-in tableaus below are registered: users
# cannot replace them (every odeint(method=...) of the process would change silently).
_BUILTIN: frozenset[str] | None = None


def register_tableau(tableau, *aliases: str):
    """Register ``tableau`` under its name (and ``aliases``) for ``odeint(method=...)``.

    The method is then in :func:`available_methods` for the rest of the process.  A name
    registered before by ``register_tableau`` is replaced; the names of the built-in methods
    (:func:`available_methods` at import) cannot be, and an explicit and an implicit method
    cannot share a name.

    Parameters
    ----------
    tableau : ButcherTableau or ImplicitTableau
        The method (its coefficients were checked when it was built).
    *aliases : str
        Other names for the same method.

    Returns
    -------
    ButcherTableau or ImplicitTableau
        ``tableau`` itself, so that a definition can register what it builds.

    Raises
    ------
    TypeError
        ``tableau`` is neither a :class:`ButcherTableau` nor an :class:`ImplicitTableau`, or
        an alias is not a non-empty string.
    ValueError
        A name is a built-in method's, or is registered for the other kind of method.

    Examples
    --------
    >>> import math, torch
    >>> from tsgrad.ode import ButcherTableau, available_methods, odeint, register_tableau
    >>> heun_euler = register_tableau(
    ...     ButcherTableau(name="heun_euler", c=(0, 1), a=((), (1,)), b=(0.5, 0.5), order=2,
    ...                    b_err=(-0.5, 0.5), error_order=1),
    ...     "heun12",
    ... )
    >>> "heun_euler" in available_methods() and "heun12" in available_methods()
    True
    >>> t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    >>> y = odeint(lambda t, y: -y, torch.ones(1, dtype=torch.float64), t, method="heun12",
    ...            rtol=1e-5, atol=1e-7)
    >>> abs(y[-1].item() - math.exp(-1.0)) < 1e-4
    True
    """
    if isinstance(tableau, ButcherTableau):
        registry = TABLEAUS
    elif isinstance(tableau, ImplicitTableau):
        registry = IMPLICIT_TABLEAUS
    else:
        raise TypeError(
            "The 'tableau' parameter of register_tableau must be a ButcherTableau or an "
            f"ImplicitTableau. Got {type(tableau).__name__} instead."
        )
    for alias in aliases:
        if not isinstance(alias, str) or not alias:
            raise TypeError(
                "The aliases of register_tableau must be non-empty strings. "
                f"Got {alias!r} ({type(alias).__name__})."
            )
    names = (tableau.name, *aliases)
    if _BUILTIN is not None:  # a user's registration
        from ._methods import available_methods

        builtin = _BUILTIN | (set(available_methods()) - set(TABLEAUS) - set(IMPLICIT_TABLEAUS))
        other = IMPLICIT_TABLEAUS if registry is TABLEAUS else TABLEAUS
        for name in names:
            if name in builtin:
                raise ValueError(
                    f"register_tableau cannot replace the built-in method {name!r}: give "
                    f"the tableau another name. Built-in methods: {sorted(builtin)}."
                )
            if name in other:
                kind = "an implicit" if other is IMPLICIT_TABLEAUS else "an explicit"
                raise ValueError(
                    f"register_tableau: {name!r} is registered for {kind} method already; "
                    "give the tableau another name."
                )
    for name in names:
        registry[name] = tableau
    return tableau


def get_tableau(name: str) -> ButcherTableau:
    """The registered tableau called ``name`` (``KeyError`` if there is none)."""
    return TABLEAUS[name]


def _minus(x, y):
    return tuple(p - q for p, q in zip(x, y, strict=True))


# --- coefficient data too long to write as fractions ---------------------------------------

_DOP853_C = (
    0.0,
    0.05260015195876773,
    0.0789002279381516,
    0.1183503419072274,
    0.2816496580927726,
    0.3333333333333333,
    0.25,
    0.3076923076923077,
    0.6512820512820513,
    0.6,
    0.8571428571428571,
    1.0,
    1.0,
)
_DOP853_A = (
    (0.05260015195876773,),
    (
        0.0197250569845379,
        0.0591751709536137,
    ),
    (
        0.02958758547680685,
        0.0,
        0.08876275643042054,
    ),
    (
        0.2413651341592667,
        0.0,
        -0.8845494793282861,
        0.924834003261792,
    ),
    (
        0.037037037037037035,
        0.0,
        0.0,
        0.17082860872947386,
        0.12546768756682242,
    ),
    (
        0.037109375,
        0.0,
        0.0,
        0.17025221101954405,
        0.06021653898045596,
        -0.017578125,
    ),
    (
        0.03709200011850479,
        0.0,
        0.0,
        0.17038392571223998,
        0.10726203044637328,
        -0.015319437748624402,
        0.008273789163814023,
    ),
    (
        0.6241109587160757,
        0.0,
        0.0,
        -3.3608926294469414,
        -0.868219346841726,
        27.59209969944671,
        20.154067550477894,
        -43.48988418106996,
    ),
    (
        0.47766253643826434,
        0.0,
        0.0,
        -2.4881146199716677,
        -0.590290826836843,
        21.230051448181193,
        15.279233632882423,
        -33.28821096898486,
        -0.020331201708508627,
    ),
    (
        -0.9371424300859873,
        0.0,
        0.0,
        5.186372428844064,
        1.0914373489967295,
        -8.149787010746927,
        -18.52006565999696,
        22.739487099350505,
        2.4936055526796523,
        -3.0467644718982196,
    ),
    (
        2.273310147516538,
        0.0,
        0.0,
        -10.53449546673725,
        -2.0008720582248625,
        -17.9589318631188,
        27.94888452941996,
        -2.8589982771350235,
        -8.87285693353063,
        12.360567175794303,
        0.6433927460157636,
    ),
    (
        0.054293734116568765,
        0.0,
        0.0,
        0.0,
        0.0,
        4.450312892752409,
        1.8915178993145003,
        -5.801203960010585,
        0.3111643669578199,
        -0.1521609496625161,
        0.20136540080403034,
        0.04471061572777259,
    ),
)
# FSAL: the weights are the last stage row of A (plus 0 for that stage).
_DOP853_B = _DOP853_A[-1] + (0.0,)
_DOP853_E5 = (
    0.01312004499419488,
    0.0,
    0.0,
    0.0,
    0.0,
    -1.2251564463762044,
    -0.4957589496572502,
    1.6643771824549864,
    -0.35032884874997366,
    0.3341791187130175,
    0.08192320648511571,
    -0.022355307863886294,
    0.0,
)
_DOPRI5_DENSE = (
    (1.0, -2.8535800653862835, 3.0717434641059005, -1.1270175653862835),
    (0.0, 0.0, 0.0, 0.0),
    (0.0, 4.023133379230305, -6.249321565289, 2.675424484351598),
    (0.0, -3.7324019615885042, 10.068970589843675, -5.685526961588504),
    (0.0, 2.5548038301849423, -6.399112377351017, 3.5219323679207912),
    (0.0, -1.3744241142186024, 3.272657752246729, -1.7672812570757455),
    (0.0, 1.3824689317781436, -3.764937863556287, 2.382468931778144),
)
_BOSH3_DENSE = (
    (1.0, -1.3333333333333333, 0.5555555555555556),
    (0.0, 1.0, -0.6666666666666666),
    (0.0, 1.3333333333333333, -0.8888888888888888),
    (0.0, -1.0, 1.0),
)


# --- fixed-step methods --------------------------------------------------------------------

register_tableau(ButcherTableau(name="euler", c=(0,), a=((),), b=(1,), order=1))
register_tableau(
    ButcherTableau(name="midpoint", c=(0, Fr(1, 2)), a=((), (Fr(1, 2),)), b=(0, 1), order=2)
)
register_tableau(
    ButcherTableau(name="heun2", c=(0, 1), a=((), (1,)), b=(Fr(1, 2), Fr(1, 2)), order=2)
)
register_tableau(
    ButcherTableau(
        name="heun3",
        c=(0, Fr(1, 3), Fr(2, 3)),
        a=((), (Fr(1, 3),), (0, Fr(2, 3))),
        b=(Fr(1, 4), 0, Fr(3, 4)),
        order=3,
    )
)
register_tableau(
    ButcherTableau(
        name="rk4",  # Kutta's 3/8 rule, as torchdiffeq's "rk4"
        c=(0, Fr(1, 3), Fr(2, 3), 1),
        a=((), (Fr(1, 3),), (Fr(-1, 3), 1), (1, -1, 1)),
        b=(Fr(1, 8), Fr(3, 8), Fr(3, 8), Fr(1, 8)),
        order=4,
    )
)

# --- adaptive methods ----------------------------------------------------------------------

register_tableau(
    ButcherTableau(
        name="adaptive_heun",
        c=(0, 1),
        a=((), (1,)),
        b=(Fr(1, 2), Fr(1, 2)),
        order=2,
        b_err=_minus((Fr(1, 2), Fr(1, 2)), (1, 0)),
        error_order=1,
    )
)
register_tableau(
    ButcherTableau(
        name="fehlberg2",
        c=(0, Fr(1, 2), 1),
        a=((), (Fr(1, 2),), (Fr(1, 256), Fr(255, 256))),
        b=(Fr(1, 512), Fr(255, 256), Fr(1, 512)),
        order=2,
        b_err=_minus((Fr(1, 512), Fr(255, 256), Fr(1, 512)), (Fr(1, 256), Fr(255, 256), 0)),
        error_order=1,
    )
)
register_tableau(
    ButcherTableau(
        name="bosh3",
        c=(0, Fr(1, 2), Fr(3, 4), 1),
        a=((), (Fr(1, 2),), (0, Fr(3, 4)), (Fr(2, 9), Fr(1, 3), Fr(4, 9))),
        b=(Fr(2, 9), Fr(1, 3), Fr(4, 9), 0),
        order=3,
        b_err=_minus((Fr(2, 9), Fr(1, 3), Fr(4, 9), 0), (Fr(7, 24), Fr(1, 4), Fr(1, 3), Fr(1, 8))),
        error_order=2,
        dense=_BOSH3_DENSE,
    )
)
_DOPRI5_B_HAT = (
    Fr(5179, 57600),
    0,
    Fr(7571, 16695),
    Fr(393, 640),
    Fr(-92097, 339200),
    Fr(187, 2100),
    Fr(1, 40),
)
_DOPRI5_B = (Fr(35, 384), 0, Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84), 0)
register_tableau(
    ButcherTableau(
        name="dopri5",
        c=(0, Fr(1, 5), Fr(3, 10), Fr(4, 5), Fr(8, 9), 1, 1),
        a=(
            (),
            (Fr(1, 5),),
            (Fr(3, 40), Fr(9, 40)),
            (Fr(44, 45), Fr(-56, 15), Fr(32, 9)),
            (Fr(19372, 6561), Fr(-25360, 2187), Fr(64448, 6561), Fr(-212, 729)),
            (Fr(9017, 3168), Fr(-355, 33), Fr(46732, 5247), Fr(49, 176), Fr(-5103, 18656)),
            _DOPRI5_B[:6],
        ),
        b=_DOPRI5_B,
        order=5,
        # Any b + lam (b_hat - b) is a 4th-order embedded solution; lam = 2/3 (Shampine's
        # 1986 choice, also torchdiffeq's) makes a given tolerance take the same steps as
        # torchdiffeq. b_hat is Dormand & Prince's (1980).
        b_err=tuple(Fr(2, 3) * e for e in _minus(_DOPRI5_B, _DOPRI5_B_HAT)),
        error_order=4,
        dense=_DOPRI5_DENSE,
    )
)
_TSIT5_B = (
    0.09646076681806523,
    0.01,
    0.4798896504144996,
    1.379008574103742,
    -3.290069515436081,
    2.324710524099774,
    0.0,
)
register_tableau(
    derive_dense_output(
        ButcherTableau(
            name="tsit5",
            c=(0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0),
            a=(
                (),
                (0.161,),
                (-0.008480655492356989, 0.335480655492357),
                (2.897153057105493, -6.359448489975075, 4.3622954328695815),
                (5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525),
                (
                    5.86145544294642,
                    -12.92096931784711,
                    8.159367898576159,
                    -0.071584973281401,
                    -0.028269050394068383,
                ),
                _TSIT5_B[:6],
            ),
            b=_TSIT5_B,
            order=5,
            b_err=(
                -0.00178001105222577714,
                -0.0008164344596567469,
                0.007880878010261995,
                -0.1447110071732629,
                0.5823571654525552,
                -0.45808210592918697,
                0.015151515151515152,
            ),
            error_order=4,
        )
    )
)
register_tableau(
    derive_dense_output(
        ButcherTableau(
            name="dopri8",
            c=_DOP853_C,
            a=((),) + _DOP853_A,
            b=_DOP853_B,
            order=8,
            # The 5th-order estimator of DOP853 (a linear error weight vector).
            b_err=_DOP853_E5,
            error_order=5,
        )
    )
)


# --- implicit methods (fixed grid), torchdiffeq's names --------------------------------------
# Coefficients from Hairer & Wanner, Solving ODEs II, IV.5 (Gauss, Radau IIA) and IV.6
# (SDIRK); TR-BDF2 from Bank et al. (1985) / Hosea & Shampine (1996). torchdiffeq's gl4
# has both stage times at 1/2 - sqrt(3)/6; the order check here would refuse that.

_R3, _R6, _R15, _R2 = math.sqrt(3), math.sqrt(6), math.sqrt(15), math.sqrt(2)
register_tableau(ImplicitTableau(name="implicit_euler", c=(1,), a=((1,),), b=(1,), order=1))
register_tableau(ImplicitTableau(name="implicit_midpoint", c=(0.5,), a=((0.5,),), b=(1,), order=2))
register_tableau(
    ImplicitTableau(name="trapezoid", c=(0, 1), a=((0, 0), (0.5, 0.5)), b=(0.5, 0.5), order=2)
)
register_tableau(
    ImplicitTableau(
        name="radauIIA3",
        c=(Fr(1, 3), 1),
        a=((Fr(5, 12), Fr(-1, 12)), (Fr(3, 4), Fr(1, 4))),
        b=(Fr(3, 4), Fr(1, 4)),
        order=3,
    )
)
register_tableau(
    ImplicitTableau(
        name="radauIIA5",
        c=((4 - _R6) / 10, (4 + _R6) / 10, 1),
        a=(
            ((88 - 7 * _R6) / 360, (296 - 169 * _R6) / 1800, (-2 + 3 * _R6) / 225),
            ((296 + 169 * _R6) / 1800, (88 + 7 * _R6) / 360, (-2 - 3 * _R6) / 225),
            ((16 - _R6) / 36, (16 + _R6) / 36, 1 / 9),
        ),
        b=((16 - _R6) / 36, (16 + _R6) / 36, 1 / 9),
        order=5,
    )
)
register_tableau(
    ImplicitTableau(
        name="gl4",
        c=(0.5 - _R3 / 6, 0.5 + _R3 / 6),
        a=((0.25, 0.25 - _R3 / 6), (0.25 + _R3 / 6, 0.25)),
        b=(0.5, 0.5),
        order=4,
    )
)
register_tableau(
    ImplicitTableau(
        name="gl6",
        c=(0.5 - _R15 / 10, 0.5, 0.5 + _R15 / 10),
        a=(
            (5 / 36, 2 / 9 - _R15 / 15, 5 / 36 - _R15 / 30),
            (5 / 36 + _R15 / 24, 2 / 9, 5 / 36 - _R15 / 24),
            (5 / 36 + _R15 / 30, 2 / 9 + _R15 / 15, 5 / 36),
        ),
        b=(5 / 18, 4 / 9, 5 / 18),
        order=6,
    )
)
_G = 1 - _R2 / 2  # SDIRK2's and TR-BDF2's diagonal: L-stable, stiffly accurate
register_tableau(
    ImplicitTableau(name="sdirk2", c=(_G, 1), a=((_G, 0), (1 - _G, _G)), b=(1 - _G, _G), order=2)
)
register_tableau(
    ImplicitTableau(
        name="trbdf2",
        c=(0, 2 * _G, 1),
        a=((0, 0, 0), (_G, _G, 0), (_R2 / 4, _R2 / 4, _G)),
        b=(_R2 / 4, _R2 / 4, _G),
        order=2,
    )
)
_BUILTIN = frozenset(TABLEAUS) | frozenset(IMPLICIT_TABLEAUS)
