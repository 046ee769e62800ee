"""layerkit.datasets: the loaders on the real files, the generators, and every failure path.

The real files come from ``LAYERKIT_DATA_DIR`` (``../shared/datasets`` beside the
repository when unset). Downloads are tested without a network: with ``file://``
mirrors and with a fake opener that breaks off mid-way. No test writes to the
user's cache: ``LAYERKIT_HOME`` points into a temporary folder.
"""

import ast
import hashlib
import os
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import peers
import pytest

from layerkit import datasets
from layerkit.datasets import _files, boston_housing, breast_cancer, cat_vs_noncat, digits

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("LAYERKIT_DATA_DIR", str(REPO.parent / "shared" / "datasets"))
DATA = Path(os.environ["LAYERKIT_DATA_DIR"])
needs_data = peers.needs_data(DATA)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test gets an empty cache of its own, never ``~/.layerkit``."""
    monkeypatch.setenv("LAYERKIT_HOME", str(tmp_path / "home"))


@pytest.fixture
def offline(monkeypatch):
    """No network: every download fails as urlopen fails without one."""
    def refuse(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(_files, "urlopen", refuse)


@pytest.fixture
def empty_data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("LAYERKIT_DATA_DIR", str(folder))
    return folder


def _cache():
    return _files.cache_dir()


def _mirrored(remote, *sources):
    """``remote`` with its mirrors replaced by local ``file://`` URLs."""
    return _files.RemoteFile(remote.name, remote.sha256,
                             tuple(Path(s).resolve().as_uri() for s in sources),
                             remote.description)


# ------------------------------------------------------------------ the real data
@needs_data
def test_cat_vs_noncat_as_stored():
    (x_train, y_train), (x_test, y_test) = cat_vs_noncat.load_data()
    assert x_train.shape == (209, 64, 64, 3) and x_train.dtype == np.uint8
    assert x_test.shape == (50, 64, 64, 3) and x_test.dtype == np.uint8
    assert y_train.shape == (209,) and y_test.shape == (50,)
    assert set(np.unique(y_train)) == {0, 1} and set(np.unique(y_test)) == {0, 1}
    assert (int(y_train.sum()), int(y_test.sum())) == (72, 33)
    assert cat_vs_noncat.load_class_names() == ["non-cat", "cat"]


@needs_data
def test_path_argument_takes_a_folder_or_a_file(tmp_path, empty_data_dir, offline):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    for name in ("train_catvnoncat.h5", "test_catvnoncat.h5"):
        shutil.copy(DATA / name, folder / name)
    (x_train, _), (x_test, _) = cat_vs_noncat.load_data(path=folder)
    assert len(x_train) == 209 and len(x_test) == 50
    with pytest.raises(ValueError, match="must be a folder"):
        cat_vs_noncat.load_data(path=folder / "train_catvnoncat.h5")
    (x_train, _), _ = boston_housing.load_data(path=DATA / "boston_housing.data")
    assert x_train.shape == (404, 13)


@needs_data
def test_boston_housing_is_split_as_keras_splits_it():
    state = np.random.get_state()
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert np.all(np.random.get_state()[1] == state[1]), "the global random state changed"
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13)
    assert y_train.shape == (404,) and y_test.shape == (102,)
    # The first training targets of keras.datasets.boston_housing.load_data()
    # (as printed in "Deep Learning with Python", chapter 3).
    np.testing.assert_array_equal(y_train[:10], [15.2, 42.3, 50.0, 21.1, 17.7, 18.5, 11.3,
                                                 15.6, 15.6, 14.4])
    np.testing.assert_allclose(x_train[0], [1.23247, 0.0, 8.14, 0.0, 0.538, 6.142, 91.7, 3.9769,
                                            4.0, 307.0, 21.0, 396.9, 18.72])
    (x_train, _), (x_test, _) = boston_housing.load_data(test_split=0.1, seed=1)
    assert (len(x_train), len(x_test)) == (455, 51)
    assert len(boston_housing.FEATURE_NAMES) == 13


