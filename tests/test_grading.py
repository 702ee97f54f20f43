"""`aipath grade` on real submissions: the solution, the untouched exercise, and a folder of broken ones."""

from __future__ import annotations

import copy
import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from aipath import grading

ROOT = Path(__file__).resolve().parents[1]
LESSON = "00_start/01_welcome"
SOLUTION = nbformat.read(ROOT / "solutions" / f"{LESSON}.ipynb", as_version=4)
EXERCISE = nbformat.read(ROOT / "exercises" / f"{LESSON}.ipynb", as_version=4)
QUESTIONS = ["q1", "q2", "q3", "q4", "q5"]
FULL = 7.0  # q1 1 + q2 1 + q3 2 + q4 1 + q5 2


def _save(folder: Path, student: str, nb: nbformat.NotebookNode | str) -> None:
    target = folder / student / "01_welcome.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        target.write_text(nb)
    else:
        nbformat.write(nb, target)


def _with_cell(nb: nbformat.NotebookNode, source: str, at: int = 3) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


def _check_index(nb: nbformat.NotebookNode, qid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f'check("{qid}"' in c.source)


def _written(nb: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "<!-- answer: q5" in cell.source:
            cell.source = f"<!-- answer: q5 points=2 -->\n**Your answer:**\n\n{text}"
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("submissions")
    _save(folder, "alice_solution", _written(SOLUTION, "Because the test set shows how it does on new data."))
    _save(folder, "bob_untouched", EXERCISE)
    _save(folder, "carol_invalid_json", '{"cells": [ this is not json')
    looping = copy.deepcopy(SOLUTION)
    for cell in looping.cells:  # The answer to q2 never returns: its check cell is interrupted.
        cell.source = cell.source.replace("    return {name: float(share)", "    while True:\n        pass\n    return {name: float(share)")
    _save(folder, "dan_infinite_loop", looping)
    _save(folder, "erin_exception", _with_cell(SOLUTION, "raise ValueError('boom')"))
    _save(folder, "frank_sys_exit", _with_cell(SOLUTION, "import sys\nsys.exit(3)"))
    _save(folder, "gina_kernel_dies", _with_cell(SOLUTION, "import os\nos._exit(1)", at=len(SOLUTION.cells) - 6))
    deleted = copy.deepcopy(SOLUTION)
    del deleted.cells[_check_index(deleted, "q2")]
    _save(folder, "hugo_deleted_check", deleted)
    edited = copy.deepcopy(EXERCISE)
    for qid in ("q1", "q4"):
        edited.cells[_check_index(edited, qid)].source = f'with check("{qid}"):\n    pass'
    _save(folder, "ines_edited_checks", edited)
    _save(folder, "jack_redefined_check", _with_cell(
        EXERCISE, "import contextlib\nimport aipath\n"
        "check = lambda *a, **k: contextlib.nullcontext()\naipath.Checker = lambda *a, **k: check"))
    _save(folder, "kim_forged_log", _with_cell(
        EXERCISE, "import json, os\nfor q in ['q1','q2','q3','q4']:\n"
        "    open(os.environ['AIPATH_GRADE_LOG'], 'a').write(json.dumps({'notebook': '00_start/01_welcome', "
        "'question': q, 'status': 'pass', 'points': 9, 'max_points': 1, 'token': 'guess'}) + '\\n')"))
    _save(folder, "lee_huge_output", _with_cell(SOLUTION, "for _ in range(40):\n    print('x' * 1_000_000)"))
    lesson = nbformat.read(ROOT / "notebooks" / f"{LESSON}.ipynb", as_version=4)
    _save(folder, "mia_wrong_notebook", lesson)
    wrong_answer = copy.deepcopy(SOLUTION)
    for cell in wrong_answer.cells:  # Passes the visible checks of q1, fails its hidden test.
        cell.source = cell.source.replace("n_rows_with_missing = int(penguins.isna().any(axis=1).sum())",
                                          "n_rows_with_missing = 12")
    _save(folder, "nina_fails_hidden_test", wrong_answer)

    out = folder.parent / "grades.csv"
    result = subprocess.run(
        [sys.executable, "-m", "aipath.cli", "grade", str(folder), "--out", str(out), "--time-limit", "240", "--cell-timeout", "15", "--jobs", "2"],
        capture_output=True, text=True, cwd=ROOT, timeout=900, env={**os.environ, "AIPATH_STRICT": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "summary in" in result.stdout
    rows: dict[str, list[dict[str, str]]] = {}
    with open(out, newline="") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(row["student"], []).append(row)
    assert (folder.parent / "grades-summary.csv").is_file()
    return rows


def points(rows: list[dict[str, str]]) -> float:
    return sum(float(r["points"]) for r in rows)


def by_q(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["question"]: r for r in rows}


def test_solution_gets_full_points_and_its_written_answer_is_collected(graded) -> None:
    rows = by_q(graded["alice_solution"])
    assert list(rows) == QUESTIONS
    assert all(rows[q]["status"] == "pass" for q in QUESTIONS[:4])
    assert points(graded["alice_solution"]) == FULL - 2  # The written answer waits for a person.
    assert rows["q5"]["status"] == "needs review" and "new data" in rows["q5"]["answer"]
    assert sum(float(r["max_points"]) for r in graded["alice_solution"]) == FULL


def test_untouched_exercise_gets_zero(graded) -> None:
    rows = by_q(graded["bob_untouched"])
    assert points(graded["bob_untouched"]) == 0
    assert rows["q2"]["status"] == "todo" and rows["q5"]["status"] == "unanswered"


def test_every_broken_submission_gets_a_row_with_a_reason(graded) -> None:
    assert set(graded) >= {"carol_invalid_json", "dan_infinite_loop", "erin_exception", "frank_sys_exit",
                           "gina_kernel_dies", "hugo_deleted_check", "ines_edited_checks", "jack_redefined_check",
                           "kim_forged_log", "lee_huge_output", "mia_wrong_notebook", "nina_fails_hidden_test"}
    carol = graded["carol_invalid_json"]
    assert carol[0]["status"] == "invalid" and "not a readable notebook" in carol[0]["error"]
    dan = by_q(graded["dan_infinite_loop"])
    assert dan["q2"]["status"] == "not run" and "per-cell limit of 15 s" in dan["q2"]["error"]
    assert dan["q1"]["status"] == "pass" and dan["q3"]["status"] == "pass", "the loop costs only its own task"
    gina = by_q(graded["gina_kernel_dies"])
    assert gina["q4"]["status"] == "not run" and "kernel died" in gina["q4"]["error"]
    assert gina["q1"]["status"] == "pass", "checks that ran before the crash keep their points"
    mia = graded["mia_wrong_notebook"]
    assert mia[0]["status"] == "wrong notebook" and "lesson" in mia[0]["error"]
    nina = by_q(graded["nina_fails_hidden_test"])
    assert nina["q1"]["status"] == "fail" and nina["q2"]["status"] == "pass"


def test_learner_code_errors_do_not_cost_other_points(graded) -> None:
    for student in ("erin_exception", "frank_sys_exit", "lee_huge_output", "hugo_deleted_check"):
        assert points(graded[student]) == FULL - 2, student


def test_tampering_with_checks_earns_nothing(graded) -> None:
    for student in ("ines_edited_checks", "jack_redefined_check", "kim_forged_log"):
        assert points(graded[student]) == 0, student
    assert by_q(graded["ines_edited_checks"])["q1"]["status"] == "fail"


def test_expected_exercise_rejects_another_one(tmp_path: Path) -> None:
    other = copy.deepcopy(EXERCISE)
    other.metadata["aipath"] = {"exercise": "01_python_and_data/02_numpy"}
    path = tmp_path / "02_numpy.ipynb"
    nbformat.write(other, path)
    rows = grading.grade_notebook(path, "zoe", ROOT, expected=LESSON)
    assert rows[0].status == "wrong notebook" and "expected '00_start/01_welcome'" in rows[0].error


def test_notebook_time_limit_kills_the_kernel_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "01_welcome.ipynb"
    nbformat.write(_with_cell(SOLUTION, "while True:\n    pass"), path)
    rows = grading.grade_notebook(path, "dan", ROOT, time_limit=20, cell_timeout=600)
    assert {r.status for r in rows if r.question != "q5"} == {"not run"}
    assert all("time limit of 20 s reached" in r.error for r in rows if r.status == "not run")
