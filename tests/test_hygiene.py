"""Every committed notebook is clean, well-formed and follows the house rules of the course."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from aipath import curriculum
from aipath._paths import REPO_URL

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("notebooks", "solutions", "exercises")
NOTEBOOKS = sorted(p for kind in KINDS for p in (ROOT / kind).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
IDS = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]
PLANNED = {lesson.path(kind).as_posix() for lesson in curriculum.lessons() for kind in KINDS}
LINK = re.compile(r"\]\(([^)\s]+)\)")
ABSOLUTE = re.compile(r"(?<![\w.])(/home/|/root/|/Users/|/work/|[A-Z]:\\\\)")


def test_there_are_notebooks() -> None:
    assert (ROOT / "notebooks" / "00_start" / "01_welcome.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_clean_valid_notebook(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert (raw["nbformat"], raw["nbformat_minor"]) >= (4, 5), "nbformat 4.5 or newer (cell ids)"
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be python3"
    for index, cell in enumerate(nb.cells):
        assert cell.get("id"), f"cell {index} has no id"
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"cell {index} has outputs: clear them"
        assert not ABSOLUTE.search(cell.source), f"cell {index} has an absolute path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_header_and_colab(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    rel = path.relative_to(ROOT).as_posix()
    header = nb.cells[0]
    assert header.cell_type == "markdown" and header.source.startswith("# "), "first cell: a markdown title"
    own = [rel] + ([rel.replace("solutions/", "exercises/", 1)] if rel.startswith("solutions/") else [])
    assert any(f"]({curriculum.colab_url(r)})" in header.source for r in own), f"Colab badge must point at {own[-1]}"
    for needle in ("Why it matters", "Learning objectives", "Prerequisites", "Estimated time"):
        assert needle in header.source, f"header lacks {needle!r}"
    objectives = re.findall(r"^- ", header.source.split("Learning objectives", 1)[1].split("**Prerequisites")[0], re.M)
    assert 3 <= len(objectives) <= 5, f"3-5 learning objectives, found {len(objectives)}"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert '"google.colab" in sys.modules' in first_code.source and f"git+{REPO_URL}" in first_code.source, \
        "the first code cell is the Colab install cell (see docs/authoring.md)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_relative_links_resolve(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(cell.source):
            if re.match(r"^(https?:|mailto:|#)", target):
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            rel = resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else str(resolved)
            assert resolved.exists() or rel in PLANNED, f"broken link {target!r}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.relative_to(ROOT).parts[0] == "notebooks"],
                         ids=[i for i in IDS if i.startswith("notebooks/")])
def test_lesson_structure(path: Path) -> None:
    rel = path.relative_to(ROOT)
    nb = nbformat.read(path, as_version=4)
    ending = "\n".join(c.source for c in nb.cells[-3:] if c.cell_type == "markdown")
    assert "Key takeaways" in ending, "end with key takeaways"
    exercise = Path("exercises", *rel.parts[1:]).as_posix()
    assert exercise.split("/", 1)[1] in ending, "link the exercise notebook at the end"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), "a parameters-tagged cell"
    assert (ROOT / "solutions" / Path(*rel.parts[1:])).is_file(), "every lesson has its exercise notebook"
    assert curriculum.find(f"{rel.parts[1]}/{rel.stem}"), "lesson is not in src/aipath/curriculum.py"


def test_ruff_is_clean_on_code_and_notebooks() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests", "tools", "benchmarks", "services", "pipelines",
                             "conftest.py", *KINDS], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_map_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, "tools/readme_map.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, "README.md's curriculum map is out of date: run `python tools/readme_map.py`"


def test_readme_and_docs_links_resolve() -> None:
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "datasets" / "README.md"]:
        prose = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)  # Examples are not links.
        for target in LINK.findall(prose):
            if not re.match(r"^(https?:|mailto:|#)", target):
                assert (doc.parent / target.split("#")[0]).exists(), f"{doc.name}: broken link {target}"
