"""Real pastes of a third wave (Q&A and blog pages, and issues of projects the first two waves
did not read: Airflow, AWS SAM CLI, Step Functions users, old AWS CLI v1 reports), in
tests/data/wild-pages (sources in its SOURCES.md), each with the misreading it showed, and near
misses that must read as before: the exception a traceback cut before its last line raises,
an availability zone given as the region when the log names no client region, the empty
region botocore turns into `sts..amazonaws.com`, credentials from the ECS container endpoint,
the retry of a request whose operation the log never named, and whose clock a skew is
measured against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stsdiag.errors import InputError
from stsdiag.models import ErrorKind
from stsdiag.parselog import ParseOptions, analyze
from stsdiag.rules.log import classify_error
from tests.helpers import codes, parse

DATA = Path(__file__).parent / "data" / "wild-pages"


def _parse(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return parse(tmp_path, (DATA / name).read_text(), capsys)


def _tries(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (r["service"], r["host"], len(r["attempts"]), r["attempts"][0]["error"])
        for r in doc["requests"]
    ]


# ------------------------------------------------------- a traceback cut before its exception


def test_cut_traceback_names_its_exception_by_the_innermost_raise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#1928 (CLI v1, vendored requests): the STS call's traceback ends
    `raise ReadTimeout(e, request=request)` and the paste is cut at `ReadTimeo`: a read
    timeout after 60 s, not an 'other' error with no finding."""
    doc = _parse(tmp_path, "03-aws-cli-1928-v1-sts-global-read-timeout.log", capsys)
    assert _tries(doc) == [("sts", "sts.amazonaws.com", 1, "read-timeout")]
    assert "SD204" in codes(doc)


def test_raise_in_a_middle_frame_or_before_the_exception_line_names_nothing() -> None:
    from stsdiag.logparse.requests import _raised_in_cut_traceback

    cut = '  File "adapters.py", line 433, in send\n    raise ReadTimeout(e, request=request)\nReadTimeo'
    assert _raised_in_cut_traceback(cut) is ErrorKind.READ_TIMEOUT
    # a frame follows the raise: it is not the innermost one
    assert _raised_in_cut_traceback(cut[:-9] + '  File "x.py", line 1, in f\n    g()\n') is None
    # the traceback's own last line names the exception: that one counts, not the raise
    assert _raised_in_cut_traceback(cut[:-9] + "ValueError: no\n") is None
    # `raise caught_exception` names no class
    assert _raised_in_cut_traceback("    raise caught_exception\n") is None


# ------------------------------------------------------- an availability zone as the region


def test_az_name_in_the_signing_scope_recommends_its_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#1831 (CLI v1, `PreparedRequest`: no client region in the log): the scope
    and host name `us-east-1f`, a zone; the recommendation said the log names no region."""
    doc = _parse(tmp_path, "07-aws-cli-1831-v1-az-as-region-ec2-ssl-eof.log", capsys)
    assert "SD106" in codes(doc)
    assert doc["recommendation"]["region"] == "us-east-1"


def test_unknown_scope_region_of_a_custom_endpoint_recommends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "07-aws-cli-1831-v1-az-as-region-ec2-ssl-eof.log").read_text()
    text = text.replace("us-east-1f/ec2", "us-east-1f/s3").replace(
        "ec2.us-east-1f.amazonaws.com", "minio.example.com"
    )
    doc = parse(tmp_path, text, capsys)
    assert doc["requests"][0]["host"] == "minio.example.com"
    assert (doc["recommendation"] or {}).get("region") is None


# ------------------------------------------------------- the empty region


def test_invalid_endpoint_with_an_empty_region_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-sam-cli#6267: `Error: Invalid endpoint: https://sts..amazonaws.com` (botocore
    built the host from the region '') was 'not a botocore debug log'."""
    doc = _parse(tmp_path, "15-aws-sam-cli-6267-invalid-endpoint-sts-empty-region.log", capsys)
    assert codes(doc) == ["SD101"]
    assert "set but empty" in doc["findings"][0]["message"]


@pytest.mark.parametrize(
    "line",
    [
        "Error: Invalid endpoint: https://sts.us-east-1.amazonaws.com",  # a whole host
        # (no scheme, `Invalid endpoint: sts.us-east-1.amazonaws.com`, is another fault:
        # SD107, in tests/test_wild_6.py)
    ],
)
def test_invalid_endpoint_with_a_region_is_not_an_empty_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    log = tmp_path / "x.log"
    log.write_text(line + "\n")
    with open(log, "rb") as f, pytest.raises(InputError, match="SD001"):
        analyze(f, str(log), ParseOptions())


