"""The course's datasets: one loader per dataset, every file verified against the manifest.

Files are looked for, in order, in the repository's ``datasets/`` folder, in the Debian data package
(Fashion-MNIST only), and in the user cache. When none has the file (a notebook opened alone in Colab),
it is downloaded into the cache with its SHA-256 checked; a file that fails the check is never used.

>>> from aipath import data
>>> x_train, y_train, x_test, y_test = data.load_mnist()
>>> penguins = data.load_penguins()
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ._paths import cache_dir, repo_root

__all__ = [
    "DatasetError",
    "FileStatus",
    "ImageSplits",
    "RestaurantData",
    "FASHION_MNIST_CLASSES",
    "manifest",
    "names",
    "path",
    "verify",
    "sha256sum",
    "load",
    "load_mnist",
    "load_fashion_mnist",
    "load_penguins",
    "load_titanic",
    "load_tips",
    "load_diamonds",
    "load_california_housing",
    "load_sms_spam",
    "sms_spam_split",
    "load_tiny_shakespeare",
    "load_restaurant_ratings",
    "load_bank_marketing",
]

#: Folders of Debian data packages that carry the same bytes as our files.
DEBIAN_DIRS: dict[str, Path] = {"fashion_mnist": Path("/usr/share/datasets/fashion-mnist")}

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


class DatasetError(RuntimeError):
    """A dataset file is missing, corrupt or cannot be fetched. The message says how to fix it."""


# --------------------------------------------------------------------------------------------------
# The manifest and locating files
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _manifest_cached(source: str) -> dict[str, Any]:
    return json.loads(Path(source).read_text(encoding="utf-8"))


def _manifest_source() -> str:
    root = repo_root()
    if root is not None:
        return str(root / "datasets" / "manifest.json")
    packaged = resources.files("aipath").joinpath("manifest.json")  # Inside an installed wheel.
    if packaged.is_file():
        return str(packaged)
    return str(Path(__file__).resolve().parents[2] / "datasets" / "manifest.json")  # Editable install.


def manifest() -> dict[str, Any]:
    """The dataset manifest: for each dataset its files (bytes, SHA-256), origin, licence and notes."""
    source = _manifest_source()
    try:
        return _manifest_cached(source)
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise DatasetError(
            f"The dataset manifest could not be read ({exc}). Reinstall the course package "
            "(`make setup` in the repository) or restore datasets/manifest.json with git."
        ) from exc


def names() -> list[str]:
    """Names of all datasets in the manifest."""
    return list(manifest()["datasets"])


def _entry(name: str) -> dict[str, Any]:
    datasets = manifest()["datasets"]
    if name not in datasets:
        raise DatasetError(f"Unknown dataset {name!r}. Known datasets: {', '.join(datasets)}.")
    return datasets[name]


def _file_entry(name: str, file: str | None) -> dict[str, Any]:
    files = _entry(name)["files"]
    if file is None:
        return files[0]
    for entry in files:
        if entry["path"] == file:
            return entry
    raise DatasetError(
        f"Dataset {name!r} has no file {file!r}. Its files: {', '.join(f['path'] for f in files)}."
    )


def _candidates(name: str, file: str) -> list[tuple[Path, str]]:
    """Places a file may already be, with the kind of place: 'repository', 'debian' or 'cache'."""
    places: list[tuple[Path, str]] = []
    root = repo_root()
    if root is not None:
        places.append((root / "datasets" / name / file, "repository"))
    if name in DEBIAN_DIRS:
        places.append((DEBIAN_DIRS[name] / file, "debian"))
    places.append((cache_dir() / "datasets" / name / file, "cache"))
    return places


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _problem(path: Path, entry: dict[str, Any]) -> str | None:
    """Why a file does not match its manifest entry, or None when it does."""
    size = path.stat().st_size
    if size != entry["bytes"]:
        return f"it has {size:,} bytes where {entry['bytes']:,} were expected (truncated or replaced)"
    actual = sha256sum(path)
    if actual != entry["sha256"]:
        return f"its SHA-256 is {actual[:16]}... where {entry['sha256'][:16]}... was expected (the bytes changed)"
    return None


def _fix_for(kind: str, name: str, file: str, found: Path) -> str:
    if kind == "repository":
        return (f"restore it with `git checkout -- datasets/{name}/{file}` from the repository root "
                "(or clone the course again)")
    return f"delete {found} and run again to download a fresh copy"


def path(name: str, file: str | None = None) -> Path:
    """Return the verified local path of one file of a dataset, downloading it into the cache if needed.

    Raises :class:`DatasetError` when the file is corrupt or cannot be found or fetched.
    """
    entry = _file_entry(name, file)
    file = entry["path"]
    looked: list[Path] = []
    for candidate, kind in _candidates(name, file):
        if not candidate.is_file():
            looked.append(candidate)
            continue
        problem = _problem(candidate, entry)
        if problem is None:
            return candidate
        if kind == "cache":  # A damaged download is replaced by a fresh one, never used.
            candidate.unlink()
            looked.append(candidate)
            continue
        raise DatasetError(
            f"Dataset {name!r}: {candidate} is corrupt: {problem}. It was not used. "
            f"Fix: {_fix_for(kind, name, file, candidate)}; `aipath data verify` checks every dataset."
        )
    return _download(name, entry, looked)


def _download(name: str, entry: dict[str, Any], looked: list[Path]) -> Path:
    file = entry["path"]
    where = "\n".join(f"  - {p}" for p in looked)
    base = os.environ.get("AIPATH_DATA_URL") or manifest()["base_url"]
    url = f"{base.rstrip('/')}/{name}/{file}"
    howto = (
        "Fix: run the notebook from inside the course repository (it ships every dataset in datasets/), "
        "or connect to the internet and run again (the file is downloaded once into the cache and its "
        f"SHA-256 checked), or copy the file to {looked[-1]}."
    )
    if os.environ.get("AIPATH_OFFLINE"):
        raise DatasetError(
            f"Dataset {name!r}: file {file} is not on this machine and AIPATH_OFFLINE is set.\n"
            f"Looked in:\n{where}\n{howto}"
        )
    import pooch  # Imported here: only needed for downloads.

    target = cache_dir() / "datasets" / name
    try:
        fetched = pooch.retrieve(
            url, known_hash=f"sha256:{entry['sha256']}", fname=file, path=target, progressbar=False
        )
    except Exception as exc:  # Network errors, HTTP errors and hash mismatches all end here.
        raise DatasetError(
            f"Dataset {name!r}: file {file} is not on this machine and could not be downloaded from "
            f"{url}: {exc}\nLooked in:\n{where}\n{howto}"
        ) from exc
    return Path(fetched)


# --------------------------------------------------------------------------------------------------
# Verification (used by `aipath data verify` and `aipath doctor`)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStatus:
    """The state of one dataset file on this machine."""

    dataset: str
    file: str
    path: Path | None
    ok: bool
    detail: str


def verify(datasets: list[str] | None = None) -> list[FileStatus]:
    """Check every file of the given datasets (all by default) where the loaders would find it.

    Nothing is downloaded: a file that is nowhere yet is reported as missing.
    """
    report: list[FileStatus] = []
    for name in datasets or names():
        for entry in _entry(name)["files"]:
            file = entry["path"]
            found = next(((p, k) for p, k in _candidates(name, file) if p.is_file()), None)
            if found is None:
                report.append(FileStatus(name, file, None, False, "missing"))
                continue
            problem = _problem(found[0], entry)
            detail = f"ok ({found[1]})" if problem is None else f"CORRUPT: {problem}; fix: " + _fix_for(
                found[1], name, file, found[0]
            )
            report.append(FileStatus(name, file, found[0], problem is None, detail))
    return report


# --------------------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------------------


class ImageSplits(NamedTuple):
    """Train and test images (uint8, shape (n, 28, 28)) with their labels (uint8, shape (n,))."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _read_idx(file: Path) -> np.ndarray:
    """Read a gzip-compressed idx file (the MNIST format) into a writable uint8 array."""
    try:
        with gzip.open(file, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{file} is not a readable gzip file ({exc}).") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetError(f"{file} is not an idx file of unsigned bytes.")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = raw[4 + 4 * ndim:]
    if len(body) != int(np.prod(dims)):
        raise DatasetError(f"{file} holds {len(body)} values where its header promises {dims}.")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims).copy()


