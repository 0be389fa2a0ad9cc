"""labguide's log: a file under the user log dir, never the terminal.

The learner sees one clear sentence; the details (and any traceback of a
defect) go here. botocore stays at WARNING so that no request, header or
credential is ever written.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from labguide.locations import log_dir

LOG_NAME = "labguide.log"


def log_path() -> Path:
    """The log file's path."""
    return log_dir() / LOG_NAME


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Sends labguide's log records to a rotating file.

    Returns:
        The log file, or None when it cannot be written (the guide still runs).
    """
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("labguide")
    root.setLevel(level)
    root.addHandler(handler)
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    path.chmod(0o600)
    return path
