"""What tickets, chats and Windows do to a pasted log must not change the diagnosis: real
fixture logs, transformed as a helper's sweep found them transformed, against the original."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from stsdiag.cli import run
from tests.helpers import ROOT, diagnosis

LOGS = [
    "g2020-cli-clock-skew",
    "glatest-cli-noregion-global-timeout",
    "glatest-cli-ssl-verify-failed",
    "glatest-boto3-setstream-ok",
    "g2023-cli-webid-invalid-token",
]


def _curly(text: str) -> str:
    """A word processor's quotes: 'x' → ‘x’, "x" → “x”."""
    text = re.sub(r"'([^'\n]*)'", "‘\\1’", text)
    return re.sub(r'"([^"\n]*)"', "“\\1”", text)


def _wrap_status(text: str) -> str:
    """A terminal's hard wrap that falls inside urllib3's status line's status code."""
    return re.sub(r'(HTTP/1\.1" \d)(\d\d)', "\\1\n\\2", text)


ARTIFACTS: dict[str, Callable[[str], bytes]] = {
    "utf-16le-bom": lambda t: t.encode("utf-16"),  # PowerShell 5.1's `2> debug.txt`
    "utf-16le-no-bom": lambda t: t.encode("utf-16-le"),
    "html-escaped": lambda t: html.escape(t).encode(),  # copied from a rendered page
    "curly-quotes": lambda t: _curly(t).encode(),  # through Word, Outlook, Confluence
    "status-code-wrapped": lambda t: _wrap_status(t).encode(),
    # lines ended by a bare carriage return (a classic Mac OS editor, some clipboard tools)
    "cr-line-ends": lambda t: t.replace("\n", "\r").encode(),
}


@pytest.mark.parametrize("artifact", sorted(ARTIFACTS))
@pytest.mark.parametrize("name", LOGS)
def test_paste_artifacts_keep_the_diagnosis(
    name: str, artifact: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = ROOT / "fixtures" / "logs" / f"{name}.log"
    mangled = tmp_path / f"{artifact}.log"
    mangled.write_bytes(ARTIFACTS[artifact](original.read_text()))
    assert diagnosis(mangled, capsys) == diagnosis(original, capsys)


def test_an_invisible_character_inside_a_key_id_does_not_unmask_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A chat tool's zero-width space inside the access key id (`AKI\\u200bAIOS...`)."""
    original = (ROOT / "fixtures" / "logs" / "g2020-cli-clock-skew.log").read_text()
    assert "AKIAIOSFODNN7EXAMPLE" in original
    log = tmp_path / "zwsp.log"
    log.write_text(original.replace("AKIAIOSFODNN7EXAMPLE", "AKI\u200bAIOSFODNN7EXAMPLE"))
    for output in ("json", "table", "junit"):
        run(["parse-log", str(log), "--output", output, "--fail-on", "never"])
        out = capsys.readouterr().out.replace("\u200b", "")
        assert "AKIAIOSFODNN7EXAMPLE" not in out and "IOSFODNN7EXA" not in out


def test_an_argument_list_without_strings_is_no_early_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`Arguments entered to CLI: []` once made the reader stop as if the input had ended
    (an error in a record's handling was taken for the end of the input)."""
    original = (ROOT / "fixtures" / "logs" / "g2020-cli-clock-skew.log").read_text()
    emptied = re.sub(r"Arguments entered to CLI: \[.*\]", "Arguments entered to CLI: []", original)
    assert emptied != original
    log = tmp_path / "empty-args.log"
    log.write_text(emptied)
    codes, *_ = diagnosis(log, capsys)
    assert "SD401" in codes


def test_a_middle_third_paste_is_one_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The middle third of a real run (one request, five attempts): it starts inside a
    traceback, whose lines name no thread; the thread's next records go on with it."""
    lines = (ROOT / "fixtures" / "logs" / "glatest-cli-noregion-global-timeout.log").read_text()
    rows = lines.splitlines(keepends=True)
    third = len(rows) // 3
    log = tmp_path / "middle.log"
    log.write_text("".join(rows[third : 2 * third]))
    codes, _region, _url, total, requests = diagnosis(log, capsys)
    assert total == 1 and requests[0][0] == "sts.amazonaws.com", requests
    assert "SD202" in codes
