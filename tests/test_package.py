"""The package itself: set-up helpers, the wheel a Colab user installs, the curriculum map."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

import aipath
from aipath import curriculum

ROOT = Path(__file__).resolve().parents[1]


def test_setup_seeds_numpy_and_torch_and_reports_device() -> None:
    import torch

    aipath.setup(seed=123, quiet=True)
    line = aipath.summary_line(seed=123)
    a, ta = np.random.rand(3), torch.rand(3)
    aipath.setup(seed=123, quiet=True)
    assert np.array_equal(a, np.random.rand(3)) and torch.equal(ta, torch.rand(3))
    assert "torch" in line and f"device {aipath.device()}" in line and "seed 123" in line


def test_device_is_a_torch_device() -> None:
    import torch

    device = aipath.device()
    assert isinstance(device, torch.device)
    assert torch.ones(2, device=device).sum().item() == 2


def test_repo_root_found_from_anywhere_inside(monkeypatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.delenv("AIPATH_ROOT", raising=False)
    assert aipath.repo_root() == ROOT


def test_curriculum_paths_are_unique_and_follow_the_layout() -> None:
    lessons = curriculum.lessons()
    assert len({lesson.id for lesson in lessons}) == len(lessons) == 48
    for lesson in lessons:
        assert lesson.stage[:2].isdigit() and lesson.slug[:2].isdigit()
    # Every notebook in the repository is a lesson of the map.
    known = {lesson.path().as_posix() for lesson in lessons}
    for path in (ROOT / "notebooks").glob("*/*.ipynb"):
        assert path.relative_to(ROOT).as_posix() in known, f"{path} is not in src/aipath/curriculum.py"


def test_wheel_carries_the_manifest(tmp_path: Path) -> None:
    """What `pip install aipath @ git+...` builds in Colab: the package with the dataset manifest inside."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("aipath-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "aipath/manifest.json" in names and "aipath/data.py" in names
    assert not any(name.startswith("datasets/") for name in names), "data files must not go into the wheel"