# ------------------------------------------------------- the container credential endpoint


def test_container_endpoint_answer_is_the_credential_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """apache/airflow#17507 (Airflow's `[ts] {file.py:line} LEVEL - msg`): botocore looked for
    credentials via container-role and the ECS endpoint answered 200; the container provider
    logs no "Found credentials", so nothing said where they came from."""
    doc = _parse(tmp_path, "04-airflow-17507-ecs-container-role-braces.log", capsys)
    sd503 = [f for f in doc["findings"] if f["code"] == "SD503"]
    assert (
        len(sd503) == 1 and "container credential endpoint (ECS task role)" in sd503[0]["message"]
    )


def test_container_endpoint_error_is_no_credential_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "04-airflow-17507-ecs-container-role-braces.log").read_text()
    doc = parse(tmp_path, text.replace('HTTP/1.1" 200 1307', 'HTTP/1.1" 500 12'), capsys)
    assert "SD503" not in codes(doc)
    # nor when botocore was looking elsewhere (the last provider named is not container-role)
    lines = [ln for ln in text.splitlines() if "via: container-role" not in ln]
    doc = parse(tmp_path, "\n".join(lines) + "\n", capsys)
    assert "SD503" not in codes(doc)


# ------------------------------------------------------- a request the log never named


def test_retry_of_an_unnamed_request_names_its_service_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """boto3/boto3#3053: StartSyncExecution's host `sync-states.eu-west-1` (sfn's host
    prefix) read as a service 'sync-states' with 1 try; after `Response received to retry`
    the `request-created.sfn.S…` line (cut) is its second attempt, and botocore's name for
    the service."""
    doc = _parse(tmp_path, "09-boto3-3053-sfn-sync-read-timeout-retry.log", capsys)
    assert _tries(doc) == [
        ("stepfunctions", "sync-states.eu-west-1.amazonaws.com", 2, "read-timeout")
    ]


def test_request_created_without_a_retry_decision_is_no_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "09-boto3-3053-sfn-sync-read-timeout-retry.log").read_text()
    lines = [ln for ln in text.splitlines() if "Retry needed" not in ln and "sleeping" not in ln]
    doc = parse(tmp_path, "\n".join(lines) + "\n", capsys)
    assert [(r["service"], len(r["attempts"])) for r in doc["requests"]] == [("sync-states", 1)]


# ------------------------------------------------------- the clock a skew is measured against


def test_clock_skew_of_another_service_is_measured_against_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A blog's `aws eks list-clusters` InvalidSignatureException: the clock was behind
    EKS's, not STS's (there was no STS call)."""
    doc = _parse(tmp_path, "02-hashnode-cli-invalidsignature-signature-expired.log", capsys)
    assert codes(doc) == ["SD401"]
    assert doc["findings"][0]["message"].endswith("The local clock was 1101 s behind AWS.")
    ahead = list(
        classify_error(
            "SignatureDoesNotMatch",
            "Signature not yet current: 20240522T121408Z is still later than 20240522T120908Z "
            "(20240522T120408Z + 5 min.)",
            "GetCallerIdentity",
            None,
            (),
            sts_call=True,
        )
    )
    assert [h.code for h in ahead] == ["SD401"] and ahead[0].message.endswith("ahead of AWS.")


# ------------------------------------------------------- the evidence of a paste of only the error


def test_finding_on_a_request_known_only_from_its_error_shows_the_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-sam-cli#529: SAM CLI offline, only `Error: Could not connect to the endpoint
    URL: "https://sts.amazonaws.com/"`: SD102's evidence was '? request'."""
    doc = _parse(tmp_path, "17-aws-sam-cli-529-offline-sts-global.log", capsys)
    sd102 = next(f for f in doc["findings"] if f["code"] == "SD102")
    assert sd102["evidence"][0]["excerpt"].startswith("Error: Could not connect to the endpoint")
    # a request with its `Sending` line keeps that line as the evidence
    doc = _parse(tmp_path, "03-aws-cli-1928-v1-sts-global-read-timeout.log", capsys)
    sd102 = next(f for f in doc["findings"] if f["code"] == "SD102")
    assert sd102["evidence"][0]["excerpt"].startswith("Sending http request")
