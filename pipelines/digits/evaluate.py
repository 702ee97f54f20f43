"""Stage evaluate: score the model on the test images; write metrics/eval.json and plots/per_class.csv."""

import csv
import json
from pathlib import Path

import numpy as np
from model import features, forward


def main() -> None:
    data = np.load("data/test.npz")
    weights = dict(np.load("model/model.npz"))
    _, p = forward(weights, features(data["x"]))
    y, pred = data["y"], p.argmax(axis=1)
    recall = [float((pred[y == d] == d).mean()) for d in range(10)]
    metrics = {"accuracy": round(float((pred == y).mean()), 4),
               "log_loss": round(float(-np.log(p[np.arange(len(y)), y] + 1e-9).mean()), 4),
               "worst_class_recall": round(min(recall), 4),
               "n_test": len(y)}
    Path("metrics").mkdir(exist_ok=True)
    Path("metrics/eval.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    Path("plots").mkdir(exist_ok=True)
    with open("plots/per_class.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["digit", "recall"])
        writer.writerows([d, round(r, 4)] for d, r in enumerate(recall))
    print(f"evaluate: accuracy {metrics['accuracy']:.4f} on {len(y)} test images")


if __name__ == "__main__":
    main()
