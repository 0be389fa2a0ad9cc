"""The shell Run Command's AWS-RunShellScript reaches on a simulated instance.

It answers the troubleshooting commands the lab's tips name (`systemctl
status nginx`, `ss -lntp`, `curl http://localhost/`, `tail`, `grep` and `cat`
of the cloud-init logs and the agent's config, `amazon-cloudwatch-agent-ctl
-a status`) from the instance's simulated state, printing what Amazon Linux
2023 prints; `systemctl start|stop|restart` and the agent's `fetch-config`
change that state, so a learner can fix an instance through Run Command. An
unknown command is `command not found`, as `sh` says it.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime

from labguide.sandbox.guest import AGENT_CTL, PACKAGES, parse_agent_config
from labguide.sandbox.world import Guest, World

SCRIPT = "/var/lib/amazon/ssm/{instance}/document/orchestration/{command}/awsrunShellScript/0.awsrunShellScript/_script.sh"  # noqa: E501


@dataclass
class Result:
    """What a command printed and its exit status."""

    stdout: str = ""
    stderr: str = ""
    code: int = 0


def run_script(
    world: World, guest: Guest, commands: list[str], command_id: str, now: float
) -> Result:
    """Runs the lines of an AWS-RunShellScript document, as `sh` would: each
    in turn, the exit status being the last one's."""
    total = Result()
    script = SCRIPT.format(instance=guest.instance_id, command=command_id)
    lines = [line for text in commands for line in text.split("\n")]
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        result = _pipeline(world, guest, line, now, f"{script}: line {number}")
        total.stdout += result.stdout
        total.stderr += result.stderr
        total.code = result.code
    return total


def _pipeline(world: World, guest: Guest, line: str, now: float, where: str) -> Result:
    stages = [stage.strip() for stage in re.split(r"(?<!\|)\|(?!\|)", line)]
    result = Result()
    piped: list[str] | None = None
    for stage in stages:
        result = _command(world, guest, stage, now, where, piped)
        piped = result.stdout.splitlines()
    return result


def _command(
    world: World,
    guest: Guest,
    line: str,
    now: float,
    where: str,
    piped: list[str] | None,
) -> Result:
    try:
        words = shlex.split(line)
    except ValueError:
        return Result(
            stderr=f"{where}: syntax error: unterminated quoted string\n", code=2
        )
    while words and words[0] in ("sudo", "-E", "-i"):
        words = words[1:]
    if not words:
        return Result()
    program = words[0].rsplit("/", 1)[-1]
    handler = _COMMANDS.get(program)
    if handler is None:
        return Result(stderr=f"{where}: {words[0]}: command not found\n", code=127)
    return handler(world, guest, words, now, piped)


# -- services ---------------------------------------------------------------


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%a %Y-%m-%d %H:%M:%S UTC")


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s ago"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}min {seconds}s ago"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}min ago"


