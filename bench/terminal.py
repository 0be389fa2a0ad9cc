"""A program in a pseudo-terminal, watched the way a person would see it.

The benchmarks start the guide (and a bare Textual app beside it) in a pty of
a fixed size, read everything it writes, strip the terminal's control
sequences, and wait for the words of its first screen. Keys are written to
the pty as a terminal would send them.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

CONTROL = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor moves, colours, modes
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, clipboard
    rb"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS and the like
    rb"|\x1b[@-Z\\-_]"  # two-byte escapes
)
KEYS = {"ctrl+s": b"\x13", "ctrl+q": b"\x11", "escape": b"\x1b", "enter": b"\r"}


class Terminal:
    """A child process in a pty of `columns` x `rows`.

    Args:
        command: the program and its arguments.
        env: its environment.
        columns: the terminal's width.
        rows: the terminal's height.
    """

    def __init__(
        self,
        command: Sequence[str],
        env: dict[str, str],
        columns: int = 120,
        rows: int = 40,
    ) -> None:
        self.started = time.perf_counter()
        leader, follower = os.openpty()
        fcntl.ioctl(
            follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0)
        )
        self.process = subprocess.Popen(
            list(command),
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(columns)},
            start_new_session=True,
            close_fds=True,
        )
        os.close(follower)
        self._fd = leader
        self._text = bytearray()
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            with self._changed:
                if not chunk:
                    self._changed.notify_all()
                    return
                self._text += CONTROL.sub(b"", chunk)
                self._changed.notify_all()

    @property
    def text(self) -> str:
        """Everything the program wrote, without control sequences."""
        with self._changed:
            return self._text.decode("utf-8", "replace")

    def wait_for(self, words: str, timeout: float = 60) -> float:
        """Waits until `words` appear; returns the seconds since the start.

        Raises:
            TimeoutError: they did not appear in time (or the program ended).
        """
        wanted = words.encode()
        deadline = time.monotonic() + timeout
        with self._changed:
            while wanted not in self._text:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    tail = self._text[-400:].decode("utf-8", "replace")
                    raise TimeoutError(f"{words!r} never showed; last: {tail!r}")
                self._changed.wait(min(left, 0.05))
            return time.perf_counter() - self.started

    def press(self, *keys: str) -> None:
        """Types keys: names from KEYS, or plain characters."""
        for key in keys:
            os.write(self._fd, KEYS.get(key, key.encode()))
            time.sleep(0.05)

    def peak_rss_mb(self) -> float:
        """The child's peak resident memory so far (VmHWM), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else 0.0

    def close(self) -> None:
        """Ends the program and its process group."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        os.close(self._fd)
