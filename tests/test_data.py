"""aipath.data: every loader on the shipped files, and every bad case a learner can meet."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aipath import data

ROOT = Path(__file__).resolve().parents[1]


def test_manifest_matches_shipped_files() -> None:
    for name, entry in data.manifest()["datasets"].items():
        for file in entry["files"]:
            path = ROOT / "datasets" / name / file["path"]
            assert path.stat().st_size == file["bytes"], path
            assert hashlib.sha256(path.read_bytes()).hexdigest() == file["sha256"], path
        for key in ("title", "origin", "licence", "citation", "notes", "loader"):
            assert entry[key], f"{name}: {key} is empty"
        assert hasattr(data, entry["loader"]), f"{name}: no loader {entry['loader']}"


def test_every_shipped_file_is_in_the_manifest() -> None:
    listed = {f"{n}/{f['path']}" for n, e in data.manifest()["datasets"].items() for f in e["files"]}
    shipped = {p.relative_to(ROOT / "datasets").as_posix() for p in (ROOT / "datasets").glob("*/*")
               if p.name != "SHA256SUMS"}
    assert shipped == listed


@pytest.mark.parametrize("loader", [data.load_mnist, data.load_fashion_mnist])
def test_image_sets(loader) -> None:
    x_train, y_train, x_test, y_test = loader()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10))
    assert x_train.flags.writeable


def test_mnist_matches_published_statistics() -> None:
    x_train, y_train, _, y_test = data.load_mnist()
    assert abs(x_train.mean() / 255 - 0.1307) < 1e-3
    assert np.bincount(y_train).tolist()[:3] == [5923, 6742, 5958]
    assert np.bincount(y_test).tolist()[-1] == 1009


def test_tabular_shapes_and_quirks() -> None:
    assert data.load_penguins().shape == (344, 8)
    assert data.load_penguins(raw=True).shape == (344, 17)
    assert data.load_titanic().shape == (891, 15)
    assert data.load_titanic(kaggle=True).shape == (891, 12)
    assert data.load_tips().shape == (244, 7)
    diamonds = data.load_diamonds()
    assert diamonds.shape == (53940, 10) and diamonds["cut"].cat.ordered
    assert data.load_california_housing()["total_bedrooms"].isna().sum() == 207
    sms = data.load_sms_spam()
    assert sms.shape == (5574, 2), "QUOTE_NONE must keep all 5574 messages"
    assert sms["label"].value_counts().to_dict() == {"ham": 4827, "spam": 747}
    train, test = data.sms_spam_split()
    assert (len(train), len(test)) == (4459, 1115)
    assert train["spam"].sum() == 598 and test["spam"].sum() == 149
    again, _ = data.sms_spam_split()
    assert again.equals(train), "the split must be the same on every call"
    assert len(data.load_tiny_shakespeare()) == 1115394
    restaurants = data.load_restaurant_ratings()
    assert restaurants.ratings.shape == (1161, 5) and restaurants.places.shape == (130, 21)
    assert restaurants.places.isna().any().any(), "'?' must be read as missing"
    bank = data.load_bank_marketing()
    assert bank.shape == (4521, 17) and (bank["y"] == "yes").sum() == 521


def test_text_datasets_written_for_the_course() -> None:
    notes = data.load_course_notes()
    assert notes.shape == (558, 5) and notes["id"].is_unique
    assert notes["lesson"].nunique() == 39 and (notes["text"].str.split().str.len() >= 25).all()
    faq, questions = data.load_support_faq()
    assert faq["id"].is_unique and faq[["intent", "question", "answer"]].notna().all().all()
    answerable = questions["faq_id"].dropna()
    assert answerable.isin(faq["id"]).all(), "every labelled question must point at an existing FAQ entry"
    assert 0 < questions["faq_id"].isna().sum() < len(questions), "some, not all, questions are out of scope"
    assert set(questions["split"]) == {"dev", "test"}
    extra = set(questions["intent"]) - set(faq["intent"])
    assert len(extra) <= 1, f"intents beyond the FAQ's, other than one for out-of-scope questions: {extra}"


def test_load_by_name_and_unknown_names() -> None:
    assert isinstance(data.load("tips"), pd.DataFrame)
    with pytest.raises(data.DatasetError, match="Known datasets"):
        data.load("imagenet")
    with pytest.raises(data.DatasetError, match="has no file"):
        data.path("mnist", "nope.gz")


# ---------------------------------------------------------------------------------------------
# Bad cases. A copy of the repository's datasets in a temporary course root, so the real files
# are never touched.
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "course"
    (root / "src" / "aipath").mkdir(parents=True)
    (root / "datasets").mkdir()
    shutil.copy(ROOT / "datasets" / "manifest.json", root / "datasets")
    shutil.copytree(ROOT / "datasets" / "tips", root / "datasets" / "tips")
    monkeypatch.setenv("AIPATH_ROOT", str(root))
    monkeypatch.setenv("AIPATH_CACHE", str(tmp_path / "cache"))
    return root


def test_flipped_byte_is_refused_by_loader_and_verify(course: Path) -> None:
    target = course / "datasets" / "tips" / "tips.csv"
    raw = bytearray(target.read_bytes())
    raw[100] ^= 0x01
    target.write_bytes(bytes(raw))
    with pytest.raises(data.DatasetError) as err:
        data.load_tips()
    message = str(err.value)
    assert "corrupt" in message and "SHA-256" in message and "git checkout -- datasets/tips/tips.csv" in message
    status = data.verify(["tips"])
    assert not status[0].ok and "CORRUPT" in status[0].detail


def test_truncated_file_is_refused(course: Path) -> None:
    target = course / "datasets" / "tips" / "tips.csv"
    target.write_bytes(target.read_bytes()[:500])
    with pytest.raises(data.DatasetError, match="truncated"):
        data.load_tips()


def test_missing_and_offline_says_where_it_looked_and_how_to_fix(
        course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIPATH_OFFLINE", "1")
    with pytest.raises(data.DatasetError) as err:
        data.load_bank_marketing()
    message = str(err.value)
    assert "'bank_marketing'" in message and "bank.csv" in message
    assert str(course / "datasets" / "bank_marketing" / "bank.csv") in message
    assert "Fix:" in message


class _Server:
    """A loopback HTTP server whose answers the test chooses: the right file, a wrong one, or a cut-off one."""

    def __init__(self, payload: bytes, cut_after: int | None = None) -> None:
        payload_, cut = payload, cut_after

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload_)))
                self.end_headers()
                self.wfile.write(payload_ if cut is None else payload_[:cut])
                self.wfile.flush()
                if cut is not None:
                    self.connection.close()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def no_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """As in Colab: no repository anywhere, an empty cache."""
    root = tmp_path / "empty"
    root.mkdir()
    monkeypatch.setenv("AIPATH_ROOT", str(root))  # Not a course root: repo_root() is None.
    monkeypatch.setenv("AIPATH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("AIPATH_OFFLINE", raising=False)
    yield tmp_path / "cache" / "datasets" / "tips"


def test_download_verified_into_cache(no_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _Server((ROOT / "datasets" / "tips" / "tips.csv").read_bytes())
    monkeypatch.setenv("AIPATH_DATA_URL", server.url)
    try:
        assert data.load_tips().shape == (244, 7)
        assert (no_repo / "tips.csv").is_file()
        assert data.verify(["tips"])[0].detail == "ok (cache)"
    finally:
        server.close()


def test_download_with_wrong_bytes_is_refused_and_not_kept(no_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _Server(b"total_bill,tip\n1,2\n")
    monkeypatch.setenv("AIPATH_DATA_URL", server.url)
    try:
        with pytest.raises(data.DatasetError, match="could not be downloaded"):
            data.load_tips()
        assert not no_repo.exists() or not any(no_repo.iterdir()), "nothing may be left behind"
    finally:
        server.close()


def test_interrupted_download_leaves_no_partial_file(no_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = (ROOT / "datasets" / "tips" / "tips.csv").read_bytes()
    server = _Server(payload, cut_after=len(payload) // 2)
    monkeypatch.setenv("AIPATH_DATA_URL", server.url)
    try:
        with pytest.raises(data.DatasetError):
            data.load_tips()
        assert not no_repo.exists() or not any(no_repo.iterdir()), "a partial file was left behind"
    finally:
        server.close()


def test_corrupt_cache_file_is_replaced(no_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_repo.mkdir(parents=True)
    (no_repo / "tips.csv").write_text("garbage")
    server = _Server((ROOT / "datasets" / "tips" / "tips.csv").read_bytes())
    monkeypatch.setenv("AIPATH_DATA_URL", server.url)
    try:
        assert data.load_tips().shape == (244, 7)
    finally:
        server.close()


def test_unreachable_server_gives_a_clear_error(no_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIPATH_DATA_URL", "http://127.0.0.1:9")  # Nothing listens on the discard port.
    with pytest.raises(data.DatasetError) as err:
        data.load_tips()
    assert "could not be downloaded" in str(err.value) and "Fix:" in str(err.value)
