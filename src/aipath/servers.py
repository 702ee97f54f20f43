"""Start real servers (MLflow, the digits API, ...) as child processes, and always stop them.

A lesson shows the command it runs; this module carries the plumbing around it: a free port, waiting until the
server answers, keeping its log, and stopping it when the notebook ends, even if the kernel is killed (on Linux the
child is told to exit with its parent when started from the main thread; from another thread it is stopped at
exit). Every child carries ``AIPATH_SERVER_OF`` in its environment, so the test
suite can prove that no server outlived its notebook.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["Server", "ServerError", "free_port", "start"]

_running: list[Server] = []


class ServerError(RuntimeError):
    """A server did not start or did not answer; the message carries the end of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host`` (the OS picks it, so parallel runs do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _own_group() -> None:  # pragma: no cover - runs in the child between fork and exec.
    os.setpgrp()  # Own process group, so stop() reaches the server's own children (workers) too.


def _own_group_and_die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec.
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        # PR_SET_PDEATHSIG: SIGTERM when the parent dies. Linux ties this to the *thread* that started the child,
        # so it is only asked for from the main thread (a worker thread's exit would kill the server early).
        libc.prctl(1, signal.SIGTERM)
    except OSError:
        pass
    _own_group()


def _child_setup() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is threading.main_thread():
        return _own_group_and_die_with_parent
    return _own_group


class Server:
    """A running server process. Use as a context manager, or call :meth:`stop` (also done at exit)."""

    def __init__(self, command: Sequence[str], health_url: str, *, cwd: Path | str | None = None,
                 env: dict[str, str] | None = None, timeout: float = 60.0, name: str | None = None) -> None:
        self.command = [str(part) for part in command]
        self.health_url = health_url
        parts = urllib.parse.urlsplit(health_url)
        self.url = f"{parts.scheme}://{parts.netloc}"  # The server's base address, e.g. http://127.0.0.1:8000
        self.name = name or Path(self.command[0]).name
        self._log = tempfile.NamedTemporaryFile(prefix=f"aipath-{self.name}-", suffix=".log", delete=False)
        child_env = {**os.environ, **(env or {})}
        child_env["AIPATH_SERVER_OF"] = os.environ.get("AIPATH_TEST_RUN", str(os.getpid()))
        self.process = subprocess.Popen(
            self.command, cwd=cwd, env=child_env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, preexec_fn=_child_setup(),
        )
        _running.append(self)
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self, last: int | None = 40) -> str:
        """The server's output so far (its last ``last`` lines; all of it with ``last=None``)."""
        text = Path(self._log.name).read_text(encoding="utf-8", errors="replace") if Path(self._log.name).exists() else ""
        lines = text.splitlines()
        return "\n".join(lines if last is None else lines[-last:])

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with code {self.process.returncode} before answering "
                                  f"{self.health_url}.\nCommand: {' '.join(self.command)}\nLog:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise ServerError(f"{self.name} did not answer {self.health_url} within {timeout:.0f} s.\n"
                          f"Command: {' '.join(self.command)}\nLog:\n{self.log()}")

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and its children: SIGTERM, then SIGKILL after ``timeout`` seconds. Idempotent."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError, AttributeError):
                self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError, AttributeError):
                    self.process.kill()
                self.process.wait(timeout)
        self._log.close()
        if self in _running:
            _running.remove(self)
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else f"stopped ({self.process.returncode})"
        return f"<Server {self.name} pid={self.pid} {state} health={self.health_url}>"


def start(command: Sequence[str], health_url: str, **kwargs: Any) -> Server:
    """Start ``command`` and wait until ``health_url`` answers 200; see :class:`Server`."""
    return Server(command, health_url, **kwargs)


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop(timeout=5)
