"""Record a shipped dataset's files (size and SHA-256) in datasets/manifest.json.

    python tools/dataset_manifest.py support_faq   # after editing the files of datasets/support_faq/

The entry's descriptive fields (title, licence, origin, ...) are kept; only its ``files`` list is rewritten.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aipath.data import sha256sum

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "datasets" / "manifest.json"


def update_entry(name: str, files: list[Path] | None = None) -> None:
    """Rewrite ``files`` of dataset ``name`` from the files in ``datasets/<name>/`` (or those given)."""
    folder = ROOT / "datasets" / name
    files = files or sorted(p for p in folder.iterdir() if p.is_file() and p.name != ".gitattributes")
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    if name not in manifest["datasets"]:
        raise SystemExit(f"{name!r} has no entry in {MANIFEST}: add its title, licence and origin first.")
    manifest["datasets"][name]["files"] = [
        {"path": f.relative_to(folder).as_posix(), "bytes": f.stat().st_size, "sha256": sha256sum(f)} for f in files
    ]
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    for dataset in sys.argv[1:]:
        update_entry(dataset)
        print(f"updated {dataset} in {MANIFEST.relative_to(ROOT)}")
