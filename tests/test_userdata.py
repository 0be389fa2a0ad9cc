"""User data: rendering from the catalog, and the lint that catches each of
the pitfalls that stop cloud-init (with the line they are on)."""

from __future__ import annotations

import base64

import pytest

from labguide.catalog import Catalog, load_catalog
from labguide.locations import userdata_dir
from labguide.userdata import MAX_BYTES, Finding, encode, lint, render


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def script(catalog: Catalog) -> str:
    return render(catalog)


def _codes(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in findings]


def _line_of(text: str, marker: str) -> int:
    return text[: text.index(marker)].count("\n") + 1


# --- render -------------------------------------------------------------------


def test_render_fills_the_articles_names(script: str) -> None:
    assert script.startswith("#!/bin/bash\nset -euxo pipefail\n")
    assert "<h1>ops-case web</h1>" in script
    assert '"log_group_name": "ops-case-nginx-access"' in script
    assert '"log_group_name": "ops-case-nginx-error"' in script
    assert '"file_path": "/var/log/nginx/access.log"' in script
    assert "{{" not in script
    # The CloudWatch agent's own variable is not one of ours to fill.
    assert '"log_stream_name": "{instance_id}"' in script


def test_render_scopes_the_log_groups_to_a_participant(catalog: Catalog) -> None:
    script = render(catalog, "ana")

    assert '"log_group_name": "ops-case-ana-nginx-access"' in script
    assert '"log_group_name": "ops-case-ana-nginx-error"' in script


def test_encode_is_the_base64_a_launch_template_takes(script: str) -> None:
    assert base64.b64decode(encode(script)).decode("utf-8") == script


# --- the article's script is clean ---------------------------------------------


def test_the_articles_script_lints_clean(catalog: Catalog, script: str) -> None:
    assert lint(script, catalog) == []
    assert lint(script.encode("utf-8"), catalog) == []


def test_a_participants_script_lints_clean_for_that_participant(
    catalog: Catalog,
) -> None:
    script = render(catalog, "ana")

    assert lint(script, catalog, "ana") == []
    assert _codes(lint(script, catalog)) == [
        ("log-group-mismatch", _line_of(script, "ops-case-ana-nginx-access")),
        ("log-group-mismatch", _line_of(script, "ops-case-ana-nginx-error")),
    ]


def test_shell_that_only_looks_like_a_heredoc_is_fine(catalog: Catalog) -> None:
    script = render(catalog) + (
        "echo 'cat <<EOF is text here'\n"
        'echo "and <<EOF here"\n'
        "# cat <<EOF in a comment\n"
        "read -r word <<< 'a here-string'\n"
        "echo $((1 << 4))\n"
        "cat <<-TABS\n"
        "\tindented body\n"
        "\tTABS\n"
        'cat <<ONE - <<"TWO"\n'
        "first\n"
        "ONE\n"
        "second\n"
        "TWO\n"
        "cat <<\\ESCAPED\n"
        "body\n"
        "ESCAPED\n"
    )

    assert lint(script, catalog) == []


# --- each pitfall, with its line ------------------------------------------------


def test_the_articles_merged_shebang(catalog: Catalog, script: str) -> None:
    broken = script.replace("#!/bin/bash\nset -euxo pipefail\n\ndnf", "#!/bin/bashdnf")

    (finding,) = lint(broken, catalog)

    assert (finding.code, finding.line, finding.column) == ("shebang-merged", 1, 12)
    assert finding.message == (
        "the #! line runs into the next command: '#!/bin/bash' is followed by "
        "'dnf update -y' on the same line (the article's pitfall, "
        "#!/bin/bashdnf update -y); cloud-init fails with 'Failed to run module "
        "scripts-user'"
    )
    assert finding.fix == (
        "break the line after #!/bin/bash, so that 'dnf update -y' starts line 2"
    )


