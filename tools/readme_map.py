"""Rewrite the curriculum map in README.md from src/aipath/curriculum.py and the notebooks present.

    python tools/readme_map.py          # update README.md
    python tools/readme_map.py --check  # exit 1 when README.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from aipath import curriculum

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- map:start -->", "<!-- map:end -->"


def render(root: Path = ROOT) -> str:
    lines = [START, "", "| stage | lesson | exercise |", "|---|---|---|"]
    for stage in curriculum.STAGES:
        for index, lesson in enumerate(stage.lessons):
            name = f"**{stage.slug}** {stage.title}" if index == 0 else ""
            ready = (root / lesson.path()).is_file()
            title = f"[{lesson.title}]({lesson.path().as_posix()})" if ready else f"{lesson.title} _(planned)_"
            exercise_path = lesson.path("exercises")
            exercise = f"[exercise]({exercise_path.as_posix()})" if (root / exercise_path).is_file() else ""
            lines.append(f"| {name} | {title} | {exercise} |")
    return "\n".join([*lines, "", END])


def updated(text: str) -> str:
    head, rest = text.split(START, 1)
    return head + render() + rest.split(END, 1)[1]


if __name__ == "__main__":
    readme = ROOT / "README.md"
    current = readme.read_text(encoding="utf-8")
    new = updated(current)
    if "--check" in sys.argv:
        sys.exit(0 if new == current else 1)
    readme.write_text(new, encoding="utf-8")
