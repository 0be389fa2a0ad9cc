"""The session file: one per (account or sandbox, region, participant).

Written atomically (a temporary file renamed over the old one), mode 0600,
locked against a second process, and holding no secret: only ids, names,
statuses and times.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from labguide.errors import LabguideError

StepStatus = Literal["not-started", "running", "done", "failed", "drifted"]
FORMAT = 1


@dataclass
class StepState:
    """What is known of one step."""

    status: StepStatus = "not-started"
    resources: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    finished_at: float | None = None


@dataclass
class SessionState:
    """Everything labguide remembers of one lab."""

    account: str
    region: str
    participant: str | None
    email: str | None = None
    steps: dict[str, StepState] = field(default_factory=dict)
    goals: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "format": FORMAT,
            "account": self.account,
            "region": self.region,
            "participant": self.participant,
            "email": self.email,
            "steps": {k: vars(v) for k, v in self.steps.items()},
            "goals": self.goals,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionState:
        """The inverse of `to_dict`.

        Raises:
            ValueError: the data is not a session of this format.
        """
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        steps = {k: StepState(**v) for k, v in dict(data.get("steps", {})).items()}
        return cls(
            account=str(data["account"]),
            region=str(data["region"]),
            participant=data.get("participant"),
            email=data.get("email"),
            steps=steps,
            goals=dict(data.get("goals", {})),
            created_at=float(data.get("created_at", time.time())),
            updated_at=float(data.get("updated_at", time.time())),
        )


def session_key(account: str, region: str, participant: str | None) -> str:
    """The file name stem of a session."""
    who = participant or "_solo"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{account}-{region}-{who}")


class SessionStore:
    """Reads, writes and locks one session file.

    Args:
        directory: where sessions live.
        account: the account id, or `sandbox`.
        region: the region.
        participant: the participant, or None.
    """

    def __init__(
        self, directory: Path, account: str, region: str, participant: str | None
    ) -> None:
        self.directory = directory
        self.account = account
        self.region = region
        self.participant = participant
        stem = session_key(account, region, participant)
        self.path = directory / f"{stem}.json"
        self.lock_path = directory / f"{stem}.lock"
        self._lock_file: Any = None

    def lock(self) -> None:
        """Takes the session's lock.

        Raises:
            LabguideError: another labguide process holds it.
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = open(self.lock_path, "a+")  # noqa: SIM115 - held until unlock()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LabguideError(
                f"Another labguide ({holder}) is working on this session "
                f"({self.account}, {self.region}, "
                ""
                f"{self.participant or 'single learner'}).",
                "Close it first, or use another --participant.",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        """Releases the lock."""
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def load(self) -> SessionState | None:
        """The saved session, or None when there is none.

        Raises:
            LabguideError: the file is corrupt or belongs to another session;
                it is left as it is.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise LabguideError(
                f"Cannot read the session file {self.path}: {error}."
            ) from None
        try:
            # Bytes that are not UTF-8, or JSON that is not an object, are as
            # corrupt as a half-written file.
            state = SessionState.from_dict(json.loads(data.decode("utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise LabguideError(
                f"The session file {self.path} is corrupt ({error}).",
                "Move it aside (labguide rebuilds the session from the account on "
                "the next start) and try again.",
            ) from None
        if (state.account, state.region, state.participant) != (
            self.account,
            self.region,
            self.participant,
        ):
            raise LabguideError(
                f"The session file {self.path} belongs to account {state.account}, "
                f"region {state.region}, not to this one.",
                "Move it aside and try again.",
            )
        return state

    def save(self, state: SessionState) -> None:
        """Writes the session atomically with mode 0600."""
        state.updated_at = time.time()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = json.dumps(state.to_dict(), indent=2, ensure_ascii=False)
        fd, temporary = tempfile.mkstemp(prefix=".session-", dir=self.directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def list_sessions(directory: Path) -> list[SessionState]:
    """Every readable session in `directory` (corrupt ones are skipped)."""
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            found.append(
                SessionState.from_dict(json.loads(path.read_text(encoding="utf-8")))
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return found
