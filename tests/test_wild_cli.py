"""Real `aws --debug` pastes from public GitHub issues (AWS CLI v1 and v2; tests/data/wild-cli,
sources in its SOURCES.md): excerpts as users paste them, cut at either end, and what an AWS
expert reads in them."""

from __future__ import annotations

from pathlib import Path

import pytest

from stsdiag.logparse.cutoff import cut_message
from tests.helpers import codes, parse

DATA = Path(__file__).parent / "data" / "wild-cli"
TERMUX_RETRY = DATA / "02-termux-30067-connect-retry.log"
ASSUME_ROLE_403 = DATA / "14-aws-cli-6082-assumerole-invalid-token.log"
CUT_MID_MESSAGE = DATA / "05-aws-cli-5976-cut-mid-message.log"
CUSTOM_HOST = DATA / "12-scality-1115-custom-host-80col.log"
IMDS_REGION = DATA / "03-aws-cli-5460-imds-region-lookup.log"
CUT_ARGUMENTS = DATA / "17-aws-cli-8918-cut-arguments.log"
ECR_LAST_ATTEMPT = DATA / "18-aws-cli-8027-ecr-last-attempt.log"
SSO_PORTAL_CUT = DATA / "23-aws-cli-9456-sso-portal-cut-request.log"
ECR_PROXY_TUNNEL = DATA / "19-aws-cli-2627-ecr-proxy-tunnel.log"
SSO_INVALID_GRANT = DATA / "04-aws-cli-8561-sso-oidc-invalid-grant.log"


@pytest.mark.parametrize(
    ("paste", "service", "operation", "finding"),
    [
        (ASSUME_ROLE_403, "sts", "AssumeRole", "SD403"),
        (TERMUX_RETRY, "sts", "GetCallerIdentity", "SD209"),
    ],
)
def test_fragment_named_by_its_retry_event(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    paste: Path,
    service: str,
    operation: str,
    finding: str,
) -> None:
    """A paste without `Making request`: the retry handler's event after the attempt
    (`Event needs-retry.sts.AssumeRole`) names the call (was `sts.?`)."""
    doc = parse(tmp_path, paste.read_text(), capsys)
    (req,) = doc["requests"]
    assert (req["service"], req["operation"]) == (service, operation)
    assert finding in codes(doc)


def test_retry_event_does_not_rename_a_named_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near-miss: a request `Making request` named keeps its name; an event of another
    operation on the thread (a credential provider's, say) does not rename it."""
    text = (
        "2021-04-09 07:49:06,100 - MainThread - botocore.endpoint - DEBUG - Making request for "
        "OperationModel(name=GetCallerIdentity) with params: {'url_path': '/', 'query_string': "
        "'', 'method': 'POST', 'headers': {}, 'body': {'Action': 'GetCallerIdentity', "
        "'Version': '2011-06-15'}, 'url': 'https://sts.eu-central-1.amazonaws.com/', "
        "'context': {'client_region': 'eu-central-1'}}\n" + ASSUME_ROLE_403.read_text()
    )
    (req,) = parse(tmp_path, text, capsys)["requests"]
    assert (req["service"], req["operation"]) == ("sts", "GetCallerIdentity")


def test_custom_endpoint_host_names_no_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A custom endpoint's host (`http://ut008693:8000/`, an S3-compatible store) is no
    service name: the request was read as the service `ut008693` (and a container
    credential endpoint's `127.0.0.40` as `127`)."""
    (req,) = parse(tmp_path, CUSTOM_HOST.read_text(), capsys)["requests"]
    assert (req["host"], req["operation"]) == ("ut008693", "ListBuckets")
    assert req["service"] is None


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("sts.eu-central-1.amazonaws.com", "sts"),
        ("vpce-0a1b2c3d4e5f-abcdefgh.sts.eu-central-1.vpce.amazonaws.com", "sts"),
        ("sts.cn-north-1.amazonaws.com.cn", "sts"),
    ],
)
def test_aws_host_still_names_its_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str, service: str
) -> None:
    """Near-miss: a paste that starts at the connection to an AWS host (also a VPC
    endpoint's own name, whose first label is the endpoint id) names the service."""
    text = (
        "2021-04-09 07:49:06,100 - MainThread - urllib3.connectionpool - DEBUG - Starting new "
        f"HTTPS connection (1): {host}:443\n"
        f'2021-04-09 07:49:06,229 - MainThread - urllib3.connectionpool - DEBUG - https://{host}:443 "POST / HTTP/1.1" 200 419\n'
    )
    (req,) = parse(tmp_path, text, capsys)["requests"]
    assert (req["host"], req["service"]) == (host, service)


