"""The ``aipath`` command: ``doctor``, ``list``, ``data list|verify``, ``assign``, ``grade``, ``progress``."""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata

from . import curriculum, data
from ._paths import cache_dir, repo_root

#: Packages a learner needs, with the stage that first needs them. Core ones must be there.
CORE = ["numpy", "pandas", "matplotlib", "scikit-learn", "tqdm", "pooch", "nbformat", "nbclient"]
OPTIONAL = {
    "torch": "stage 3 (deep learning)",
    "keras": "stage 3 (Keras lessons)",
    "tensorflow-cpu|tensorflow": "stage 3 (Keras lessons)",
    "jupyterlab": "working locally in JupyterLab",
    "mlflow": "stage 5 (MLOps)",
    "fastapi": "stage 5 (serving)",
    "dvc": "stage 5 (data versioning)",
    "sentence-transformers": "pretrained embeddings (stages 3 and 6)",
    "onnxruntime": "stage 4 (export)",
    "xgboost": "stage 2 (boosting)",
    "optuna": "stage 2 (tuning)",
    "pytest": "running the tests",
    "nbval": "running the notebook tests",
}


class _Report:
    """Collects doctor lines and remembers whether anything failed."""

    def __init__(self) -> None:
        self.failed = 0
        self.warned = 0

    def line(self, status: str, text: str) -> None:
        if status == "FAIL":
            self.failed += 1
        elif status == "WARN":
            self.warned += 1
        print(f"  {status:<4}  {text}")


def _installed(spec: str) -> tuple[str, str] | None:
    for name in spec.split("|"):
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def cmd_doctor(args: argparse.Namespace) -> int:
    report = _Report()
    root = repo_root()
    print("Python and packages")
    py_ok = sys.version_info >= (3, 10)
    report.line("ok" if py_ok else "FAIL", f"Python {platform.python_version()} (3.10 or newer needed)")
    for name in CORE:
        found = _installed(name)
        report.line("ok" if found else "FAIL",
                    f"{name} {found[1]}" if found else f"{name} is missing: run `make setup` (or pip install {name})")
    for spec, why in OPTIONAL.items():
        found = _installed(spec)
        if found:
            report.line("ok", f"{found[0]} {found[1]}")
        else:
            report.line("WARN", f"{spec.split('|')[0]} is not installed (needed for {why}); `make setup` installs it")

    print("Compute")
    if _installed("torch"):
        try:
            import torch

            from ._setup import device

            dev = device()
            detail = f", {torch.cuda.get_device_name(0)}" if dev.type == "cuda" else ""
            report.line("ok", f"PyTorch device: {dev}{detail}; {torch.get_num_threads()} CPU threads")
        except Exception as exc:  # A broken install shows here rather than in a notebook.
            report.line("FAIL", f"torch is installed but does not import: {exc}")
    try:
        from jupyter_client.kernelspec import find_kernel_specs

        specs = find_kernel_specs()
        report.line("ok" if "python3" in specs else "FAIL",
                    "Jupyter kernel 'python3' found" if "python3" in specs
                    else "no Jupyter kernel 'python3': run `make setup`")
    except ImportError:
        report.line("WARN", "jupyter_client is not installed: notebooks cannot run here")

    print("Pretrained models (from installed packages, no download)")
    from . import pretrained

    for what, find in [("all-MiniLM-L6-v2 sentence encoder", pretrained.minilm_path),
                       ("SmolLM2-135M-Instruct language model", pretrained.smollm2_gguf)]:
        try:
            report.line("ok", f"{what}: {find()}")
        except pretrained.ModelNotInstalled as exc:
            report.line("WARN", str(exc).replace("\n", " "))
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    report.line("ok" if browser else "WARN", f"Chromium for the browser test: {browser}" if browser else
                "Chromium is not installed: the digits page's browser test is skipped (sudo apt-get install chromium)")

    print("Datasets" + (f" (repository: {root})" if root else " (no repository: files download on first use)"))
    statuses = data.verify()
    for status in statuses:
        if status.ok or (status.detail == "missing" and root is None):
            continue  # Outside the repository a missing file is expected: the loader downloads it.
        report.line("FAIL", f"{status.dataset}/{status.file}: {status.detail}")
    ok_count = sum(s.ok for s in statuses)
    report.line("ok", f"{ok_count} of {len(statuses)} dataset files present and verified by SHA-256")

    print("Cache")
    cache = cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache):
            pass
        report.line("ok", f"cache writable: {cache}")
    except OSError as exc:
        report.line("FAIL", f"cache {cache} is not writable ({exc}); set AIPATH_CACHE to a writable folder")

    verdict = "all green" if not report.failed else f"{report.failed} problem(s) to fix"
    print(f"\n{verdict}" + (f", {report.warned} warning(s)" if report.warned else ""))
    return 1 if report.failed else 0


