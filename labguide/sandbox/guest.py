"""What runs inside a simulated instance: cloud-init, the user data, nginx and
the CloudWatch agent.

The user data is the one the launch template really carries. It is read the
way cloud-init and bash would: a first line that is not a lone `#!` line, or
Windows line endings, stop it before it runs, with the messages a real
Amazon Linux 2023 instance leaves in its cloud-init logs; otherwise its
commands are followed one by one (packages installed, services enabled and
started, files written by heredocs with their variables expanded, the
CloudWatch agent's configuration fetched), stopping at the first failure when
`set -e` is on. What the script did decides what nginx serves and where the
agent ships the logs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime

CLOUD_INIT_VERSION = "22.2.2"
SCRIPT_PATH = "/var/lib/cloud/instance/scripts/part-001"
DOCROOT = "/usr/share/nginx/html"
AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"
NGINX_VERSION = "1.24.0"

# Packages the sandbox's Amazon Linux 2023 repository offers, with the
# version `dnf` reports.
PACKAGES = {
    "nginx": "nginx-1:1.24.0-1.amzn2023.0.4.x86_64",
    "amazon-cloudwatch-agent": "amazon-cloudwatch-agent-1.300053.0-1.amzn2023.x86_64",
    "httpd": "httpd-2.4.62-1.amzn2023.x86_64",
    "git": "git-2.47.1-1.amzn2023.0.2.x86_64",
    "jq": "jq-1.7.1-47.amzn2023.0.1.x86_64",
    "amazon-ssm-agent": "amazon-ssm-agent-3.3.1611.0-1.amzn2023.x86_64",
    "stress": "stress-1.0.7-1.amzn2023.x86_64",
    "htop": "htop-3.2.1-1.amzn2023.0.2.x86_64",
    "tree": "tree-1.8.0-6.amzn2023.0.2.x86_64",
    "wget": "wget-1.21.3-1.amzn2023.0.4.x86_64",
}
PREINSTALLED = {"amazon-ssm-agent", "curl", "bash", "coreutils"}

# Commands a script may run that change nothing the lab looks at: they
# succeed silently. Anything else is `command not found`, as in bash.
HARMLESS = {
    "echo",
    "printf",
    "mkdir",
    "chmod",
    "chown",
    "touch",
    "cp",
    "mv",
    "rm",
    "ln",
    "sleep",
    "true",
    ":",
    "export",
    "sed",
    "grep",
    "curl",
    "wget",
    "tee",
    "cat",
    "useradd",
    "usermod",
    "timedatectl",
    "hostnamectl",
    "aws",
    "ec2-metadata",
    "logger",
    "sync",
    "exit",
    "cd",
    "unset",
    "source",
    ".",
    "test",
    "[",
    "sudo",
    "rpm",
    "install",
    "ls",
    "sysctl",
    "setenforce",
    "cloud-init",
    "local",
    "ulimit",
}

# The AWS seconds each kind of command takes on a t3.micro.
STEP_SECONDS = {"update": 28.0, "install": 22.0, "systemctl": 1.0, "agent": 4.0}
USER_DATA_STARTS = 24.0
"""AWS seconds from launch until cloud-init's final stage runs the script."""

DEFAULT_INDEX = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
</body>
</html>
"""
NOT_FOUND_PAGE = """<!DOCTYPE html>
<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
"""
SERVER_ERROR_PAGE = """<html>
<head><title>500 Internal Server Error</title></head>
<body>
<center><h1>500 Internal Server Error</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
"""


@dataclass
class LogSource:
    """One entry of the CloudWatch agent's `collect_list`."""

    file_path: str
    log_group_name: str
    log_stream_name: str = "{instance_id}"


