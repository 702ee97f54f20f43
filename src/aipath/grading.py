"""``aipath grade``: run submitted exercise notebooks and score them against the solutions' checks.

Each submission runs in a fresh kernel, in its own process group, in a temporary folder, with a time limit.
Its check cells are replaced by the solution's (hidden tests included), matched by question id; check cells
the learner deleted are appended at the end. The grader's checks carry a secret token, so results written by
the learner's own code are ignored. One bad submission never stops or loses the others: every problem becomes
a row with its reason.

This defends against mistakes and casual tampering, not against a determined attacker: the kernel runs the
learner's code with your permissions. Grade untrusted submissions inside a container or a throwaway account.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import nbformat

from . import curriculum
from ._paths import repo_root
from .checks import PASS
from .exercises import STUB_MARKDOWN, Question, check_cell_id, questions

MAX_NOTEBOOK_BYTES = 20_000_000
MAX_ANSWER_CHARS = 2000
_ANSWER_MARK = re.compile(r"<!--\s*answer:\s*([\w.-]+)[^>]*-->")


@dataclass
class Row:
    """One line of grades.csv: a question of a notebook of a student (or the notebook, when it failed whole)."""

    student: str
    notebook: str
    question: str
    points: float
    max_points: float
    status: str
    error: str = ""
    answer: str = ""


# --------------------------------------------------------------------------------------------------
# Building the notebook that is run
# --------------------------------------------------------------------------------------------------


def _grader_prefix(lesson_id: str, token: str) -> str:
    # A fresh module and a fresh checker in every check cell: a learner's redefinition of `check`,
    # `Checker` or the module itself does not carry over.
    return (
        "import importlib as _aip_importlib, aipath.checks as _aip_checks\n"
        "_aip_checks = _aip_importlib.reload(_aip_checks)\n"
        f"check = _aip_checks.Checker({lesson_id!r}, strict=False, quiet=True, _grading={token!r})\n"
    )


def build_grading_notebook(
    submission: nbformat.NotebookNode, solution: nbformat.NotebookNode, lesson_id: str, token: str
) -> nbformat.NotebookNode:
    """The learner's code cells, with every check cell taken from the solution, hidden tests included."""
    solution_checks = {
        qid: cell.source for cell in solution.cells
        if cell.cell_type == "code" and (qid := check_cell_id(cell.source))
    }
    prefix = _grader_prefix(lesson_id, token)
    cells = []
    placed: set[str] = set()
    for cell in submission.cells:
        if cell.cell_type != "code":
            continue
        qid = check_cell_id(cell.source)
        if qid is None:
            cells.append(nbformat.v4.new_code_cell(cell.source))
        elif qid in solution_checks and qid not in placed:
            cells.append(nbformat.v4.new_code_cell(prefix + solution_checks[qid]))
            placed.add(qid)
        # Any other check cell (unknown id, or a copy) is dropped: only the solution's checks count.
    for qid, source in solution_checks.items():
        if qid not in placed:  # The learner deleted it: run it at the end, on the final state.
            cells.append(nbformat.v4.new_code_cell(prefix + source))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def written_answers(submission: nbformat.NotebookNode) -> dict[str, str]:
    """The learner's text for each written question, keyed by question id."""
    answers: dict[str, str] = {}
    for cell in submission.cells:
        if cell.cell_type != "markdown":
            continue
        match = _ANSWER_MARK.search(cell.source)
        if match:
            text = _ANSWER_MARK.sub("", cell.source).replace("**Your answer:**", "")
            text = text.replace(STUB_MARKDOWN, "").strip()
            answers[match.group(1)] = text[:MAX_ANSWER_CHARS]
    return answers


# --------------------------------------------------------------------------------------------------
# Running one notebook (in a child process: `python -m aipath.grading RUN NOTEBOOK CELL_TIMEOUT`)
# --------------------------------------------------------------------------------------------------


