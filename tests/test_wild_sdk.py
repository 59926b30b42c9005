"""Real boto3/botocore debug pastes from public GitHub issues (tests/data/wild-sdk, sources in
its SOURCES.md), each with the misreading it showed, and near misses that must read as before:
a header with the logger in parentheses and the process in angle brackets (botocore 1.3-era
apps), the logger's line and function after its name, the service and operation of a request
whose URL was cut or redacted (botocore's `request-created` event; a Query call's STS API
version), and what an expired token means for AssumeRoleWithWebIdentity."""

from __future__ import annotations

import io
from pathlib import Path

from stsdiag.logparse.records import CONT, FOREIGN, KEPT, classify_line
from stsdiag.models import Report
from stsdiag.parselog import ParseOptions, analyze
from stsdiag.rules.log import classify_error

DATA = Path(__file__).parent / "data" / "wild-sdk"


def report(data: bytes) -> Report:
    return analyze(io.BufferedReader(io.BytesIO(data)), "x", ParseOptions())  # type: ignore[arg-type]


def ops(rep: Report) -> list[tuple[str | None, str | None, str | None]]:
    return [(r.service, r.operation, r.host) for r in rep.requests]


# ------------------------------------------------------------------------- the reader


def test_logger_in_parentheses_and_process_in_angle_brackets() -> None:
    """botocore/botocore#785: `ts ( botocore.endpoint) < WorkerProcess-9> [DEBUG]: msg` was
    'not a botocore debug log'. Its request (botocore 1.3.23 names no operation in `Making
    request`) is SQS's GetQueueUrl, not a service 'queue' (the legacy host's label)."""
    rep = report((DATA / "14-botocore-785-paren-logger-angle-process.log").read_bytes())
    assert ops(rep) == [("sqs", "GetQueueUrl", "queue.amazonaws.com")]
    assert rep.requests[0].thread == "WorkerProcess-9"


def test_padded_level_inside_brackets_and_near_misses() -> None:
    _, rec = classify_line(
        b"2016-02-02T20:05:40 ( boto3.resources.action) < WorkerProcess-9> [ INFO]: Calling "
        b"sqs:get_queue_url with {'QueueName': 'SQSWorkQueue'}",
        1,
    )
    assert rec is not None and (rec.logger, rec.level) == ("boto3.resources.action", "INFO")
    # another program's logger that ends in 'botocore', and words between name and level
    for line in (
        b"2016-02-02T20:05:40 (myapp.botocore) < WorkerProcess-9> [DEBUG]: Making request for x",
        b"2016-02-02T20:05:40 ( botocore.endpoint) < WorkerProcess-9> said [DEBUG]: Making request",
    ):
        assert classify_line(line, 1)[0] in (CONT, FOREIGN), line  # not an SDK header


def test_logger_line_and_function_after_the_name() -> None:
    """botocore/botocore#1866: `[botocore.credentials(507):_protected_refresh] msg`: the
    message starts after the header, not with '(507):_protected_refresh] '."""
    first = (DATA / "15-botocore-1866-logger-line-func.log").read_bytes().splitlines()[1]
    kind, rec = classify_line(first, 2)
    assert kind == KEPT and rec is not None
    assert (rec.logger, rec.level) == ("botocore.credentials", "WARNING")
    assert rec.lines[0].startswith("Refreshing temporary credentials failed")


def test_cloudwatch_console_table_paste() -> None:
    """boto/boto3#4040: rows copied from the CloudWatch console (`| time | message | group |
    stream |`): GetCallerIdentity from eu-west-1 sent to the global endpoint, signed for
    us-east-1 (botocore 1.34's legacy default)."""
    rep = report((DATA / "04-boto3-4040-cloudwatch-console-table.log").read_bytes())
    assert [(r.operation, r.client_region, r.host, r.signing_region) for r in rep.requests] == [
        ("GetCallerIdentity", "eu-west-1", "sts.amazonaws.com", "us-east-1")
    ]
    assert {f.code for f in rep.findings} == {"SD102", "SD103"}
    assert rep.recommendation is not None and rep.recommendation.region == "eu-west-1"


# ------------------------------------------------------ the service of a request


def test_query_call_with_a_cut_url_is_sts_by_its_api_version() -> None:
    """boto/boto3#2258: the paste ends inside the URL, and no event names the service:
    AssumeRoleWithWebIdentity with STS's API version (2011-06-15) is STS's call."""
    rep = report((DATA / "02-boto3-2258-irsa-cut-url.log").read_bytes())
    assert ops(rep) == [("sts", "AssumeRoleWithWebIdentity", None)]


def test_another_api_version_is_not_sts() -> None:
    line = (
        b"2020-01-08 22:50:19,372 botocore.endpoint [DEBUG] Making request for OperationModel"
        b"(name=GetAccessKeyInfo) with params: {'url_path': '/', 'query_string': '', 'method': "
        b"'POST', 'headers': {}, 'body': {'Action': 'GetAccessKeyInfo', 'Version': '2010-05-08'}, "
        b"'url': 'https://exa"
    )
    assert ops(report(line + b"\n")) == [(None, "GetAccessKeyInfo", None)]


def test_request_created_names_the_service_of_a_redacted_url() -> None:
    """boto/boto3#2420: the user redacted the URL ('**redacted**'); `Event
    request-created.s3.GetObject` names the service."""
    rep = report((DATA / "13-boto3-2420-redacted-url.log").read_bytes())
    assert ops(rep) == [("s3", "GetObject", None)]


def test_request_created_of_another_operation_changes_nothing() -> None:
    data = (
        (DATA / "13-boto3-2420-redacted-url.log")
        .read_bytes()
        .replace(b"request-created.s3.GetObject", b"request-created.sqs.SendMessage")
    )
    assert ops(report(data)) == [(None, "GetObject", None)]


