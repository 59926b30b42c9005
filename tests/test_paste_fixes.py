"""Defects found by running real users' pastes from GitHub issues through parse-log, each
tested on the paste's own lines (marked REAL PASTE, with the source) and on a near miss.

Pastes in issue threads are often excerpts cut anywhere; the lines below are verbatim,
including where the paste was cut, unless a comment says otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stsdiag.cli import run
from stsdiag.models import Finding, Report
from stsdiag.parselog import ParseOptions, parse_path
from stsdiag.redact import MASK, redact


def parse(tmp_path: Path, text: str, name: str = "paste.log") -> Report:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return parse_path(str(p), ParseOptions())


def one(report: Report, code: str) -> Finding:
    hits = [f for f in report.findings if f.code == code]
    assert len(hits) == 1, [f.code for f in report.findings]
    return hits[0]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ 3. redaction

# REAL PASTE: ASFHyP3/hyp3-isce2#176 (IMDS token request off EC2)
IMDS_TIMEOUT = (
    "2024-01-11 03:07:23,370 - botocore.utils - DEBUG - Caught retryable HTTP exception while "
    "making metadata service request to http://169.254.169.254/latest/api/token: Connect timeout "
    'on endpoint URL: "http://169.254.169.254/latest/api/token"'
)
# REAL PASTE: aws/aws-cli#5460 (aws-cli/2.0.38 on Windows), cut as pasted
IMDS_UNREACHABLE = (
    "2020-08-12 16:56:41,844 - MainThread - botocore.utils - DEBUG - Caught retryable HTTP "
    "exception while making metadata service request to http://169.254.169.254/latest/api/token: "
    'Could not connect to the endpoint URL: "http://169.254.169.254/latest/api/tok'
)


@pytest.mark.parametrize("line", [IMDS_TIMEOUT, IMDS_UNREACHABLE])
def test_imds_lines_stay_readable(line: str) -> None:
    assert redact(line) == line


def test_generic_pairs_still_drop_secrets() -> None:
    token = "IQoJb3JpZ2luX2VjEKz//////////wEaCXVzLXdlc3QtMiJHMEUCIQ"
    sig = "eff5cf71eee519dd3d226b14e22a8d9d6afe1b9b0c40a02989c96adf7baae259"
    for text, secret in [
        (f"token: {token}", token),
        (f"'token': b'{token}'", token),
        (f"Signature={sig}", sig),
        (f"signature: {sig}", sig),
        ("token=abcdefghijklmnopq", "abcdefghijklmnopq"),  # letters only, but 16+ of them
        ("token=123456", "123456"),  # an MFA code: digits are never kept
        ("token=Connect1", "Connect1"),
    ]:
        out = redact(text)
        assert secret not in out and MASK in out, text
    # password stays strict: even a plain word goes
    assert redact("password: Connect") == f"password: {MASK}"
    assert redact("X-Amz-Security-Token: abc") == f"X-Amz-Security-Token: {MASK}"
    # a plain word after the generic names stays
    assert redact("token: Connect") == "token: Connect"
    assert redact("Signature: None") == "Signature: None"


def test_imds_paste_line_through_parse_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "imds.log"
    p.write_text(IMDS_TIMEOUT + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "parse-log", str(p), "--output", "json", "--fail-on", "never")
    assert code == 0, err
    assert "/api/token: Connect timeout" in out
    json.loads(out)
