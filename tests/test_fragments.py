"""Pastes that start or end in the middle of a request, old urllib3 lines, JSON-protocol errors,
the credential chain's HTTP traffic, and evidence line numbers.

The short logs here are real pastes from public GitHub issues (source on each), cut to the
lines that matter: users paste what they think is relevant, rarely the whole run. The last
test checks evidence line numbers on every real fixture log."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stsdiag.cli import run
from tests.helpers import cases, codes, parse

# aws-azure-login#251 (AWS CLI v2.8.7): the paste starts at the connection, after `Sending`
AF_SOUTH_403 = """\
urllib3.connectionpool - DEBUG - Starting new HTTPS connection (1): sts.af-south-1.amazonaws.com:443
urllib3.connectionpool - DEBUG - https://sts.af-south-1.amazonaws.com:443 "POST / HTTP/1.1" 403 305
botocore.parsers - DEBUG - Response headers: {'x-amzn-RequestId': '16fc956c-311e-4199-bee1-1680236e9698', 'Content-Type': 'text/xml', 'Content-Length': '305', 'Date': 'Wed, 02 Nov 2022 12:44:38 GMT'}
botocore.parsers - DEBUG - Response body:
b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\\n  <Error>\\n    <Type>Sender</Type>\\n    <Code>InvalidClientTokenId</Code>\\n    <Message>The security token included in the request is invalid</Message>\\n  </Error>\\n  <RequestId>16fc956c-311e-4199-bee1-1680236e9698</RequestId>\\n</ErrorResponse>'
"""


def test_paste_from_the_answer_on_still_names_the_error_and_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, AF_SOUTH_403, capsys)
    assert "SD403" in codes(doc)
    (req,) = doc["requests"]
    assert (req["service"], req["host"], req["http_status"]) == (
        "sts",
        "sts.af-south-1.amazonaws.com",
        403,
    )
    assert doc["recommendation"]["region"] == "af-south-1"
    sd403 = next(f for f in doc["findings"] if f["code"] == "SD403")
    assert sd403["evidence"][0]["line"] == 5  # the body's line, where the code is


def test_a_lone_status_line_is_a_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # botocore PR#2386 (boto3 set_stream_logger): only urllib3's answer line was pasted
    line = (
        "2021-06-10 14:47:35,708 urllib3.connectionpool [DEBUG] https://sts.amazonaws.com:443 "
        '"POST / HTTP/1.1" 200 442\n'
    )
    doc = parse(tmp_path, line, capsys)
    assert doc["requests_total"] == 1 and doc["requests"][0]["host"] == "sts.amazonaws.com"
    assert "SD102" in codes(doc)


# aws-cli#6450: the paste starts inside the traceback; the retry line names the endpoint
RETRY_ONLY = """\
botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL: "https://ec2.us-west-2.amazonaws.com/"
2021-10-05 17:13:10,542 - MainThread - botocore.hooks - DEBUG - Event needs-retry.ec2.StartInstances: calling handler <botocore.retryhandler.RetryHandler object at 0x10a339630>
2021-10-05 17:13:10,542 - MainThread - botocore.retryhandler - DEBUG - retry needed, retryable exception caught: Connect timeout on endpoint URL: "https://ec2.us-west-2.amazonaws.com/"
Traceback (most recent call last):
  File "/Users/x/Library/Python/3.7/lib/python/site-packages/urllib3/connection.py", line 157, in _new_conn
    (self._dns_host, self.port), self.timeout, **extra_kw