@pytest.mark.parametrize(
    ("first", "column"),
    [
        ("#!/bin/bash dnf update -y", 13),
        ("#!/usr/bin/env bashdnf update -y", 20),
        ("#!/bin/shdnf update -y", 10),
    ],
)
def test_other_merged_shebangs(
    catalog: Catalog, script: str, first: str, column: int
) -> None:
    broken = script.replace("#!/bin/bash\n", first + "\n", 1)

    findings = lint(broken, catalog)

    assert [(f.code, f.line, f.column) for f in findings] == [
        ("shebang-merged", 1, column)
    ]
    assert "'dnf update -y'" in findings[0].message


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("", "the script is empty"),
        (
            "dnf update -y\n",
            "the script does not start with a #! line, so cloud-init does not run "
            "it as a script",
        ),
        ("\n#!/bin/bash\n", "line 1 is blank; the #! line must be the very first line"),
        ("  #!/bin/bash\n", "the #! line is indented; it must start at column 1"),
        ("#!\n", "the #! line names no interpreter"),
        (
            "#!bash\n",
            "the #! line names 'bash', not an absolute path, so the kernel cannot "
            "run it",
        ),
    ],
    ids=["empty", "no shebang", "blank first line", "indented", "bare", "relative"],
)
def test_a_missing_shebang(catalog: Catalog, broken: str, message: str) -> None:
    findings = [f for f in lint(broken, catalog) if f.code.startswith("shebang")]

    assert [(f.code, f.line, f.message) for f in findings] == [
        ("shebang-missing", 1, message)
    ]


def test_shebangs_with_options_or_env_are_fine(catalog: Catalog, script: str) -> None:
    for first in ("#!/bin/bash -xe", "#!/usr/bin/env bash", "#! /bin/bash"):
        assert lint(script.replace("#!/bin/bash\n", first + "\n", 1), catalog) == []


def test_crlf_line_endings_name_the_first_line(catalog: Catalog, script: str) -> None:
    everywhere = script.replace("\n", "\r\n").encode("utf-8")
    lines = script.split("\n")
    lines[4] += "\r"  # one line only: an edit pasted from a Windows editor
    one = "\n".join(lines).encode("utf-8")

    (finding,) = lint(everywhere, catalog)
    assert (finding.code, finding.line, finding.column) == ("crlf", 1, 12)
    assert finding.message.startswith(
        f"line 1 ends with CRLF (and {script.count(chr(10)) - 1} more lines)"
    )
    assert _codes(lint(one, catalog)) == [("crlf", 5)]


def test_a_byte_order_mark(catalog: Catalog, script: str) -> None:
    findings = lint(b"\xef\xbb\xbf" + script.encode("utf-8"), catalog)

    assert [(f.code, f.line, f.column) for f in findings] == [("bom", 1, 1)]


def test_bytes_that_are_not_utf8_are_a_finding(catalog: Catalog, script: str) -> None:
    broken = script.replace("<p>host:", "<p>h\xf4te:").encode("latin-1")

    findings = lint(broken, catalog)

    assert [(f.code, f.line, f.column) for f in findings] == [
        ("not-utf8", _line_of(script, "<p>host:"), 5)
    ]
    assert findings[0].message == "byte 0xf4 is not UTF-8 (invalid continuation byte)"


def test_a_script_over_16_kb(catalog: Catalog, script: str) -> None:
    filler = "".join(f"# padding line {n:05d} {'.' * 60}\n" for n in range(300))
    broken = script + filler
    at_limit = broken.encode("utf-8")[:MAX_BYTES].count(b"\n") + 1

    findings = lint(broken, catalog)

    assert len(broken.encode("utf-8")) > MAX_BYTES
    assert _codes(findings) == [("too-large", at_limit)]
    assert findings[0].message.startswith(
        f"the script is {len(broken.encode('utf-8'))} bytes; user data holds at "
        "most 16384 bytes"
    )
    assert lint(script + filler[: MAX_BYTES - len(script)], catalog) == []


@pytest.mark.parametrize(
    "opener", ["<<EOF", "<<'EOF'", '<<"EOF"', "<<-EOF", "<< EOF", "<<\\EOF"]
)
def test_an_unterminated_heredoc_names_the_line_it_opens(
    catalog: Catalog, script: str, opener: str
) -> None:
    broken = script.replace("index.html <<EOF", f"index.html {opener}").replace(
        "</p>\nEOF\n", "</p>\n", 1
    )
    # The page's heredoc now runs on to the config's terminator; take that one
    # away too, and nothing closes either.
    broken = broken.replace("}\nEOF\n", "}\n")

    findings = lint(broken, catalog)

    opened = _line_of(broken, f"index.html {opener}")
    assert [(f.code, f.line, f.column) for f in findings] == [
        (
            "heredoc-unterminated",
            opened,
            len("cat > /usr/share/nginx/html/index.html ") + 1,
        )
    ]
    assert findings[0].message.startswith(
        f"the heredoc opened here ({opener}) is never closed: no later line is "
        "'EOF' alone"
    )


def test_the_config_heredoc_left_open(catalog: Catalog, script: str) -> None:
    broken = script.replace("}\nEOF\n", "}\n")

    assert _codes(lint(broken, catalog)) == [
        ("heredoc-unterminated", _line_of(broken, "<<'EOF'"))
    ]


