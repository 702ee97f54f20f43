"""Stage register: record the model that passed the gate as a new version and make it the champion.

The registry is two JSON files in registry/, versioned by git: versions.json (every registered model, with its
metrics, parameters and the MD5 of its weights, the same hash DVC keeps it under) and champion.json (the version
the gate compares the next model against).
"""

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import yaml


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    verdict = json.loads(Path("metrics/gate.json").read_text(encoding="utf-8"))
    assert verdict["passed"], "register runs only after the gate passed"
    metrics = json.loads(Path("metrics/eval.json").read_text(encoding="utf-8"))
    registry = Path("registry")
    registry.mkdir(exist_ok=True)
    versions_file = registry / "versions.json"
    versions = json.loads(versions_file.read_text(encoding="utf-8")) if versions_file.exists() else []
    md5 = hashlib.md5(Path("model/model.npz").read_bytes()).hexdigest()
    if versions and versions[-1]["model_md5"] == md5:
        print(f"register: this model is already version {versions[-1]['version']}; nothing to do")
        return
    entry = {"version": len(versions) + 1, "model_md5": md5,
             "accuracy": metrics["accuracy"], "metrics": metrics,
             "params": {"prepare": params["prepare"], "train": params["train"]},
             "registered_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    versions.append(entry)
    versions_file.write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")
    Path(params["gate"]["champion"]).write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
    print(f"register: version {entry['version']} (accuracy {entry['accuracy']:.4f}) is the new champion")


if __name__ == "__main__":
    main()