socket.timeout: timed out
"""


def test_a_retry_line_alone_is_a_failed_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, RETRY_ONLY, capsys)
    assert "SD202" in codes(doc)
    (req,) = doc["requests"]
    assert req["host"] == "ec2.us-west-2.amazonaws.com" and req["service"] == "ec2"
    assert [a["error"] for a in req["attempts"]] == ["connect-timeout"]


# aws-cli#6833 (AWS CLI v2, Amplify, a restJson service): the error code is in a header,
# the message in a JSON body
JSON_SKEW = """\
2022-03-31 04:48:29,016 - MainThread - urllib3.connectionpool - DEBUG - https://amplify.us-east-1.amazonaws.com:443 "GET /apps HTTP/1.1" 403 114
2022-03-31 04:48:29,018 - MainThread - botocore.parsers - DEBUG - Response headers: {'Content-Type': 'application/json', 'Content-Length': '114', 'Connection': 'keep-alive', 'Date': 'Thu, 31 Mar 2022 10:03:52 GMT', 'x-amzn-ErrorType': 'InvalidSignatureException', 'x-amz-apigw-id': 'P2BlUFn7IAMFgFA='}
2022-03-31 04:48:29,018 - MainThread - botocore.parsers - DEBUG - Response body:
b'{"message":"Signature expired: 20220331T094828Z is now earlier than 20220331T095852Z (20220331T100352Z - 5 min.)"}'
"""


def test_json_protocol_error_from_header_and_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, JSON_SKEW, capsys)
    assert codes(doc)[0] == "SD401"
    sd401 = doc["findings"][0]
    assert "924 s behind" in sd401["message"]  # 09:48:28 signed, 10:03:52 at AWS, less 5 min
    assert doc["requests"][0]["error_code"] == "InvalidSignatureException"


def test_query_compatible_json_error_header_gives_the_query_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a JSON-protocol answer of a query-compatible service: the Query code is in its own
    # header (shape as botocore logs it; hand-typed, marked: no such STS answer recorded here)
    text = JSON_SKEW.replace(
        "'x-amzn-ErrorType': 'InvalidSignatureException'",
        "'x-amzn-query-error': 'InvalidClientTokenId;Sender', "
        "'x-amzn-ErrorType': 'com.amazonaws.sts#InvalidClientTokenIdException'",
    ).replace("Signature expired: 20220331T094828Z is now earlier than", "The security token is")
    doc = parse(tmp_path, text, capsys)
    assert doc["requests"][0]["error_code"] == "InvalidClientTokenId"
    assert "SD403" in codes(doc)


# aws-cli#1928 (botocore 1.8, vendored requests): `Sending` names no URL; the connection does
OLD_VENDORED = """\
2018-02-06 05:46:31,194 - MainThread - botocore.endpoint - DEBUG - Sending http request: <PreparedRequest [POST]>
2018-02-06 05:46:31,195 - MainThread - botocore.vendored.requests.packages.urllib3.connectionpool - INFO - Starting new HTTPS connection (2): sts.amazonaws.com
2018-02-06 05:47:31,296 - MainThread - botocore.endpoint - DEBUG - Exception received when sending HTTP request.
Traceback (most recent call last):
  File "/usr/local/lib/python2.7/dist-packages/botocore/vendored/requests/adapters.py", line 433, in send
    raise ReadTimeout(e, request=request)
