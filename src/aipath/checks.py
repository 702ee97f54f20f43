"""Self-checks for exercise notebooks.

>>> check = Checker("00_start/01_welcome")
>>> with check("q1", hint="A mean of 0 means you subtracted the mean."):
...     assert abs(standardised.mean()) < 1e-9, "the mean is not 0"

A check prints a clear pass, or "not yet" with the reason and the hint. It never raises in a learner's
notebook, so an exercise notebook always runs top to bottom. In strict mode (``AIPATH_STRICT=1``, set by
the test suite for ``solutions/``) a failed check raises, so a broken solution fails CI.

Results are appended to the learner's progress log (see ``aipath progress``). When a notebook is graded
(``aipath grade``) the grader's own checks write to the grading log instead.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ._paths import data_dir

PASS, FAIL, TODO, ERROR = "pass", "fail", "todo", "error"


def progress_log() -> Path:
    """The learner's progress log: one JSON line per check run."""
    return data_dir() / "progress.jsonl"


def _append(path: Path, record: dict[str, object]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:  # One short line per write: safe to append.
            handle.write(json.dumps(record) + "\n")
    except OSError:
        pass  # Progress is a convenience; a read-only home must never break a notebook.


@dataclass
class Result:
    """The outcome of one check."""

    question: str
    status: str
    points: float
    max_points: float
    message: str = ""


class _Check:
    """The context manager returned by ``check(...)``: runs the block, judges what it raised."""

    def __init__(self, checker: Checker, question: str, hint: str, points: float) -> None:
        self.checker, self.question, self.hint, self.points = checker, question, hint, points

    def __enter__(self) -> _Check:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if kind is None:
            status, message = PASS, ""
        elif issubclass(kind, NotImplementedError):
            status, message = TODO, "not answered yet (the stub still raises NotImplementedError)"
        elif issubclass(kind, AssertionError):
            status, message = FAIL, str(exc) or "an expected property does not hold"
        elif issubclass(kind, Exception):
            status, message = ERROR, f"{kind.__name__}: {exc}"
        else:  # KeyboardInterrupt, SystemExit: not ours to swallow.
            return False
        result = Result(self.question, status, self.points if status == PASS else 0.0, self.points, message)
        self.checker._record(result)
        if status != PASS and self.checker.strict:
            raise AssertionError(f"check {self.question} failed in strict mode: {message}") from exc
        if not self.checker.quiet:
            print(self.checker._format(result, self.hint))
        return True  # Swallow the failure: the notebook goes on.


class Checker:
    """Self-checks for one exercise notebook, identified as ``"<stage>/<lesson>"``.

    ``check(question, hint=..., points=1)`` returns a context manager; the assertions inside it are the
    check. A question may be checked again after the learner fixes an answer.
    """

    def __init__(self, notebook: str, *, strict: bool | None = None, quiet: bool = False,
                 _grading: str | None = None) -> None:
        self.notebook = notebook
        self.strict = (os.environ.get("AIPATH_STRICT", "") not in ("", "0")) if strict is None else strict
        self.quiet = quiet
        self.results: dict[str, Result] = {}
        self._grading = _grading  # The grader's secret: results then go to the grading log only.

    def __call__(self, question: str, hint: str = "", points: float = 1) -> _Check:
        return _Check(self, question, hint, points)

    def _record(self, result: Result) -> None:
        self.results[result.question] = result
        record = {"notebook": self.notebook, "question": result.question, "status": result.status,
                  "points": result.points, "max_points": result.max_points, "message": result.message,
                  "time": time.time()}
        if self._grading is not None:
            log = os.environ.get("AIPATH_GRADE_LOG")
            if log:
                _append(Path(log), {**record, "token": self._grading})
        else:
            _append(progress_log(), record)

    @staticmethod
    def _format(result: Result, hint: str) -> str:
        if result.status == PASS:
            return f"✅ {result.question}: passed ({result.points:g}/{result.max_points:g})"
        icon = "⏳" if result.status == TODO else "❌"
        text = f"{icon} {result.question}: not yet. {result.message}"
        return text + (f"\n   Hint: {hint}" if hint else "")

    def score(self) -> tuple[float, float]:
        """Points earned and points possible over the checks run so far."""
        return (sum(r.points for r in self.results.values()), sum(r.max_points for r in self.results.values()))

    def summary(self) -> None:
        """Print a one-line score of the checks run so far in this notebook."""
        got, total = self.score()
        passed = sum(r.status == PASS for r in self.results.values())
        print(f"{self.notebook}: {passed} of {len(self.results)} checks passed, {got:g}/{total:g} points")
