"""Linting the launch template's user data before an instance boots with it.

A broken script costs a learner minutes per attempt: the instance boots, the
Auto Scaling group reports it healthy on EC2's terms, and only the target
group's health check, much later, says nginx never ran. Each finding here is a
mistake that silently stops cloud-init, or sends the nginx logs somewhere the
lab does not look, and is found from the script's bytes alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from labguide.catalog.models import Catalog
from labguide.userdata.render import template_values

MAX_BYTES = 16384
"""AWS's limit on user data, counted before base64 encoding."""

BOM = b"\xef\xbb\xbf"

# Interpreters a user data script plausibly starts with. The list only serves
# to recognise a `#!` line merged with the next one (`#!/bin/bashdnf ...`), so
# it is ordered longest first: `/bin/bash` must win over `/bin/ba...`.
_INTERPRETERS = sorted(
    (
        "/bin/bash",
        "/bin/sh",
        "/bin/dash",
        "/bin/zsh",
        "/usr/bin/bash",
        "/usr/bin/sh",
        "/usr/bin/zsh",
        "/usr/bin/env",
    ),
    key=len,
    reverse=True,
)
_SHELL_NAMES = ("bash", "dash", "zsh", "sh")

_HEREDOC = re.compile(
    r"""<<(?P<dash>-?)[ \t]*(?:'(?P<single>[^'\n]+)'|"(?P<double>[^"\n]+)"|"""
    r"""\\?(?P<bare>[^\s;&|<>()'"]+))"""
)
_LOG_GROUP = re.compile(r'"log_group_name"\s*:\s*"(?P<value>[^"]*)"')
_FILE_PATH = re.compile(r'"file_path"\s*:\s*"(?P<value>[^"]*)"')
_STRING = re.compile(r'"[^"\n]*"')
# Broader than the renderer's own pattern on purpose: `{{ PAGE }}` is not a
# placeholder `render` knows, but it is just as surely left unrendered.
_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z0-9_.-]*\s*\}\}")


