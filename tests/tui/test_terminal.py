"""The real `labguide` command in a real terminal (tmux), and `labguide web`.

The guide runs as a learner runs it: its own process, its own sandbox (a
detached background process, stopped at the end), a home folder of its own.
The test reads the screen with `tmux capture-pane` and types with `send-keys`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is missing")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A LABGUIDE_HOME of the test's own; its sandbox is stopped at the end."""
    folder = tmp_path / "home"
    yield folder
    subprocess.run(
        [sys.executable, "-m", "labguide", "sandbox", "stop"],
        env={**os.environ, "LABGUIDE_HOME": str(folder)},
        capture_output=True,
        timeout=60,
    )


def run_tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10)
    return done.stdout


def wait_for(
    screen: Callable[[], str], wanted: Callable[[str], bool], timeout: float
) -> str:
    """Reads the screen until `wanted` holds for it."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen()
        if wanted(shown):
            return shown
        time.sleep(0.1)
    raise AssertionError(f"the screen never showed what was wanted:\n{shown}")


@tmux
def test_labguide_runs_in_a_terminal_and_performs_a_step(
    home: Path, tmp_path: Path
) -> None:
    name = f"labguide-{os.getpid()}"
    exit_file = tmp_path / "exit"
    command = (
        f"LABGUIDE_HOME={home} LANG=en_US.UTF-8 TERM=xterm-256color "
        f"{sys.executable} -m labguide --participant tmux --language en; "
        f"echo $? > {exit_file}"
    )
    began = time.monotonic()
    # The smallest terminal the guide is made for.
    run_tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", command)

    def screen() -> str:
        return run_tmux("capture-pane", "-p", "-t", name)

    try:
        shown = wait_for(screen, lambda s: "Where" in s and "Participant" in s, 30)
        first_screen = time.monotonic() - began
        shown = wait_for(screen, lambda s: "sandbox account" in s, 60)
        assert "tmux" in shown

        run_tmux("send-keys", "-t", name, "C-s")
        shown = wait_for(screen, lambda s: "Goals 0/7" in s, 60)
        assert "Steps" in shown and "Do it" in shown

        run_tmux("send-keys", "-t", name, "d")

        def step_one_done(text: str) -> bool:
            # The step ticks, its live log ends with what it created, and the
            # guide points to the next step.
            ticked = any("✔  1 " in line for line in text.splitlines())
            logged = "5 resource(s), 5 created" in text and "rtb-" in text
            return ticked and logged and "Next: step 2" in text

        wait_for(screen, step_one_done, 60)

        run_tmux("send-keys", "-t", name, "q")
        wait_for(
            lambda: exit_file.read_text() if exit_file.exists() else "",
            lambda s: s.strip() != "",
            30,
        )
        assert exit_file.read_text().strip() == "0"
    finally:
        run_tmux("kill-session", "-t", name)
    print(f"first screen after {first_screen:.2f} s")
    assert first_screen < 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_labguide_web_serves_the_guide(home: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "labguide", "web", "--port", str(port)],
        env={**os.environ, "LABGUIDE_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://localhost:{port}/", timeout=2
                ) as page:
                    body = page.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert "labguide" in body
    finally:
        server.terminate()
        server.wait(timeout=10)
