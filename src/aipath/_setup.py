"""Notebook set-up: seeds, device, plotting defaults, and the Colab install line."""

from __future__ import annotations

import os
import platform
import random
import sys
from importlib import metadata
from typing import Any

import numpy as np


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def device() -> Any:
    """The best device for PyTorch here: ``cuda``, then Apple's ``mps``, else ``cpu``.

    Returns a ``torch.device``. Every notebook uses this one function, so the same code runs on a laptop
    CPU and on a GPU.
    """
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, and PyTorch / TensorFlow when they are already imported."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)  # Seeds every device, CUDA included.
    if "tensorflow" in sys.modules or "keras" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)


def _plot_defaults() -> None:
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (7.0, 4.0),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "image.cmap": "viridis",
    })


def summary_line(seed: int | None = None) -> str:
    """One line with the versions that matter and the device, e.g. for a run's log."""
    parts = [f"aipath {_version('aipath') or 'dev'}", f"Python {platform.python_version()}",
             f"numpy {np.__version__}"]
    if "torch" in sys.modules:
        import torch

        parts += [f"torch {torch.__version__}", f"device {device()}"]
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        parts.append(f"tensorflow {tf.__version__} ({'GPU' if gpus else 'CPU'})")
    if seed is not None:
        parts.append(f"seed {seed}")
    return " | ".join(parts)


def _limit_threads(n: int) -> None:
    """Use ``n`` threads in torch and TensorFlow (when imported), so parallel notebooks do not fight."""
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(n)
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError:
            pass  # TensorFlow already ran an op: its thread pools are fixed for this process.


def setup(seed: int = 0, quiet: bool = False) -> None:
    """Prepare a notebook: seed every generator, set plotting defaults, pick the device.

    Call it after importing torch or TensorFlow, so that they are seeded too. Prints one line with the
    versions and the device (unless ``quiet``). Under ``OMP_NUM_THREADS`` (set when notebooks run side by
    side) torch and TensorFlow use that many threads.
    """
    seed_everything(seed)
    _plot_defaults()
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        _limit_threads(int(threads))
    if not quiet:
        print(summary_line(seed))
