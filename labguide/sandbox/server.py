"""The sandbox in a background thread of the current process."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from labguide.aws.target import Target, WebRoute
from labguide.sandbox.clock import Clock
from labguide.sandbox.config import (
    ACCESS_KEY_ID,
    DEFAULT_TIME_SCALE,
    SECRET_ACCESS_KEY,
    prepare_environment,
)
from labguide.sandbox.faults import FaultInjector, Faults

log = logging.getLogger(__name__)

SEED = 20260215
"""moto's identifiers come from a generator seeded with this, so a fresh
sandbox names its first VPC the same way every time."""
AUTOSAVE_SECONDS = 2.0
TICK_SECONDS = 0.5
STILL_TICK_SECONDS = 5.0
"""At a time scale of 0, how often the world ticks with nothing changed."""

_active_lock = threading.Lock()
_active: Sandbox | None = None


class SandboxError(RuntimeError):
    """The sandbox cannot start (another runs in this process, a busy port)."""


class Sandbox:
    """The whole sandbox (moto and the lab world) served on loopback from a
    background thread.

    moto keeps its state in module-level objects, so one process holds one
    sandbox at a time.

    Args:
        port: the port to listen on; 0 picks a free one.
        time_scale: real seconds per AWS second; 0 makes every wait instant.
        state_dir: where the world is saved and restored from; None keeps it
            in memory only.
        faults: API faults to inject from the start.
        host: the address to listen on (loopback unless you mean otherwise).

    Example:
        >>> with Sandbox(time_scale=0) as sandbox:  # doctest: +SKIP
        ...     target = sandbox.target("us-east-1")
    """

    def __init__(
        self,
        *,
        port: int = 0,
        time_scale: float = DEFAULT_TIME_SCALE,
        state_dir: Path | None = None,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self._requested_port = port
        self._host = host
        self.time_scale = time_scale
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self._faults = faults
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._finished = False
        self._dirty = threading.Event()
        self._save_failures: set[str] = set()
        self._save_seconds = 0.0
        self.app: Any = None
        self.started_at = 0.0
        self.start_seconds = 0.0

    # -- life --------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Sandbox:
        """Starts serving; returns self.

        Raises:
            SandboxError: another sandbox runs in this process, or the port
                is taken.
        """
        global _active
        with _active_lock:
            if _active is not None:
                raise SandboxError("a sandbox already runs in this process")
            _active = self
        began = time.perf_counter()
        try:
            self._start()
        except BaseException:
            with _active_lock:
                _active = None
            raise
        self.start_seconds = time.perf_counter() - began
        log.info(
            "sandbox on %s (started in %.2f s)", self.endpoint_url, self.start_seconds
        )
        return self

    def _start(self) -> None:
        prepare_environment()
        from moto.core.base_backend import BackendDict
        from moto.moto_api._internal import mock_random
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )
        from werkzeug.serving import WSGIRequestHandler, make_server

        from labguide.sandbox import patches, persistence
        from labguide.sandbox.app import SandboxApp
        from labguide.sandbox.services import Ledger
        from labguide.sandbox.world import World

        BackendDict.reset()
        mock_random.seed(SEED)
        patches.apply()

        world = World(Clock(self.time_scale))
        ledger = Ledger()
        faults = self._faults or Faults()
        restored = persistence.load(self._state_file) if self._state_file else None
        if restored is not None:
            world = restored.get("world", world)
            ledger = restored.get("ledger", ledger)
            if self._faults is None:
                faults = restored.get("faults", faults)
            world.clock = Clock(self.time_scale)
            log.info("restored the sandbox from %s", self._state_file)

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                log.debug("%s %s %s", self.command, self.path, code)

        self.app = SandboxApp(
            world,
            ledger,
            FaultInjector(faults),
            DomainDispatcherApplication(create_backend_app),
            on_change=self._dirty.set,
            on_stop=self.stop,
        )
        try:
            self._server = make_server(
                self._host,
                self._requested_port,
                self.app,
                threaded=True,
                request_handler=QuietHandler,
            )
        except OSError as problem:
            patches.undo()
            raise SandboxError(
                f"cannot listen on {self._host}:{self._requested_port}: {problem}"
            ) from None
        self.started_at = time.time()
        self.app.info = {
            "endpoint": self.endpoint_url,
            "pid": os.getpid(),
            "started": self.started_at,
            "state_dir": str(self.state_dir) if self.state_dir else None,
        }
        serving = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.1),
            name="sandbox-http",
            daemon=True,
        )
        ticking = threading.Thread(
            target=self._keep_time, name="sandbox-tick", daemon=True
        )
        self._threads = [serving, ticking]
        for thread in self._threads:
            thread.start()

    def _keep_time(self) -> None:
        """Advances the world while nobody calls, and saves it when changed."""
        last_save = time.monotonic()
        while not self._stopped.wait(TICK_SECONDS):
            with self.app.lock:
                # Only when due: at a time scale of 0 little moves unless
                # something changed, and a class of two hundred labs makes a
                # tick long enough to hold every call up behind it.
                self.app.tick_if_due(still_gap=STILL_TICK_SECONDS)
            # A save holds the lock (it pickles a consistent world): a big
            # world (a class of two hundred labs takes seconds) is saved less
            # often, so that calls wait on it at most a fifth of the time.
            gap = max(AUTOSAVE_SECONDS, 4 * self._save_seconds)
            if self._dirty.is_set() and time.monotonic() - last_save >= gap:
                self.save()
                last_save = time.monotonic()

    def stop(self) -> None:
        """Stops serving, saves the world (with a state dir) and frees moto.

        A second caller (the control API's stop racing Ctrl-C) waits until
        the first has finished, so that nobody exits before the world is saved.
        """
        with self._stop_lock:
            if self._finished or self._server is None:
                return
            self._stop()
            self._finished = True

    def _stop(self) -> None:
        global _active
        self._stopped.set()
        self._server.shutdown()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._server.server_close()
        self.save()

        from moto.core.base_backend import BackendDict

        from labguide.sandbox import patches

        patches.undo()
        BackendDict.reset()
        with _active_lock:
            if _active is self:
                _active = None

    def wait(self, idle_seconds: float | None = None) -> None:
        """Blocks until the sandbox stops (for `labguide sandbox serve`), or
        until no request has come for `idle_seconds`."""
        while not self._stopped.wait(0.5):
            if idle_seconds is None or self.app is None:
                continue
            if time.monotonic() - self.app.last_call > idle_seconds:
                log.info("no request for %.0f s: stopping", idle_seconds)
                return

    def save(self) -> bool:
        """Writes the world to the state dir now (no-op without one).

        Returns:
            False when it could not be written: the failure is logged (once
            for each kind of failure), the last good save stays, and the
            sandbox goes on serving and tries again at the next change.
        """
        if self._state_file is None or self.app is None:
            return True
        from labguide.sandbox import persistence

        with self.app.lock:
            self._dirty.clear()
            began = time.perf_counter()
            try:
                persistence.save(
                    self._state_file,
                    {
                        "world": self.app.world,
                        "ledger": self.app.ledger,
                        "faults": self.app.injector.faults,
                    },
                )
            except Exception as error:  # noqa: BLE001 - logged; serving goes on
                kind = f"{type(error).__name__}: {error}"
                if kind not in self._save_failures:
                    self._save_failures.add(kind)
                    log.exception("cannot save the sandbox to %s", self._state_file)
                return False
        self._save_seconds = time.perf_counter() - began
        log.debug("saved the sandbox in %.2f s", self._save_seconds)
        return True

    # -- how to reach it -----------------------------------------------------------

    @property
    def _state_file(self) -> Path | None:
        from labguide.sandbox.persistence import FILE_NAME

        return self.state_dir / FILE_NAME if self.state_dir is not None else None

    @property
    def port(self) -> int:
        """The port the sandbox listens on."""
        if self._server is None:
            raise SandboxError("the sandbox is not running")
        return int(self._server.server_port)

    @property
    def endpoint_url(self) -> str:
        """The endpoint to give boto3 or the AWS CLI."""
        return f"http://{self._host}:{self.port}"

    @property
    def faults(self) -> Faults:
        """The fault rates in force."""
        return self.app.injector.faults if self.app else (self._faults or Faults())

    def set_faults(self, faults: Faults) -> None:
        """Replaces the fault rates (and reseeds their generator)."""
        self.app.injector.configure(faults)

    def target(self, region: str) -> Target:
        """How the engine reaches this sandbox in `region`."""
        return sandbox_target(self._host, self.port, region)


def sandbox_target(host: str, port: int, region: str) -> Target:
    """The `Target` of a sandbox listening on `host:port`."""
    return Target(
        kind="sandbox",
        region=region,
        endpoint_url=f"http://{host}:{port}",
        web_route=WebRoute(host, port),
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
    )