@pytest.mark.parametrize("test_split", [1.0, -0.1, 1.5, "0.2", True])
def test_a_bad_test_split_is_refused_before_any_file_is_read(test_split):
    for loader in (boston_housing, breast_cancer, digits):
        with pytest.raises(ValueError, match="test_split"):
            loader.load_data(test_split=test_split)


def _assert_same_split(got, want):
    for got_pair, want_pair in zip(got, want):
        for got_array, want_array in zip(got_pair, want_pair):
            np.testing.assert_array_equal(got_array, want_array)


@needs_data
def test_boston_accepts_ucis_bytes_and_keras_npz(tmp_path, monkeypatch, offline):
    reference = boston_housing.load_data()
    # UCI serves the same rows without the reference copy's trailing space.
    uci = tmp_path / "housing.data"
    uci.write_bytes((DATA / "boston_housing.data").read_bytes().rstrip(b" "))
    assert _files.sha256sum(uci) in boston_housing.DATA_FILE.sha256
    _assert_same_split(boston_housing.load_data(path=uci), reference)
    # Keras's npz holds x and y in the file's row order; pin this one's checksum.
    table = np.loadtxt(DATA / "boston_housing.data")
    npz = tmp_path / "boston_housing.npz"
    np.savez(npz, x=table[:, :-1], y=table[:, -1])
    monkeypatch.setattr(boston_housing, "KERAS_FILE", _files.RemoteFile(
        "boston_housing.npz", (_files.sha256sum(npz),), ("https://example.invalid/b.npz",)))
    _assert_same_split(boston_housing.load_data(path=npz), reference)


@needs_data
def test_breast_cancer():
    (x_train, y_train), (x_test, y_test) = breast_cancer.load_data()
    assert x_train.shape == (455, 30) and x_test.shape == (114, 30)
    assert y_train.dtype == np.int64 and set(np.unique(y_train)) == {0, 1}
    assert int(np.concatenate([y_train, y_test]).sum()) == 357  # benign
    assert breast_cancer.load_class_names() == ["malignant", "benign"]
    assert len(breast_cancer.FEATURE_NAMES) == 30


@needs_data
def test_breast_cancer_accepts_the_header_with_trailing_commas(tmp_path, offline):
    header, rest = (DATA / "breast_cancer.csv").read_bytes().split(b"\n", 1)
    variant = tmp_path / "breast_cancer.csv"
    variant.write_bytes(header + b"," * 27 + b"\n" + rest)
    assert _files.sha256sum(variant) in breast_cancer.DATA_FILE.sha256
    _assert_same_split(breast_cancer.load_data(path=variant), breast_cancer.load_data())
    assert breast_cancer.load_class_names(path=variant) == ["malignant", "benign"]


@needs_data
def test_digits():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.uint8 and int(x_train.max()) == 16
    assert sorted(np.unique(y_train).tolist()) == list(range(10))


# ------------------------------------------------------------------ generators
@pytest.mark.parametrize("make", [datasets.make_moons, datasets.make_circles,
                                  datasets.make_xor])
def test_generators_are_seeded_by_their_own_generator(make):
    state = np.random.get_state()
    x, y = make(101, noise=0.1, random_state=3)
    assert np.all(np.random.get_state()[1] == state[1]), "the global random state changed"
    assert x.shape == (101, 2) and x.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    again, _ = make(101, noise=0.1, random_state=3)
    other, _ = make(101, noise=0.1, random_state=4)
    np.testing.assert_array_equal(x, again)
    assert not np.allclose(x, other)
    from_generator, _ = make(101, noise=0.1, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(x, from_generator)


def test_moons_and_circles_without_noise_lie_on_their_curves():
    x, y = datasets.make_moons(200, random_state=0)
    assert np.bincount(y).tolist() == [100, 100]
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5
    x, y = datasets.make_circles(50, factor=0.3, random_state=0)
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), np.where(y == 0, 1.0, 0.3))
    x, y = datasets.make_xor(500, random_state=0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(int))