def cmd_list(args: argparse.Namespace) -> int:
    root = repo_root()
    for stage in curriculum.STAGES:
        print(f"{stage.slug}  {stage.title}")
        for lesson in stage.lessons:
            ready = root is not None and (root / lesson.path()).is_file()
            has_ex = root is not None and (root / lesson.path("exercises")).is_file()
            mark = "ready" if ready else "planned"
            exercise = f"  exercise: {lesson.path('exercises')}" if has_ex else ""
            print(f"  [{mark:^7}] {lesson.path()}  {lesson.title}{exercise}")
    if root is None:
        print("\n(no course repository found here: run inside a clone to see which lessons are ready)")
    return 0


def cmd_data_list(args: argparse.Namespace) -> int:
    datasets = data.manifest()["datasets"]
    print(f"{'dataset':<20} {'files':>5} {'MB':>7}  licence")
    for name, entry in datasets.items():
        size = sum(f["bytes"] for f in entry["files"]) / 1e6
        print(f"{name:<20} {len(entry['files']):>5} {size:>7.1f}  {entry['licence']}")
    print("\nLoad one with aipath.data.load('<dataset>') or its load_<dataset>() function.")
    return 0


def cmd_data_verify(args: argparse.Namespace) -> int:
    try:
        statuses = data.verify(args.datasets or None)
    except data.DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bad = [s for s in statuses if not s.ok]
    for status in statuses:
        if args.verbose or not status.ok:
            print(f"{'ok' if status.ok else 'BAD':<4} {status.dataset}/{status.file}: {status.detail}"
                  + (f"  [{status.path}]" if status.path else ""))
    print(f"{len(statuses) - len(bad)} of {len(statuses)} files verified"
          + ("" if not bad else f"; {len(bad)} missing or corrupt"))
    return 1 if bad else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aipath",
        description="AI Engineer Path: check your set-up, browse the curriculum, manage data and exercises.",
    )
    parser.add_argument("--version", action="version", version=f"aipath {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    doctor = sub.add_parser("doctor", help="check Python, packages, devices, datasets and the cache",
                            description="Check this machine for the course. Exits non-zero when something "
                            "must be fixed; every problem line says how.")
    doctor.set_defaults(func=cmd_doctor)

    lst = sub.add_parser("list", help="the curriculum map: stages, lessons and their exercises",
                         description="Print every stage and lesson, marking which are ready.")
    lst.set_defaults(func=cmd_list)

    dat = sub.add_parser("data", help="list or verify the course datasets",
                         description="Work with the course datasets.")
    dsub = dat.add_subparsers(dest="data_command", metavar="ACTION")
    dsub.required = True
    dl = dsub.add_parser("list", help="datasets with their sizes and licences",
                         description="List the datasets of the manifest with sizes and licences.")
    dl.set_defaults(func=cmd_data_list)
    dv = dsub.add_parser("verify", help="check every file against its SHA-256",
                         description="Check dataset files against the manifest (size and SHA-256). "
                         "Exits 1 when a file is missing or corrupt.")
    dv.add_argument("datasets", nargs="*", help="datasets to check (default: all)")
    dv.add_argument("-v", "--verbose", action="store_true", help="also list files that are fine")
    dv.set_defaults(func=cmd_data_verify)

    from . import exercises

    exercises.add_commands(sub)
    return parser


def _version() -> str:
    try:
        return metadata.version("aipath")
    except metadata.PackageNotFoundError:
        return "source"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
