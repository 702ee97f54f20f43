"""Author notebooks as code.

    python tools/nb.py build lesson.py notebooks/01_x/02_y.ipynb   # percent-format script -> clean notebook
    python tools/nb.py export notebooks/01_x/02_y.ipynb > lesson.py # notebook -> script, to edit it as code

The notebook is the one source of truth that lands in the repository; the script is a scratch copy for
editing. ``build`` writes nbformat 4.5 with stable cell ids, kernelspec ``python3`` and no outputs.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import jupytext
import nbformat

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def clean(nb: nbformat.NotebookNode, where: str) -> nbformat.NotebookNode:
    """Strip outputs and tool metadata, set the kernelspec, give every cell a stable id."""
    nb.nbformat, nb.nbformat_minor = 4, 5
    aipath_meta = nb.metadata.get("aipath")
    nb.metadata = nbformat.from_dict({
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    })
    if aipath_meta:
        nb.metadata["aipath"] = aipath_meta
    for index, cell in enumerate(nb.cells):
        cell.id = hashlib.sha1(f"{where}:{index}".encode()).hexdigest()[:8]
        tags = cell.metadata.get("tags")
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
    nbformat.validate(nb)
    return nb


def build(script: Path, target: Path) -> None:
    nb = jupytext.read(script, fmt="py:percent")
    try:
        rel = target.resolve().relative_to(Path(__file__).resolve().parents[1]).as_posix()
    except ValueError:  # Outside the repository: ids only need to be stable for this path.
        rel = target.as_posix()
    stage, slug = target.parent.name, target.stem
    if target.parent.parent.name in ("solutions", "exercises"):
        nb.metadata["aipath"] = {"exercise": f"{stage}/{slug}"}
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(clean(nb, rel), target)


def export(notebook: Path) -> str:
    return jupytext.writes(nbformat.read(notebook, as_version=4), fmt="py:percent")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "build":
        build(Path(argv[1]), Path(argv[2]))
        return 0
    if len(argv) == 2 and argv[0] == "export":
        sys.stdout.write(export(Path(argv[1])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
