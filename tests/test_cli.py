"""The `aipath` command as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AIPATH = [sys.executable, "-m", "aipath.cli"]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([*AIPATH, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_help_everywhere() -> None:
    for args in ([], ["doctor"], ["list"], ["data"], ["data", "verify"], ["data", "list"], ["assign"],
                 ["grade"], ["progress"]):
        result = run(*args, "--help")
        assert result.returncode == 0 and "usage: aipath" in result.stdout, args


def test_doctor_all_green_here() -> None:
    result = run("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all green" in result.stdout
    assert "dataset files present and verified by SHA-256" in result.stdout


def test_doctor_and_verify_fail_on_a_flipped_byte(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "src" / "aipath").mkdir(parents=True)
    shutil.copytree(ROOT / "datasets", course / "datasets")
    target = course / "datasets" / "penguins" / "penguins.csv"
    raw = bytearray(target.read_bytes())
    raw[0] ^= 0x20
    target.write_bytes(bytes(raw))
    env = {"AIPATH_ROOT": str(course), "AIPATH_CACHE": str(tmp_path / "cache")}
    verify = run("data", "verify", env=env)
    assert verify.returncode == 1
    assert "penguins/penguins.csv" in verify.stdout and "CORRUPT" in verify.stdout
    assert "git checkout -- datasets/penguins/penguins.csv" in verify.stdout
    doctor = run("doctor", env=env)
    assert doctor.returncode == 1 and "problem(s) to fix" in doctor.stdout


def test_data_list_and_verify() -> None:
    listing = run("data", "list")
    assert listing.returncode == 0 and "fashion_mnist" in listing.stdout and "CC BY 4.0" in listing.stdout
    verify = run("data", "verify", "mnist", "-v")
    assert verify.returncode == 0 and "4 of 4 files verified" in verify.stdout
    unknown = run("data", "verify", "imagenet")
    assert unknown.returncode == 2 and "Unknown dataset" in unknown.stderr


def test_list_shows_every_stage_and_ready_lessons() -> None:
    result = run("list")
    assert result.returncode == 0
    for stage in ("00_start", "01_python_and_data", "02_classic_ml", "03_deep_learning", "04_mnist_project",
                  "05_mlops", "06_applied_ai"):
        assert stage in result.stdout
    assert "[ ready ] notebooks/00_start/01_welcome.ipynb" in result.stdout
    assert "exercise: exercises/00_start/01_welcome.ipynb" in result.stdout


@pytest.mark.parametrize("bad", [["frobnicate"], ["data"], ["grade"]])
def test_bad_usage_exits_2_with_usage(bad: list[str]) -> None:
    result = run(*bad)
    assert result.returncode == 2 and "usage:" in result.stderr
