"""AI Engineer Path: the helper package every notebook of the course imports.

It carries plumbing, never the lesson: datasets (:mod:`aipath.data`), seeds and devices
(:func:`setup`, :func:`device`), pretrained models from installed packages (:mod:`aipath.pretrained`),
exercise self-checks (:class:`Checker`) and the ``aipath`` command.
"""

from __future__ import annotations

from importlib import metadata as _metadata

from . import data, pretrained
from ._paths import cache_dir, repo_root
from ._setup import device, seed_everything, setup, summary_line
from .checks import Checker

try:
    __version__ = _metadata.version("aipath")
except _metadata.PackageNotFoundError:  # Running from a source tree that is not installed.
    __version__ = "0.0.0+source"

__all__ = ["Checker", "data", "pretrained", "setup", "summary_line", "device", "seed_everything", "repo_root", "cache_dir", "__version__"]