def _run_in_this_process(path: Path, cell_timeout: int) -> dict[str, Any]:
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    class _Client(NotebookClient):  # type: ignore[misc]
        """Keeps only error outputs, so a cell printing gigabytes costs no memory."""

        def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None,
                   cell_index: int) -> Any:
            result = super().output(outs, msg, None, cell_index)
            outs[:] = [o for o in outs if o.get("output_type") == "error"][:1]
            return result

        def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
            return None

    nb = nbformat.read(path, as_version=4)
    client = _Client(nb, timeout=cell_timeout, interrupt_on_timeout=True, allow_errors=True,
                     kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    outcome: dict[str, Any] = {"dead": False, "errors": []}
    try:
        client.execute()
    except DeadKernelError as exc:
        outcome["dead"] = True
        outcome["errors"].append(f"the kernel died ({exc})")
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                outcome["errors"].append(f"{out.get('ename')}: {str(out.get('evalue'))[:200]}")
    return outcome


def run_submission(nb: nbformat.NotebookNode, workdir: Path, time_limit: float,
                   cell_timeout: int) -> tuple[dict[str, Any], str]:
    """Run a grading notebook in a child process group. Returns (outcome, reason the run stopped early)."""
    path = workdir / "submission.ipynb"
    nbformat.write(nb, path)
    env = {k: v for k, v in os.environ.items() if k != "AIPATH_STRICT"}
    env.update({"AIPATH_GRADE_LOG": str(workdir / "grades.jsonl"), "AIPATH_DATA": str(workdir / "state"),
                "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"})
    cmd = [sys.executable, "-m", "aipath.grading", "RUN", str(path), str(cell_timeout)]
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    try:
        out, _ = proc.communicate(timeout=time_limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # The worker and its kernel together.
        proc.communicate()
        return {"dead": False, "errors": []}, f"time limit of {time_limit:g} s reached"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        return json.loads(last), ""
    except ValueError:
        return {"dead": True, "errors": []}, f"the grading process failed (exit {proc.returncode})"


# --------------------------------------------------------------------------------------------------
# Grading
# --------------------------------------------------------------------------------------------------


def _lesson_of(path: Path, nb: nbformat.NotebookNode) -> str:
    """The exercise a notebook claims to be: its metadata, else the lesson its file is named after."""
    claimed = (nb.metadata.get("aipath") or {}).get("exercise")
    if claimed:
        return str(claimed)
    named = [lesson.id for lesson in curriculum.lessons() if lesson.slug == path.stem]
    return named[0] if len(named) == 1 else f"{path.parent.name}/{path.stem}"


def grade_notebook(path: Path, student: str, root: Path, *, time_limit: float = 120,
                   cell_timeout: int = 60, expected: str | None = None) -> list[Row]:
    """Grade one submitted notebook. Never raises for a problem of the submission: it becomes a row."""
    name = path.name

    def whole(status: str, error: str, notebook: str = name, max_points: float = 0) -> list[Row]:
        return [Row(student, notebook, "*", 0, max_points, status, error)]

    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return whole("invalid", f"file is {path.stat().st_size:,} bytes; the limit is {MAX_NOTEBOOK_BYTES:,}")
    try:
        submission = nbformat.read(path, as_version=4)
    except Exception as exc:  # Bad JSON, bad structure, bad encoding.
        return whole("invalid", f"not a readable notebook: {type(exc).__name__}: {str(exc)[:200]}")
    lesson_id = _lesson_of(path, submission)
    solution_path = root / "solutions" / f"{lesson_id}.ipynb"
    if expected and lesson_id != expected:
        return whole("wrong notebook", f"this is {lesson_id!r}; expected {expected!r}", lesson_id)
    if not solution_path.is_file():
        return whole("wrong notebook", f"{lesson_id!r} is not an exercise of this course", lesson_id)
    solution = nbformat.read(solution_path, as_version=4)
    graded = questions(solution)
    submitted_ids = {check_cell_id(c.source) for c in submission.cells if c.cell_type == "code"}
    if not (submission.metadata.get("aipath") or {}).get("exercise") and not submitted_ids & {q.id for q in graded}:
        return whole("wrong notebook", f"named like {lesson_id!r} but it is not that exercise notebook "
                     "(none of its check cells are there): was the lesson submitted instead?", lesson_id)
    token = secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix="aipath-grade-"))
    try:
        nb = build_grading_notebook(submission, solution, lesson_id, token)
        outcome, stopped = run_submission(nb, workdir, time_limit, cell_timeout)
        results = _read_results(workdir / "grades.jsonl", token)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    answers = written_answers(submission)
    errors = outcome.get("errors", [])
    interrupted = any(e.startswith("KeyboardInterrupt") for e in errors)
    why_missing = (stopped or (errors[0] if outcome.get("dead") and errors else "")
                   or (f"a cell ran past the per-cell limit of {cell_timeout} s and was interrupted"
                       if interrupted else "the check did not run"))
    return [_row(student, lesson_id, q, results.get(q.id), answers, why_missing) for q in graded]


def _read_results(log: Path, token: str) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    if log.is_file():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("token") == token:
                results[str(record["question"])] = record
    return results