ReadTimeout: HTTPSConnectionPool(host='sts.amazonaws.com', port=443): Read timed out. (read timeout=60)
"""


def test_old_vendored_requests_host_from_the_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, OLD_VENDORED, capsys)
    assert doc["requests"][0]["host"] == "sts.amazonaws.com"
    assert {"SD102", "SD204"} <= set(codes(doc))
    sd204 = next(f for f in doc["findings"] if f["code"] == "SD204")
    assert sd204["evidence"][0]["line"] == 7  # the exception's line, not the record's first


# aws-cli#915 (botocore 0.6x, 2014): old urllib3 names no host in its answer line; IMDS
# answered 404 on the role list: the instance has no role, IMDS is reachable
IMDS_404 = """\
2014-09-19 18:29:08,108 - MainThread - botocore.credentials - DEBUG - Looking for credentials via: iam-role
2014-09-19 18:29:08,114 - MainThread - botocore.vendored.requests.packages.urllib3.connectionpool - INFO - Starting new HTTP connection (1): 169.254.169.254
2014-09-19 18:29:08,115 - MainThread - botocore.vendored.requests.packages.urllib3.connectionpool - DEBUG - "GET /latest/meta-data/iam/security-credentials/ HTTP/1.1" 404 345
2014-09-19 18:29:08,115 - MainThread - botocore.utils - DEBUG - Max number of attempts exceeded (1) when attempting to retrieve data from metadata service.
"""

# aws-cli#6509: IMDS asked through a corporate proxy (wrapped by the paste), which wants auth
IMDS_PROXY = """\
2021-11-09 09:37:45,412 - MainThread - urllib3.connectionpool - DEBUG - http://plproxy.example.net:8080 "GET http://
169.254.169.254/latest/meta-data/iam/security-credentials/ HTTP/1.1" 407 1152
2021-11-09 09:37:45,412 - MainThread - botocore.utils - DEBUG - Metadata service returned non-200 response with status c
ode of 407 for url: http://169.254.169.254/latest/meta-data/iam/security-credentials/, content body: b'<HTML><HEAD>'
"""


def events(doc: dict[str, Any]) -> set[str]:
    return {e["tag"] for e in doc["log"]["events"]}


def test_imds_answers_are_the_credential_chain_not_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, IMDS_404, capsys)
    assert doc["requests_total"] == 0
    assert {"imds-answered", "imds-no-role"} <= events(doc)
    assert "imds-failed" not in events(doc)  # it answered: not "unreachable"
    doc = parse(tmp_path, IMDS_PROXY, capsys)
    assert doc["requests_total"] == 0
    assert {"imds-via-proxy", "proxy-auth-required"} <= events(doc)


def test_a_credential_refresh_is_not_a_try_of_the_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # aws-cli#6928 (AWS CLI v2.24 in CloudShell): credentials from a local container endpoint
    # are fetched between `Making request` and `Sending`
    text = """\
2025-03-18 19:18:21,636 - MainThread - botocore.endpoint - DEBUG - Making request for OperationModel(name=StartQuery) with params: {'url_path': '/', 'query_string': '', 'method': 'POST', 'headers': {'X-Amz-Target': 'Logs_20140328.StartQuery'}, 'body': b'{}', 'url': 'https://logs.us-east-1.amazonaws.com/', 'context': {'client_region': 'us-east-1', 'has_streaming_input': False}}
2025-03-18 19:18:21,637 - MainThread - urllib3.connectionpool - DEBUG - Starting new HTTP connection (1): localhost:1338
2025-03-18 19:18:21,638 - MainThread - urllib3.connectionpool - DEBUG - http://localhost:1338 "GET /latest/meta-data/container/security-credentials HTTP/1.1" 200 1184
2025-03-18 19:18:21,669 - MainThread - botocore.endpoint - DEBUG - Sending http request: <AWSPreparedRequest stream_output=False, method=POST, url=https://logs.us-east-1.amazonaws.com/, headers={}>
2025-03-18 19:18:21,680 - MainThread - urllib3.connectionpool - DEBUG - Starting new HTTPS connection (1): logs.us-east-1.amazonaws.com:443
2025-03-18 19:18:21,756 - MainThread - urllib3.connectionpool - DEBUG - https://logs.us-east-1.amazonaws.com:443 "POST / HTTP/1.1" 200 50
"""
    doc = parse(tmp_path, text, capsys)
    (req,) = doc["requests"]
    assert [(a["host"], a["status"]) for a in req["attempts"]] == [
        ("logs.us-east-1.amazonaws.com", 200)
    ]
    assert "imds-answered" in events(doc)


def _norm(s: str) -> str:
    return " ".join(s.split())


def test_evidence_points_at_the_line_it_quotes(capsys: pytest.CaptureFixture[str]) -> None:
    """On every fixture: when an evidence excerpt is a log line's text, its line number is
    that line's (not the first line of a multi-line record). Excerpts stsdiag composes
    ("attempt 2: ...", "code: message") are not checked."""
    checked = 0
    for case in cases():
        if case.meta.get("format") in ("structlog-logfmt", "structlog-kv"):
            continue  # (an exception's line is composed from the record's exc_info repr)
        run(["parse-log", str(case.log), "--output", "json", "--fail-on", "never"])
        doc = json.loads(capsys.readouterr().out)
        lines = [_norm(x) for x in case.log.read_text(errors="replace").splitlines()]
        for f in doc["findings"]:
            for e in f["evidence"]:
                ex, at = e.get("excerpt") or "", e.get("line")
                needle = _norm(ex)[:50].rstrip("…")
                if at is None or len(needle) < 20 or re.search(r"<redacted>|…", needle):
                    continue
                holders = [i + 1 for i, x in enumerate(lines) if needle in x]
                if holders:
                    checked += 1
                    assert at in holders, (case.name, f["code"], at, holders[:5], needle)
    assert checked > 50  # the check really ran


# termux-packages#30067 (AWS CLI v2): the paste starts with the exception that ended the
# attempt; the retry lines follow in MainThread
TRACEBACK_FIRST = """\
botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "https://sts.us-west-2.amazonaws.com/"
2026-06-07 19:07:37,699 - MainThread - botocore.hooks - DEBUG - Event needs-retry.sts.GetCallerIdentity: calling handler <bound method RetryHandler.needs_retry of <botocore.retries.standard.RetryHandler object at 0x78faa>>
2026-06-07 19:07:37,699 - MainThread - botocore.retries.standard - DEBUG - Retry needed, retrying request after delay of: 1.746204831341471
"""
# botocore#1791: an IMDS timeout's last traceback line, then botocore giving up on IMDS
IMDS_TRACEBACK = """\
botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL: "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
2020-01-23 03:39:24,361 botocore.utils [DEBUG] Max number of attempts exceeded (1) when attempting to retrieve data from metadata service.
"""


def test_a_paste_that_starts_with_the_exception(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, TRACEBACK_FIRST, capsys)
    (req,) = doc["requests"]
    assert req["host"] == "sts.us-west-2.amazonaws.com"
    assert "SD209" in codes(doc) and doc["recommendation"]["region"] == "us-west-2"
    # the credential chain's failure is IMDS's (SD502), not a request that timed out
    doc = parse(tmp_path, IMDS_TRACEBACK, capsys)
    assert doc["requests_total"] == 0 and codes(doc) == ["SD502"]


# aws-cli#5872 (AWS CLI v2 on Windows): only the traceback was pasted, no log record at all
TLS_TRACEBACK_ONLY = """\
Traceback (most recent call last):
  File "lib\\site-packages\\urllib3\\connectionpool.py", line 706, in urlopen
  File "ssl.py", line 1139, in do_handshake