@pytest.mark.parametrize("kwargs, error", [
    ({"n_samples": 1}, ValueError), ({"n_samples": 10.5}, ValueError),
    ({"n_samples": 10, "noise": -1}, ValueError),
    ({"n_samples": 10, "random_state": "seed"}, TypeError),
    ({"n_samples": 10, "random_state": 1.5}, TypeError),
])
def test_generators_validate_their_arguments(kwargs, error):
    with pytest.raises(error):
        datasets.make_moons(**kwargs)
    with pytest.raises(ValueError, match="factor"):
        datasets.make_circles(10, factor=1.0)


# ------------------------------------------------------------------ failures
def test_missing_and_offline_says_which_file_where_it_looked_and_how_to_provide_it(
        empty_data_dir, offline):
    with pytest.raises(datasets.DataFileNotFoundError) as caught:
        cat_vs_noncat.load_data()
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    assert "train_catvnoncat.h5" in message
    assert str(empty_data_dir) in message and str(_cache()) in message
    assert "name resolution" in message  # why the download failed
    assert "LAYERKIT_DATA_DIR" in message and "path=" in message
    assert cat_vs_noncat.TRAIN_FILE.urls[0] in message and "SHA-256" in message
    assert not _cache().exists() or not any(_cache().iterdir())


def test_a_missing_path_is_named(tmp_path):
    with pytest.raises(datasets.DataFileNotFoundError, match="nowhere.csv"):
        breast_cancer.load_data(path=tmp_path / "nowhere.csv")


@needs_data
def test_a_file_with_a_bad_checksum_is_refused_by_name(empty_data_dir, offline):
    data = bytearray((DATA / "breast_cancer.csv").read_bytes())
    data[100] = ord("7") if data[100] != ord("7") else ord("8")  # one digit changed
    (empty_data_dir / "breast_cancer.csv").write_bytes(bytes(data))
    with pytest.raises(datasets.ChecksumMismatchError) as caught:
        breast_cancer.load_data()
    message = str(caught.value)
    assert str(empty_data_dir / "breast_cancer.csv") in message
    assert breast_cancer.DATA_FILE.sha256[0] in message
    assert hashlib.sha256(bytes(data)).hexdigest() in message


