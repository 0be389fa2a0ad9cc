"""The guide's seam with the engine: what the screens ask of it.

The App takes an engine factory, so that tests can hand it their own: one
bound to a sandbox in the test process, or a fake with fixed data for
snapshots. `LiveEngine` is the real one. Screens call the engine only from
thread workers, since every call may reach AWS; its heavy imports (boto3
among them) happen there too, which keeps the first screen quick.
"""

from __future__ import annotations

import configparser
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from labguide.catalog.models import Catalog, Step
from labguide.tui.settings import Where

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from labguide.aws.target import Target
    from labguide.commands.options import Settings
    from labguide.engine.checks.result import CheckResult
    from labguide.engine.diagnostics import Instance
    from labguide.engine.events import Event
    from labguide.engine.resources import Resource
    from labguide.engine.session import GoalResult, RunResult
    from labguide.engine.state import SessionState, StepStatus
    from labguide.engine.teardown import TeardownResult
    from labguide.tui.class_screen import ClassSource


@dataclass(frozen=True)
class Place:
    """Where the learner chose to run the lab."""

    where: Where
    """The sandbox or AWS."""
    region: str
    """The region."""
    profile: str | None = None
    """The AWS profile (AWS only; None is the default credential chain)."""

    @property
    def is_sandbox(self) -> bool:
        """Whether this is the built-in sandbox."""
        return self.where == "sandbox"


@dataclass(frozen=True)
class Connection:
    """A place the engine reached, and who the calls run as there."""

    place: Place
    """Where."""
    account: str
    """The account id (the sandbox has one too)."""
    caller: str
    """The caller's name: the last part of its ARN."""
    arn: str
    """The caller's ARN."""
    endpoint: str | None = None
    """The endpoint the AWS CLI can use (the sandbox's), if not AWS's."""
    handle: Any = None
    """The engine's own handle on the place (its clients)."""


@dataclass(frozen=True)
class Costs:
    """Hourly cost estimates, in the catalog's currency."""

    now: float
    """What the resources that exist cost per hour."""
    whole_lab: float
    """What the whole lab costs per hour once it runs."""
    currency: str = "USD"
    """The currency."""


class Session(Protocol):
    """What the guide uses of a lab session (`labguide.engine.LabSession`)."""

    catalog: Catalog
    state: SessionState

    def step_status(self, step_id: str) -> StepStatus: ...

    def next_step(self) -> Step | None: ...

    def run(self, keys: Iterable[str | int]) -> RunResult: ...

    def mark_done_by_hand(self, step_id: str) -> None: ...

    def reconcile(self) -> dict[str, StepStatus]: ...

    def run_checks(self, check_ids: Iterable[str]) -> dict[str, CheckResult]: ...

    def verify(self, goal_ids: Iterable[str] | None = None) -> list[GoalResult]: ...

    def teardown_plan(self) -> list[Resource]: ...

    def teardown(self) -> TeardownResult: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


Reporter = Callable[["Event"], None]


class Engine(Protocol):
    """What the guide asks of the engine. Every method may block: call them
    from thread workers only."""

    def profiles(self) -> list[str]:
        """The AWS profiles configured on this machine."""
        ...

    def saved_sessions(self) -> list[SessionState]:
        """The sessions that can be resumed."""
        ...

    def connect(self, place: Place) -> Connection:
        """Reaches the place (starting the sandbox if need be) and says who
        the calls run as.

        Raises:
            LabguideError: bad profile, expired credentials, no network...
        """
        ...

    def open_session(
        self,
        connection: Connection,
        participant: str | None,
        email: str | None,
        reporter: Reporter,
    ) -> Session:
        """Opens (and locks) the participant's session there.

        Raises:
            LabguideError: bad participant name, a session another process
                holds, credentials...
        """
        ...

    def costs(self, session: Session) -> Costs:
        """The hourly cost estimates of the session's lab."""
        ...

    def confirm_email(self, connection: Connection, session: Session) -> int:
        """Confirms the alarm's e-mail subscription, as the e-mail's link
        would (the sandbox only); returns how many it confirmed."""
        ...

    def instances(self, session: Session) -> list[Instance]:
        """The instances of the lab's Auto Scaling group."""
        ...

    def run_diagnostic(
        self,
        session: Session,
        instance_id: str,
        commands: list[str],
        cancel: threading.Event,
    ) -> str:
        """Runs commands on an instance through Run Command; their output."""
        ...

    def report(self, session: Session, language: str) -> str:
        """The goals and their evidence, as Markdown."""
        ...

    def class_view(self, connection: Connection) -> ClassSource:
        """Every participant's lab where the connection reaches, for the
        instructor's class view."""
        ...


