"""The docstring examples of the metrics beyond DTW / soft-DTW run and print what they say."""

import doctest

import numpy as np
import pytest

import tsgrad.metrics._cross_correlation
import tsgrad.metrics._ctw
import tsgrad.metrics._dtw_variants
import tsgrad.metrics._frechet
import tsgrad.metrics._gak
import tsgrad.metrics._lcss
import tsgrad.metrics._sax
import tsgrad.metrics._soft_dtw_loss_pytorch
import tsgrad.metrics._subsequence
import tsgrad.metrics._tslearn_compat

MODULES = [
    tsgrad.metrics._cross_correlation,
    tsgrad.metrics._ctw,
    tsgrad.metrics._dtw_variants,
    tsgrad.metrics._frechet,
    tsgrad.metrics._gak,
    tsgrad.metrics._lcss,
    tsgrad.metrics._sax,
    tsgrad.metrics._soft_dtw_loss_pytorch,
    tsgrad.metrics._subsequence,
    tsgrad.metrics._tslearn_compat,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_doctests(module):
    result = doctest.testmod(
        module,
        extraglobs={"np": np, **{n: getattr(tsgrad.metrics, n) for n in tsgrad.metrics.__all__}},
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 0
    assert result.failed == 0


def _is_exception(obj):
    return isinstance(obj, type) and issubclass(obj, Exception)


def test_every_public_name_of_these_modules_has_an_example():
    own = {m.__name__ for m in MODULES}
    objects = {name: getattr(tsgrad.metrics, name) for name in tsgrad.metrics.__all__}
    names = [
        name
        for name, obj in objects.items()
        if getattr(obj, "__module__", None) in own and not _is_exception(obj)
    ]
    assert len(names) >= 30
    missing = [n for n in names if ">>>" not in (objects[n].__doc__ or "")]
    assert missing == []
