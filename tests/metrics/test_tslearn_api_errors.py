"""Bad input to the metrics beyond DTW / soft-DTW: errors that name the parameter, and the
exception types tslearn users catch."""

import numpy as np
import pytest

import tsgrad.metrics as M

x3 = np.arange(3.0)
x4 = np.arange(4.0)
D = np.ones((3, 4))


@pytest.mark.parametrize(
    "call,exc,match",
    [
        pytest.param(lambda: M.gak(x3, x4, sigma=-1.0), ValueError, "'sigma'", id="gak-sigma<0"),
        pytest.param(lambda: M.gak(x3, x4, sigma="a"), TypeError, "'sigma'", id="gak-sigma-str"),
        pytest.param(lambda: M.lcss(x3, x4, eps=-1), ValueError, "'eps'", id="lcss-eps<0"),
        pytest.param(lambda: M.lcss(x3, x4, eps=np.nan), ValueError, "'eps'", id="lcss-eps-nan"),
        pytest.param(
            lambda: M.dtw_limited_warping_length(x3, x4, 3),
            ValueError,
            "'max_length'.*at least",
            id="ldtw-short",
        ),
        pytest.param(
            lambda: M.dtw_limited_warping_length(x3, x4, 4.5),
            TypeError,
            "'max_length'",
            id="ldtw-float",
        ),
        pytest.param(
            lambda: M.dtw_accumulated_matrix(x3, x4, np.ones((3, 4))),
            TypeError,
            "'mask'.*boolean",
            id="mask-dtype",
        ),
        pytest.param(
            lambda: M.frechet_accumulated_matrix(x3, x4, np.ones((4, 3), bool)),
            ValueError,
            "'mask'.*shape",
            id="mask-shape",
        ),
        pytest.param(
            lambda: M.dtw_accumulated_matrix([1.0, np.nan], x4, np.ones((2, 4), bool)),
            ValueError,
            "NaN",
            id="accumulated-nan",
        ),
        pytest.param(
            lambda: M.dtw_path_from_metric(D, x4, metric="precomputed"),
            ValueError,
            "'s2'.*None",
            id="precomputed-with-s2",
        ),
        pytest.param(
            lambda: M.frechet_path_from_metric(np.array([[1.0, np.nan]])),
            ValueError,
            "NaN",
            id="precomputed-nan",
        ),
        # lcss checks the matrix in its table's kernel (one pass): NaN and -inf anywhere,
        # inside the band or not, are refused as by the other functions
        pytest.param(
            lambda: M.lcss_path_from_metric(
                np.array([[1.0, 2.0], [3.0, np.nan]]), metric="precomputed"
            ),
            ValueError,
            "'s1' parameter of lcss_path_from_metric must not contain NaN or -inf",
            id="lcss-precomputed-nan",
        ),
        pytest.param(
            lambda: M.lcss_path_from_metric(
                np.array([[1.0, 2.0, -np.inf], [3.0, 1.0, 1.0]]),
                metric="precomputed",
                sakoe_chiba_radius=0,
            ),
            ValueError,
            "NaN or -inf",
            id="lcss-precomputed-minus-inf-outside-the-band",
        ),
        pytest.param(
            lambda: M.dtw_path_from_metric(x3, x4, metric="nope"),
            ValueError,
            "'metric'",
            id="unknown-metric",
        ),
        pytest.param(
            lambda: M.lcss_path_from_metric(x3, metric="euclidean"),
            ValueError,
            "'s2'",
            id="metric-without-s2",
        ),
        pytest.param(lambda: M.dtw_path_from_metric(x3, x4, metric=3), TypeError, "'metric'"),
        pytest.param(
            lambda: M.subsequence_path(np.ones((2, 5)), 5),
            ValueError,
            "'idx_path_end'",
            id="subsequence-end",
        ),
        pytest.param(
            lambda: M.dtw_subsequence_path([], x4),
            ValueError,
            "'subseq'.*non-empty",
            id="empty-subseq",
        ),
        pytest.param(
            lambda: M.ctw(np.ones((4, 2)), np.ones((5, 3)), n_components=3),
            ValueError,
            "'n_components'",
            id="ctw-components",
        ),
        pytest.param(lambda: M.ctw(x3, x4, max_iter=0), ValueError, "'max_iter'", id="ctw-iter"),
        pytest.param(
            lambda: M.cdist_sax([[0, 1, 4]], [-1.0, 0.0, 1.0], 6),
            ValueError,
            "symbols in 0 .. 3",
            id="sax-symbol",
        ),
        pytest.param(
            lambda: M.cdist_sax([[0, 1, 2]], [-1.0, 0.0, 1.0], 0), ValueError, "'size_fitted'"
        ),
        pytest.param(
            lambda: M.cdist_normalized_cc(
                np.ones((2, 3, 1)), np.ones((2, 4, 1)), -np.ones(2), -np.ones(2), False
            ),
            ValueError,
            "same length",
            id="cc-lengths",
        ),
        pytest.param(
            lambda: M.cdist_normalized_cc(
                np.ones((2, 3, 1)), np.ones((2, 3, 1)), -np.ones(3), -np.ones(2), False
            ),
            ValueError,
            "'norms1'",
            id="cc-norms",
        ),
        pytest.param(lambda: M.SoftDTW(D, gamma=0.0), ValueError, "'gamma'", id="softdtw-gamma"),
        pytest.param(lambda: M.SoftDTW(D).grad(), ValueError, "compute", id="softdtw-grad-first"),
        pytest.param(lambda: M.sigma_gak([x3], n_samples=1), ValueError, "'n_samples'"),
        pytest.param(lambda: M.sigma_gak([x3], random_state="a"), TypeError, "'random_state'"),
        pytest.param(
            lambda: M.compute_mask(3, 3, global_constraint=3), ValueError, "'global_constraint'"
        ),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_sigma_zero_is_a_zero_division_as_in_tslearn():
    for f in (M.gak, M.unnormalized_gak):
        with pytest.raises(ZeroDivisionError):
            f(x3, x4, sigma=0)
    with pytest.raises(ValueError, match="'sigma'"):
        M.cdist_gak([x3, x4], sigma=0.0)


def test_constraint_errors_are_runtime_warnings_as_in_tslearn():
    with pytest.raises(RuntimeWarning, match="no admissible path"):
        M.frechet(np.ones(2), np.ones(9), global_constraint="itakura")
    with pytest.raises(RuntimeWarning, match="global_constraint"):
        M.compute_mask(3, 3, sakoe_chiba_radius=1, itakura_max_slope=2.0)
    with pytest.raises(M.GlobalConstraintError):
        M.cdist_frechet([np.ones(2), np.ones(9)], global_constraint="itakura")


def test_the_empty_series_message_is_tslearns_and_the_note_names_the_parameter():
    with pytest.raises(ValueError) as info:
        M.lcss(x3, [np.nan, np.nan])
    assert str(info.value) == "One of the input time series contains only nans or has zero length."
    notes = getattr(info.value, "__notes__", [])
    assert not hasattr(info.value, "add_note") or any("'s2' parameter of lcss" in n for n in notes)


def test_tslearn_backend_objects_are_honoured():
    torch = pytest.importorskip("torch")
    backend = pytest.importorskip("tslearn.backend")
    out = M.cdist_frechet([x3, x4], be=backend.Backend("pytorch"))
    assert isinstance(out, torch.Tensor)
    value = M.frechet(torch.tensor(x3), torch.tensor(x4), be=backend.Backend("numpy"))
    assert isinstance(value, float)


def test_inputs_are_not_modified():
    norms = -np.ones(2)
    X = np.random.default_rng(0).normal(size=(2, 5, 1))
    M.cdist_normalized_cc(X, X, norms, norms, True)
    assert (norms == -1).all()