EngineFactory = Callable[[Catalog], Engine]
"""Makes the engine for a catalog: the App calls it once."""


class LiveEngine:
    """The real engine: the user's sandbox (a background process) or AWS.

    Args:
        catalog: the lab catalog.
        state_dir: where sessions are kept (default: the user data dir, or
            `LABGUIDE_HOME`).
        sandbox: gives the sandbox's target for a region (default: the
            user's background sandbox, started when none runs).
        settings: poll and wait times for a target (default: the CLI's).
    """

    def __init__(
        self,
        catalog: Catalog,
        state_dir: Path | None = None,
        sandbox: Callable[[str], Target] | None = None,
        settings: Callable[[Target], Settings] | None = None,
    ) -> None:
        self.catalog = catalog
        self._state_dir = state_dir
        self._sandbox = sandbox
        self._settings = settings

    @property
    def state_dir(self) -> Path:
        """Where sessions are kept."""
        if self._state_dir is not None:
            return self._state_dir
        from labguide.locations import state_dir

        return state_dir()

    def profiles(self) -> list[str]:
        """The profiles named in the AWS config and credentials files."""
        home = Path.home() / ".aws"
        files = {
            "config": Path(os.environ.get("AWS_CONFIG_FILE", home / "config")),
            "credentials": Path(
                os.environ.get("AWS_SHARED_CREDENTIALS_FILE", home / "credentials")
            ),
        }
        names: set[str] = set()
        for kind, path in files.items():
            parser = configparser.RawConfigParser()
            try:
                parser.read(path, encoding="utf-8")
            except (OSError, configparser.Error):
                continue
            for section in parser.sections():
                if kind == "config" and section.startswith("profile "):
                    names.add(section.removeprefix("profile ").strip())
                elif kind == "credentials" or section == "default":
                    names.add(section.strip())
        return sorted(names, key=lambda name: (name != "default", name))

    def saved_sessions(self) -> list[SessionState]:
        """The sessions kept in the state dir, newest first."""
        from labguide.engine.state import list_sessions

        found = list_sessions(self.state_dir)
        return sorted(found, key=lambda state: state.updated_at, reverse=True)

    def connect(self, place: Place) -> Connection:
        """Starts or finds the sandbox, or builds AWS clients; asks STS who
        the calls run as."""
        from labguide.aws.clients import Clients
        from labguide.aws.target import Target

        if place.is_sandbox:
            if self._sandbox is not None:
                target = self._sandbox(place.region)
            else:
                from labguide.sandbox import ensure_running

                target = ensure_running(region=place.region)
        else:
            target = Target(kind="aws", region=place.region, profile=place.profile)
        clients = Clients(target, max_attempts=3 if target.is_sandbox else 5)
        identity = clients.identity()
        return Connection(
            place=place,
            account=identity.account,
            caller=identity.caller,
            arn=identity.arn,
            endpoint=target.endpoint_url,
            handle=clients,
        )

    def open_session(
        self,
        connection: Connection,
        participant: str | None,
        email: str | None,
        reporter: Reporter,
    ) -> Session:
        """Opens the session with the poll and wait times of the target."""
        from labguide.aws.target import SANDBOX_ACCOUNT_LABEL
        from labguide.commands.options import settings_for
        from labguide.engine.session import LabSession

        clients = connection.handle
        target = clients.target
        settings = (self._settings or settings_for)(target)
        session: Session = LabSession.open(
            self.catalog,
            clients,
            self.state_dir,
            participant=participant,
            email=email,
            reporter=reporter,
            poll_seconds=settings.poll_seconds,
            wait_seconds=settings.wait_seconds,
            account_label=SANDBOX_ACCOUNT_LABEL if target.is_sandbox else None,
        )
        return session

    def costs(self, session: Session) -> Costs:
        """From the catalog's prices and what the session knows exists."""
        from labguide.engine.costs import full_lab_hourly, hourly_cost

        return Costs(
            now=hourly_cost(self.catalog, session.state),
            whole_lab=full_lab_hourly(self.catalog),
            currency=self.catalog.lab.costs.currency,
        )

    def confirm_email(self, connection: Connection, session: Session) -> int:
        """Asks the sandbox's control API to confirm the session's address."""
        from labguide.errors import LabguideError
        from labguide.sandbox import SandboxInfo, control

        route = connection.handle.target.web_route
        if not connection.place.is_sandbox or route is None:
            raise LabguideError(
                "Only the sandbox can confirm an e-mail for you.",
                "Open the e-mail from AWS Notifications and click "
                "'Confirm subscription'.",
            )
        # The control API lives on the sandbox's own endpoint; the pid and
        # state dir of SandboxInfo play no part in calling it.
        info = SandboxInfo(0, route.host, route.port, "")
        try:
            answer = control(info, "/confirm-email", {"endpoint": session.state.email})
        except (OSError, ValueError) as problem:
            raise LabguideError(
                f"The sandbox did not confirm the e-mail: {problem}."
            ) from None
        return len(answer.get("confirmed", []))

    def instances(self, session: Session) -> list[Instance]:
        """The group's instances, with their Session Manager status."""
        from labguide.engine import diagnostics

        return diagnostics.instances(session)  # type: ignore[arg-type]

    def run_diagnostic(
        self,
        session: Session,
        instance_id: str,
        commands: list[str],
        cancel: threading.Event,
    ) -> str:
        """Runs the commands through Run Command."""
        from labguide.engine import diagnostics

        return diagnostics.run_diagnostic(
            session,  # type: ignore[arg-type]
            instance_id,
            commands,
            cancel=cancel,
        )

    def report(self, session: Session, language: str) -> str:
        """Verifies the goals and writes them up as Markdown."""
        from labguide.engine.report import markdown

        results = session.verify()
        return markdown(
            self.catalog, session.state, results, "ja" if language == "ja" else "en"
        )

    def class_view(self, connection: Connection) -> ClassSource:
        """The engine's class view on the connection's account and region,
        with the sessions kept on this machine."""
        from labguide.aws.target import SANDBOX_ACCOUNT_LABEL
        from labguide.commands.options import settings_for
        from labguide.engine.classroom import ClassView

        clients = connection.handle
        settings = (self._settings or settings_for)(clients.target)
        return ClassView(
            self.catalog,
            clients,
            account_label=SANDBOX_ACCOUNT_LABEL if clients.target.is_sandbox else None,
            ledger_dir=self.state_dir.parent / "classes",
            session_dir=self.state_dir,
            poll_seconds=settings.poll_seconds,
            wait_seconds=settings.wait_seconds,
        )


class Relay:
    """Forwards engine events, which arrive on worker threads, to the screen
    that shows them; `post_message` is safe to call from any thread."""

    def __init__(self) -> None:
        self._listener: MessagePump | None = None
        self._lock = threading.Lock()

    def listen(self, listener: MessagePump | None) -> None:
        """Sends the events to `listener` from now on (None: to nobody)."""
        with self._lock:
            self._listener = listener

    def __call__(self, event: Event) -> None:
        from labguide.tui.messages import Progress

        with self._lock:
            listener = self._listener
        if listener is not None:
            listener.post_message(Progress(event))
