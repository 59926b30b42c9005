"""Defects found by running real users' pastes from GitHub issues through parse-log, each
tested on the paste's own lines (marked REAL PASTE, with the source) and on a near miss.

Pastes in issue threads are often excerpts cut anywhere; the lines below are verbatim,
including where the paste was cut, unless a comment says otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

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


# ------------------------------------------------------------------ 5. error documents

NOT_A_LOG = "hello\nthis is not a debug log\n"


def test_not_a_log_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "x.txt"
    p.write_text(NOT_A_LOG)
    code, out, err = cli(capsys, "parse-log", str(p), "--output", "json")
    assert code == 2
    assert err.count("\n") == 1 and "SD001" in err
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["command"] == "parse-log"
    assert doc["exit_status"] == 2
    assert doc["error"]["code"] == "SD001" and "not a botocore debug log" in doc["error"]["message"]


def test_not_a_log_junit_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "x.txt"
    p.write_text(NOT_A_LOG)
    code, out, err = cli(capsys, "parse-log", str(p), "-o", "junit")
    assert code == 2 and "SD001" in err
    root = ElementTree.fromstring(out)
    cases = root.findall(".//testcase")
    assert len(cases) == 1 and cases[0].get("name") == "SD001 not-a-botocore-log"
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "SD001"
    assert root.get("failures") == "1"


def test_error_document_goes_to_the_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "x.txt"
    p.write_text(NOT_A_LOG)
    report = tmp_path / "report.json"
    code, out, err = cli(capsys, "parse-log", str(p), "-o", "json", "--output-file", str(report))
    assert code == 2 and out == "" and "SD001" in err
    assert json.loads(report.read_text())["error"]["code"] == "SD001"


@pytest.mark.parametrize(
    "args,code",
    [
        (["parse-log", "/nonexistent/debug.log", "-o", "json"], "input-error"),
        (["parse-log", "-o", "json"], "usage-error"),  # missing PATH (click)
        (["parse-log", "{seed}", "-o", "json", "--select", "SD999"], "usage-error"),
        (["parse-log", "{seed}", "-o", "json", "--region-hint", "mars-1"], "usage-error"),
        (["parse-log", "{seed}", "-o", "json", "--fail-on", "bogus"], "usage-error"),
        (["endpoints", "--region", "bogus", "-o", "json"], "usage-error"),
    ],
)
def test_usage_and_input_errors_give_a_document(
    args: list[str], code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers import SEED

    rc, out, err = cli(capsys, *[a.replace("{seed}", str(SEED)) for a in args])
    assert rc == 2 and err.startswith("stsdiag: ") and err.count("\n") == 1
    doc = json.loads(out)
    assert doc["error"]["code"] == code and doc["exit_status"] == 2
    assert doc["error"]["message"] in err


def test_table_and_unreadable_format_give_only_the_stderr_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "x.txt"
    p.write_text(NOT_A_LOG)
    for args in (
        ["parse-log", str(p)],
        ["parse-log", str(p), "-o", "xml"],
        ["nosuch", "-o", "json"],
    ):
        rc, out, err = cli(capsys, *args)
        assert rc == 2 and out == "" and err.count("\n") == 1, args
