"""Stage train: fit the MLP with mini-batch gradient descent (momentum); save model/model.npz and plots/train_loss.csv."""

import csv
from pathlib import Path

import numpy as np
import yaml
from arrays import save_npz
from model import features, forward, init


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["train"]
    data = np.load("data/train.npz")
    x, y = features(data["x"]), data["y"]
    rng = np.random.default_rng(params["seed"])
    weights = init(params["hidden"], rng)
    velocity = {name: np.zeros_like(w) for name, w in weights.items()}
    history = []
    for epoch in range(1, params["epochs"] + 1):
        order, losses = rng.permutation(len(x)), []
        for start in range(0, len(x), params["batch_size"]):
            idx = order[start:start + params["batch_size"]]
            h, p = forward(weights, x[idx])
            losses.append(-np.log(p[np.arange(len(idx)), y[idx]] + 1e-9).mean())
            grad = p.copy()
            grad[np.arange(len(idx)), y[idx]] -= 1            # d loss / d logits, per example
            grad /= len(idx)
            grad_h = (grad @ weights["w2"].T) * (h > 0)
            grads = {"w2": h.T @ grad, "b2": grad.sum(axis=0), "w1": x[idx].T @ grad_h, "b1": grad_h.sum(axis=0)}
            for name in weights:                               # gradient descent with momentum
                velocity[name] = params["momentum"] * velocity[name] + grads[name]
                weights[name] -= params["lr"] * velocity[name]
        history.append({"epoch": epoch, "loss": round(float(np.mean(losses)), 5)})
        print(f"train: epoch {epoch}, loss {history[-1]['loss']:.4f}")
    Path("model").mkdir(exist_ok=True)
    save_npz("model/model.npz", **weights)
    Path("plots").mkdir(exist_ok=True)
    with open("plots/train_loss.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["epoch", "loss"])
        writer.writeheader()
        writer.writerows(history)


if __name__ == "__main__":
    main()