@dataclass(frozen=True)
class Finding:
    """One mistake in a user data script.

    Attributes:
        line: the line it is on, counted from 1.
        column: the column it starts at, counted from 1.
        code: a short, stable name for the kind of mistake.
        message: what is wrong.
        fix: how to fix it.
    """

    line: int
    column: int
    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.code}: {self.message} ({self.fix})"

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain data, for `--json`."""
        return asdict(self)


def lint(
    text_or_bytes: str | bytes, catalog: Catalog, participant: str | None = None
) -> list[Finding]:
    """Finds the mistakes in a user data script.

    Args:
        text_or_bytes: the script; give bytes as read from the file, so that a
            byte-order mark, CRLF line endings and bad UTF-8 are seen as they
            are.
        catalog: the catalog, for the log group names the lab expects.
        participant: the participant the script was rendered for, if any.

    Returns:
        The findings, in the order of the lines they are on; empty when the
        script is sound.
    """
    raw = (
        text_or_bytes.encode("utf-8")
        if isinstance(text_or_bytes, str)
        else bytes(text_or_bytes)
    )
    findings: list[Finding] = []

    findings += _encoding(raw)
    body = raw[len(BOM) :] if raw.startswith(BOM) else raw
    text = body.decode("utf-8", errors="replace")
    findings += _size(raw)
    findings += _line_endings(text)

    # Past this point a CRLF is already reported; cutting the CR keeps one
    # mistake from echoing as many (every heredoc terminator would otherwise
    # look missing too).
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    findings += _shebang(lines)
    findings += _heredocs(lines)
    findings += _placeholders(lines)
    findings += _log_groups("\n".join(lines), catalog, participant)
    return sorted(findings, key=lambda f: (f.line, f.column, f.code))


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """The line and column (in bytes) of a byte offset."""
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _encoding(raw: bytes) -> Iterator[Finding]:
    if raw.startswith(BOM):
        yield Finding(
            1,
            1,
            "bom",
            "the script starts with a UTF-8 byte-order mark, so its first bytes "
            "are not #! and cloud-init does not run it as a script",
            "save the file as UTF-8 without BOM",
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(raw, error.start)
        yield Finding(
            line,
            column,
            "not-utf8",
            f"byte 0x{raw[error.start]:02x} is not UTF-8 ({error.reason})",
            "save the file as UTF-8",
        )


def _size(raw: bytes) -> Iterator[Finding]:
    if len(raw) <= MAX_BYTES:
        return
    line, _ = _position(raw, MAX_BYTES)
    yield Finding(
        line,
        1,
        "too-large",
        f"the script is {len(raw)} bytes; user data holds at most {MAX_BYTES} "
        f"bytes (16 KB) before base64, and this line crosses the limit",
        "shorten the script, or have it fetch the rest from S3 or a package",
    )


def _line_endings(text: str) -> Iterator[Finding]:
    lines = text.split("\n")
    crlf = [number for number, line in enumerate(lines, 1) if line.endswith("\r")]
    if not crlf:
        return
    first = crlf[0]
    others = (
        f" (and {len(crlf) - 1} more line{'s' if len(crlf) > 2 else ''})"
        if len(crlf) > 1
        else ""
    )
    yield Finding(
        first,
        len(lines[first - 1]),
        "crlf",
        f"line {first} ends with CRLF{others}; the CR becomes part of the line, "
        "so a #! line fails with '/bin/bash^M: bad interpreter' and commands "
        "get a stray CR",
        "save the file with LF line endings, with dos2unix or the editor's setting",
    )


def _shebang(lines: list[str]) -> Iterator[Finding]:
    first = lines[0]
    if first.startswith("#!"):
        yield from _shebang_line(first)
        return

    if not any(line.strip() for line in lines):
        message = "the script is empty"
    elif not first.strip() and any(line.startswith("#!") for line in lines):
        message = "line 1 is blank; the #! line must be the very first line"
    elif first.lstrip().startswith("#!"):
        message = "the #! line is indented; it must start at column 1"
    else:
        message = (
            "the script does not start with a #! line, so cloud-init does not "
            "run it as a script"
        )
    yield Finding(
        1,
        1,
        "shebang-missing",
        message,
        "make line 1 read #!/bin/bash and nothing else",
    )


def _shebang_line(first: str) -> Iterator[Finding]:
    words = first[2:].split()
    if not words:
        yield Finding(
            1,
            1,
            "shebang-missing",
            "the #! line names no interpreter",
            "make line 1 read #!/bin/bash",
        )
        return

    interpreter = words[0]
    start = first.index(interpreter)
    for known in _INTERPRETERS:
        if interpreter.startswith(known) and interpreter != known:
            yield _merged(first, start + len(known))
            return
    if interpreter == "/usr/bin/env" and len(words) > 1:
        shell = words[1]
        for name in _SHELL_NAMES:
            if shell.startswith(name) and shell != name and shell[len(name)].isalpha():
                yield _merged(first, first.index(shell) + len(name))
                return
    elif interpreter in _INTERPRETERS and len(words) > 1:
        if not words[1].startswith("-"):
            # The kernel hands everything after the interpreter to it as one
            # argument: bash would look for a script named "dnf update -y".
            yield _merged(first, first.index(words[1], start + len(interpreter)))
            return

    if not interpreter.startswith("/"):
        yield Finding(
            1,
            3,
            "shebang-missing",
            f"the #! line names {interpreter!r}, not an absolute path, so the "
            "kernel cannot run it",
            "make line 1 read #!/bin/bash",
        )


def _merged(first: str, split: int) -> Finding:
    """A `#!` line that ran into the next line, split where the command starts."""
    shebang, command = first[:split].rstrip(), first[split:].strip()
    return Finding(
        1,
        split + 1,
        "shebang-merged",
        f"the #! line runs into the next command: {shebang!r} is followed by "
        f"{command!r} on the same line (the article's pitfall, "
        "#!/bin/bashdnf update -y); cloud-init fails with 'Failed to run module "
        "scripts-user'",
        f"break the line after {shebang}, so that {command!r} starts line 2",
    )


@dataclass
class _Heredoc:
    line: int
    column: int
    opener: str
    """The operator and word as written, such as `<<'EOF'`."""
    delimiter: str
    strip_tabs: bool


def _heredocs(lines: list[str]) -> Iterator[Finding]:
    quote: str | None = None
    number = 0
    while number < len(lines):
        opened, quote = _scan(lines[number], number + 1, quote)
        number += 1
        # Bodies follow the line that opened them, one after the other.
        for heredoc in opened:
            end = _terminator(lines, number, heredoc)
            if end is None:
                yield _unterminated(lines, number, heredoc)
                return
            yield from _near_terminators(lines, number, end, heredoc)
            number = end + 1


def _scan(
    line: str, number: int, quote: str | None
) -> tuple[list[_Heredoc], str | None]:
    """The heredocs a line of shell opens, and the quote still open at its end.

    Quotes carry over from line to line, so a `<<` inside a quoted string
    (even one spanning lines) is not taken for a heredoc; nor is a shift in
    arithmetic (`$((1 << 2))`); a comment ends the line's code.
    """
    opened: list[_Heredoc] = []
    arithmetic = 0
    index = 0
    while index < len(line):
        char = line[index]
        if quote == "'":
            if char == "'":
                quote = None
        elif quote == '"':
            if char == "\\":
                index += 1
            elif char == '"':
                quote = None
        elif char == "\\":
            index += 1
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t;&|()"):
            break
        elif line.startswith("((", index):
            arithmetic += 1
            index += 1
        elif line.startswith("))", index) and arithmetic:
            arithmetic -= 1
            index += 1
        elif arithmetic:
            pass
        elif line.startswith("<<<", index):
            index += 2  # a here-string, which has no body
        elif line.startswith("<<", index):
            match = _HEREDOC.match(line, index)
            if match:
                delimiter = (
                    match.group("single")
                    or match.group("double")
                    or match.group("bare")
                )
                opened.append(
                    _Heredoc(
                        number,
                        index + 1,
                        match.group(),
                        delimiter,
                        bool(match.group("dash")),
                    )
                )
                index = match.end()
                continue
            index += 1
        index += 1
    return opened, quote


def _terminator(lines: list[str], start: int, heredoc: _Heredoc) -> int | None:
    """The index of the line that closes a heredoc whose body starts at `start`."""
    for index in range(start, len(lines)):
        candidate = lines[index].lstrip("\t") if heredoc.strip_tabs else lines[index]
        if candidate == heredoc.delimiter:
            return index
    return None


def _unterminated(lines: list[str], start: int, heredoc: _Heredoc) -> Finding:
    delimiter = heredoc.delimiter
    message = (
        f"the heredoc opened here ({heredoc.opener}) is never closed: no later "
        f"line is {delimiter!r} alone, so the rest of the script becomes its "
        "text and never runs"
    )
    near = [index + 1 for index in _near_lines(lines, start, len(lines), heredoc)]
    if near:
        message += (
            f"; line {near[0]} holds {delimiter} with something beside it, "
            f"which {_allowed(heredoc)}"
        )
    return Finding(
        heredoc.line,
        heredoc.column,
        "heredoc-unterminated",
        message,
        f"end the text with a line that reads {delimiter} and nothing else",
    )


def _near_terminators(
    lines: list[str], start: int, end: int, heredoc: _Heredoc
) -> Iterator[Finding]:
    """Lines that look like the terminator but are not, so the heredoc runs on
    to a later one and swallows the commands between (often the next
    heredoc's, whose terminator it borrows)."""
    for index in _near_lines(lines, start, end, heredoc):
        yield Finding(
            index + 1,
            1,
            "heredoc-terminator",
            f"{lines[index]!r} does not close the heredoc opened on line "
            f"{heredoc.line} ({_allowed(heredoc)}); it runs on to line {end + 1} "
            "and the commands between become its text",
            f"write {heredoc.delimiter} alone at the start of the line",
        )


def _near_lines(
    lines: list[str], start: int, end: int, heredoc: _Heredoc
) -> Iterator[int]:
    for index in range(start, end):
        if lines[index].strip() == heredoc.delimiter:
            yield index


def _allowed(heredoc: _Heredoc) -> str:
    if heredoc.strip_tabs:
        return "only tabs may precede and nothing may follow"
    return "a terminator allows no spaces or tabs around it"


def _placeholders(lines: list[str]) -> Iterator[Finding]:
    for number, line in enumerate(lines, 1):
        for match in _PLACEHOLDER.finditer(line):
            yield Finding(
                number,
                match.start() + 1,
                "placeholder",
                f"{match.group()} is a template placeholder left unrendered; the "
                "instance would get it literally",
                "lint the script labguide userdata render prints",
            )


def _log_groups(
    text: str, catalog: Catalog, participant: str | None
) -> Iterator[Finding]:
    """The CloudWatch agent must ship to the log groups the lab creates and
    checks; a typo here leaves the logs goal waiting forever."""
    values = template_values(catalog, participant)
    expected = {
        values["access_log_path"]: values["access_log_group"],
        values["error_log_path"]: values["error_log_group"],
    }
    lab_groups = ", ".join(expected.values())
    hint = (
        f" for participant {participant!r}"
        if participant
        else ", or lint with --participant NAME if the script is a participant's"
    )

    # Braces inside strings (the agent's "{instance_id}") do not delimit a
    # collect_list entry, so they are masked before entries are looked for.
    masked = _STRING.sub(lambda m: '"' + "." * (len(m.group()) - 2) + '"', text)
    covered: set[str] = set()
    first_line: int | None = None
    templated = False
    for match in _LOG_GROUP.finditer(text):
        value = match.group("value")
        offset = match.start("value")
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        if first_line is None:
            first_line = line
        if _PLACEHOLDER.search(value):
            templated = True
            continue

        file_path = _file_path_beside(text, masked, match.start(), match.end())
        want = expected.get(file_path) if file_path else None
        # A group already reported as misspelt is not reported missing too.
        covered.add(want or value)
        if want is not None and value != want:
            yield Finding(
                line,
                column,
                "log-group-mismatch",
                f"log_group_name {value!r} differs from the catalog's {want!r} "
                f"for {file_path}",
                f"write {want}{hint}",
            )
        elif want is None and value not in expected.values():
            yield Finding(
                line,
                column,
                "log-group-mismatch",
                f"log_group_name {value!r} is not one of the lab's log groups "
                f"({lab_groups})",
                f"name one of the lab's log groups{hint}",
            )

    if templated:
        return
    for path, group in expected.items():
        if group not in covered:
            yield Finding(
                first_line or 1,
                1,
                "log-group-missing",
                f"the CloudWatch agent config ships nothing to {group} ({path}), "
                "so the lab's nginx logs goal never passes",
                f'add {{ "file_path": "{path}", "log_group_name": "{group}" }} '
                "to the agent's collect_list",
            )


def _file_path_beside(text: str, masked: str, start: int, end: int) -> str | None:
    """The `file_path` in the same collect_list entry as a log_group_name.

    Args:
        text: the script.
        masked: the script with the insides of its strings masked.
        start: where the log_group_name starts.
        end: where it ends.
    """
    opening = masked.rfind("{", 0, start)
    closing = masked.find("}", end)
    if opening < 0 or closing < 0:
        return None
    match = _FILE_PATH.search(text, opening, closing)
    return match.group("value") if match else None
