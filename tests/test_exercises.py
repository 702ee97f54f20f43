"""Self-checks, `aipath assign` and `aipath progress`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from aipath import Checker, exercises

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def scratch_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIPATH_DATA", str(tmp_path / "state"))
    monkeypatch.delenv("AIPATH_STRICT", raising=False)
    return tmp_path / "state"


def test_check_passes_fails_and_never_raises(capsys: pytest.CaptureFixture[str]) -> None:
    check = Checker("00_start/01_welcome")
    with check("q1", hint="think"):
        assert 1 + 1 == 2
    with check("q2", hint="add the numbers", points=2):
        assert 1 + 1 == 3, "1 + 1 is not 3"
    with check("q3"):
        raise NotImplementedError
    with check("q4"):
        {}["missing"]
    out = capsys.readouterr().out
    assert "✅ q1: passed (1/1)" in out
    assert "❌ q2: not yet. 1 + 1 is not 3" in out and "Hint: add the numbers" in out
    assert "⏳ q3: not yet" in out and "KeyError" in out
    assert [r.status for r in check.results.values()] == ["pass", "fail", "todo", "error"]
    assert check.score() == (1, 5)


def test_strict_mode_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIPATH_STRICT", "1")
    check = Checker("x/y")
    with pytest.raises(AssertionError, match="q1 failed in strict mode"):
        with check("q1"):
            raise AssertionError("wrong")
    with check("q2"):
        pass  # A pass is silent in strict mode too.


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt):
        with Checker("x/y")("q1"):
            raise KeyboardInterrupt


def test_progress_is_recorded_and_shown(scratch_progress: Path) -> None:
    check = Checker("00_start/01_welcome", quiet=True)
    with check("q1"):
        pass
    with check("q2"):
        raise AssertionError
    assert exercises.read_progress() == {"00_start/01_welcome": {"q1": "pass", "q2": "fail"}}
    out = subprocess.run([sys.executable, "-m", "aipath.cli", "progress"], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "AIPATH_DATA": str(scratch_progress)}).stdout
    assert "00_start/01_welcome" in out and " 1/4 " in out


def test_damaged_progress_lines_are_skipped(scratch_progress: Path) -> None:
    scratch_progress.mkdir(parents=True)
    (scratch_progress / "progress.jsonl").write_text(
        "not json\n" + json.dumps({"notebook": "a/b", "question": "q1", "status": "pass"}) + "\n{}\n")
    assert exercises.read_progress() == {"a/b": {"q1": "pass"}}


SOLUTION_CELL = '''def f(x):
    """Double x."""
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION

rate = 0.5  # SOLUTION
answer = None
# BEGIN SOLUTION
answer = f(21)
# END SOLUTION'''


def test_strip_code_makes_runnable_stubs() -> None:
    stub = exercises._strip_code(SOLUTION_CELL, "test")
    assert "return 2 * x" not in stub and "answer = f(21)" not in stub
    assert "    # YOUR CODE HERE\n    raise NotImplementedError" in stub
    assert "rate = ..." in stub and "\n# YOUR CODE HERE" in stub
    namespace: dict[str, object] = {}
    exec(stub, namespace)  # The stub runs; the function raises only when called.
    with pytest.raises(NotImplementedError):
        namespace["f"](1)  # type: ignore[operator]


def test_hidden_tests_and_markdown_answers_are_removed() -> None:
    source = 'with check("q1"):\n    assert a == 1\n    # BEGIN HIDDEN TESTS\n    assert a == 1.0\n    # END HIDDEN TESTS'
    assert "1.0" not in exercises._strip_code(source, "t") and "assert a == 1" in exercises._strip_code(source, "t")
    md = "<!-- answer: q5 -->\n**Your answer:**\n<!-- BEGIN SOLUTION -->\nSecret model answer\n<!-- END SOLUTION -->"
    stripped = exercises._strip_markdown(md)
    assert "Secret" not in stripped and exercises.STUB_MARKDOWN in stripped and "answer: q5" in stripped


@pytest.mark.parametrize("bad", ["# BEGIN SOLUTION\nx = 1", "# END SOLUTION", "# BEGIN SOLUTION\n# BEGIN HIDDEN TESTS",
                                 "# BEGIN HIDDEN TESTS\n# END SOLUTION"])
def test_unbalanced_markers_are_reported(bad: str) -> None:
    with pytest.raises(exercises.MarkerError, match="test"):
        exercises._strip_code(bad, "test")


def test_exercises_are_in_step_with_solutions() -> None:
    stale = exercises.assign(ROOT, check_only=True)
    assert not stale, f"exercises/ out of step with solutions/: {stale}. Run `aipath assign` (or `make exercises`)."


def test_assign_check_reports_a_stale_exercise(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "solutions" / "00_start").mkdir(parents=True)
    (course / "exercises" / "00_start").mkdir(parents=True)
    nb = nbformat.read(ROOT / "solutions" / "00_start" / "01_welcome.ipynb", as_version=4)
    nbformat.write(nb, course / "solutions" / "00_start" / "01_welcome.ipynb")
    assert exercises.assign(course) == [course / "exercises" / "00_start" / "01_welcome.ipynb"]
    assert exercises.assign(course, check_only=True) == []
    generated = nbformat.read(course / "exercises" / "00_start" / "01_welcome.ipynb", as_version=4)
    assert generated.metadata["aipath"]["exercise"] == "00_start/01_welcome"
    text = json.dumps(generated)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "== 11" not in text
    assert "blob/main/exercises/00_start/01_welcome.ipynb" in text
    nb.cells[3].source += "\n# a change"
    nbformat.write(nb, course / "solutions" / "00_start" / "01_welcome.ipynb")
    assert exercises.assign(course, check_only=True), "a changed solution must make the exercise stale"


def test_every_solution_has_three_to_six_graded_tasks_and_a_written_answer() -> None:
    for path in exercises.solution_paths(ROOT):
        nb = nbformat.read(path, as_version=4)
        qs = exercises.questions(nb)
        code = [q for q in qs if q.kind == "code"]
        assert 3 <= len(qs) <= 6 + 1, f"{path}: {len(qs)} tasks"
        assert code and any(q.kind == "written" for q in qs), f"{path}: needs checks and a written answer"
        assert len({q.id for q in qs}) == len(qs), f"{path}: duplicate question ids"
        assert "# BEGIN HIDDEN TESTS" in json.dumps(nb), f"{path}: at least one hidden test"
        assert nb.metadata.get("aipath", {}).get("exercise") == exercises.exercise_id(path)