urllib3.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1091)
"""


def test_sdk_text_without_any_log_record_is_diagnosed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, TLS_TRACEBACK_ONLY, capsys)
    assert codes(doc) == ["SD303"] and doc["log"]["sdk_records"] == 0
    # the CLI's error message alone (a paste without --debug)
    doc = parse(
        tmp_path,
        "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: "
        "The security token included in the request is invalid.\n",
        capsys,
    )
    assert codes(doc) == ["SD403"]


def test_another_sdks_traceback_is_still_not_a_botocore_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "java.log"
    log.write_text(
        "Exception in thread main com.amazonaws.SdkClientException: Unable to execute HTTP request:"
        " Connect to sts.amazonaws.com:443 failed: connect timed out\n"
        "java.net.SocketTimeoutException: connect timed out\n"
        "\tat java.net.PlainSocketImpl.socketConnect(Native Method)\n"
    )
    assert run(["parse-log", str(log), "--output", "json"]) == 2
    assert "SD001" in capsys.readouterr().err


def test_imds_answers_become_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """404 on the role list: SD501 says no role is attached (not SD502: IMDS answered); IMDS
    through a proxy: SD302, and the proxy's 407 SD301. The real fixtures (imds-no-role,
    imds-via-proxy, three generations) are checked by their snapshots."""
    doc = parse(tmp_path, IMDS_404 + NO_CREDS, capsys)
    assert codes(doc) == ["SD501"] and "no IAM role" in doc["findings"][0]["message"]
    doc = parse(tmp_path, IMDS_PROXY + NO_CREDS, capsys)
    assert set(codes(doc)) == {"SD301", "SD302", "SD501"}
    # near-miss: a healthy IMDS answer is no finding
    healthy = IMDS_404.replace('HTTP/1.1" 404', 'HTTP/1.1" 200').splitlines()[:3]
    doc = parse(tmp_path, "\n".join(healthy) + "\n", capsys)
    assert codes(doc) == [] and "imds-no-role" not in events(doc)


NO_CREDS = (
    "2014-09-19 18:29:08,200 - MainThread - awscli.clidriver - DEBUG - Exception caught in main()\n"
    "Traceback (most recent call last):\n"
    '  File "awscli/clidriver.py", line 217, in main\n'
    "NoCredentialsError: Unable to locate credentials\n"
)


def test_the_region_the_session_was_given_is_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # curator#1618 (boto3 in an app, custom format): nothing else in the paste names a region
    text = (
        "2021-09-23 10:15:40,591 DEBUG botocore.session set_config_variable:311 Setting config "
        "variable for region to 'eu-west-1'\n"
        "2021-09-23 10:15:40,600 INFO botocore.credentials load:1113 Found credentials in "
        "environment variables.\n"
    )
    doc = parse(tmp_path, text, capsys)
    assert doc["recommendation"]["region"] == "eu-west-1"
    # a resource's region outweighs it (the seed's case: the session says us-east-1)
    arn_req = AF_SOUTH_403.replace("af-south-1", "ap-northeast-1")
    doc = parse(tmp_path, text.replace("eu-west-1", "us-east-1") + arn_req, capsys)
    assert doc["recommendation"]["region"] == "ap-northeast-1"


def test_error_names_after_token_words_stay_readable() -> None:
    """aws-cli#6325: `GetSessionToken: AccessDenied: MultiFactorAuthentication failed` lost
    its error code to the `token:` rule; real tokens after the same words are still dropped."""
    from stsdiag.redact import redact

    assert redact("GetSessionToken: AccessDenied: MFA failed") == (
        "GetSessionToken: AccessDenied: MFA failed"
    )
    assert redact("CreateToken: InvalidGrantException") == "CreateToken: InvalidGrantException"
    assert "IQoJb3JpZ2lu" not in redact("'SessionToken': 'IQoJb3JpZ2luX2VjEXAMPLE'")
    assert "IQoJb3JpZ2lu" not in redact("token: IQoJb3JpZ2luX2VjEXAMPLE")
    assert "Zm9vYmFy" not in redact("Signature: Zm9vYmFyYmF6")


@pytest.mark.parametrize(
    ("source", "text", "code", "words"),
    [
        ("aws-cli#7692", "botocore.exceptions.TokenRetrievalError: Error when retrieving token "
         "from sso: Token has expired and refresh failed\n", "SD402", "aws sso login"),
        ("aws-sso-util#74", "DEBUG:botocore.parsers:Response body: b'{\"message\":\"Session "
         "token not found or invalid\",\"__type\":\"com.amazonaws.switchboard.portal#"
         "UnauthorizedException\"}'\n", "SD402", "aws sso login"),
        ("aws-root-account#579", "An error occurred (ForbiddenException) when calling the "
         "GetRoleCredentials operation: No access\n", "SD405", "permission set"),
        ("aws-cli#6325", "An error occurred (AccessDenied) when calling the GetSessionToken "
         "operation: MultiFactorAuthentication failed, unable to validate MFA code.  Please "
         "verify your MFA serial number is valid and associated with this user.\n", "SD405",
         "MFA device's ARN"),
        ("cloud-custodian#4900", "2019-10-02 20:05:15,970: c7n_org:ERROR unable to obtain "
         "credentials for account:awsrole:arn:aws:iam::XXXXXX:role/AdminAccess error:An error "
         "occurred (SignatureDoesNotMatch) when calling the AssumeRole operation: Credential "
         "should be scoped to a valid region, not 'us-east-2'.\n", "SD108", "us-east-2"),
        ("amazon-ecs-agent#2126", "Error when retrieving credentials from container-role: Error "
         "retrieving metadata: Received error when attempting to retrieve ECS metadata: "
         "('Connection aborted.', error(104, 'Connection reset by peer'))\n", "SD502",
         "container credential endpoint"),
        ("aws-cli#4342", "SSL validation failed for https://sts.ap-northeast-2.amazonaws.com/ "
         "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:749)\n", "SD303",
         "sts.ap-northeast-2.amazonaws.com"),
    ],
)  # fmt: skip
def test_one_line_pastes_of_sso_mfa_container_and_tls_failures(
    source: str,
    text: str,
    code: str,
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Real one-line pastes (source given): each names its problem, with what to do."""
    doc = parse(tmp_path, text, capsys)
    hit = next(f for f in doc["findings"] if f["code"] == code)
    assert words in hit["message"], (source, hit["message"])


