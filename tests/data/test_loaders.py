"""UCR and CSV readers on good files, the real ECG5000 file, and malformed files."""

import numpy as np
import pytest

from tsgrad.data import ecg5000_path, fixed_length_pairs, load_csv, load_ucr

ECG = ecg5000_path()  # shipped with tsgrad: nothing skips for it


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text",
    [
        "1 0.5 1.5 2.5\n2 3.0 2.0 1.0\n",
        "1,0.5,1.5,2.5\n2,3.0,2.0,1.0\n",
        "  1.0000000e+00\t5.0e-01  1.5 2.5\n\n2, 3.0 ,2.0,1.0\n\n",
    ],
    ids=["spaces", "commas", "mixed-and-blank-lines"],
)
def test_ucr_good_files(tmp_path, text):
    data = load_ucr(_write(tmp_path, "toy_TRAIN.txt", text))
    assert data.labels.dtype == np.int64 and data.labels.tolist() == [1, 2]
    np.testing.assert_array_equal(data.values, [[0.5, 1.5, 2.5], [3.0, 2.0, 1.0]])


def test_ucr_float_labels_stay_float(tmp_path):
    data = load_ucr(_write(tmp_path, "reg.txt", "0.25 1 2\n1.5 3 4\n"))
    assert data.labels.dtype == np.float64 and data.labels.tolist() == [0.25, 1.5]


def test_ucr_nan_padding_is_kept_and_refused_for_pairs(tmp_path):
    data = load_ucr(_write(tmp_path, "var.txt", "1 1 2 3 4\n2 5 6 NaN NaN\n1 1 1 1 1\n"))
    assert np.isnan(data.values[1, 2:]).all() and np.isfinite(data.values[[0, 2]]).all()
    with pytest.raises(ValueError, match="series 1"):
        fixed_length_pairs(data.values, input_len=2, horizon=2, val_fraction=0.0, test_fraction=0.3)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("1 0.5 1.5\n2 0.1 abc\n", 2, "'abc'"),
        ("1 0.5 1.5\n\n2 0.1 1.5 2.5\n", 3, "expected 2 values as on line 1"),
        ("1 0.5 1.5\n2\n", 2, "label followed by at least one value"),
        ("1,0.5,,1.5\n", 1, "''"),
        ("", 1, "no data lines"),
        ("\n  \n", 1, "no data lines"),
    ],
    ids=["wrong-token", "ragged-row", "label-only", "empty-cell", "empty-file", "blank-file"],
)
def test_ucr_malformed_files(tmp_path, text, line, what):
    path = _write(tmp_path, "bad_TRAIN.txt", text)
    with pytest.raises(ValueError) as info:
        load_ucr(path)
    message = str(info.value)
    assert str(path) in message and f"line {line}" in message and what in message


def test_ucr_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_ucr(tmp_path / "nope.txt")


def test_ecg5000_real_file():
    data = load_ucr(ECG)
    assert data.values.shape == (500, 140) and data.labels.shape == (500,)
    assert set(data.labels.tolist()) <= {1, 2, 3, 4, 5}
    # The archive z-normalises each series.
    np.testing.assert_allclose(data.values.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.values.std(axis=1), 1.0, atol=1e-2)
    splits = fixed_length_pairs(data.values, input_len=84, horizon=56, seed=0)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (300, 100, 100)
    assert splits.test.inputs.shape == (100, 84, 1) and splits.test.targets.shape == (100, 56, 1)
    first_test = int(np.sort(np.random.default_rng(0).permutation(500)[:100])[0])
    np.testing.assert_array_equal(
        splits.test.targets[0, :, 0].numpy(), data.values[first_test, 84:].astype(np.float32)
    )


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("columns", [[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]),
        ("rows", [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]),
    ],
    ids=["columns", "rows"],
)
@pytest.mark.parametrize("header", [True, False], ids=["header", "no-header"])
def test_csv_good_files(tmp_path, layout, expected, header):
    text = ("a,b\n" if header else "") + "1,10\n2,20\n\n3,30\n"
    data = load_csv(_write(tmp_path, "toy.csv", text), layout=layout, header=header)
    np.testing.assert_array_equal(data.values, expected)
    assert data.names == (["a", "b"] if header else None)


def test_csv_other_delimiter_and_nan(tmp_path):
    data = load_csv(_write(tmp_path, "toy.tsv", "1\tnan\n2\t3\n"), delimiter="\t")
    assert np.isnan(data.values[1, 0]) and data.values[1, 1] == 3.0


@pytest.mark.parametrize(
    ("text", "header", "line", "what"),
    [
        ("1,2\n3,x\n", False, 2, "'x'"),
        ("a,b\n1,2\n3,4,5\n", True, 3, "expected 2 cells as on line 1"),
        ("1,2\n3,\n", False, 2, "''"),
        ("a,b\n", True, 1, "no data rows"),
        ("", False, 1, "no data rows"),
        ("a,b\n1,2\n", False, 1, "'a'"),
    ],
    ids=[
        "wrong-token",
        "ragged-row",
        "empty-cell",
        "header-only",
        "empty-file",
        "unexpected-header",
    ],
)
def test_csv_malformed_files(tmp_path, text, header, line, what):
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(ValueError) as info:
        load_csv(path, header=header)
    message = str(info.value)
    assert str(path) in message and f"line {line}" in message and what in message


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"layout": "diagonal"}, ValueError, "'layout'"),
        ({"header": "yes"}, TypeError, "'header'"),
        ({"delimiter": ";;"}, ValueError, "'delimiter'"),
    ],
    ids=["layout", "header", "delimiter"],
)
def test_csv_bad_options(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_csv(_write(tmp_path, "ok.csv", "1,2\n"), **kwargs)