def _row(student: str, lesson_id: str, question: Question, result: dict[str, Any] | None,
         answers: dict[str, str], why_missing: str) -> Row:
    if question.kind == "written":
        text = answers.get(question.id, "")
        status = "needs review" if text else "unanswered"
        error = "" if text else "no answer written (or the answer cell was deleted)"
        return Row(student, lesson_id, question.id, 0, question.points, status, error, text)
    if result is None:
        return Row(student, lesson_id, question.id, 0, question.points, "not run", why_missing)
    passed = result.get("status") == PASS
    return Row(student, lesson_id, question.id, question.points if passed else 0, question.points,
               str(result.get("status")), "" if passed else str(result.get("message", ""))[:300])


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, notebook) pairs: ``folder/<student>/**/*.ipynb``; a notebook directly in ``folder`` is its
    own student, named after the file."""
    pairs = []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if ".ipynb_checkpoints" in rel.parts:
            continue
        pairs.append((rel.parts[0] if len(rel.parts) > 1 else path.stem, path))
    return pairs


def grade_folder(folder: Path, root: Path, *, time_limit: float = 120, cell_timeout: int = 60,
                 expected: str | None = None, jobs: int = 1, progress: bool = True) -> list[Row]:
    """Grade every submission in a folder, ``jobs`` at a time; rows come back in submission order."""
    pairs = find_submissions(folder)

    def one(number: int, student: str, path: Path) -> list[Row]:
        try:
            rows = grade_notebook(path, student, root, time_limit=time_limit, cell_timeout=cell_timeout,
                                  expected=expected)
        except Exception as exc:  # A grader bug on one file must not lose the others.
            rows = [Row(student, path.name, "*", 0, 0, "grader error", f"{type(exc).__name__}: {exc}")]
        if progress:
            got, total = sum(r.points for r in rows), sum(r.max_points for r in rows)
            print(f"[{number}/{len(pairs)}] {student}: {path.relative_to(folder)}: {got:g}/{total:g}", flush=True)
        return rows

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, n, student, path) for n, (student, path) in enumerate(pairs, 1)]
        return [row for future in futures for row in future.result()]


def write_csv(rows: list[Row], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(Row)])
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)


def summary(rows: list[Row]) -> list[tuple[str, str, float, float, str]]:
    """(student, notebook, points, max points, note) per student and notebook."""
    table: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        table[(row.student, row.notebook)].append(row)
    out = []
    for (student, notebook), group in sorted(table.items()):
        review = sum(r.status == "needs review" for r in group)
        problems = {r.status for r in group if r.question == "*"}
        note = ", ".join(sorted(problems)) or (f"{review} written answer(s) to review" if review else "")
        out.append((student, notebook, sum(r.points for r in group), sum(r.max_points for r in group), note))
    return out


def cmd_grade(args: argparse.Namespace) -> int:
    root = repo_root()
    if root is None:
        print("error: run `aipath grade` inside the course repository (it needs solutions/).", file=sys.stderr)
        return 2
    folder = Path(args.submissions)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder of submissions (expected SUBMISSIONS/<student>/*.ipynb).",
              file=sys.stderr)
        return 2
    rows = grade_folder(folder, root, time_limit=args.time_limit, cell_timeout=args.cell_timeout,
                        expected=args.exercise, jobs=args.jobs)
    out = Path(args.out)
    write_csv(rows, out)
    table = summary(rows)
    summary_path = out.with_name(out.stem + "-summary.csv")
    with open(summary_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "points", "max_points", "note"])
        writer.writerows(table)
    print(f"\n{'student':<20} {'notebook':<45} {'points':>11}  note")
    for student, notebook, got, total, note in table:
        print(f"{student:<20} {notebook:<45} {got:>5g}/{total:<5g}  {note}")
    print(f"\n{len(rows)} rows written to {out}; summary in {summary_path}")
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    grade = sub.add_parser(
        "grade", help="grade a folder of submitted exercise notebooks",
        description="Run every submitted notebook (SUBMISSIONS/<student>/**/*.ipynb) in a fresh kernel with a "
        "time limit, score it with the solution's checks (hidden tests included) and write one CSV row per "
        "student, notebook and question, plus a summary.")
    grade.add_argument("submissions", help="folder of submissions: one sub-folder per student")
    grade.add_argument("--out", default="grades.csv", help="CSV file to write (default: grades.csv)")
    grade.add_argument("--exercise", metavar="STAGE/LESSON",
                       help="the exercise that was assigned; any other notebook is graded 'wrong notebook'")
    grade.add_argument("--time-limit", type=float, default=300,
                       help="seconds allowed for one whole notebook (default: 300)")
    grade.add_argument("--cell-timeout", type=int, default=60,
                       help="seconds allowed for one cell before it is interrupted (default: 60)")
    grade.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default: 1)")
    grade.set_defaults(func=cmd_grade)


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "RUN":
    print(json.dumps(_run_in_this_process(Path(sys.argv[2]), int(sys.argv[3]))))