def test_container_endpoint_named_without_an_error_is_no_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        "2021-08-08 05:31:14,797 - MainThread - urllib3.connectionpool - DEBUG - http://"
        '169.254.170.2:80 "GET /v2/credentials/c5f7099a HTTP/1.1" 200 1307\n'
        "2021-08-08 05:31:14,800 - MainThread - botocore.credentials - INFO - Found credentials "
        "from container-role\n",
        capsys,
    )
    assert codes(doc) == ["SD503"]


# a lab's `aws s3 rb --debug` (AWS CLI v2, a public blog post): S3 denied the call
S3_DENIED = """\
2022-03-24 19:19:39,981 - MainThread - urllib3.connectionpool - DEBUG - https://6nzxc1sjkmar-lab1deletemebucket-t63kd50lk000.s3.ap-northeast-1.amazonaws.com:443 "DELETE / HTTP/1.1" 403 None
2022-03-24 19:19:39,982 - MainThread - botocore.parsers - DEBUG - Response body:
b'<?xml version="1.0" encoding="UTF-8"?>\\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>7XBWQ3W8JM3KRY1W</RequestId></Error>'
"""
# boto3 1.34.59 (a public repository's log): a bucket in another region; botocore redirects
S3_REDIRECT = """\
03/09/2024 16:40:57 - urllib3.connectionpool - DEBUG - https://deassignment.s3.us-east-2.amazonaws.com:443 "PUT /20240309-164056 HTTP/1.1" 301 None
03/09/2024 16:40:57 - botocore.utils - DEBUG - S3 client configured for region us-east-2 but the bucket deassignment is in region us-east-1; Please configure the proper region to avoid multiple unnecessary redirects and signing attempts.
03/09/2024 16:40:57 - urllib3.connectionpool - DEBUG - https://deassignment.s3.us-east-1.amazonaws.com:443 "PUT /20240309-164056 HTTP/1.1" 200 0
"""