def _load_idx_set(name: str) -> ImageSplits:
    parts = [
        _read_idx(path(name, f"{split}-{kind}-idx{dim}-ubyte.gz"))
        for split in ("train", "t10k")
        for kind, dim in (("images", 3), ("labels", 1))
    ]
    return ImageSplits(*parts)


def load_mnist() -> ImageSplits:
    """MNIST digits: ``(x_train, y_train, x_test, y_test)``, uint8, images of shape (n, 28, 28)."""
    return _load_idx_set("mnist")


def load_fashion_mnist() -> ImageSplits:
    """Fashion-MNIST, same layout as :func:`load_mnist`; class names in ``FASHION_MNIST_CLASSES``."""
    return _load_idx_set("fashion_mnist")


def load_penguins(raw: bool = False) -> pd.DataFrame:
    """Palmer penguins: the tidy 344 x 8 table, or with ``raw=True`` the messy 344 x 17 original."""
    return pd.read_csv(path("penguins", "penguins_raw.csv" if raw else "penguins.csv"))


def load_titanic(kaggle: bool = False) -> pd.DataFrame:
    """Titanic passengers (891 rows): seaborn's columns, or with ``kaggle=True`` Kaggle's ``train.csv``."""
    return pd.read_csv(path("titanic", "train.csv" if kaggle else "titanic.csv"))


def load_tips() -> pd.DataFrame:
    """Restaurant tips, 244 x 7."""
    return pd.read_csv(path("tips", "tips.csv"))


_DIAMOND_ORDER = {
    "cut": ["Fair", "Good", "Very Good", "Premium", "Ideal"],
    "color": ["J", "I", "H", "G", "F", "E", "D"],
    "clarity": ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"],
}


