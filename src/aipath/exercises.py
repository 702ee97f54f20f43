"""Exercise notebooks from one source: ``assign`` (solutions/ -> exercises/), ``progress`` and the CLI glue.

Markers (single hash, accepted by nbgrader and otter-grader alike):

- ``# BEGIN SOLUTION`` / ``# END SOLUTION``: replaced by ``# YOUR CODE HERE`` (and ``raise
  NotImplementedError`` when indented, inside a function);
- ``answer = 42  # SOLUTION``: becomes ``answer = ...``;
- ``# BEGIN HIDDEN TESTS`` / ``# END HIDDEN TESTS``: removed (``aipath grade`` puts them back);
- in markdown, ``<!-- BEGIN SOLUTION -->`` / ``<!-- END SOLUTION -->``: replaced by a line for the learner.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import curriculum
from ._paths import repo_root
from .checks import PASS, progress_log

STUB_MARKDOWN = "_Write your answer here._"
_BEGIN, _END = "# BEGIN SOLUTION", "# END SOLUTION"
_HBEGIN, _HEND = "# BEGIN HIDDEN TESTS", "# END HIDDEN TESTS"
_MD_SOLUTION = re.compile(r"<!--\s*BEGIN SOLUTION\s*-->.*?<!--\s*END SOLUTION\s*-->", re.S)
_ONE_LINE = re.compile(r"^(\s*[\w.\[\]'\", ]+?\s*=\s*).+?\s*#\s*SOLUTION\s*$")
_CHECK = re.compile(r"^\s*with\s+check\(\s*[\"']([\w.-]+)[\"']", re.M)
_ANSWER = re.compile(r"<!--\s*answer:\s*([\w.-]+)(?:\s+points=([\d.]+))?\s*-->")


class MarkerError(ValueError):
    """Unbalanced or misplaced solution markers in a solution notebook."""


def _strip_code(source: str, where: str) -> str:
    """Turn the source of a solution code cell into the learner's version."""
    out: list[str] = []
    mode: str | None = None
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped in (_BEGIN, _HBEGIN):
            if mode is not None:
                raise MarkerError(f"{where}, line {number}: {stripped!r} inside an open region")
            mode = stripped
            if stripped == _BEGIN:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(f"{indent}# YOUR CODE HERE")
                if indent:
                    out.append(f"{indent}raise NotImplementedError")
            continue
        if stripped in (_END, _HEND):
            expected = _END if mode == _BEGIN else _HEND if mode == _HBEGIN else None
            if stripped != expected:
                raise MarkerError(f"{where}, line {number}: {stripped!r} without its BEGIN")
            mode = None
            continue
        if mode is not None:
            continue
        match = _ONE_LINE.match(line)
        out.append(f"{match.group(1)}..." if match else line)
    if mode is not None:
        raise MarkerError(f"{where}: {mode!r} is never closed")
    return "\n".join(out)


def _strip_markdown(source: str) -> str:
    return _MD_SOLUTION.sub(STUB_MARKDOWN, source)


def exercise_id(path: Path) -> str:
    """``"<stage>/<lesson>"`` from a path ending in ``<stage>/<lesson>.ipynb``."""
    return f"{path.parent.name}/{path.stem}"


def make_exercise(solution: nbformat.NotebookNode, lesson_id: str) -> nbformat.NotebookNode:
    """The learner's notebook for one solution notebook."""
    nb = copy.deepcopy(solution)
    for index, cell in enumerate(nb.cells):
        where = f"solutions/{lesson_id}.ipynb, cell {index}"
        if cell.cell_type == "code":
            cell.source = _strip_code(cell.source, where)
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            cell.source = _strip_markdown(cell.source).replace(
                f"/solutions/{lesson_id}.ipynb", f"/exercises/{lesson_id}.ipynb")
    nb.metadata["aipath"] = {
        "exercise": lesson_id,
        "generated": f"from solutions/{lesson_id}.ipynb by `aipath assign`: edit that file, not this one",
    }
    return nb