def test_other_services_errors_are_not_sts_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, S3_DENIED, capsys)
    assert doc["requests"][0]["service"] == "s3"  # not the bucket's name
    assert codes(doc) == [] and doc["exit_status"] == 0  # S3's AccessDenied: not SD405
    # the same answer from STS is SD405; and credentials errors count from any service
    sts = S3_DENIED.replace(
        "6nzxc1sjkmar-lab1deletemebucket-t63kd50lk000.s3.ap-northeast-1", "sts.ap-northeast-1"
    )
    assert codes(parse(tmp_path, sts, capsys)) == ["SD405"]
    expired = S3_DENIED.replace("AccessDenied", "ExpiredToken")
    assert codes(parse(tmp_path, expired, capsys)) == ["SD402"]


def test_a_bucket_redirect_that_succeeded_is_info(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, S3_REDIRECT, capsys)
    (hit,) = doc["findings"]
    assert (hit["code"], hit["severity"], doc["exit_status"]) == ("SD104", "info", 0)
    # near-miss: without the successful retry it stays an error
    failed = S3_REDIRECT.splitlines(keepends=True)[:2]
    assert parse(tmp_path, "".join(failed), capsys)["findings"][0]["severity"] == "error"


def test_aws_global_is_only_a_missing_region_for_sts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # hand-typed (marked): IAM's client region is aws-global by design; botocore 1.34 shape
    iam = (
        "2024-01-01 10:00:00,000 - MainThread - botocore.endpoint - DEBUG - Making request for "
        "OperationModel(name=GetRole) with params: {'url_path': '/', 'url': "
        "'https://iam.amazonaws.com/', 'context': {'client_region': 'aws-global'}}\n"
    )
    assert "SD101" not in codes(parse(tmp_path, iam, capsys))
    sts = iam.replace("GetRole", "GetCallerIdentity").replace("iam.amazonaws", "sts.amazonaws")
    assert "SD101" in codes(parse(tmp_path, sts, capsys))