def load_diamonds() -> pd.DataFrame:
    """Diamonds, 53,940 x 10; ``cut``, ``color`` and ``clarity`` as ordered categories (worst to best)."""
    frame = pd.read_csv(path("diamonds", "diamonds.csv"))
    for column, order in _DIAMOND_ORDER.items():
        frame[column] = pd.Categorical(frame[column], categories=order, ordered=True)
    return frame


def load_california_housing() -> pd.DataFrame:
    """California housing districts (1990 census), 20,640 x 10, with 207 missing ``total_bedrooms``."""
    return pd.read_csv(path("california_housing", "housing.csv"))


def load_sms_spam() -> pd.DataFrame:
    """SMS messages labelled ``ham`` or ``spam``: 5,574 rows, columns ``label`` and ``message``.

    Read without quote handling: stray double quotes in the messages would otherwise merge lines.
    """
    return pd.read_csv(
        path("sms_spam", "SMSSpamCollection"), sep="\t", header=None, names=["label", "message"],
        quoting=csv.QUOTE_NONE, encoding="utf-8",
    )


def sms_spam_split(test_fraction: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SMS spam train/test split every lesson uses, so that their scores can be compared.

    Stratified by label (13.4% spam in both parts) and reproducible: the same ``seed`` gives the same rows on
    every machine. Returns ``(train, test)`` with columns ``label``, ``message`` and ``spam`` (1 for spam, 0 for ham).
    """
    from sklearn.model_selection import train_test_split

    df = load_sms_spam()
    df["spam"] = (df["label"] == "spam").astype("int64")
    train, test = train_test_split(df, test_size=test_fraction, stratify=df["spam"], random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def load_tiny_shakespeare() -> str:
    """Tiny Shakespeare as one string of 1,115,394 characters."""
    return path("tiny_shakespeare", "input.txt").read_text(encoding="utf-8")


class RestaurantData(NamedTuple):
    """The UCI restaurant tables: ratings, places, the cuisines of places and users' cuisines."""

    ratings: pd.DataFrame
    places: pd.DataFrame
    place_cuisine: pd.DataFrame
    user_cuisine: pd.DataFrame


def load_restaurant_ratings() -> RestaurantData:
    """Restaurant ratings by 138 users of 130 places (1,161 ratings in {0, 1, 2}) and side tables."""
    return RestaurantData(
        ratings=pd.read_csv(path("restaurant_ratings", "rating_final.csv")),
        places=pd.read_csv(path("restaurant_ratings", "geoplaces2.csv"), encoding="latin-1", na_values="?"),
        place_cuisine=pd.read_csv(path("restaurant_ratings", "chefmozcuisine.csv")),
        user_cuisine=pd.read_csv(path("restaurant_ratings", "usercuisine.csv")),
    )


def load_bank_marketing() -> pd.DataFrame:
    """Bank marketing calls, 4,521 x 17; target ``y`` is ``yes`` for 11.5% of rows."""
    return pd.read_csv(path("bank_marketing", "bank.csv"), sep=";")


def load_course_notes() -> pd.DataFrame:
    """This course's own lesson prose (stages 0-5), one row per section: 558 rows.

    Columns ``id`` (``<stage>/<lesson>#<n>``), ``lesson``, ``lesson_title``, ``section`` and ``text``. A frozen
    snapshot built by ``tools/course_notes.py``: queries labelled against it stay valid as the lessons evolve.
    """
    return pd.read_json(path("course_notes", "sections.jsonl"), lines=True, dtype=False)


class SupportFAQ(NamedTuple):
    """The support-bot corpus: ``faq`` (id, intent, question, answer) and labelled user ``questions``."""

    faq: pd.DataFrame
    questions: pd.DataFrame


def load_support_faq() -> SupportFAQ:
    """A help-centre FAQ of a fictional online course platform, written for this course, with labelled questions.

    ``questions`` has ``question``, ``intent``, ``faq_id`` (missing when the FAQ cannot answer it: the bot should
    say so) and ``split`` (``dev`` to build with, ``test`` to report on once).
    """
    faq = pd.read_json(path("support_faq", "faq.jsonl"), lines=True, dtype=False)
    questions = pd.read_json(path("support_faq", "questions.jsonl"), lines=True, dtype=False)
    return SupportFAQ(faq, questions)


LOADERS: dict[str, Callable[[], Any]] = {
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "penguins": load_penguins,
    "titanic": load_titanic,
    "tips": load_tips,
    "diamonds": load_diamonds,
    "california_housing": load_california_housing,
    "sms_spam": load_sms_spam,
    "tiny_shakespeare": load_tiny_shakespeare,
    "restaurant_ratings": load_restaurant_ratings,
    "bank_marketing": load_bank_marketing,
    "course_notes": load_course_notes,
    "support_faq": load_support_faq,
}


def load(name: str) -> Any:
    """Load a dataset by name with its default options (see the ``load_*`` functions)."""
    if name not in LOADERS:
        raise DatasetError(f"Unknown dataset {name!r}. Known datasets: {', '.join(LOADERS)}.")
    return LOADERS[name]()
