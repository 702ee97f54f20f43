"""Build the ``course_notes`` dataset: the prose of the course's lessons, one row per section.

    python tools/course_notes.py   # rewrite datasets/course_notes/sections.jsonl and its manifest entry

The file is a frozen snapshot (like any dataset): lessons that search it label their queries against this
snapshot, so it is rebuilt only on purpose, never automatically when a lesson's prose changes.
Each row: ``id`` (``<stage>/<lesson>#<n>``), ``lesson`` (``<stage>/<lesson>``), ``lesson_title``, ``section``
(the heading) and ``text`` (the section's markdown without images, badges or HTML).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset_manifest import update_entry  # noqa: E402

from aipath import curriculum  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("00_start", "01_python_and_data", "02_classic_ml", "03_deep_learning", "04_mnist_project", "05_mlops")
OUT = ROOT / "datasets" / "course_notes" / "sections.jsonl"

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML = re.compile(r"<[^>]+>")


def clean(markdown: str) -> str:
    """Markdown prose without images, badges, link targets or HTML tags; blank lines squeezed."""
    text = _HTML.sub("", _LINK.sub(r"\1", _IMAGE.sub("", markdown)))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sections(lesson: curriculum.Lesson) -> list[dict[str, str]]:
    """Split a lesson's markdown cells at ``#`` headings into sections with some prose."""
    notebook = nbformat.read(ROOT / lesson.path(), as_version=4)
    rows: list[dict[str, str]] = []
    heading, parts = "Introduction", []

    def flush() -> None:
        text = clean("\n".join(parts))
        if len(text.split()) >= 25:  # Headings alone or one-liners are not worth retrieving.
            rows.append({"section": heading, "text": text})

    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"^#{1,3}\s+(.*)", line)
            if match:
                flush()
                heading, parts = clean(match.group(1)), []
            else:
                parts.append(line)
        parts.append("")
    flush()
    return rows


def build() -> list[dict[str, str]]:
    rows = []
    for stage in curriculum.STAGES:
        if stage.slug not in STAGES:
            continue
        for lesson in stage.lessons:
            if not (ROOT / lesson.path()).is_file():
                continue
            for n, row in enumerate(sections(lesson)):
                rows.append({"id": f"{lesson.id}#{n}", "lesson": lesson.id, "lesson_title": lesson.title, **row})
    return rows


def main() -> None:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    update_entry("course_notes", [OUT])
    print(f"{len(rows)} sections from {len({r['lesson'] for r in rows})} lessons -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