def test_paste_cut_mid_message_is_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A paste that ends in the middle of botocore's `Exception received when sending HTTP
    request` (`... - DEBUG - Exception`) was cut: the request's end is in the missing part
    (SD210 info), not a request still waiting for its answer (was a warning)."""
    doc = parse(tmp_path, CUT_MID_MESSAGE.read_text(), capsys)
    assert doc["log"]["truncated"] is True
    (f,) = [f for f in doc["findings"] if f["code"] == "SD210"]
    assert f["severity"] == "info"


def test_paste_ending_with_a_whole_record_is_not_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near-miss: the same paste without its cut last record ends with a whole one (the
    connection): nothing says it was cut, the SDK was still waiting."""
    text = "".join(CUT_MID_MESSAGE.read_text().splitlines(keepends=True)[:-1])
    doc = parse(tmp_path, text, capsys)
    assert doc["log"]["truncated"] is False
    (f,) = [f for f in doc["findings"] if f["code"] == "SD210"]
    assert f["severity"] == "warning"


@pytest.mark.parametrize(
    ("message", "cut"),
    [
        ("Exception", True),
        ("Exception received when", True),
        ("Response hea", True),
        ("Exception received when sending HTTP request.", False),
        ("Response body:", False),
        ("Starting new HTTPS connection (1): sts.amazonaws.com:443", False),
        ("Ex", False),
        ("Exceptional", False),
    ],
)
def test_cut_message(message: str, cut: bool) -> None:
    assert cut_message(message) is cut


def test_attempt_signed_again_after_a_retry_decision_is_a_try(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paste that ends while botocore builds and signs the retry (`Event request-created`
    after `Retry needed`, no `Sending` yet): that is attempt 2 (was 1 try), not yet answered;
    the first attempt's connection failure is still said."""
    doc = parse(tmp_path, TERMUX_RETRY.read_text(), capsys)
    (req,) = doc["requests"]
    assert [a["number"] for a in req["attempts"]] == [1, 2]
    assert req["attempts"][0]["error"] == "connection-error"
    assert req["attempts"][1]["answered"] is False
    assert "SD209" in codes(doc)


def test_signed_attempt_then_sent_is_one_try(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near-miss: the signed retry then sent (`Sending http request`) is one attempt, not
    two; a first attempt's own `request-created` (no retry decision before it) is none."""
    send = (
        "2026-06-07 19:07:39,450 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
        "<AWSPreparedRequest stream_output=False, method=POST, "
        "url=https://sts.us-west-2.amazonaws.com/, headers={}>\n"
    )
    lines = TERMUX_RETRY.read_text().splitlines(keepends=True)[:-1]
    (req,) = parse(tmp_path, "".join(lines) + send, capsys)["requests"]
    assert len(req["attempts"]) == 2
    first = [ln for ln in lines if "request-created" in ln] + [send]
    (req,) = parse(tmp_path, "".join(first), capsys)["requests"]
    assert (req["operation"], len(req["attempts"])) == ("GetCallerIdentity", 1)


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("oidc.eu-central-1.amazonaws.com", "sso-oidc"),
        ("portal.sso.us-east-1.amazonaws.com", "sso"),
        ("api.ecr.us-east-1.amazonaws.com", "ecr"),
        ("monitoring.us-east-1.amazonaws.com", "cloudwatch"),
        # near-misses: a prefix that is its own client, and one botocore does not know
        ("sts.eu-west-1.amazonaws.com", "sts"),
        ("ec2.us-west-2.amazonaws.com", "ec2"),
        ("newsvc.us-east-1.amazonaws.com", "newsvc"),
    ],
)
def test_host_names_the_service_of_its_endpoint_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str, service: str
) -> None:
    """A host names the service whose model has its endpoint prefix, as botocore names the
    client (`oidc` is sso-oidc, `api.ecr` ecr, `portal.sso` sso): was its first label."""
    text = (
        "2024-03-06 10:54:27,094 - MainThread - urllib3.connectionpool - DEBUG - Starting new "
        f"HTTPS connection (1): {host}:443\n"
        f'2024-03-06 10:54:27,185 - MainThread - urllib3.connectionpool - DEBUG - https://{host}:443 "POST / HTTP/1.1" 200 78\n'
    )
    (req,) = parse(tmp_path, text, capsys)["requests"]
    assert req["service"] == service


def test_sso_oauth_error_is_read_and_its_region_is_no_sts_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """IAM Identity Center's OIDC service answers in OAuth's shape (`error_description`):
    its description is the message (was empty), and the SSO instance's region is no
    recommendation for STS (was eu-central-1 'from the evidence in the log')."""
    doc = parse(tmp_path, SSO_INVALID_GRANT.read_text(), capsys)
    (req,) = doc["requests"]
    assert (req["service"], req["error_code"]) == ("sso-oidc", "InvalidGrantException")
    assert req["error_message"] == "Invalid refresh token provided"
    (f,) = [f for f in doc["findings"] if f["code"] == "SD402"]
    assert "Invalid refresh token provided. The SSO session has expired" in f["message"]
    rec = doc["recommendation"]
    assert rec["region"] is None and "eu-central-1" in rec["note"]


def test_sts_call_after_sso_sign_in_is_recommended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near-miss: with an STS call in the log, its region is recommended (the SSO sign-in's
    region is not counted against it); a JSON error's `message` is still read."""
    sts = "sts.ap-southeast-2.amazonaws.com"
    text = [
        *SSO_INVALID_GRANT.read_text().splitlines(keepends=True)[:5],
        "2024-03-06 10:54:28,094 - MainThread - urllib3.connectionpool - DEBUG - Starting new "
        f"HTTPS connection (1): {sts}:443\n",
        f'2024-03-06 10:54:28,185 - MainThread - urllib3.connectionpool - DEBUG - https://{sts}:443 "POST / HTTP/1.1" 200 419\n',
    ]
    doc = parse(tmp_path, "".join(text), capsys)
    assert doc["recommendation"]["region"] == "ap-southeast-2"
    body = '{"__type":"InvalidGrantException","message":"Invalid grant provided"}'
    lines = [*SSO_INVALID_GRANT.read_text().splitlines(keepends=True)[:4], f"b'{body}'\n"]
    (req,) = parse(tmp_path, "".join(lines), capsys)["requests"]
    assert req["error_message"] == "Invalid grant provided"


def test_failed_imds_region_lookup_means_no_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The AWS CLI v2 asks IMDS for the region (`placement/availability-zone`) only when none
    is configured; when that fails, no region was configured (SD101; was only SD502)."""
    doc = parse(tmp_path, IMDS_REGION.read_text(), capsys)
    (f,) = [f for f in doc["findings"] if f["code"] == "SD101"]
    assert [e["line"] for e in f["evidence"]] == [4, 5]
    assert "SD502" in codes(doc)


@pytest.mark.parametrize(
    "text",
    [
        # the credential fetcher's failure, in botocore.utils's words shared with the region's
        "2020-08-12 16:56:41,875 - MainThread - botocore.utils - DEBUG - Max number of attempts "
        "exceeded (1) when attempting to retrieve data from metadata service.\n",
        # IMDS answered the region lookup
        "2020-08-12 16:56:41,838 - MainThread - urllib3.connectionpool - DEBUG - Starting new HTTP "
        "connection (1): 169.254.169.254:80\n"
        '2020-08-12 16:56:41,844 - MainThread - urllib3.connectionpool - DEBUG - http://169.254.169.254:80 "GET /latest/meta-data/placement/availability-zone/ HTTP/1.1" 200 10\n',
    ],
    ids=["credential-fetch-failed", "region-lookup-answered"],
)
def test_imds_without_a_failed_region_lookup_says_no_region_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """Near-miss: IMDS failing for credentials, or answering the region lookup, says
    nothing about the configured region."""
    assert "SD101" not in codes(parse(tmp_path, text, capsys))


def test_cut_cli_arguments_completed_by_the_pasted_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paste whose `Arguments entered to CLI` list is cut before `--region`, under the
    command the user ran (`aws iam get-role --role-name ROLE_NAME --debug --region
    us-gov-west-1`): the command starts with the list's whole strings, so its `--region` is
    the CLI's (was: no region, no recommendation)."""
    doc = parse(tmp_path, CUT_ARGUMENTS.read_text(), capsys)
    assert doc["recommendation"]["region"] == "us-gov-west-1"


@pytest.mark.parametrize(
    ("command", "args"),
    [
        # another command than the log's
        ("aws sts get-caller-identity --region eu-west-1", "['iam', 'get-role', '--role-name', 'ROLE"),
        # the list is whole: it is what the CLI was given, not the command above it
        ("aws iam get-role --region eu-west-1", "['iam', 'get-role']"),
        # too little of the list survived to tell it is the same command
        ("aws iam get-role --region eu-west-1", "['iam', 'get-r"),
    ],
    ids=["other-command", "whole-list", "too-short"],
)  # fmt: skip
def test_pasted_command_unlike_the_arguments_is_not_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, args: str
) -> None:
    """Near-miss: a pasted command is used only to complete a cut list it agrees with."""
    head = CUT_ARGUMENTS.read_text().splitlines(keepends=True)[1:3]
    text = command + "\n" + head[0] + head[1].split("CLI: ")[0] + "CLI: " + args + "\n"
    assert parse(tmp_path, text, capsys)["recommendation"]["region"] is None


@pytest.mark.parametrize(
    ("said", "message"),
    [
        ("3", "gave up after 3 attempts (the log shows only the last one, 60.2 s)"),
        # near-miss: the handler's count is what the log shows
        ("1", "gave up after 1 attempt; the SDK waited 60.2 s in total"),
    ],
)
def test_exhausted_retries_count_what_the_retry_handler_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], said: str, message: str
) -> None:
    """A paste that starts at the last attempt (`Starting new HTTPS connection (3)`, then
    `Max attempts of 3 reached.`): the SDK gave up after 3 attempts, not 1 (was 'gave up
    after 1 attempt; the SDK waited 60.2 s in total')."""
    text = ECR_LAST_ATTEMPT.read_text().replace("Max attempts of 3", f"Max attempts of {said}")
    doc = parse(tmp_path, text, capsys)
    (req,) = doc["requests"]
    assert (req["service"], req["operation"]) == ("ecr", "GetAuthorizationToken")
    (f,) = [f for f in doc["findings"] if f["code"] == "SD208"]
    assert message in f["message"]


def test_request_cut_before_its_url_is_where_its_endpoint_resolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`Making request` cut before its `'url'`: the endpoint provider's result just before
    it says where it goes (was no host and no service); that is IAM Identity Center's portal,
    so its region is no STS recommendation (was ap-southeast-2 'from the evidence')."""
    doc = parse(tmp_path, SSO_PORTAL_CUT.read_text(), capsys)
    (req,) = doc["requests"]
    assert (req["service"], req["operation"]) == ("sso", "GetRoleCredentials")
    assert req["host"] == "portal.sso.ap-southeast-2.amazonaws.com"
    assert doc["recommendation"]["region"] is None


def test_request_url_wins_over_the_endpoint_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near-miss: a `Making request` with its URL keeps it (an endpoint result for another
    host before it changes nothing)."""
    lines = SSO_PORTAL_CUT.read_text().splitlines(keepends=True)
    url = "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials"
    making = lines[4].split("'headers'")[0] + f"'url': '{url}', 'context': {{}}}}\n"
    (req,) = parse(tmp_path, "".join([*lines[:4], making]), capsys)["requests"]
    assert req["host"] == "portal.sso.eu-west-1.amazonaws.com"


def test_failure_in_the_proxy_tunnel_is_a_proxy_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `ConnectionError` raised in urllib3's `_prepare_proxy` (the CONNECT tunnel through
    the HTTPS proxy) is the proxy's (SD301; was SD209, the endpoint's); the signed canonical
    request names the host and the JSON target the operation (was `ecr.?` with no host: this
    old botocore's `Sending` names no URL)."""
    doc = parse(tmp_path, ECR_PROXY_TUNNEL.read_text(), capsys)
    (req,) = doc["requests"]
    assert (req["host"], req["operation"]) == (
        "ecr.us-east-1.amazonaws.com",
        "GetAuthorizationToken",
    )
    assert req["attempts"][0]["error"] == "proxy"
    assert "SD301" in codes(doc) and "SD209" not in codes(doc)


def test_connection_error_outside_the_proxy_tunnel_is_the_endpoints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near-miss: the same failure with no proxy frame is the endpoint's connection error;
    a canonical request with no target header (query and REST protocols) names no operation."""
    text = ECR_PROXY_TUNNEL.read_text().replace("self._prepare_proxy(conn)", "conn.connect()")
    text = text.replace(
        "x-amz-target:AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken\n", ""
    )
    doc = parse(tmp_path, text, capsys)
    (req,) = doc["requests"]
    assert (req["host"], req["operation"]) == ("ecr.us-east-1.amazonaws.com", None)
    assert req["attempts"][0]["error"] == "connection-error"
    assert "SD209" in codes(doc) and "SD301" not in codes(doc)