def test_an_indented_terminator_is_named(catalog: Catalog, script: str) -> None:
    broken = script.replace("</p>\nEOF\n", "</p>\n  EOF\n", 1)

    (finding,) = lint(broken, catalog)

    assert (finding.code, finding.line) == (
        "heredoc-terminator",
        _line_of(broken, "  EOF"),
    )
    assert finding.message == (
        f"'  EOF' does not close the heredoc opened on line "
        f"{_line_of(broken, '<<EOF')} (a terminator allows no spaces or tabs "
        f"around it); it runs on to line {_line_of(broken, chr(10) + 'EOF') + 1} "
        "and the commands between become its text"
    )


def test_a_misspelt_log_group(catalog: Catalog, script: str) -> None:
    broken = script.replace("ops-case-nginx-error", "ops-case-nginx-errors")

    (finding,) = lint(broken, catalog)

    line = _line_of(broken, "ops-case-nginx-errors")
    column = broken.split("\n")[line - 1].index("ops-case-nginx-errors") + 1
    assert (finding.code, finding.line, finding.column) == (
        "log-group-mismatch",
        line,
        column,
    )
    assert finding.message == (
        "log_group_name 'ops-case-nginx-errors' differs from the catalog's "
        "'ops-case-nginx-error' for /var/log/nginx/error.log"
    )


def test_log_groups_swapped_or_foreign(catalog: Catalog, script: str) -> None:
    foreign = script.replace('"ops-case-nginx-access"', '"/aws/nginx"')
    swapped = (
        script.replace('"ops-case-nginx-access"', '"SWAP"')
        .replace('"ops-case-nginx-error"', '"ops-case-nginx-access"')
        .replace('"SWAP"', '"ops-case-nginx-error"')
    )

    assert _codes(lint(foreign, catalog)) == [
        ("log-group-mismatch", _line_of(foreign, "/aws/nginx"))
    ]
    findings = lint(swapped, catalog)
    assert _codes(findings) == [
        ("log-group-mismatch", _line_of(script, '"ops-case-nginx-access"')),
        ("log-group-mismatch", _line_of(script, '"ops-case-nginx-error"')),
    ]
    assert findings[0].message == (
        "log_group_name 'ops-case-nginx-error' differs from the catalog's "
        "'ops-case-nginx-access' for /var/log/nginx/access.log"
    )


def test_a_log_group_the_agent_never_ships_to(catalog: Catalog, script: str) -> None:
    lines = script.split("\n")
    error_line = _line_of(script, '"ops-case-nginx-error"')
    del lines[error_line - 1]
    broken = "\n".join(lines).replace('{instance_id}" },', '{instance_id}" }')

    findings = lint(broken, catalog)

    assert _codes(findings) == [
        ("log-group-missing", _line_of(broken, '"ops-case-nginx-access"'))
    ]
    assert "ops-case-nginx-error" in findings[0].message


def test_placeholders_left_in_the_template(catalog: Catalog) -> None:
    template = (userdata_dir() / "web.sh").read_bytes()
    text = template.decode("utf-8")

    findings = lint(template, catalog)

    assert _codes(findings) == [
        ("placeholder", _line_of(text, "{{page_title}}")),
        ("placeholder", _line_of(text, "{{access_log_path}}")),
        ("placeholder", _line_of(text, "{{access_log_group}}")),
        ("placeholder", _line_of(text, "{{error_log_path}}")),
        ("placeholder", _line_of(text, "{{error_log_group}}")),
    ]
    assert findings[0].message == (
        "{{page_title}} is a template placeholder left unrendered; the instance "
        "would get it literally"
    )


def test_several_mistakes_are_found_together(catalog: Catalog, script: str) -> None:
    broken = (
        script.replace("#!/bin/bash\nset", "#!/bin/bashset")
        .replace("ops-case-nginx-access", "ops-case-nginx-acces")
        .replace("\n", "\r\n")
        .encode("utf-8")
    )

    codes = [f.code for f in lint(broken, catalog)]

    assert codes == ["shebang-merged", "crlf", "log-group-mismatch"]


def test_a_finding_reads_like_a_compiler_message() -> None:
    finding = Finding(3, 7, "crlf", "line 3 ends with CRLF", "save with LF")

    assert str(finding) == "3:7: crlf: line 3 ends with CRLF (save with LF)"
    assert finding.as_dict() == {
        "line": 3,
        "column": 7,
        "code": "crlf",
        "message": "line 3 ends with CRLF",
        "fix": "save with LF",
    }
