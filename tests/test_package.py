"""The package itself: set-up helpers, the wheel a Colab user installs, the curriculum map."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

import aipath
from aipath import curriculum, data

ROOT = Path(__file__).resolve().parents[1]


def test_setup_seeds_numpy_and_torch_and_reports_device() -> None:
    import torch

    aipath.setup(seed=123, quiet=True)
    line = aipath.summary_line(seed=123)
    a, ta = np.random.rand(3), torch.rand(3)
    aipath.setup(seed=123, quiet=True)
    assert np.array_equal(a, np.random.rand(3)) and torch.equal(ta, torch.rand(3))
    assert "torch" in line and f"device {aipath.device()}" in line and "seed 123" in line


def test_device_is_a_torch_device() -> None:
    import torch

    device = aipath.device()
    assert isinstance(device, torch.device)
    assert torch.ones(2, device=device).sum().item() == 2


def test_repo_root_found_from_anywhere_inside(monkeypatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.delenv("AIPATH_ROOT", raising=False)
    assert aipath.repo_root() == ROOT


def test_curriculum_paths_are_unique_and_follow_the_layout() -> None:
    lessons = curriculum.lessons()
    assert len({lesson.id for lesson in lessons}) == len(lessons) == 48
    for lesson in lessons:
        assert lesson.stage[:2].isdigit() and lesson.slug[:2].isdigit()
    # Every notebook in the repository is a lesson of the map.
    known = {lesson.path().as_posix() for lesson in lessons}
    for path in (ROOT / "notebooks").glob("*/*.ipynb"):
        assert path.relative_to(ROOT).as_posix() in known, f"{path} is not in src/aipath/curriculum.py"


def test_wheel_carries_the_manifest(tmp_path: Path) -> None:
    """What `pip install aipath @ git+...` builds in Colab: the package with the dataset manifest inside."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("aipath-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "aipath/manifest.json" in names and "aipath/data.py" in names
    assert not any(name.startswith("datasets/") for name in names), "data files must not go into the wheel"


def test_mnist_cnn_recipe_learns() -> None:
    """The project's CNN: its size, its input convention, and a short run that clearly learns."""
    import torch

    from aipath import models

    model = models.mnist_cnn()
    assert sum(p.numel() for p in model.parameters()) == 29_178
    x_train, y_train, x_test, y_test = aipath.data.load_mnist()
    x = models.mnist_tensor(x_train[:3000])
    assert x.shape == (3000, 1, 28, 28) and abs(x.mean().item()) < 0.1
    floats = x_train[:5].astype(np.float32)
    models.mnist_tensor(floats)
    assert np.array_equal(floats, x_train[:5]), "mnist_tensor must not change the caller's array"
    calls: list[int] = []
    trained = models.train_mnist_cnn(x, torch.from_numpy(y_train[:3000]).long(), epochs=2, batch_size=32, max_lr=0.1,
                                     callback=lambda m, step: calls.append(step))
    assert len(calls) == 8 and not trained.training
    acc = models.accuracy(trained, models.mnist_tensor(x_test[:2000]), torch.from_numpy(y_test[:2000]).long())
    assert acc >= 0.9, f"3,000 images for 2 epochs should give at least 90%, got {acc:.3f}"
    trained.train()
    models.accuracy(trained, models.mnist_tensor(x_test[:10]), torch.from_numpy(y_test[:10]).long())
    assert trained.training, "accuracy() must give the model back in the mode it found it"


def test_setup_limits_tensorflow_threads_like_torch() -> None:
    code = ("import tensorflow as tf, keras, aipath; aipath.setup(seed=0, quiet=True); "
            "print(tf.config.threading.get_intra_op_parallelism_threads(), "
            "tf.config.threading.get_inter_op_parallelism_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]


def test_trained_mnist_cnn_is_built_once_then_cached(tmp_path: Path, monkeypatch) -> None:
    """The caching logic, with the minute of real training replaced by a quick stand-in."""
    from aipath import models

    monkeypatch.setenv("AIPATH_CACHE", str(tmp_path))
    calls: list[int] = []

    def quick_train(x, y, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls.append(len(x))
        return models.mnist_cnn().to(memory_format=__import__("torch").channels_last).eval()

    monkeypatch.setattr(models, "train_mnist_cnn", quick_train)
    model, metrics = models.trained_mnist_cnn(device="cpu", quiet=True)
    assert calls == [60000] and metrics["version"] == models.MNIST_CNN_VERSION
    assert 0 <= metrics["test_accuracy"] <= 1
    again, metrics_again = models.trained_mnist_cnn(device="cpu", quiet=True)
    assert calls == [60000], "the second call must load from the cache, not train"
    assert metrics_again == metrics and not again.training
    weights = tmp_path / "models" / f"mnist_cnn_v{models.MNIST_CNN_VERSION}.pt"
    weights.write_bytes(b"damaged")
    models.trained_mnist_cnn(device="cpu", quiet=True)
    assert len(calls) == 2, "a damaged cache is rebuilt"


def test_digits_onnx_matches_torch_and_rebuilds_a_damaged_file(tmp_path: Path, monkeypatch) -> None:
    """The served model: an ONNX export of the cached CNN, equal to PyTorch, rebuilt when its file is damaged."""
    import torch

    from aipath import models

    monkeypatch.setenv("AIPATH_CACHE", str(tmp_path))

    def quick_train(x, y, **kwargs):  # noqa: ANN001, ANN003, ANN202 - untrained weights are enough here.
        torch.manual_seed(0)
        return models.mnist_cnn().to(memory_format=torch.channels_last).eval()

    monkeypatch.setattr(models, "train_mnist_cnn", quick_train)
    path, metrics = models.digits_onnx(quiet=True)
    assert metrics["max_abs_diff"] < 1e-4 and metrics["sha256"] == data.sha256sum(path)
    session = models.onnx_session(path)
    assert [i.name for i in session.get_inputs()] == ["pixels"]
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.float32)
    cnn, _ = models.trained_mnist_cnn(device="cpu", quiet=True)
    with torch.no_grad():  # The graph scales raw pixels itself, exactly as the CNN's training data was scaled.
        expected = cnn(models.mnist_tensor(pixels.astype(np.uint8))).numpy()
    np.testing.assert_allclose(session.run(["logits"], {"pixels": pixels})[0], expected, atol=1e-4)
    again, metrics_again = models.digits_onnx(quiet=True)
    assert again == path and metrics_again == metrics
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    rebuilt, metrics_rebuilt = models.digits_onnx(quiet=True)
    assert metrics_rebuilt["sha256"] == metrics["sha256"] == data.sha256sum(rebuilt), "the export is deterministic"
