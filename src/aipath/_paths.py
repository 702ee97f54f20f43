"""Where things live: the course repository (when there is one) and the user cache."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: The public home of the course. Colab badges, the Colab install line and data downloads point here.
REPO_SLUG = "ai-engineer-path/ai-engineer-path"
REPO_URL = f"https://github.com/{REPO_SLUG}"


def _looks_like_course(path: Path) -> bool:
    return (path / "datasets" / "manifest.json").is_file() and (path / "src" / "aipath").is_dir()


def repo_root() -> Path | None:
    """Return the root of the course repository, or ``None`` when the package runs without it.

    Looked for, in order: the ``AIPATH_ROOT`` environment variable, the folders above the current
    directory (a notebook runs in its own folder), and the folders above this file (an editable install).
    """
    env = os.environ.get("AIPATH_ROOT")
    if env:
        root = Path(env).expanduser().resolve()
        return root if _looks_like_course(root) else None
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for candidate in (start, *start.parents):
            if _looks_like_course(candidate):
                return candidate
    return None


def cache_dir() -> Path:
    """The user cache for downloaded data and built models (``AIPATH_CACHE`` overrides it)."""
    env = os.environ.get("AIPATH_CACHE")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("aipath"))


def data_dir() -> Path:
    """Where per-user state (exercise progress) is kept (``AIPATH_DATA`` overrides it)."""
    env = os.environ.get("AIPATH_DATA")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("aipath"))