def _systemctl(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    args = [w for w in words[1:] if not w.startswith("-")]
    if not args:
        return Result(stdout="", code=0)
    verb, units = args[0], [u.removesuffix(".service") for u in args[1:]]
    unit = units[0] if units else ""
    if unit == "nginx":
        return _nginx_unit(world, guest, verb, now)
    if unit == "amazon-cloudwatch-agent":
        running = guest.agent_running(world.clock, now)
        if verb == "is-active":
            return Result(
                stdout=("active" if running else "inactive") + "\n",
                code=0 if running else 3,
            )
        if verb == "status":
            state = "active (running)" if running else "inactive (dead)"
            return Result(
                stdout=(
                    f"{'●' if running else '○'} amazon-cloudwatch-agent.service - Amazon "  # noqa: E501
                    "CloudWatch Agent\n     Loaded: loaded (/etc/systemd/system/amazon-"
                    "cloudwatch-agent.service; enabled; preset: disabled)\n"
                    f"     Active: {state}\n"
                ),
                code=0 if running else 3,
            )
    if unit in ("amazon-ssm-agent", "sshd", "chronyd"):
        return Result(stdout="active\n" if verb == "is-active" else "", code=0)
    return Result(stderr=f"Unit {unit}.service could not be found.\n", code=4)


def _nginx_unit(world: World, guest: Guest, verb: str, now: float) -> Result:
    state = guest.nginx_state(world.clock, now)
    if state == "absent":
        if verb in ("start", "restart", "stop", "enable"):
            return Result(
                stderr=f"Failed to {verb} nginx.service: Unit nginx.service not found.\n",  # noqa: E501
                code=5,
            )
        return Result(stderr="Unit nginx.service could not be found.\n", code=4)
    if verb in ("start", "restart"):
        guest.nginx_override = "running"
        guest.nginx_changed = now
        guest.note_nginx_start(now)
        guest.nginx_noted = True
        return Result()
    if verb == "stop":
        guest.nginx_override = "stopped"
        guest.nginx_changed = now
        return Result()
    if verb == "enable":
        if "nginx" not in guest.boot.enabled:
            guest.boot.enabled.append("nginx")
        return Result(
            stderr=(
                "Created symlink /etc/systemd/system/multi-user.target.wants/nginx."
                "service → /usr/lib/systemd/system/nginx.service.\n"
            )
        )
    running = state in ("running", "failing")
    if verb == "is-active":
        return Result(
            stdout=("active" if running else "inactive") + "\n",
            code=0 if running else 3,
        )
    enabled = "enabled" if "nginx" in guest.boot.enabled else "disabled"
    since = guest.nginx_changed or (guest.started_at("nginx") or guest.launched)
    if running:
        pid = guest.pid
        text = (
            "● nginx.service - The nginx HTTP and reverse proxy server\n"
            f"     Loaded: loaded (/usr/lib/systemd/system/nginx.service; {enabled}; "
            "preset: disabled)\n"
            f"     Active: active (running) since {_when(since)}; {_ago(now - since)}\n"
            f"    Process: {pid - 2} ExecStartPre=/usr/bin/rm -f /run/nginx.pid "
            "(code=exited, status=0/SUCCESS)\n"
            f"    Process: {pid - 1} ExecStartPre=/usr/sbin/nginx -t (code=exited, "
            "status=0/SUCCESS)\n"
            f"    Process: {pid} ExecStart=/usr/sbin/nginx (code=exited, "
            "status=0/SUCCESS)\n"
            f"   Main PID: {pid + 1} (nginx)\n"
            "      Tasks: 3 (limit: 1114)\n"
            "     Memory: 3.2M\n"
            "        CPU: 48ms\n"
            "     CGroup: /system.slice/nginx.service\n"
            f'             ├─{pid + 1} "nginx: master process /usr/sbin/nginx"\n'
            f'             └─{pid + 2} "nginx: worker process"\n'
        )
        return Result(stdout=text)
    active = (
        f"inactive (dead) since {_when(since)}; {_ago(now - since)}"
        if guest.nginx_override == "stopped"
        else "inactive (dead)"
    )
    return Result(
        stdout=(
            "○ nginx.service - The nginx HTTP and reverse proxy server\n"
            f"     Loaded: loaded (/usr/lib/systemd/system/nginx.service; {enabled}; "
            "preset: disabled)\n"
            f"     Active: {active}\n"
        ),
        code=3,
    )


def _ss(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    rows = [
        ("127.0.0.53%lo:53", "0.0.0.0:*", 'users:(("systemd-resolve",pid=1015,fd=15))'),
        ("0.0.0.0:22", "0.0.0.0:*", 'users:(("sshd",pid=1548,fd=3))'),
    ]
    nginx = guest.nginx_state(world.clock, now) in ("running", "failing")
    owner = (
        f'users:(("nginx",pid={guest.pid + 2},fd=6),("nginx",pid={guest.pid + 1},fd=6))'
    )
    if nginx:
        rows.append(("0.0.0.0:80", "0.0.0.0:*", owner))
        rows.append(("[::]:80", "[::]:*", owner.replace("fd=6", "fd=7")))
    rows.append(("[::]:22", "[::]:*", 'users:(("sshd",pid=1548,fd=4))'))
    show_process = any("p" in w for w in words[1:] if w.startswith("-"))
    lines = [
        "State  Recv-Q Send-Q Local Address:Port  Peer Address:Port"
        + ("Process" if show_process else "")
    ]
    for local, peer, process in rows:
        backlog = "511" if local.endswith(":80") else "128"
        line = f"LISTEN 0      {backlog:<6} {local:>18} {peer:>18}"
        lines.append(line + (f" {process}" if show_process else ""))
    return Result(stdout="\n".join(lines) + "\n")


def _curl(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    url = next((w for w in words[1:] if w.startswith("http")), None)
    if url is None:
        return Result(stderr="curl: no URL specified!\n", code=2)
    found = re.match(r"https?://([^/:]+)(?::(\d+))?(/.*)?$", url)
    if found is None:
        return Result(
            stderr="curl: (3) URL rejected: Malformed input to a URL function\n",
            code=3,
        )
    host, port, path = found.group(1), int(found.group(2) or 80), found.group(3) or "/"
    if host in ("169.254.169.254",):
        # IMDSv2 is required: a token-less request is refused.
        return Result(stdout="", code=0)
    if host not in ("localhost", "127.0.0.1", guest.private_ip, guest.hostname):
        return Result(stderr=f"curl: (6) Could not resolve host: {host}\n", code=6)
    if port != 80 or guest.nginx_state(world.clock, now) not in ("running", "failing"):
        return Result(
            stderr=(
                f"curl: (7) Failed to connect to {host} port {port} after 0 ms: "
                "Couldn't connect to server\n"
            ),
            code=7,
        )
    status, body, problem = guest.serve(path, world.clock, now)
    guest.access(now, "127.0.0.1", "GET", path, status, len(body), "curl/8.5.0")
    if problem:
        guest.error(now, problem, "127.0.0.1", f"GET {path} HTTP/1.1", host)
    if "-I" in words or "--head" in words:
        return Result(
            stdout=(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                "Server: nginx/1.24.0\r\nContent-Type: text/html\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
        )
    if "-w" in words:
        template = (
            words[words.index("-w") + 1] if words.index("-w") + 1 < len(words) else ""
        )
        shown = template.replace("%{http_code}", str(status)).replace("\\n", "\n")
        return Result(stdout=shown if "-o" in words else body + shown)
    return Result(stdout=body)


# -- files --------------------------------------------------------------------


def _read(guest: Guest, path: str) -> list[str] | None:
    return guest.file(path)


def _missing(program: str, path: str) -> Result:
    return Result(stderr=f"{program}: {path}: No such file or directory\n", code=1)


def _files_and_count(words: list[str], default: int) -> tuple[list[str], int]:
    count = default
    files: list[str] = []
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-n" and index + 1 < len(words):
            count = int(words[index + 1].lstrip("+") or default)
            index += 2
            continue
        if re.match(r"^-n?\d+$", word):
            count = int(word.lstrip("-n"))
        elif not word.startswith("-"):
            files.append(word)
        index += 1
    return files, count


def _tail(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    files, count = _files_and_count(words, 10)
    program = words[0].rsplit("/", 1)[-1]
    if not files:
        lines = piped or []
    else:
        found = _read(guest, files[0])
        if found is None:
            return Result(
                stderr=f"{program}: cannot open '{files[0]}' for reading: No such file "
                "or directory\n",
                code=1,
            )
        lines = found
    chosen = lines[-count:] if program == "tail" else lines[:count]
    if count == 0:
        chosen = []
    return Result(stdout="".join(line + "\n" for line in chosen))


def _cat(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    paths = [w for w in words[1:] if not w.startswith("-")]
    if not paths:
        return Result(stdout="".join(line + "\n" for line in piped or []))
    out = ""
    for path in paths:
        lines = _read(guest, path)
        if lines is None:
            return Result(
                stdout=out, stderr=f"cat: {path}: No such file or directory\n", code=1
            )
        out += "".join(line + "\n" for line in lines)
    return Result(stdout=out)


def _grep(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    flags = "".join(w[1:] for w in words[1:] if w.startswith("-") and len(w) > 1)
    rest = [w for w in words[1:] if not w.startswith("-")]
    if not rest:
        return Result(stderr="Usage: grep [OPTION]... PATTERNS [FILE]...\n", code=2)
    pattern, paths = rest[0], rest[1:]
    try:
        regex = re.compile(
            pattern.replace(r"\|", "|"), re.IGNORECASE if "i" in flags else 0
        )
    except re.error:
        regex = re.compile(re.escape(pattern))
    if paths:
        lines = _read(guest, paths[0])
        if lines is None:
            return Result(
                stderr=f"grep: {paths[0]}: No such file or directory\n", code=2
            )
    else:
        lines = piped or []
    hits = [
        (f"{number}:" if "n" in flags else "") + line
        for number, line in enumerate(lines, 1)
        if bool(regex.search(line)) != ("v" in flags)
    ]
    if "c" in flags:
        return Result(stdout=f"{len(hits)}\n", code=0 if hits else 1)
    return Result(stdout="".join(hit + "\n" for hit in hits), code=0 if hits else 1)


def _wc(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    paths = [w for w in words[1:] if not w.startswith("-")]
    lines = (_read(guest, paths[0]) or []) if paths else (piped or [])
    return Result(stdout=f"{len(lines)}" + (f" {paths[0]}" if paths else "") + "\n")


def _ls(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    from labguide.sandbox.guest import DOCROOT, default_docroot

    path = next((w for w in words[1:] if not w.startswith("-")), "/root").rstrip("/")
    if path == DOCROOT and "nginx" in guest.boot.packages:
        names = sorted(
            {p[len(DOCROOT) + 1 :].split("/")[0] for p in default_docroot()}
            | {
                p[len(DOCROOT) + 1 :].split("/")[0]
                for p in guest.boot.files
                if p.startswith(DOCROOT + "/")
            }
        )
        return Result(stdout="\n".join(names) + "\n")
    files = sorted(
        p.rsplit("/", 1)[1] for p in guest.boot.files if p.rsplit("/", 1)[0] == path
    )
    if files:
        return Result(stdout="\n".join(files) + "\n")
    return Result(
        stderr=f"ls: cannot access '{path}': No such file or directory\n", code=2
    )


# -- the CloudWatch agent ---------------------------------------------------


def _agent_ctl(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    if "amazon-cloudwatch-agent" not in guest.boot.packages:
        return Result(stderr=f"sh: {AGENT_CTL}: No such file or directory\n", code=127)
    action = words[words.index("-a") + 1] if "-a" in words[:-1] else "status"
    running = guest.agent_running(world.clock, now)
    if action == "status":
        began = guest.started_at("amazon-cloudwatch-agent") or guest.launched
        status = {
            "status": "running" if running else "stopped",
            "starttime": datetime.fromtimestamp(began, UTC).strftime(
                "%Y-%m-%dT%H:%M:%S+00:00"
            )
            if running
            else "",
            "configstatus": "configured" if guest.agent_sources else "not configured",
            "version": PACKAGES["amazon-cloudwatch-agent"].split("-")[3],
        }
        return Result(stdout=json.dumps(status, indent=2) + "\n")
    if action == "fetch-config":
        source = words[words.index("-c") + 1] if "-c" in words[:-1] else ""
        path = source.removeprefix("file:")
        text = guest.boot.files.get(path)
        if text is None:
            return Result(
                stdout="****** processing amazon-cloudwatch-agent ******\n",
                stderr=f"E! Error: open {path}: no such file or directory\n",
                code=1,
            )
        try:
            guest.agent_sources = parse_agent_config(text)
        except ValueError as problem:
            return Result(stderr=f"E! Invalid Json input schema. {problem}\n", code=1)
        if "-s" in words:
            guest.agent_override = True
        return Result(
            stdout=(
                "****** processing amazon-cloudwatch-agent ******\n"
                "Successfully fetched the config and saved in /opt/aws/amazon-"
                "cloudwatch-agent/etc/amazon-cloudwatch-agent.d/file_config.json.tmp\n"
                "Configuration validation succeeded\n"
            )
        )
    if action == "start":
        guest.agent_override = True
        return Result()
    if action == "stop":
        guest.agent_override = False
        return Result()
    return Result(stderr=f"unknown action {action}\n", code=1)


def _simple(text: str):  # type: ignore[no-untyped-def]
    def handler(
        world: World,
        guest: Guest,
        words: list[str],
        now: float,
        piped: list[str] | None,
    ) -> Result:
        return Result(stdout=text.format(guest=guest, words=words) + "\n")

    return handler


def _echo(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    return Result(stdout=" ".join(words[1:]) + "\n")


def _hostname(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    return Result(stdout=guest.hostname + "\n")


def _date(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    at = datetime.fromtimestamp(now, UTC)
    return Result(stdout=f"{at:%a %b} {at.day:2d} {at:%H:%M:%S} UTC {at:%Y}\n")


def _rpm(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    names = [w for w in words[1:] if not w.startswith("-")]
    out, code = "", 0
    for name in names:
        if name in guest.boot.packages:
            out += PACKAGES[name].replace(":", "").replace("nginx-1", "nginx-") + "\n"
        else:
            out += f"package {name} is not installed\n"
            code = 1
    return Result(stdout=out, code=code)


def _dnf(
    world: World, guest: Guest, words: list[str], now: float, piped: list[str] | None
) -> Result:
    names = [w for w in words[2:] if not w.startswith("-")]
    if len(words) > 1 and "install" in words:
        missing = [n for n in names if n not in PACKAGES]
        if missing:
            return Result(
                stdout="".join(f"No match for argument: {n}\n" for n in missing),
                stderr=f"Error: Unable to find a match: {' '.join(missing)}\n",
                code=1,
            )
        for name in names:
            if name not in guest.boot.packages:
                guest.boot.packages.append(name)
        return Result(stdout="Dependencies resolved.\nComplete!\n")
    return Result(stdout="Dependencies resolved.\nNothing to do.\nComplete!\n")


_COMMANDS = {
    "systemctl": _systemctl,
    "ss": _ss,
    "netstat": _ss,
    "curl": _curl,
    "tail": _tail,
    "head": _tail,
    "cat": _cat,
    "grep": _grep,
    "wc": _wc,
    "ls": _ls,
    "amazon-cloudwatch-agent-ctl": _agent_ctl,
    "echo": _echo,
    "hostname": _hostname,
    "date": _date,
    "rpm": _rpm,
    "dnf": _dnf,
    "yum": _dnf,
    "whoami": _simple("root"),
    "id": _simple("uid=0(root) gid=0(root) groups=0(root)"),
    "uptime": _simple(" 05:20:11 up 8 min,  0 users,  load average: 0.00, 0.02, 0.01"),
    "true": _simple(""),
}
