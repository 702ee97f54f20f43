"""The model shared by train.py and evaluate.py: a one-hidden-layer MLP in NumPy (ReLU, softmax)."""

import numpy as np


def features(images: np.ndarray) -> np.ndarray:
    """Flatten (n, 28, 28) uint8 images to (n, 784) floats in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def init(hidden: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """He-initialised weights for 784 -> hidden -> 10."""
    return {"w1": (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(np.float32),
            "b1": np.zeros(hidden, np.float32),
            "w2": (rng.standard_normal((hidden, 10)) * np.sqrt(2 / hidden)).astype(np.float32),
            "b2": np.zeros(10, np.float32)}


def forward(weights: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hidden activations and class probabilities for a batch x of shape (n, 784)."""
    h = np.maximum(x @ weights["w1"] + weights["b1"], 0)
    logits = h @ weights["w2"] + weights["b2"]
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return h, p / p.sum(axis=1, keepdims=True)
