"""Test-suite wiring for notebooks: nbval options, strict checks for solutions/, and the timing report.

Every ``.ipynb`` under notebooks/, solutions/ and exercises/ is executed by nbval (``--nbval-lax``: cells must
run without error; outputs are not compared). Each notebook's wall time is summed over its cells, written to
``reports/notebook-times.txt``, printed slowest first, and the run fails when one exceeds the budget.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import uuid
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
    # Servers started through aipath.servers carry this id, so the run can prove none outlived its notebook.
    os.environ.setdefault("AIPATH_TEST_RUN", uuid.uuid4().hex)
    # Every model comes from an installed package: a code path that reaches a model hub fails instead of hanging.
    for flag in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[flag] = "1"


def leftover_servers(run_id: str) -> dict[int, str]:
    """Processes started by aipath.servers during this run that are still alive: {pid: command line}."""
    marker = f"AIPATH_SERVER_OF={run_id}".encode()
    found: dict[int, str] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # Gone already, or not ours to read.
    return found


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
    if hasattr(session.config, "workerinput"):
        return  # Only the main process (or the xdist controller) checks and reports.
    _check_no_server_left(session)
    if not _times:
        return
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


_left_behind: dict[int, str] = {}


def _check_no_server_left(session: pytest.Session) -> None:
    """Fail the run when a server started by a notebook or test is still running after everything ended."""
    run_id = os.environ.get("AIPATH_TEST_RUN")
    if not run_id or not Path("/proc").is_dir():
        return
    deadline = time.monotonic() + 10  # Servers get a moment to finish stopping.
    while (left := leftover_servers(run_id)) and time.monotonic() < deadline:
        time.sleep(0.5)
    if left:
        _left_behind.update(left)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _left_behind:
        terminalreporter.section("servers left running")
        for pid, command in _left_behind.items():
            terminalreporter.write_line(f"FAILED: pid {pid} outlived the tests (now killed): {command}", red=True)
    if REPORT.is_file() and _times:
        terminalreporter.section("notebook times")
        terminalreporter.write(REPORT.read_text(encoding="utf-8"))
        if _over_budget:
            terminalreporter.write_line(
                f"FAILED: {len(_over_budget)} notebook(s) over the {BUDGET_SECONDS:.0f} s budget", red=True)
