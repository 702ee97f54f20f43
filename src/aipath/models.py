"""Models that later lessons build on, so that no notebook depends on a file another notebook left behind.

The MNIST CNN here is the recipe taught in ``notebooks/04_mnist_project/02_cnn_pytorch.ipynb``; lessons that
*use* a trained digit model (error analysis, export, serving, monitoring) get it from
:func:`trained_mnist_cnn`, which trains it once (about a minute on a laptop CPU, seconds on a GPU) and caches
the weights and their metrics in the user cache.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._cache import atomic_write as _atomic_write
from ._cache import exclusive as _exclusive
from ._paths import cache_dir

#: Bump when the recipe changes, so that stale cached weights are not reused.
MNIST_CNN_VERSION = 1
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def mnist_cnn() -> Any:
    """The 29k-parameter CNN of the MNIST project (untrained): stride-2 conv, batch norm, pooling, linear."""
    from torch import nn

    def block(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out),
                             nn.ReLU(inplace=True))

    return nn.Sequential(block(1, 16, 2), block(16, 32), nn.MaxPool2d(2), block(32, 64), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 3 * 3, 10))


def mnist_tensor(images: np.ndarray, device: Any = "cpu") -> Any:
    """uint8 images (n, 28, 28) -> normalised float tensor (n, 1, 28, 28), channels-last, on ``device``."""
    import torch

    x = torch.tensor(images, dtype=torch.float32).div_(255).sub_(MNIST_MEAN).div_(MNIST_STD)  # A copy.
    return x.unsqueeze(1).to(device).contiguous(memory_format=torch.channels_last)


def train_mnist_cnn(x: Any, y: Any, *, epochs: int = 3, batch_size: int = 128, max_lr: float = 0.4,
                    seed: int = 0, callback: Callable[[Any, int], None] | None = None,
                    evals_per_epoch: int = 4) -> Any:
    """Train :func:`mnist_cnn` with the project's recipe: one-cycle SGD (Nesterov), label smoothing 0.1.

    ``x`` comes from :func:`mnist_tensor`, ``y`` is a long tensor on the same device. ``callback(model, step)``
    is called ``evals_per_epoch`` times per epoch (the model is in training mode; :func:`accuracy` keeps it so).
    """
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    model = mnist_cnn().to(x.device, memory_format=torch.channels_last)
    steps = len(x) // batch_size
    optimizer = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=epochs * steps,
                                                   pct_start=0.25)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    step = 0
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator).to(x.device)
        for i in range(steps):
            idx = order[i * batch_size:(i + 1) * batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx], label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if callback is not None and (i + 1) % max(1, steps // evals_per_epoch) == 0:
                callback(model, step)
    model.eval()
    return model


def accuracy(model: Any, x: Any, y: Any, batch: int = 2000) -> float:
    """Share of correct predictions, in evaluation mode, without gradients; the model's mode is restored."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
                      for i in range(0, len(x), batch))
    model.train(was_training)
    return correct / len(x)


def trained_mnist_cnn(device: Any = None, quiet: bool = False) -> tuple[Any, dict[str, Any]]:
    """The project's MNIST CNN trained on all 60,000 training images, and its metrics.

    Trained on first use (seeded) and cached in ``<cache>/models/``; later calls load it in a fraction of a
    second. Returns ``(model in eval mode on device, {"test_accuracy": ..., "version": ..., ...})``.
    """
    import torch

    from . import data
    from ._setup import device as best_device

    device = device or best_device()
    folder = cache_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"mnist_cnn_v{MNIST_CNN_VERSION}.pt"
    with _exclusive(folder / f"mnist_cnn_v{MNIST_CNN_VERSION}.lock"):  # Parallel notebooks train it once.
        cached = _load_cached(weights)
        if cached is not None:
            model, metrics = cached
            return model.to(device, memory_format=torch.channels_last).eval(), metrics
        if not quiet:
            print("Training the MNIST CNN once (about a minute on a CPU); later calls load it from the cache.")
        x_train, y_train, x_test, y_test = data.load_mnist()
        x, y = mnist_tensor(x_train, device), torch.from_numpy(y_train).long().to(device)
        model = train_mnist_cnn(x, y)
        test_acc = accuracy(model, mnist_tensor(x_test, device), torch.from_numpy(y_test).long().to(device))
        metrics = {"version": MNIST_CNN_VERSION, "test_accuracy": test_acc, "train_images": len(x_train),
                   "recipe": "notebooks/04_mnist_project/02_cnn_pytorch.ipynb", "mean": MNIST_MEAN,
                   "std": MNIST_STD}
        state = {k: v.cpu() for k, v in model.state_dict().items()}
        _atomic_write(weights.with_suffix(".json"),
                      lambda path: Path(path).write_text(json.dumps(metrics, indent=2), encoding="utf-8"))
        _atomic_write(weights, lambda path: torch.save(state, path))  # Written last: it marks completion.
    return model.eval(), metrics


