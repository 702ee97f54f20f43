"""Stage prepare: draw a seeded subset of MNIST and save it as data/train.npz and data/test.npz."""

from pathlib import Path

import numpy as np
import yaml
from arrays import save_npz

from aipath.data import load_mnist


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["prepare"]
    x_train, y_train, x_test, y_test = load_mnist()
    rng = np.random.default_rng(params["seed"])
    train = rng.choice(len(x_train), size=params["n_train"], replace=False)
    test = rng.choice(len(x_test), size=params["n_test"], replace=False)
    Path("data").mkdir(exist_ok=True)
    save_npz("data/train.npz", x=x_train[train], y=y_train[train])
    save_npz("data/test.npz", x=x_test[test], y=y_test[test])
    print(f"prepare: {len(train)} training and {len(test)} test images (seed {params['seed']})")


if __name__ == "__main__":
    main()