@dataclass
class Boot:
    """What the user data did at first boot."""

    ran: bool = False
    """Whether cloud-init ran the script at all."""
    exit_code: int = 0
    """The script's exit status (0 when it did not run)."""
    failure: str | None = None
    """Why the boot went wrong: `shebang`, `crlf`, `not-a-script`, `exit`."""
    output: list[str] = field(default_factory=list)
    """Lines of /var/log/cloud-init-output.log."""
    log: list[str] = field(default_factory=list)
    """Lines of /var/log/cloud-init.log."""
    packages: list[str] = field(default_factory=list)
    """Packages installed, by name."""
    enabled: list[str] = field(default_factory=list)
    """Services enabled at boot."""
    started: dict[str, float] = field(default_factory=dict)
    """Services started, with the AWS seconds after launch they started."""
    files: dict[str, str] = field(default_factory=dict)
    """Files written, by path."""
    agent_sources: list[LogSource] = field(default_factory=list)
    """What the CloudWatch agent was configured to ship."""
    finished_after: float = USER_DATA_STARTS
    """AWS seconds after launch when cloud-init finished."""

    @property
    def succeeded(self) -> bool:
        """Whether cloud-init ran the script and it exited 0."""
        return self.ran and self.exit_code == 0


def decode_user_data(raw: str | bytes | None) -> str:
    """The user data script from what EC2 holds (base64, as the API takes it)."""
    if raw is None:
        return ""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        decoded = data
    return decoded.decode("utf-8", "replace")


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S,") + f"{at.microsecond // 1000:03d}"


def _date(at: datetime) -> str:
    """`date`'s default format on AL2023 (UTC)."""
    return f"{at:%a %b} {at.day:2d} {at:%H:%M:%S} UTC {at:%Y}"


def run_user_data(
    script: str,
    hostname: str,
    instance_id: str,
    launched: datetime,
    scale: float = 1.0,
) -> Boot:
    """Runs a user data script the way cloud-init would, on paper.

    Args:
        script: the decoded user data.
        hostname: the instance's host name (`ip-10-0-1-23.ec2.internal`).
        instance_id: the instance's id, for the agent's log streams.
        launched: when the instance launched.
        scale: real seconds per AWS second, for the times the logs show.
    """
    boot = Boot()
    start = launched.timestamp() + USER_DATA_STARTS * scale

    def at(offset: float) -> datetime:
        return datetime.fromtimestamp(start + offset * scale, UTC)

    header = [
        f"Cloud-init v. {CLOUD_INIT_VERSION} running 'init-local' at "
        f"{at(-14).strftime('%a, %d %b %Y %H:%M:%S')} +0000. Up 4.21 seconds.",
        f"Cloud-init v. {CLOUD_INIT_VERSION} running 'init' at "
        f"{at(-10).strftime('%a, %d %b %Y %H:%M:%S')} +0000. Up 8.77 seconds.",
        f"Cloud-init v. {CLOUD_INIT_VERSION} running 'modules:config' at "
        f"{at(-4).strftime('%a, %d %b %Y %H:%M:%S')} +0000. Up 14.90 seconds.",
        f"Cloud-init v. {CLOUD_INIT_VERSION} running 'modules:final' at "
        f"{at(0).strftime('%a, %d %b %Y %H:%M:%S')} +0000. Up 19.02 seconds.",
    ]
    boot.output.extend(header)
    boot.log.append(
        f"{_stamp(at(-14))} - util.py[DEBUG]: Cloud-init v. {CLOUD_INIT_VERSION} "
        "running 'init-local' at "
        f"{at(-14).strftime('%a, %d %b %Y %H:%M:%S')} +0000. Up 4.21 seconds."
    )

    first_line = script.split("\n", 1)[0]
    if not script.strip():
        boot.log.append(f"{_stamp(at(0))} - __init__.py[DEBUG]: no user data found")
    elif script.startswith("#cloud-config"):
        boot.log.append(
            f"{_stamp(at(0))} - __init__.py[DEBUG]: Calling handler "
            "CloudConfigPartHandler: [['text/cloud-config']] (text/cloud-config)"
        )
    elif not script.startswith("#!"):
        preview = script[:40].replace("\n", "\\n")
        boot.failure = "not-a-script"
        boot.log.append(
            f"{_stamp(at(0))} - __init__.py[WARNING]: Unhandled non-multipart "
            f"(text/x-not-multipart) userdata: 'b'{preview}'...'"
        )
    elif first_line.endswith("\r"):
        boot.failure = "crlf"
        boot.ran = True
        boot.exit_code = 126
        interpreter = first_line[2:].strip("\r").split()[0] if first_line[2:] else ""
        boot.output.append(
            f"{SCRIPT_PATH}: {interpreter}^M: bad interpreter: No such file or directory"  # noqa: E501
        )
        _script_failed(boot, at(0.2), 126)
    elif not _known_interpreter(first_line):
        boot.failure = "shebang"
        boot.ran = True
        boot.exit_code = 2
        _script_failed(boot, at(0.2), 2, missing=True)
    else:
        boot.ran = True
        _interpret(script, boot, hostname, instance_id, at)
        if boot.exit_code:
            boot.failure = "exit"
            _script_failed(
                boot, at(boot.finished_after - USER_DATA_STARTS), boot.exit_code
            )

    end = at(boot.finished_after - USER_DATA_STARTS + 0.5)
    up = boot.finished_after + 1.3
    boot.output.append(
        f"Cloud-init v. {CLOUD_INIT_VERSION} finished at "
        f"{end.strftime('%a, %d %b %Y %H:%M:%S')} +0000. Datasource DataSourceEc2.  "
        f"Up {up:.2f} seconds"
    )
    boot.log.append(
        f"{_stamp(end)} - util.py[DEBUG]: cloud-init mode 'modules' took "
        f"{boot.finished_after - USER_DATA_STARTS + 0.4:.3f} seconds "
        f"({boot.finished_after - USER_DATA_STARTS + 0.4:.2f})"
    )
    return boot


def _known_interpreter(first_line: str) -> bool:
    words = first_line[2:].strip().split()
    if not words:
        return False
    if words[0] in ("/bin/bash", "/bin/sh", "/usr/bin/bash", "/usr/bin/sh"):
        return True
    return words[0] in ("/usr/bin/env", "/bin/env") and words[1:2] in (["bash"], ["sh"])


def _script_failed(
    boot: Boot, when: datetime, code: int, missing: bool = False
) -> None:
    """Writes cloud-init's record of a user data script that failed."""
    stamp = _stamp(when)
    module = (
        "<module 'cloudinit.config.cc_scripts_user' from "
        "'/usr/lib/python3.9/site-packages/cloudinit/config/cc_scripts_user.py'>"
    )
    lines = [
        f"{stamp} - subp.py[WARNING]: Failed running {SCRIPT_PATH} [{code}]",
        f"{stamp} - cc_scripts_user.py[WARNING]: Failed to run module scripts-user "
        "(scripts in /var/lib/cloud/instance/scripts)",
        f"{stamp} - util.py[WARNING]: Running module scripts-user ({module}) failed",
    ]
    boot.output.extend(lines)
    boot.log.append(
        f"{stamp} - subp.py[DEBUG]: Running command ['{SCRIPT_PATH}'] with allowed "
        "return codes [0] (shell=False, capture=False)"
    )
    if missing:
        boot.output.insert(
            len(boot.output) - 3,
            f"[Errno 2] No such file or directory: b'{SCRIPT_PATH}'",
        )
        boot.log.append(
            f"{stamp} - subp.py[DEBUG]: Unexpected error while running command.\n"
            f"Command: ['{SCRIPT_PATH}']\nExit code: -\n"
            f"Reason: [Errno 2] No such file or directory: b'{SCRIPT_PATH}'"
        )
    boot.log.extend(lines)
    boot.log.append(
        f"{stamp} - handlers.py[DEBUG]: finish: modules-final/config-scripts-user: "
        "FAIL: running config-scripts-user with frequency once-per-instance"
    )
    boot.log.append(
        f"{stamp} - util.py[DEBUG]: Running module scripts-user ({module}) failed\n"
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3.9/site-packages/cloudinit/config/modules.py", '
        "line 246, in _run_modules\n"
        "    ran, _r = cc.run(\n"
        '  File "/usr/lib/python3.9/site-packages/cloudinit/config/cc_scripts_user.py",'
        " line 45, in handle\n"
        "    subp.runparts(runparts_path)\n"
        "RuntimeError: Runparts: 1 failures (part-001) in 1 attempted commands"
    )


_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def _logical_lines(script: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, numbered as bash counts."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, line in enumerate(script.split("\n"), 1):
        if not pending:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _interpret(
    script: str, boot: Boot, hostname: str, instance_id: str, at: object
) -> None:
    """Follows the script's commands, recording their effects on `boot`."""
    clock = at  # a callable: AWS seconds after the script starts -> datetime
    env: dict[str, str] = {}
    errexit = xtrace = False
    elapsed = 0.0
    lines = _logical_lines(script)
    index = 1  # skip the #! line
    while index < len(lines):
        number, raw = lines[index]
        index += 1
        line = raw.strip()
        if not line or line.startswith("#"):
            continue

        heredoc = _HEREDOC.search(line)
        body: str | None = None
        if heredoc:
            delimiter = heredoc.group(2)
            collected: list[str] = []
            while index < len(lines) and lines[index][1].strip() != delimiter:
                collected.append(lines[index][1])
                index += 1
            index += 1
            body = "\n".join(collected) + "\n"
            if not heredoc.group(1):
                body = _expand(body, env, hostname, clock(elapsed))  # type: ignore[operator]
            line = (line[: heredoc.start()] + line[heredoc.end() :]).strip()

        expanded = _expand(line, env, hostname, clock(elapsed))  # type: ignore[operator]
        if xtrace:
            for sub in re.findall(r"\$\(([^)]*)\)", line):
                boot.output.append(f"++ {sub}")
            boot.output.append("+ " + " ".join(expanded.split()))
        status, seconds = _command(
            expanded, body, boot, env, elapsed, instance_id, number
        )
        elapsed += seconds

        setting = re.match(r"^set\s+(-[A-Za-z]+)", expanded)
        if setting:
            errexit = errexit or "e" in setting.group(1)
            xtrace = xtrace or "x" in setting.group(1)
        if status and errexit:
            boot.exit_code = status
            break
        boot.exit_code = status
    boot.finished_after = USER_DATA_STARTS + elapsed


def _expand(text: str, env: dict[str, str], hostname: str, now: datetime) -> str:
    """Expands `$(hostname)`, `$(date)`, `${VAR}` and `$VAR` as bash would."""

    def substitute(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner.startswith("hostname"):
            return hostname
        if inner.startswith("date"):
            return _date(now)
        return ""

    text = re.sub(r"\$\(([^)]*)\)", substitute, text)
    text = re.sub(
        r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), text
    )
    return re.sub(
        r"\$([A-Za-z_][A-Za-z0-9_]*)", lambda m: env.get(m.group(1), ""), text
    )


def _command(
    line: str,
    body: str | None,
    boot: Boot,
    env: dict[str, str],
    elapsed: float,
    instance_id: str,
    number: int,
) -> tuple[int, float]:
    """Runs one command line; returns its exit status and AWS seconds taken."""
    assignment = _ASSIGNMENT.match(line)
    if assignment and " " not in assignment.group(2).strip("'\""):
        env[assignment.group(1)] = assignment.group(2).strip("'\"")
        return 0, 0.0
    if assignment:
        env[assignment.group(1)] = assignment.group(2).strip("'\"")
        return 0, 0.0
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        words = line.split()
    if not words:
        return 0, 0.0

    target = _redirect_target(words)
    if target and body is not None:
        boot.files[target] = body
    elif target and words[0] == "echo":
        boot.files[target] = " ".join(w for w in words[1 : words.index(">")]) + "\n"
    words = [w for w in words if w not in (">", ">>") and w != target]

    program = words[0].rsplit("/", 1)[-1]
    if program == "sudo" and len(words) > 1:
        words = words[1:]
        program = words[0].rsplit("/", 1)[-1]
    if program in ("dnf", "yum"):
        return _dnf(words, boot)
    if program == "systemctl":
        return _systemctl(words, boot, elapsed)
    if program == "amazon-cloudwatch-agent-ctl":
        return _agent_ctl(words, boot, elapsed, instance_id)
    if program in ("set", "hostname", "date") or program in HARMLESS:
        if program == "tee" and body is not None and len(words) > 1:
            boot.files[words[-1]] = body
        return 0, 0.1
    boot.output.append(f"{SCRIPT_PATH}: line {number}: {words[0]}: command not found")
    return 127, 0.1


def _redirect_target(words: list[str]) -> str | None:
    for marker in (">", ">>"):
        if marker in words and words.index(marker) + 1 < len(words):
            return words[words.index(marker) + 1]
    for word in words:
        if word.startswith(">") and len(word) > 1:
            return word.lstrip(">")
    return None


def _dnf(words: list[str], boot: Boot) -> tuple[int, float]:
    verb = next((w for w in words[1:] if not w.startswith("-")), "")
    if verb in ("update", "upgrade"):
        boot.output.extend(
            [
                "Amazon Linux 2023 repository                     48 MB/s |  31 MB     00:00",  # noqa: E501
                "Last metadata expiration check: 0:00:05 ago.",
                "Dependencies resolved.",
                "Nothing to do.",
                "Complete!",
            ]
        )
        return 0, STEP_SECONDS["update"]
    if verb == "install":
        names = [w for w in words[2:] if not w.startswith("-") and w != "install"]
        missing = [n for n in names if n not in PACKAGES and n not in PREINSTALLED]
        if missing:
            boot.output.append("Last metadata expiration check: 0:00:12 ago.")
            for name in missing:
                boot.output.append(f"No match for argument: {name}")
            boot.output.append(f"Error: Unable to find a match: {' '.join(missing)}")
            return 1, 3.0
        new = [n for n in names if n in PACKAGES and n not in boot.packages]
        boot.output.append("Last metadata expiration check: 0:00:12 ago.")
        boot.output.append("Dependencies resolved.")
        if new:
            boot.output.append("Installed:")
            boot.output.append("  " + "  ".join(PACKAGES[n] for n in new))
        boot.output.append("Complete!")
        boot.packages.extend(new)
        return 0, STEP_SECONDS["install"]
    return 0, 1.0


def _unit(name: str) -> str:
    return name[: -len(".service")] if name.endswith(".service") else name


def _systemctl(words: list[str], boot: Boot, elapsed: float) -> tuple[int, float]:
    args = [w for w in words[1:] if not w.startswith("-")]
    now = "--now" in words
    if len(args) < 2:
        return 0, 0.1
    verb, units = args[0], [_unit(u) for u in args[1:]]
    for unit in units:
        installed = unit in boot.packages or unit in PREINSTALLED
        if not installed:
            if verb == "enable":
                boot.output.append(
                    f"Failed to enable unit: Unit file {unit}.service does not exist."
                )
                return 1, 0.5
            boot.output.append(
                f"Failed to {verb} {unit}.service: Unit {unit}.service not found."
            )
            return 5, 0.5
        if verb == "enable":
            boot.enabled.append(unit)
            boot.output.append(
                f"Created symlink /etc/systemd/system/multi-user.target.wants/{unit}"
                f".service → /usr/lib/systemd/system/{unit}.service."
            )
        if verb in ("start", "restart") or (verb == "enable" and now):
            boot.started[unit] = USER_DATA_STARTS + elapsed + STEP_SECONDS["systemctl"]
        if verb == "stop":
            boot.started.pop(unit, None)
    return 0, STEP_SECONDS["systemctl"]


def parse_agent_config(text: str) -> list[LogSource]:
    """The log files a CloudWatch agent configuration collects.

    Raises:
        ValueError: the text is not JSON.
    """
    config = json.loads(text)
    files = config.get("logs", {}).get("logs_collected", {}).get("files", {})
    sources: list[LogSource] = []
    for item in files.get("collect_list", []):
        if "file_path" in item and "log_group_name" in item:
            sources.append(
                LogSource(
                    item["file_path"],
                    item["log_group_name"],
                    item.get("log_stream_name", "{instance_id}"),
                )
            )
    return sources


def _agent_ctl(
    words: list[str], boot: Boot, elapsed: float, instance_id: str
) -> tuple[int, float]:
    if "amazon-cloudwatch-agent" not in boot.packages:
        boot.output.append(
            f"{SCRIPT_PATH}: line 1: {words[0]}: No such file or directory"
        )
        return 127, 0.1
    action = words[words.index("-a") + 1] if "-a" in words[:-1] else ""
    if action == "fetch-config":
        source = words[words.index("-c") + 1] if "-c" in words[:-1] else ""
        path = source.removeprefix("file:")
        boot.output.append("****** processing amazon-cloudwatch-agent ******")
        text = boot.files.get(path)
        if text is None:
            boot.output.append(f"E! Error: open {path}: no such file or directory")
            return 1, STEP_SECONDS["agent"]
        try:
            boot.agent_sources = parse_agent_config(text)
        except ValueError as problem:
            boot.output.append(f"E! Invalid Json input schema. {problem}")
            return 1, STEP_SECONDS["agent"]
        boot.output.extend(
            [
                "I! Trying to detect region from ec2",
                "D! [EC2] Found active network interface",
                "Successfully fetched the config and saved in /opt/aws/amazon-cloudwatch-"  # noqa: E501
                "agent/etc/amazon-cloudwatch-agent.d/file_config.json.tmp",
                "Start configuration validation...",
                "2026/01/01 00:00:00 Reading json config file path: /opt/aws/amazon-"
                "cloudwatch-agent/etc/amazon-cloudwatch-agent.d/file_config.json.tmp ...",  # noqa: E501
                "2026/01/01 00:00:00 I! Valid Json input schema.",
                "Configuration validation first phase succeeded",
                "Configuration validation second phase succeeded",
                "Configuration validation succeeded",
            ]
        )
        if "-s" in words:
            boot.started["amazon-cloudwatch-agent"] = (
                USER_DATA_STARTS + elapsed + STEP_SECONDS["agent"]
            )
            boot.output.append(
                "Created symlink /etc/systemd/system/multi-user.target.wants/"
                "amazon-cloudwatch-agent.service → /etc/systemd/system/"
                "amazon-cloudwatch-agent.service."
            )
        return 0, STEP_SECONDS["agent"]
    if action == "start" and boot.agent_sources:
        boot.started["amazon-cloudwatch-agent"] = USER_DATA_STARTS + elapsed + 1.0
        return 0, 1.0
    return 0, 0.5


def page_for(files: dict[str, str], path: str) -> tuple[int, str, str | None]:
    """What nginx answers for `path` from the docroot: status, body, and the
    file it failed to open (for the error log) when there is none."""
    clean = path.split("?", 1)[0] or "/"
    local = DOCROOT + (clean + "index.html" if clean.endswith("/") else clean)
    docroot = default_docroot()
    docroot.update({p: c for p, c in files.items() if p.startswith(DOCROOT + "/")})
    if local in docroot:
        return 200, docroot[local], None
    return 404, NOT_FOUND_PAGE, local


def default_docroot() -> dict[str, str]:
    """What the nginx package puts in the docroot."""
    return {
        f"{DOCROOT}/index.html": DEFAULT_INDEX,
        f"{DOCROOT}/404.html": NOT_FOUND_PAGE,
        f"{DOCROOT}/50x.html": SERVER_ERROR_PAGE,
        f"{DOCROOT}/nginx-logo.png": "PNG",
        f"{DOCROOT}/poweredby.png": "PNG",
    }
