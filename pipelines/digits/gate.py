"""Stage gate: pass the new model only if it clears the floor AND is not worse than the champion.

Exits with status 1 (which fails `dvc repro` and the CI job) and says why when the model is worse.
"""

import json
import sys
from pathlib import Path

import yaml


def decide(accuracy: float, champion: dict | None, min_accuracy: float, max_drop: float) -> list[str]:
    """The reasons to reject a model with this accuracy; an empty list means it passes."""
    reasons = []
    if accuracy < min_accuracy:
        reasons.append(f"accuracy {accuracy:.4f} is below the floor min_accuracy={min_accuracy}")
    if champion is not None and accuracy < champion["accuracy"] - max_drop:
        reasons.append(f"accuracy {accuracy:.4f} is worse than champion v{champion['version']} "
                       f"({champion['accuracy']:.4f}) by more than max_drop={max_drop}")
    return reasons


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["gate"]
    accuracy = json.loads(Path("metrics/eval.json").read_text(encoding="utf-8"))["accuracy"]
    champion_file = Path(params["champion"])
    champion = json.loads(champion_file.read_text(encoding="utf-8")) if champion_file.exists() else None
    reasons = decide(accuracy, champion, params["min_accuracy"], params["max_drop"])
    verdict = {"passed": not reasons, "accuracy": accuracy}
    Path("metrics/gate.json").write_text(json.dumps(verdict, indent=2) + "\n", encoding="utf-8")
    if reasons:
        print("gate: FAILED: " + "; ".join(reasons), file=sys.stderr)
        sys.exit(1)
    against = f"champion v{champion['version']} ({champion['accuracy']:.4f})" if champion else "no champion yet"
    print(f"gate: passed, accuracy {accuracy:.4f} >= floor {params['min_accuracy']}, against {against}")


if __name__ == "__main__":
    main()