def _load_cached(weights: Path) -> tuple[Any, dict[str, Any]] | None:
    """The cached model and metrics, or None when absent or damaged (then it is rebuilt)."""
    import torch

    metrics_file = weights.with_suffix(".json")
    if not (weights.is_file() and metrics_file.is_file()):
        return None
    try:
        model = mnist_cnn()
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        return model, json.loads(metrics_file.read_text(encoding="utf-8"))
    except Exception:  # Truncated, corrupt or foreign file: any failure to load means rebuild.
        return None


#: Bump when the exported graph changes (inputs, outputs, preprocessing).
DIGITS_ONNX_VERSION = 1


def digits_onnx(quiet: bool = False) -> tuple[Path, dict[str, Any]]:
    """The MNIST CNN of :func:`trained_mnist_cnn` exported to ONNX for serving, and its metrics.

    The graph takes raw pixels, float32 ``pixels`` of shape (n, 28, 28) in 0-255 (white digit on black), and
    does the scaling itself, so a caller cannot forget it; it returns ``logits`` (n, 10). Built on first use
    (export, then checked with ONNX Runtime against PyTorch on the whole test set) and cached next to the
    weights. Returns ``(path of the .onnx file, metrics)``; the metrics include ``test_accuracy`` measured with
    ONNX Runtime, ``max_abs_diff`` to PyTorch and the file's ``sha256``.
    """
    from . import data

    folder = cache_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"digits_cnn_v{MNIST_CNN_VERSION}.{DIGITS_ONNX_VERSION}.onnx"
    info = target.with_suffix(".json")
    with _exclusive(folder / "digits_onnx.lock"):
        if target.is_file() and info.is_file():
            try:
                metrics = json.loads(info.read_text(encoding="utf-8"))
                if metrics.get("sha256") == data.sha256sum(target):
                    return target, metrics
            except (OSError, ValueError):
                pass  # Damaged: rebuild below.
        import torch  # Only when building: loading the cached file needs no torch.

        model, cnn_metrics = trained_mnist_cnn(device="cpu", quiet=quiet)
        graph = _raw_pixels(model.to(memory_format=torch.contiguous_format)).eval()
        _, _, x_test, y_test = data.load_mnist()
        pixels = torch.tensor(x_test, dtype=torch.float32)

        def export(path: str) -> None:
            # The TorchScript exporter (dynamo=False) needs no extra package; its deprecation notice is expected.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                torch.onnx.export(graph, (pixels[:1],), path, dynamo=False, opset_version=17,
                                  input_names=["pixels"], output_names=["logits"],
                                  dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}})

        _atomic_write(target, export)
        with torch.no_grad():
            reference = graph(pixels).numpy()
        session = onnx_session(target)
        logits = session.run(["logits"], {"pixels": pixels.numpy()})[0]
        metrics = {"version": f"{MNIST_CNN_VERSION}.{DIGITS_ONNX_VERSION}",
                   "test_accuracy": float((logits.argmax(1) == y_test).mean()),
                   "torch_test_accuracy": cnn_metrics["test_accuracy"],
                   "max_abs_diff": float(np.abs(logits - reference).max()),
                   "input": "pixels: float32 (n, 28, 28), 0-255, white digit on black",
                   "output": "logits: float32 (n, 10)", "opset": 17, "sha256": data.sha256sum(target)}
        _atomic_write(info, lambda path: Path(path).write_text(json.dumps(metrics, indent=2), encoding="utf-8"))
    return target, metrics


def onnx_session(path: Path | str, threads: int = 1) -> Any:
    """An ONNX Runtime CPU session with ``threads`` intra-op threads (one per parallel worker is fastest)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _raw_pixels(cnn: Any) -> Any:
    """The CNN wrapped so that it takes raw 0-255 pixels (n, 28, 28) and scales them itself."""
    from torch import nn

    class RawPixels(nn.Module):
        """Wraps the CNN so that it takes raw 0-255 pixels (n, 28, 28) and scales them itself."""

        def __init__(self, cnn: nn.Module) -> None:
            super().__init__()
            self.cnn = cnn

        def forward(self, pixels: Any) -> Any:
            return self.cnn(((pixels / 255.0 - MNIST_MEAN) / MNIST_STD).unsqueeze(1))

    return RawPixels(cnn)