@needs_data
def test_a_corrupt_file_fails_at_the_checksum_not_later_in_the_parser(tmp_path, offline):
    folder = tmp_path / "corrupt"
    folder.mkdir()
    (folder / "train_catvnoncat.h5").write_bytes((DATA / "train_catvnoncat.h5").read_bytes()[:5000])
    shutil.copy(DATA / "test_catvnoncat.h5", folder)
    with pytest.raises(datasets.ChecksumMismatchError, match="truncated, corrupt"):
        cat_vs_noncat.load_data(path=folder)
    (folder / "digits.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(datasets.ChecksumMismatchError, match="digits.csv.gz"):
        digits.load_data(path=folder / "digits.csv.gz")


# ------------------------------------------------------------------ downloads
@needs_data
def test_download_from_a_mirror_into_the_cache_then_reuse_it(empty_data_dir, monkeypatch):
    monkeypatch.setattr(digits, "DATA_FILE", _mirrored(digits.DATA_FILE, DATA / "digits.csv.gz"))
    (x_train, _), _ = digits.load_data()
    assert x_train.shape == (1437, 8, 8)
    assert sorted(p.name for p in _cache().iterdir()) == ["digits.csv.gz"]  # no leftovers
    assert _files.sha256sum(_cache() / "digits.csv.gz") == digits.DATA_FILE.sha256[0]

    def refuse(url, timeout=None):
        raise AssertionError("downloaded again instead of using the cache")
    monkeypatch.setattr(_files, "urlopen", refuse)
    (again, _), _ = digits.load_data()
    np.testing.assert_array_equal(again, x_train)


@needs_data
def test_a_mirror_with_the_wrong_file_is_skipped_for_the_next(empty_data_dir, monkeypatch, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("569,30,malignant,benign\n")
    remote = _mirrored(breast_cancer.DATA_FILE, wrong, DATA / "breast_cancer.csv")
    monkeypatch.setattr(breast_cancer, "DATA_FILE", remote)
    (x_train, _), _ = breast_cancer.load_data()
    assert x_train.shape == (455, 30)
    assert sorted(p.name for p in _cache().iterdir()) == ["breast_cancer.csv"]


def test_a_download_with_the_wrong_checksum_leaves_nothing(empty_data_dir, monkeypatch, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("569,30,malignant,benign\n")
    monkeypatch.setattr(breast_cancer, "DATA_FILE", _mirrored(breast_cancer.DATA_FILE, wrong))
    with pytest.raises(datasets.DataFileNotFoundError, match="downloaded file's SHA-256"):
        breast_cancer.load_data()
    assert list(_cache().iterdir()) == []


class _BrokenResponse:
    """A response that announces ``size`` bytes and breaks off after ``sent`` of them."""

    def __init__(self, size, sent, error):
        self.headers = {"Content-Length": str(size)}
        self.chunks = [b"x" * (sent // 2), b"x" * (sent - sent // 2)]
        self.error = error

    def read(self, n=-1):
        if self.chunks:
            return self.chunks.pop(0)
        if self.error is None:
            return b""
        raise self.error

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("error", [ConnectionResetError("Connection reset by peer"),
                                   TimeoutError("The read operation timed out"),
                                   None])  # None: the server closes early, a short read
def test_an_interrupted_download_leaves_nothing_half_written(empty_data_dir, monkeypatch, error):
    monkeypatch.setattr(_files, "urlopen",
                        lambda url, timeout=None: _BrokenResponse(100_000, 40_000, error))
    with pytest.raises(datasets.DataFileNotFoundError) as caught:
        digits.load_data()
    expected = "stopped after 40000 of 100000 bytes" if error is None else str(error)
    assert expected in str(caught.value)
    assert list(_cache().iterdir()) == []


def test_a_keyboard_interrupt_during_a_download_leaves_nothing(empty_data_dir, monkeypatch):
    monkeypatch.setattr(_files, "urlopen", lambda url, timeout=None: _BrokenResponse(
        100_000, 40_000, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        digits.load_data()
    assert list(_cache().iterdir()) == []


@needs_data
def test_a_damaged_cached_file_is_downloaded_again(empty_data_dir, monkeypatch):
    _cache().mkdir(parents=True)
    (_cache() / "digits.csv.gz").write_bytes(b"half a file")
    monkeypatch.setattr(digits, "DATA_FILE", _mirrored(digits.DATA_FILE, DATA / "digits.csv.gz"))
    (x_train, _), _ = digits.load_data()
    assert x_train.shape == (1437, 8, 8)
    assert _files.sha256sum(_cache() / "digits.csv.gz") == digits.DATA_FILE.sha256[0]


def test_a_damaged_cached_file_and_no_network_says_both(empty_data_dir, offline):
    _cache().mkdir(parents=True)
    (_cache() / "digits.csv.gz").write_bytes(b"half a file")
    with pytest.raises(datasets.DataFileNotFoundError) as caught:
        digits.load_data()
    assert "cached copy is damaged" in str(caught.value)
    assert "name resolution" in str(caught.value)


def test_the_data_dir_comes_before_the_cache(empty_data_dir, monkeypatch, tmp_path):
    table = tmp_path / "table.csv"
    table.write_bytes(b"2,1,a,b\n1.0,0\n2.0,1\n")
    remote = _files.RemoteFile("table.csv", (_files.sha256sum(table),), (table.as_uri(),))
    shutil.copy(table, empty_data_dir / "table.csv")
    _, found = _files.get_file(remote)
    assert found == empty_data_dir / "table.csv"
    (empty_data_dir / "table.csv").unlink()
    _, found = _files.get_file(remote)  # downloaded into the cache
    assert found == _cache() / "table.csv"


# ------------------------------------------------------------------ architecture
def test_datasets_and_plotting_never_import_the_engine():
    package = REPO / "layerkit"
    files = sorted((package / "datasets").glob("*.py")) + sorted((package / "plotting").glob("*.py"))
    assert len(files) > 5
    for file in files:
        own = f"layerkit.{file.parent.name}"  # each may import its own package's modules only
        for node in ast.walk(ast.parse(file.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                if name == "layerkit" or name.startswith("layerkit."):
                    assert name.startswith(own), f"{file.name} imports {name}"
