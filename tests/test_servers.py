"""aipath.servers: a started server answers, a failed one explains itself, and none outlives its owner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aipath import servers

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from conftest import leftover_servers  # noqa: E402

HTTP = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_start_wait_and_stop(tmp_path: Path) -> None:
    port = servers.free_port()
    with servers.start(HTTP + [str(port)], f"http://127.0.0.1:{port}/", cwd=tmp_path, name="http") as server:
        assert server.running and server.url == f"http://127.0.0.1:{port}"
        assert os.environ["AIPATH_TEST_RUN"] and server.pid in leftover_servers(os.environ["AIPATH_TEST_RUN"])
    assert not server.running and not _alive(server.pid)
    server.stop()  # A second stop is harmless.


def test_a_server_that_dies_reports_its_log() -> None:
    command = [sys.executable, "-c", "import sys; print('cannot open the database'); sys.exit(3)"]
    with pytest.raises(servers.ServerError, match=r"(?s)exited with code 3.*cannot open the database"):
        servers.start(command, f"http://127.0.0.1:{servers.free_port()}/", timeout=20)


def test_a_server_that_never_answers_is_stopped() -> None:
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    before = set(leftover_servers(os.environ["AIPATH_TEST_RUN"]))
    with pytest.raises(servers.ServerError, match="did not answer"):
        servers.start(command, f"http://127.0.0.1:{servers.free_port()}/", timeout=1.5)
    assert set(leftover_servers(os.environ["AIPATH_TEST_RUN"])) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
def test_server_dies_with_a_killed_kernel(tmp_path: Path) -> None:
    """A notebook kernel killed outright (no clean-up code runs) must not leave its server behind."""
    port = servers.free_port()
    owner = textwrap.dedent(f"""
        import sys, time
        from aipath import servers
        server = servers.start({HTTP + [str(port)]!r}, "http://127.0.0.1:{port}/", cwd={str(tmp_path)!r})
        print(server.pid, flush=True)
        time.sleep(120)
    """)
    kernel = subprocess.Popen([sys.executable, "-c", owner], stdout=subprocess.PIPE, text=True)
    server_pid = int(kernel.stdout.readline())
    assert _alive(server_pid)
    kernel.send_signal(signal.SIGKILL)
    kernel.wait()
    deadline = time.monotonic() + 10
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(server_pid), "the server outlived the process that started it"


def test_a_server_started_from_a_worker_thread_outlives_the_thread(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    port = servers.free_port()
    with ThreadPoolExecutor(1) as pool:
        server = pool.submit(servers.start, HTTP + [str(port)], f"http://127.0.0.1:{port}/", cwd=tmp_path).result()
    time.sleep(1)  # The thread is gone; the server must still answer.
    try:
        assert server.running
        import urllib.request

        with urllib.request.urlopen(server.url + "/", timeout=5) as reply:
            assert reply.status == 200
    finally:
        server.stop()
    assert not _alive(server.pid)