def solution_paths(root: Path) -> list[Path]:
    return sorted(p for p in (root / "solutions").glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def assign(root: Path, check_only: bool = False) -> list[Path]:
    """Write (or with ``check_only`` compare) every exercise notebook. Returns the files out of step."""
    stale: list[Path] = []
    expected: set[Path] = set()
    for source in solution_paths(root):
        lesson_id = exercise_id(source)
        target = root / "exercises" / source.relative_to(root / "solutions")
        expected.add(target)
        text = nbformat.writes(make_exercise(nbformat.read(source, as_version=4), lesson_id)) + "\n"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
            if not check_only:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    orphans = [p for p in (root / "exercises").glob("*/*.ipynb") if p not in expected]
    stale.extend(orphans)
    if not check_only:
        for orphan in orphans:
            orphan.unlink()
    return stale


# --------------------------------------------------------------------------------------------------
# Questions of a solution notebook
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One graded question: a check cell (``kind="code"``) or a written answer (``kind="written"``)."""

    id: str
    points: float
    kind: str
    cell_index: int


def _check_points(source: str) -> float:
    """The ``points=`` of the ``check(...)`` call in a check cell (1 when not given)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 1.0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
            for keyword in node.keywords:
                if keyword.arg == "points" and isinstance(keyword.value, ast.Constant):
                    return float(keyword.value.value)
    return 1.0


def questions(nb: nbformat.NotebookNode) -> list[Question]:
    """The questions of a notebook, in order."""
    found: list[Question] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            match = _CHECK.search(cell.source)
            if match:
                found.append(Question(match.group(1), _check_points(cell.source), "code", index))
        elif cell.cell_type == "markdown":
            match = _ANSWER.search(cell.source)
            if match:
                found.append(Question(match.group(1), float(match.group(2) or 1), "written", index))
    return found


def check_cell_id(source: str) -> str | None:
    """The question id of a check cell, or None when the cell is not one."""
    match = _CHECK.search(source)
    return match.group(1) if match else None


# --------------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------------


def read_progress(log: Path | None = None) -> dict[str, dict[str, str]]:
    """Latest status of every question the learner has checked: ``{notebook: {question: status}}``."""
    latest: dict[str, dict[str, str]] = {}
    log = log or progress_log()
    if not log.is_file():
        return latest
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            latest.setdefault(str(record["notebook"]), {})[str(record["question"])] = str(record["status"])
        except (ValueError, KeyError, TypeError):
            continue  # A damaged line costs that line only.
    return latest


def progress_table(root: Path | None) -> list[tuple[str, str, int, int]]:
    """Rows of (stage, exercise id, questions passed, questions in the exercise)."""
    done = read_progress()
    rows = []
    for stage in curriculum.STAGES:
        for lesson in stage.lessons:
            total = 0
            if root is not None and (root / lesson.path("exercises")).is_file():
                nb = nbformat.read(root / lesson.path("exercises"), as_version=4)
                total = sum(q.kind == "code" for q in questions(nb))
            passed = sum(status == PASS for status in done.get(lesson.id, {}).values())
            if total or passed:
                rows.append((stage.slug, lesson.id, passed, max(total, passed)))
    return rows


# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------


def _root_or_exit() -> Path:
    root = repo_root()
    if root is None:
        raise SystemExit("error: run this inside the course repository (no datasets/manifest.json found above "
                         "the current folder; or set AIPATH_ROOT).")
    return root


def cmd_assign(args: argparse.Namespace) -> int:
    root = _root_or_exit()
    try:
        stale = assign(root, check_only=args.check)
    except MarkerError as exc:
        print(f"error: {exc}")
        return 2
    for path in stale:
        print(("out of step: " if args.check else "wrote: ") + str(path.relative_to(root)))
    if args.check and stale:
        print("exercises/ is out of step with solutions/: run `aipath assign` (or `make exercises`).")
        return 1
    print(f"{len(solution_paths(root))} exercise notebook(s) " + ("in step." if args.check or not stale
                                                                   else f"checked, {len(stale)} updated."))
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    rows = progress_table(repo_root())
    if not rows:
        print("No exercise checks recorded yet. Open an exercise notebook (exercises/...) and run its checks.")
        return 0
    current = None
    for stage, lesson_id, passed, total in rows:
        if stage != current:
            print(stage)
            current = stage
        bar = "#" * passed + "." * (total - passed)
        print(f"  {lesson_id:<50} {passed:>2}/{total:<2} [{bar}]" + ("  done" if passed == total else ""))
    print(f"\nProgress log: {progress_log()}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``assign``, ``grade`` and ``progress`` on the ``aipath`` command."""
    from . import grading

    assign_p = sub.add_parser("assign", help="generate exercises/ from solutions/",
                              description="Write every exercises/ notebook from its solutions/ source: "
                              "solutions become stubs, hidden tests are removed, outputs cleared.")
    assign_p.add_argument("--check", action="store_true",
                          help="only report exercise notebooks that are out of step (exit 1 if any)")
    assign_p.set_defaults(func=cmd_assign)

    progress_p = sub.add_parser("progress", help="which exercises pass, stage by stage",
                                description="Show the checks you have passed in the exercise notebooks.")
    progress_p.set_defaults(func=cmd_progress)

    grading.add_command(sub)
