"""The sandbox's HTTP front: one WSGI application in front of moto's server.

Every request takes one of three roads:

1. `/_sandbox/...`: the control API (status, faults, time scale, e-mail
   confirmation, the outbox, acting on an instance's nginx). Faults never
   strike it.
2. An unsigned request whose Host is a load balancer's DNS name: the web
   traffic the load balancer would carry, answered by the lab world.
3. A SigV4-signed AWS API call: it may be struck by a fault; then the
   sandbox's own handler answers it (see `services`), or moto does; either
   way it is recorded for CloudTrail.

All of it runs under one lock, with the world ticked before and after each
call: moto's models are not made for concurrent writers, and a lab's few
clients never notice the queue.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from labguide.sandbox.clock import Clock
from labguide.sandbox.config import CONTROL_PREFIX
from labguide.sandbox.faults import FaultInjector
from labguide.sandbox.services import (
    HANDLERS,
    Context,
    Ledger,
    advance_commands,
    after_moto,
)
from labguide.sandbox.wire import Call, internal_failure, read_call, throttled
from labguide.sandbox.world import BALANCER_DOMAIN, World, host_name, iam

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
TICK_GAP = 0.02
"""Real seconds a tick stays fresh for reads while time runs (a scale above
0): far below the shortest scaled wait a lab sees."""

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class SandboxApp:
    """The WSGI application.

    Args:
        world: the lab world.
        ledger: what the sandbox's own actions keep.
        injector: decides which API calls a fault strikes.
        moto_app: moto's WSGI application.
        on_change: called after every call that may have changed state.
        on_stop: called when the control API is asked to stop the sandbox.
    """

    def __init__(
        self,
        world: World,
        ledger: Ledger,
        injector: FaultInjector,
        moto_app: Callable[..., Iterable[bytes]],
        on_change: Callable[[], None] = lambda: None,
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.world = world
        self.last_call = time.monotonic()
        """When the last request arrived (an idle sandbox may stop itself)."""
        self.ledger = ledger
        self.injector = injector
        self.moto_app = moto_app
        self.on_change = on_change
        self.on_stop = on_stop
        self.lock = threading.RLock()
        self.info: dict[str, Any] = {}
        self._stale = True
        """Whether anything changed since the last tick (see `tick_if_due`)."""
        self._traffic = False
        """Whether a page was served since (only logs and metrics moved)."""
        self._ticked = 0.0

    @property
    def context(self) -> Context:
        """What the action handlers work with."""
        return Context(self.world, self.ledger, self.injector.faults)

    def tick(self) -> None:
        """Advances the world and the running commands (lock held)."""
        try:
            self.world.tick()
            advance_commands(self.context)
        except Exception:  # noqa: BLE001 - a world bug must not take the API down
            log.exception("the lab world failed to advance")
        self._stale = False
        self._traffic = False
        self._ticked = time.monotonic()

    def tick_if_due(self, still_gap: float | None = None) -> None:
        """Ticks before answering, unless the world cannot have moved since
        the last tick: nothing changed, and either AWS's waits take no time
        (a scale of 0) or the last tick is less than TICK_GAP old. A tick
        looks at every target and instance, so a class of two hundred labs
        would otherwise pay it for each of the class view's reads (lock held).

        It also ticks once something the last tick saw coming is due (an
        alarm's data ageing out of its window).

        Args:
            still_gap: tick anyway once the last tick is this many seconds
                old (the keeper thread's safety net at a scale of 0).
        """
        since = time.monotonic() - self._ticked
        wake = self.world.wake_at
        if (
            self._stale
            or (self.world.clock.scale > 0 and since >= TICK_GAP)
            or (wake is not None and self.world.clock.now() >= wake)
            or (still_gap is not None and since >= still_gap)
        ):
            self.tick()
        elif self._traffic:
            self._traffic = False
            try:
                self.world.tick_traffic()
            except Exception:  # noqa: BLE001 - a world bug must not take the API down
                log.exception("the lab world failed to advance")

    def served(self) -> None:
        """Notes a page served through a load balancer: the next answer ships
        logs and evaluates alarms first (no full tick), and it is saved."""
        self._traffic = True
        self.on_change()

    def changed(self) -> None:
        """Notes a change: the next answer ticks first, and it is saved."""
        self._stale = True
        self.world.forget()
        self.on_change()

    # -- WSGI ---------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        self.last_call = time.monotonic()
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)

        if path.startswith(CONTROL_PREFIX + "/") or path == CONTROL_PREFIX:
            status, payload = self.control(environ, path[len(CONTROL_PREFIX) :], body)
            return _respond(
                start_response,
                status,
                {"Content-Type": "application/json"},
                json.dumps(payload, default=str).encode(),
            )

        call = read_call(environ, body)
        if call is None:
            host = environ.get("HTTP_HOST", "")
            with self.lock:
                self.tick_if_due()
                page = self.world.request(
                    host,
                    environ.get("REQUEST_METHOD", "GET"),
                    path
                    + (
                        f"?{environ['QUERY_STRING']}"
                        if environ.get("QUERY_STRING")
                        else ""
                    ),
                    environ.get("REMOTE_ADDR", "127.0.0.1"),
                    environ.get("HTTP_USER_AGENT", "-"),
                )
                if page is not None:
                    self.served()
            if page is not None:
                status, headers, content = page
                return _respond(start_response, status, headers, content)
            if host_name(host).endswith(BALANCER_DOMAIN):
                # No balancer has that name (any more): on AWS the name would
                # not resolve, so the client gets no answer at all, not moto's.
                _hang_up(environ)
                raise ConnectionAbortedError(f"no load balancer is named {host}")
            return self._moto(environ, start_response)

        return self.api(environ, start_response, call, body)

    def api(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        call: Call,
        body: bytes,
    ) -> Iterable[bytes]:
        """Answers an AWS API call."""
        fault = self.injector.draw()
        if fault == "drop":
            _hang_up(environ)
            log.info("fault: dropped %s %s", call.service, call.action)
            # werkzeug takes a ConnectionError from the application as a
            # client that went away and says nothing; an empty answer would
            # print a traceback for every dropped call.
            raise ConnectionAbortedError("fault: connection dropped")
        latency = self.injector.faults.latency
        if latency:
            time.sleep(latency)

        with self.lock:
            self.tick_if_due()
            if fault == "throttle":
                status, headers, content = throttled(call)
            elif fault == "error":
                status, headers, content = internal_failure(call)
            else:
                handler = HANDLERS.get((call.service, call.action))
                try:
                    result = handler(self.context, call) if handler else None
                except Exception:  # noqa: BLE001 - answer as AWS does, log the bug
                    log.exception(
                        "the sandbox failed on %s %s", call.service, call.action
                    )
                    result = internal_failure(call)
                if result is None:
                    status, headers, content = self._call_moto(environ)
                    content = after_moto(self.context, call, status, content)
                else:
                    status, headers, content = result
            code, message = _error_of(status, content)
            self.ledger.trail.record(
                call,
                status,
                content,
                code,
                message,
                _user_names(),
                self.world.clock.now(),
            )
            if not call.read_only:
                # A read changes nothing the world derives from, and every
                # call is answered after a tick: only a change needs one now
                # (with thirty labs a tick is most of a call's cost).
                self.changed()
                self.tick()
        header_map = {k: v for k, v in headers if k.lower() != "content-length"}
        return _respond(start_response, status, header_map, content)

    def _call_moto(
        self, environ: dict[str, Any]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers

        chunks = self.moto_app(environ, capture)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        return captured.get("status", 500), list(captured.get("headers", [])), content

    def _moto(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        with self.lock:
            status, headers, content = self._call_moto(environ)
            # moto's own API (a reset, say) may change anything.
            self.world.forget()
        return _respond(
            start_response,
            status,
            {k: v for k, v in headers if k.lower() != "content-length"},
            content,
        )

    # -- the control API ----------------------------------------------------------

    def control(
        self, environ: dict[str, Any], path: str, body: bytes
    ) -> tuple[int, Any]:
        """Answers `/_sandbox/...`: see the module's docstring of `labguide.sandbox`."""
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return 400, {"error": "the body must be JSON"}
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        with self.lock:
            self.tick()
            try:
                return self._control(method, path.rstrip("/") or "/status", data, query)
            except (KeyError, ValueError) as problem:
                return 400, {"error": str(problem).strip("'\"")}
            finally:
                # A drill or a restore may have changed anything.
                self.world.forget()

    def _control(
        self, method: str, path: str, data: dict[str, Any], query: dict[str, str]
    ) -> tuple[int, Any]:
        if path == "/status":
            return 200, {
                **self.info,
                "time_scale": self.world.clock.scale,
                "faults": self.injector.faults.as_dict(),
                "world": self.world.summary(),
            }
        if path == "/tick":
            return 200, {"ok": True}
        if path == "/stop" and method == "POST":
            # Stop a moment later, so that this answer reaches the caller.
            threading.Timer(0.2, self.on_stop).start()
            return 200, {"stopping": True}
        if path == "/faults":
            if method == "POST":
                self.injector.configure(self.injector.faults.updated(data))
            return 200, self.injector.faults.as_dict()
        if path == "/time-scale":
            if method == "POST":
                self.world.clock = Clock(float(data["scale"]))
                self.changed()
            return 200, {"time_scale": self.world.clock.scale}
        if path == "/confirm-email" and method == "POST":
            confirmed = self.world.confirm(data.get("topic_arn"), data.get("endpoint"))
            self.changed()
            return 200, {"confirmed": confirmed}
        if path == "/outbox":
            return 200, {
                "emails": [
                    {
                        "to": e.to,
                        "subject": e.subject,
                        "body": e.body,
                        "sent": e.sent,
                        "topic_arn": e.topic_arn,
                    }
                    for e in self.world.outbox
                ]
            }
        found = re.match(r"^/instances/([^/]+)/(nginx|file)$", path)
        if found:
            guest = self.world.guests.get(found.group(1))
            if guest is None:
                return 404, {"error": f"no instance {found.group(1)} in the lab world"}
            if found.group(2) == "file":
                lines = guest.file(query.get("path", ""))
                if lines is None:
                    return 404, {"error": f"no file {query.get('path')}"}
                return 200, {"lines": lines}
            if method == "POST":
                state = data["state"]
                if state not in ("running", "stopped", "failing"):
                    raise ValueError("state is one of running, stopped, failing")
                guest.nginx_override = state
                guest.nginx_changed = self.world.clock.now()
                self.changed()
            return 200, {
                "nginx": guest.nginx_state(self.world.clock, self.world.clock.now())
            }
        return 404, {"error": f"no control endpoint {method} {path}"}


def _hang_up(environ: dict[str, Any]) -> None:
    """Closes the client's connection without an answer."""
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _respond(
    start_response: StartResponse, status: int, headers: dict[str, str], content: bytes
) -> list[bytes]:
    header_list = list(headers.items()) + [("Content-Length", str(len(content)))]
    start_response(f"{status} {_STATUS_TEXT.get(status, 'Unknown')}", header_list)
    return [content]


def _error_of(status: int, content: bytes) -> tuple[str | None, str | None]:
    """The error code and message of an answer, whatever its protocol."""
    if status < 400:
        return None, None
    text = content[:4000].decode("utf-8", "replace")
    code = re.search(r"<Code>([^<]+)</Code>", text)
    if code:
        message = re.search(r"<Message>([^<]*)</Message>", text)
        return code.group(1), message.group(1) if message else ""
    try:
        loaded = json.loads(text)
    except ValueError:
        return f"HTTP{status}", None
    if isinstance(loaded, dict):
        kind = str(loaded.get("__type", f"HTTP{status}")).rsplit("#", 1)[-1]
        return kind, loaded.get("message") or loaded.get("Message")
    return f"HTTP{status}", None


def _user_names() -> dict[str, str]:
    """Access key -> IAM user name, for keys made in the sandbox's IAM."""
    names: dict[str, str] = {}
    try:
        for user in iam().users.values():
            for key in getattr(user, "access_keys", []):
                names[key.access_key_id] = user.name
    except Exception:  # noqa: BLE001 - CloudTrail falls back to the learner
        pass
    return names