def test_request_created_does_not_override_a_known_service() -> None:
    """`request-created.<id>` uses the hyphenated service id; a host that names a botocore
    service keeps it (`logs`, not `cloudwatch-logs`)."""
    data = (
        b"2020-05-11 15:03:31,043 botocore.endpoint [DEBUG] Making request for OperationModel"
        b"(name=PutLogEvents) with params: {'url_path': '/', 'body': b'', "
        b"'url': 'https://logs.us-east-1.amazonaws.com/', 'context': {'client_region': "
        b"'us-east-1'}}\n"
        b"2020-05-11 15:03:31,044 botocore.hooks [DEBUG] Event request-created.cloudwatch-logs."
        b"PutLogEvents: calling handler <bound method RequestSigner.handler of <x>>\n"
    )
    assert ops(report(data)) == [("logs", "PutLogEvents", "logs.us-east-1.amazonaws.com")]


# ---------------------------------------------------------------- expired tokens


def test_expired_web_identity_token_is_the_jwt() -> None:
    """awslabs/aws-orbit-workbench#708: ExpiredTokenException from AssumeRoleWithWebIdentity
    is the web identity token's expiry (53 h before), not a session to re-assume."""
    rep = report((DATA / "16-aws-orbit-708-web-identity-expired.log").read_bytes())
    (sd402,) = [f for f in rep.findings if f.code == "SD402"]
    assert "web identity token (the JWT) expired 53.0 h ago" in sd402.message
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in sd402.message


def test_expired_session_token_of_assume_role_stays_a_session() -> None:
    (hit,) = classify_error(
        "ExpiredToken", "The security token included in the request is expired", "AssumeRole",
        None, (), sts_call=True,
    )  # fmt: skip
    assert hit.code == "SD402" and "web identity" not in hit.message


def test_versions_from_the_user_agent_of_a_fragment() -> None:
    """boto/boto3#2357, botocore#2139: a paste that starts at `Sending http request` names
    the SDK versions in its User-Agent header (was 'unknown versions')."""
    line = (
        b"2020-09-15 00:24:41,825 botocore.endpoint [DEBUG] Sending http request: "
        b"<AWSPreparedRequest stream_output=False, method=GET, url=https://s3.amazonaws.com/x, "
        b"headers={'User-Agent': b'Boto3/1.14.52 Python/3.8.5 Linux/4.14 Botocore/1.17.52'}>\n"
    )
    rep = report(line)
    assert rep.log is not None
    assert rep.log.versions == ("Boto3/1.14.52", "Python/3.8.5", "Botocore/1.17.52")


# ------------------------------------------------------------ container credentials

POD_IDENTITY = DATA / "bc131-pod-identity-host-refused.log"


def test_botocore_older_than_pod_identity_refuses_its_endpoint() -> None:
    """botocore 1.31 given EKS Pod Identity's endpoint raises `ValueError: Unsupported host
    '169.254.170.23'` after `Looking for credentials via: container-role` (was: no finding)."""
    rep = report(POD_IDENTITY.read_bytes())
    (sd502,) = [f for f in rep.findings if f.code == "SD502"]
    assert "predates EKS Pod Identity" in sd502.message
    assert "Upgrade boto3/botocore" in sd502.fix
    assert sd502.evidence[0].line == 36


def test_another_refused_host_is_not_pod_identity() -> None:
    data = POD_IDENTITY.read_bytes().replace(b"169.254.170.23", b"10.0.0.5")
    (sd502,) = [f for f in report(data).findings if f.code == "SD502"]
    assert "10.0.0.5" in sd502.message and "predates" not in sd502.message
    assert "allowed host" in sd502.fix


def test_container_role_lookup_without_a_failure_says_nothing() -> None:
    data = b"\n".join(POD_IDENTITY.read_bytes().splitlines()[:11]) + b"\n"
    assert report(data).findings == ()


# -------------------------------------------------------------------- hosts


def test_placeholder_in_the_url_is_no_host() -> None:
    """boto/boto3#3123: `url=https://<S3 BUCKET>.s3.<S3 REGION>.amazonaws.com/<S3 KEY>` gave
    the host and service '<s3'."""
    rep = report((DATA / "21-boto3-3123-placeholder-host.log").read_bytes())
    assert ops(rep) == [(None, None, None)]


def test_hosts_and_addresses_are_still_hosts() -> None:
    line = (
        b"2022-01-28 17:07:42,082 botocore.endpoint [DEBUG] Sending http request: "
        b"<AWSPreparedRequest stream_output=False, method=POST, url=%s, headers={}>\n"
    )
    for url, host in (
        (b"https://xxx.s3.eu-west-1.amazonaws.com/k", "xxx.s3.eu-west-1.amazonaws.com"),
        (b"https://sts.us-east-1.amazonaws.com/", "sts.us-east-1.amazonaws.com"),
        (b"http://[fd00:ec2::254]:80/latest/api/token", "fd00:ec2::254"),
        (b"https://10.1.2.3:4443/", "10.1.2.3"),
    ):
        assert [r.host for r in report(line % url).requests] == [host], url


def test_cut_paste_of_a_boto3_program_says_how_to_log_boto3() -> None:
    """boto/boto3#3123, #2357: a boto3 paste cut before the answer was told to capture
    `aws ... --debug` only."""
    rep = report((DATA / "21-boto3-3123-placeholder-host.log").read_bytes())
    (sd210,) = [f for f in rep.findings if f.code == "SD210"]
    assert "boto3.set_stream_logger('')" in sd210.fix and "aws ... --debug" in sd210.fix
