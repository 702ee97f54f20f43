"""Test-suite wiring for notebooks: nbval options, strict checks for solutions/, and the timing report.

Every ``.ipynb`` under notebooks/, solutions/ and exercises/ is executed by nbval (``--nbval-lax``: cells must
run without error; outputs are not compared). Each notebook's wall time is summed over its cells, written to
``reports/notebook-times.txt``, printed slowest first, and the run fails when one exceeds the budget.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
NOTEBOOK_DIRS = ("notebooks", "solutions", "exercises")
BUDGET_SECONDS = float(os.environ.get("AIPATH_NOTEBOOK_BUDGET", "180"))
REPORT = ROOT / "reports" / "notebook-times.txt"

_times: dict[str, float] = defaultdict(float)
_over_budget: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    # Exercise progress written while the suite runs goes to a scratch folder, not the user's real log.
    os.environ.setdefault("AIPATH_DATA", tempfile.mkdtemp(prefix="aipath-test-data-"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Solutions run strictly: a failed self-check raises. Set before nbval starts the notebook's kernel."""
    path = Path(str(item.path))
    if path.suffix == ".ipynb":
        rel = path.resolve().relative_to(ROOT)
        if rel.parts[0] == "solutions":
            os.environ["AIPATH_STRICT"] = "1"
        else:
            os.environ.pop("AIPATH_STRICT", None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _times[path] += report.duration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _times or hasattr(session.config, "workerinput"):
        return  # Only the main process (or the xdist controller) writes the report.
    for path, seconds in _times.items():
        if seconds > BUDGET_SECONDS:
            _over_budget.append(path)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{seconds:7.1f} s  {'OVER BUDGET  ' if path in _over_budget else ''}{path}"
             for path, seconds in sorted(_times.items(), key=lambda kv: -kv[1])]
    total = sum(_times.values())
    REPORT.write_text(
        f"Notebook wall times, slowest first (budget {BUDGET_SECONDS:.0f} s each)\n" + "\n".join(lines)
        + f"\n{total:7.1f} s  total over {len(_times)} notebooks\n", encoding="utf-8")
    if _over_budget and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT.is_file() and _times:
        terminalreporter.section("notebook times")
        terminalreporter.write(REPORT.read_text(encoding="utf-8"))
        if _over_budget:
            terminalreporter.write_line(
                f"FAILED: {len(_over_budget)} notebook(s) over the {BUDGET_SECONDS:.0f} s budget", red=True)