def test_a_fips_user_is_recommended_the_fips_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # hand-typed (marked): botocore 1.34's shape of a call with use_fips_endpoint = true
    line = (
        "2024-08-08 05:29:08,576 - MainThread - botocore.endpoint - DEBUG - Making request for "
        "OperationModel(name=GetCallerIdentity) with params: {'url_path': '/', 'url': "
        "'https://sts-fips.us-east-2.amazonaws.com/', 'context': {'client_region': 'us-east-2'}}\n"
    )
    rec = parse(tmp_path, line, capsys)["recommendation"]
    assert rec["endpoint_url"] == "https://sts-fips.us-east-2.amazonaws.com"
    assert "export AWS_USE_FIPS_ENDPOINT=true" in rec["settings"]
    # near-miss: the same call to the regular endpoint gets no FIPS setting
    rec = parse(tmp_path, line.replace("sts-fips.", "sts."), capsys)["recommendation"]
    assert rec["endpoint_url"] == "https://sts.us-east-2.amazonaws.com"
    assert not any("FIPS" in s for s in rec["settings"])


def test_no_answer_in_an_info_level_log_is_not_a_hang(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # awslimitchecker#187: logging at INFO shows connections, never answers
    text = (
        "INFO:botocore.vendored.requests.packages.urllib3.connectionpool:Starting new HTTPS "
        "connection (1): autoscaling.us-east-1.amazonaws.com\n"
        "INFO:botocore.vendored.requests.packages.urllib3.connectionpool:Resetting dropped "
        "connection: autoscaling.us-east-1.amazonaws.com\n"
    )
    doc = parse(tmp_path, text, capsys)
    (hit,) = doc["findings"]
    assert (hit["code"], hit["severity"]) == ("SD210", "info") and "DEBUG" in hit["message"]
    # near-miss: the same at DEBUG is the SDK still waiting (a warning)
    doc = parse(tmp_path, text.replace("INFO:", "DEBUG:"), capsys)
    assert doc["findings"][0]["severity"] == "warning"


def test_old_cli_error_message_and_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A published 2015 `aws s3 ls --debug` run (CLI 1.7, the paste's lines as printed):
    the old CLI's 'A client error (X) occurred' answers the request; the run exited."""
    text = (
        "2015-08-06 20:54:27,700 - MainThread - botocore.endpoint - DEBUG - Sending http "
        "request: <PreparedRequest [GET]>\n"
        "2015-08-06 20:54:27,900 - MainThread - awscli.clidriver - DEBUG - Exiting with rc 255\n"
        "A client error (InvalidAccessKeyId) occurred when calling the ListObjects operation: "
        "The AWS Access Key Id you provided does not exist in our records.\n"
    )
    doc = parse(tmp_path, text, capsys)
    assert codes(doc) == ["SD403"]  # the key is unknown; nothing was left waiting (no SD210)
    assert doc["requests"][0]["error_code"] == "InvalidAccessKeyId"


def test_region_given_as_one_argument_and_connect_timeout_after_a_bare_exception(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a published note (ssm start-session --debug): `--region=ap-northeast-1` as one argument
    args = (
        "2021-03-01 10:00:00,000 - MainThread - awscli.clidriver - DEBUG - Arguments entered to "
        "CLI: ['ssm', 'start-session', '--region=ap-northeast-1', '--target', 'i-0123']\n"
    )
    assert parse(tmp_path, args, capsys)["recommendation"]["region"] == "ap-northeast-1"
    # a published KMS-through-VPC-endpoint timeout: the exception record holds no traceback,
    # the retry line says what it was
    timeout = (
        "2021-03-01 10:00:00,000 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
        "<AWSPreparedRequest stream_output=False, method=POST, url=https://kms.eu-west-1.amazonaws"
        ".com/, headers={}>\n"
        "2021-03-01 10:01:00,000 - MainThread - botocore.endpoint - DEBUG - Exception received "
        "when sending HTTP request.\n"
        "2021-03-01 10:01:00,001 - MainThread - botocore.retryhandler - DEBUG - retry needed, "
        'retryable exception caught: Connect timeout on endpoint URL: "https://kms.eu-west-1.'
        'amazonaws.com/"\n'
    )
    assert "SD202" in codes(parse(tmp_path, timeout, capsys))


def test_connections_to_other_hosts_in_a_fragment_are_other_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an INFO-level Lambda log (published): only connections, to several services
    text = "".join(
        f"[INFO]\t2021-01-01T10:00:0{i}.000Z\t9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d\tStarting new "
        f"HTTPS connection (1): {svc}.ap-northeast-2.amazonaws.com:443\n"
        for i, svc in enumerate(("ssm", "ec2", "sts", "sns"))
    )
    doc = parse(tmp_path, text, capsys)
    assert [r["host"].split(".")[0] for r in doc["requests"]] == ["ssm", "ec2", "sts", "sns"]


def test_endpoint_resolution_alone_is_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hand-typed (marked) in the shape of a published Lambda debug excerpt (classmethod's
    post on regional STS endpoints): only the endpoint provider's lines, no `Making request`. The choice of the global endpoint
    for ap-northeast-1 is what to report."""
    text = (
        "[DEBUG]\t2023-04-01T00:00:00.000Z\t8f5e1a2b-0c3d-4e5f-9a8b-7c6d5e4f3a2b\tCalling endpoint "
        "provider with parameters: {'Region': 'ap-northeast-1', 'UseDualStack': False, "
        "'UseFIPS': False, 'UseGlobalEndpoint': True}\n"
        "[DEBUG]\t2023-04-01T00:00:00.001Z\t8f5e1a2b-0c3d-4e5f-9a8b-7c6d5e4f3a2b\tEndpoint "
        "provider result: https://sts.amazonaws.com\n"
    )
    doc = parse(tmp_path, text, capsys)
    assert {"SD102", "SD103"} <= set(codes(doc))
    assert doc["recommendation"]["region"] == "ap-northeast-1"
    # near-miss: resolution to another service's endpoint is not made a request
    other = text.replace("https://sts.amazonaws.com", "https://s3.ap-northeast-1.amazonaws.com")
    assert parse(tmp_path, other, capsys)["requests_total"] == 0


def _from_sending(path: Path) -> str:
    lines = path.read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if "Sending http request" in line)
    return "".join(lines[first:])


@pytest.mark.parametrize(
    ("name", "service", "operation"),
    [
        # the answer's root element names the operation; an error answer does not, the
        # retry handler's event after it does (`Event needs-retry.sts.GetCallerIdentity`)
        ("glatest-cli-region-ok.log", "sts", "GetCallerIdentity"),
        ("g2023-cli-expired-token.log", "sts", "GetCallerIdentity"),
    ],
)
def test_fragment_from_sending_names_service_and_operation(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    service: str,
    operation: str | None,
) -> None:
    """A paste that starts at `Sending http request` (real fixture logs, cut there): the
    service from the signing scope, the operation from the answer (was `?.?`)."""
    log = next(c.log for c in cases() if c.log.name == name)
    (req, *_) = parse(tmp_path, _from_sending(log), capsys)["requests"]
    assert (req["service"], req["operation"]) == (service, operation)


def test_fragment_json_protocol_operation_from_target_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real LocalStack Cognito paste (tests/data/app-formats, SOURCES.md), cut at its
    `Sending http request`: the JSON protocol's X-Amz-Target header names the operation."""
    paste = Path(__file__).parent / "data" / "app-formats" / "22-localstack-cognito-paren-file.log"
    (req, *_) = parse(tmp_path, _from_sending(paste), capsys)["requests"]
    assert (req["service"], req["operation"]) == ("cognito-idp", "AdminInitiateAuth")
