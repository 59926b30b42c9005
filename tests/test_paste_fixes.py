"""Defects found by running real users' pastes from GitHub issues through parse-log, each
tested on the paste's own lines (marked REAL PASTE, with the source) and on a near miss.

Pastes in issue threads are often excerpts cut anywhere; the lines below are verbatim,
including where the paste was cut, unless a comment says otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from stsdiag import endpoints
from stsdiag.cli import run
from stsdiag.logparse.cutoff import cut_header, unclosed
from stsdiag.models import Finding, Report, Severity
from stsdiag.parselog import ParseOptions, parse_path, plan_chunks
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


# ------------------------------------------------------------------ 1. SD210 on a cut log

# REAL PASTE: aws/aws-cli#5878 (aws sso login, aws-cli/2.1.18), its last four lines: the
# paste ends in a cut header line `2021-01-19 1`
SSO_OIDC_CUT = r"""2021-01-19 18:26:39,201 - MainThread - botocore.hooks - DEBUG - Event request-created.sso-oidc.CreateToken: calling handler <bound method RequestSigner.handler of <botocore.signers.RequestSigner object at 0x7fd96f252750>>
2021-01-19 18:26:39,201 - MainThread - botocore.hooks - DEBUG - Event choose-signer.sso-oidc.CreateToken: calling handler <function set_operation_specific_signer at 0x7fd96e20c7a0>
2021-01-19 18:26:39,201 - MainThread - botocore.endpoint - DEBUG - Sending http request: <AWSPreparedRequest stream_output=False, method=POST, url=https://oidc.us-west-2.amazonaws.com/token, headers={'User-Agent': b'aws-cli/2.1.18 Python/3.7.4 Darwin/20.2.0 exe/x86_64 prompt/off command/sso.login', 'Content-Length': '1059'}>
2021-01-19 1
"""
# REAL PASTE: aws/aws-cli#9089 (aws s3 ls, aws-cli/2.22.0 on Windows; `[redacted]` is the
# user's): the paste ends in a cut header line `202`
S3_CUT = r"""2024-11-20 09:12:22,644 - MainThread - botocore.endpoint - DEBUG - Sending http request: <AWSPreparedRequest stream_output=False, method=GET, url=https://s3.us-east-1.amazonaws.com/, headers={'User-Agent': b'aws-cli/2.22.0 md/awscrt#0.22.0 ua/2.0 os/windows#2019Server md/arch#amd64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls', 'X-Amz-Date': b'20241120T141222Z', 'X-Amz-Content-SHA256': b'[redacted]', 'Authorization': b'AWS4-HMAC-SHA256 Credential=[redacted]/20241120/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[redacted]'}>
2024-11-20 09:12:22,644 - MainThread - botocore.httpsession - DEBUG - Certificate path: C:\Program Files\Amazon\AWSCLIV2\awscli\botocore\cacert.pem
2024-11-20 09:12:22,675 - MainThread - urllib3.connectionpool - DEBUG - Starting new HTTPS connection (3): s3.us-east-1.amazonaws.com:443
202
"""
# REAL PASTE: aws/aws-cli#5109 (sts get-caller-identity, aws-cli/2.2.2; `<redacted>` is the
# user's): the paste ends inside the request's repr, at `'Authorization': b`
STS_SEND = r"""2021-05-07 12:45:19,153 - MainThread - botocore.auth - DEBUG - Signature:
<redacted>
2021-05-07 12:45:19,153 - MainThread - botocore.endpoint - DEBUG - Sending http request: <AWSPreparedRequest stream_output=False, method=POST, url=https://sts.us-east-1.amazonaws.com/, headers={'Content-Type': b'application/x-www-form-urlencoded; charset=utf-8', 'User-Agent': b'aws-cli/2.2.2 Python/3.8.8 Windows/10 exe/AMD64 prompt/off command/sts.get-caller-identity', 'X-Amz-Date': b'20210507T164519Z', 'X-Amz-Security-Token': b'"<redacted>"', 'Authorization': b"""
STS_CUT = STS_SEND + "\n"
# REAL PASTE: boto/boto3#2341 (EMR AddJobFlowSteps, boto3 1.12.22). The paste is cut inside
# the session token; here its last line stops where the token starts (a real token is not
# repeated in a test), and its `Signature:` record is left out
EMR_CUT = r"""2020-03-16 19:48:06,666 botocore.auth [DEBUG] StringToSign:
AWS4-HMAC-SHA256
20200316T194806Z
20200316/us-west-2/elasticmapreduce/aws4_request
3847cd7cff7296a06b586ba6378925276a5e42e42a1c9fb978b1c8abf54bc52d
2020-03-16 19:48:06,667 botocore.endpoint [DEBUG] Sending http request: <AWSPreparedRequest stream_output=False, method=POST, url=https://us-west-2.elasticmapreduce.amazonaws.com/, headers={'X-Amz-Target': b'ElasticMapReduce.AddJobFlowSteps', 'Content-Type': b'application/x-amz-json-1.1', 'User-Agent': b'Boto3/1.12.22 Python/3.6.10 Linux/4.14.165-103.209.amzn1.x86_64 Botocore/1.15.22', 'X-Amz-Date': b'20200316T194806Z', 'X-Amz-Security-Token': b'
"""


@pytest.mark.parametrize(
    "text,host",
    [
        (SSO_OIDC_CUT, "oidc.us-west-2.amazonaws.com"),
        (S3_CUT, "s3.us-east-1.amazonaws.com"),
        (STS_CUT, "sts.us-east-1.amazonaws.com"),
        (EMR_CUT, "us-west-2.elasticmapreduce.amazonaws.com"),
    ],
    ids=["aws-cli#5878", "aws-cli#9089", "aws-cli#5109", "boto3#2341"],
)
def test_cut_paste_is_no_hang(tmp_path: Path, text: str, host: str) -> None:
    rep = parse(tmp_path, text)
    assert rep.log is not None and rep.log.truncated
    f = one(rep, "SD210")
    assert f.severity is Severity.INFO
    assert host in f.message and "cut off" in f.message
    assert "still waiting" not in f.message
    assert "whole log" in f.fix
    rec = rep.recommendation
    assert rec is not None and not any(r.startswith("SD210") for r in rec.reasons)
    assert rep.exit_status == 0


def test_cut_paste_table_says_cut_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "cut.log"
    p.write_text(S3_CUT, encoding="utf-8")
    code, out, _ = cli(capsys, "parse-log", str(p))
    assert code == 0
    assert "[truncated]" in out.splitlines()[0]
    (row,) = [x for x in out.splitlines() if x.startswith("  1 ")]
    assert "cut off" in row and "no answer" not in row


def test_whole_log_ending_in_a_hang_still_warns(tmp_path: Path) -> None:
    """Near miss: the same requests in a log whose last line is whole (the SDK really was
    waiting when it ended) keep the warning; only an STS request's makes it a reason for
    the STS recommendation."""
    s3 = parse(tmp_path, S3_CUT.removesuffix("202\n"), "s3.log")
    assert s3.log is not None and not s3.log.truncated
    f = one(s3, "SD210")
    assert f.severity is Severity.WARNING and "still waiting" in f.message
    assert s3.recommendation is not None
    assert "SD210 no-answer" not in s3.recommendation.reasons  # S3, not STS

    sso = parse(tmp_path, SSO_OIDC_CUT.removesuffix("2021-01-19 1\n"), "sso.log")
    assert one(sso, "SD210").severity is Severity.WARNING
    assert sso.recommendation is not None
    assert "SD210 no-answer" not in sso.recommendation.reasons  # SSO OIDC, not STS

    sts = parse(tmp_path, STS_SEND + "'AWS4-HMAC-SHA256 ...'}>\n", "sts.log")
    assert sts.log is not None and not sts.log.truncated
    assert one(sts, "SD210").severity is Severity.WARNING
    assert sts.recommendation is not None
    assert "SD210 no-answer" in sts.recommendation.reasons


def test_interrupted_cut_log_stays_an_error(tmp_path: Path) -> None:
    """A stop marker (Ctrl-C) is evidence of the hang even when the paste is cut after it."""
    text = (
        S3_CUT.removesuffix("202\n")
        + "Traceback (most recent call last):\nKeyboardInterrupt\n2024-11-20 09:1\n"
    )
    rep = parse(tmp_path, text)
    assert rep.log is not None and rep.log.truncated
    f = one(rep, "SD210")
    assert f.severity is Severity.ERROR and "interrupted" in f.message


@pytest.mark.parametrize(
    "line", ["202", "2021-01-19 1", "2022-02-15 09", "2020-03-30 07:27:35,446 ur", "`2021-0"]
)
def test_cut_header_lines(line: str) -> None:
    assert cut_header(line)


@pytest.mark.parametrize(
    "line",
    [
        "2020-03-30 07:27:35,446 myapp INFO done",  # another program's whole line
        "42",  # command output
        "",
        "Could not connect to the endpoint URL",
    ],
)
def test_not_cut_header_lines(line: str) -> None:
    assert not cut_header(line)


def test_unclosed_reprs() -> None:
    assert unclosed("Sending http request: <AWSPreparedRequest method=POST, headers={'A': b")
    assert unclosed("Response body:", 'b\'{"queryId":"1bfa8')
    assert not unclosed(
        "Sending http request: <AWSPreparedRequest method=POST, headers={'A': b'x'}>"
    )
    assert not unclosed("Response body:", 'b\'{"queryId":"1bfa8633"}\'')
    assert not unclosed("Starting new HTTPS connection (1): sts.amazonaws.com:443")
    # a traceback's source lines are not reprs, and an apostrophe is not a quote
    assert not unclosed(
        "Exception caught in main()",
        "Traceback (most recent call last):\n    raise ConnectTimeoutError(\nError: can't",
    )
    assert not unclosed("Retry needed (it's throttled)")
    assert not unclosed("Converted retries value: False -> Retry(total=False, connect=None)")


# ------------------------------------------------------------------ 2. SD106 custom endpoints

# REAL PASTE: boto/boto3#2357 (boto3 1.9.86, Python 2.7, an S3-compatible store with region
# `region1`; host name masked by the user), without its `Signature:` record: the paste ends
# in a cut header line
S3_COMPATIBLE = r"""2020-03-30 07:27:35,445 botocore.auth [DEBUG] StringToSign:
AWS4-HMAC-SHA256
20200330T072735Z
20200330/region1/s3/aws4_request
485c0830a5601d8222ce0e41b953b59600f4d8b9449411704fea74f36d837585
2020-03-30 07:27:35,445 botocore.endpoint [DEBUG] Sending http request: <AWSPreparedRequest stream_output=False, method=GET, url=https://xxxx.xxxxx.xxxxx.xxxxx.net/, headers={'X-Amz-Content-SHA256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'Authorization': 'AWS4-HMAC-SHA256 Credential=00e2fda87cd7416e6a6c/20200330/region1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=eff5cf71eee519dd3d226b14e22a8d9d6afe1b9b0c40a02989c96adf7baae259', 'X-Amz-Date': '20200330T072735Z', 'User-Agent': 'Boto3/1.9.86 Python/2.7.16 Linux/5.0.0-13-generic Botocore/1.12.71'}>
2020-03-30 07:27:35,446 urllib3.util.retry [DEBUG] Converted retries value: False -> Retry(total=False, connect=None, read=None, redirect=0, status=None)
2020-03-30 07:27:35,446 ur
"""


def test_custom_endpoint_region_is_no_error(tmp_path: Path) -> None:
    rep = parse(tmp_path, S3_COMPATIBLE)
    f = one(rep, "SD106")
    assert f.severity is Severity.INFO
    assert "region1" in f.message and "xxxx.xxxxx.xxxxx.xxxxx.net" in f.message
    assert rep.exit_status == 0


def test_unknown_region_on_an_aws_host_is_an_error(tmp_path: Path) -> None:
    """Near miss: the same request sent to AWS (S3's own host) with that region is an error;
    no known region is close to `region1`, so the fix promises no suggestion."""
    text = S3_COMPATIBLE.replace("xxxx.xxxxx.xxxxx.xxxxx.net", "s3.amazonaws.com")
    f = one(parse(tmp_path, text), "SD106")
    assert f.severity is Severity.ERROR
    assert "Did you mean" not in f.message
    assert "suggested" not in f.fix and "stsdiag endpoints" in f.fix


@pytest.mark.parametrize(
    "typo,near", [("ap-northeast1", "ap-northeast-1"), ("us-east-1a", "us-east-1")]
)
def test_unknown_region_suggestion_is_shown(tmp_path: Path, typo: str, near: str) -> None:
    text = S3_COMPATIBLE.replace("xxxx.xxxxx.xxxxx.xxxxx.net", f"s3.{typo}.amazonaws.com")
    text = text.replace("/region1/", f"/{typo}/")
    f = one(parse(tmp_path, text), "SD106")
    assert f.severity is Severity.ERROR
    assert f"Did you mean {near}?" in f.message
    assert f.fix == f"Use `--region {near}`."


def test_aws_hosts_from_partition_data() -> None:
    for h in (
        "sts.us-east-1.amazonaws.com",
        "s3.cn-north-1.amazonaws.com.cn",
        "sts.us-east-1.api.aws",
        "sts.us-iso-east-1.c2s.ic.gov",
        "vpce-0abc-1234.sts.eu-west-1.vpce.amazonaws.com",
    ):
        assert endpoints.is_aws_host(h), h
    for h in ("xxxx.example.net", "localhost", "s3.amazonaws.com.example.net", "minio"):
        assert not endpoints.is_aws_host(h), h


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


# ------------------------------------------------------------------ 4. other services' endpoints


@pytest.mark.parametrize(
    "name,region,url",
    [
        ("cloudwatch-logs", "us-east-1", "https://logs.us-east-1.amazonaws.com"),
        ("logs", "eu-west-1", "https://logs.eu-west-1.amazonaws.com"),
        ("cloudwatch", "us-east-1", "https://monitoring.us-east-1.amazonaws.com"),
        ("monitoring", "ap-northeast-1", "https://monitoring.ap-northeast-1.amazonaws.com"),
        (
            "elastic-load-balancing",
            "us-east-1",
            "https://elasticloadbalancing.us-east-1.amazonaws.com",
        ),
        (
            "elasticloadbalancing",
            "us-east-1",
            "https://elasticloadbalancing.us-east-1.amazonaws.com",
        ),
        ("elb", "us-east-1", "https://elasticloadbalancing.us-east-1.amazonaws.com"),
        (
            "elastic-load-balancing-v2",
            "eu-west-1",
            "https://elasticloadbalancing.eu-west-1.amazonaws.com",
        ),
        ("sso-oidc", "us-west-2", "https://oidc.us-west-2.amazonaws.com"),
        ("emr", "us-west-2", "https://elasticmapreduce.us-west-2.amazonaws.com"),
        ("sfn", "eu-west-1", "https://states.eu-west-1.amazonaws.com"),
        ("s3", "ap-northeast-1", "https://s3.ap-northeast-1.amazonaws.com"),
        ("s3", "us-east-1", "https://s3.us-east-1.amazonaws.com"),  # regional, as STS is
        ("s3", "cn-north-1", "https://s3.cn-north-1.amazonaws.com.cn"),
        ("cloudwatch-logs", "cn-north-1", "https://logs.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_service_endpoint_from_botocore(name: str, region: str, url: str) -> None:
    assert endpoints.service_endpoint(name, region) == url


def test_prefix_resolver_agrees_with_the_endpoint_ruleset() -> None:
    """service_endpoint reads only the endpoint prefix and botocore's endpoint data; a real
    client (endpoint ruleset, regional S3) gets the same URL, for a sample of every service."""
    names = sorted(endpoints._client_names()[0])
    sample = [*names[::20], "logs", "cloudwatch", "elb", "elbv2", "sso-oidc", "s3", "iam"]
    for name in sample:
        for region in ("us-east-1", "eu-west-1", "cn-north-1"):
            want = endpoints.service_url(name, region).rstrip("/")
            assert endpoints.service_endpoint(name, region) == want, (name, region)


@pytest.mark.parametrize("name", ["us-west-2", "mybucket", "no-such-service"])
def test_unknown_service_gets_no_made_up_endpoint(name: str) -> None:
    assert endpoints.service_endpoint(name, "us-east-1") is None


# REAL PASTE: a CloudShell run of `aws logs start-query` (aws-cli/2.24.21), from a public
# repository's reproduction notes for SDK issue #6928 (`xxx` masks are the author's): eight
# of its lines, from the endpoint resolution to the response headers
LOGS_START_QUERY = r"""2025-03-18 19:18:21,634 - MainThread - botocore.hooks - DEBUG - Event before-parameter-build.cloudwatch-logs.StartQuery: calling handler <function generate_idempotent_uuid at 0x7f8a38727d80>
2025-03-18 19:18:21,634 - MainThread - botocore.regions - DEBUG - Calling endpoint provider with parameters: {'Region': 'us-east-1', 'UseDualStack': False, 'UseFIPS': False}
2025-03-18 19:18:21,635 - MainThread - botocore.regions - DEBUG - Endpoint provider result: https://logs.us-east-1.amazonaws.com
2025-03-18 19:18:21,636 - MainThread - botocore.endpoint - DEBUG - Making request for OperationModel(name=StartQuery) with params: {'url_path': '/', 'query_string': '', 'method': 'POST', 'headers': {'X-Amz-Target': 'Logs_20140328.StartQuery', 'Content-Type': 'application/x-amz-json-1.1', 'User-Agent': 'aws-cli/2.24.21 md/awscrt#0.23.8 ua/2.1 os/linux#6.1.127-135.201.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython exec-env/CloudShell cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off md/command#logs.start-query'}, 'body': b'{"logGroupName": "/aws/lambda/6896", "startTime": 1742205559, "endTime": 1742248759, "queryString": "filter @type = \'REPORT\' | parse @message /REPORT (?:.+)Memory Size: (?<memoryLimit>\\\\d+) MB\\\\sMax Memory Used: (?<memoryUsed>\\\\d+) MB/"}', 'url': 'https://logs.us-east-1.amazonaws.com/', 'context': {'client_region': 'us-east-1', 'client_config': <botocore.config.Config object at 0x7f8a355aeb10>, 'has_streaming_input': False, 'auth_type': None, 'unsigned_payload': None}}
2025-03-18 19:18:21,669 - MainThread - botocore.endpoint - DEBUG - Sending http request: <AWSPreparedRequest stream_output=False, method=POST, url=https://logs.us-east-1.amazonaws.com/, headers={'X-Amz-Target': b'Logs_20140328.StartQuery', 'Content-Type': b'application/x-amz-json-1.1', 'User-Agent': b'aws-cli/2.24.21 md/awscrt#0.23.8 ua/2.1 os/linux#6.1.127-135.201.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython exec-env/CloudShell cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off md/command#logs.start-query', 'X-Amz-Date': b'20250318T191821Z', 'X-Amz-Security-Token': b'xxxxxxx', 'Authorization': b'AWS4-HMAC-SHA256 Credential=xxxx/20250318/us-east-1/logs/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=xxxxx', 'Content-Length': '237'}>
2025-03-18 19:18:21,680 - MainThread - urllib3.connectionpool - DEBUG - Starting new HTTPS connection (1): logs.us-east-1.amazonaws.com:443
2025-03-18 19:18:21,756 - MainThread - urllib3.connectionpool - DEBUG - https://logs.us-east-1.amazonaws.com:443 "POST / HTTP/1.1" 200 50
2025-03-18 19:18:21,757 - MainThread - botocore.parsers - DEBUG - Response headers: {'x-amzn-RequestId': '20f83c1e-c1bf-4929-bc6b-7669d46c31eb', 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': '50', 'Date': 'Tue, 18 Mar 2025 19:18:21 GMT'}
"""


def test_cloudwatch_logs_recommendation_names_its_real_endpoint(tmp_path: Path) -> None:
    rep = parse(tmp_path, LOGS_START_QUERY)
    rec = rep.recommendation
    assert rec is not None and rec.region == "us-east-1"
    urls = {o.service: o.url for o in rec.other_endpoints}
    assert urls == {"cloudwatch-logs": "https://logs.us-east-1.amazonaws.com"}


def test_recommendation_in_another_region_uses_the_prefix(tmp_path: Path) -> None:
    p = tmp_path / "logs.log"
    p.write_text(LOGS_START_QUERY, encoding="utf-8")
    rep = parse_path(str(p), ParseOptions(region_hint="eu-central-1"))
    assert rep.recommendation is not None
    (o,) = rep.recommendation.other_endpoints
    assert o.url == "https://logs.eu-central-1.amazonaws.com"


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


def test_cut_end_is_the_same_split_or_not(tmp_path: Path) -> None:
    """A log of many AWS CLI runs is read in parts: only the end of the last part is the end
    of the log. A cut run in the middle (a part's end) marks nothing; a cut end does."""
    from stsdiag.render import json as render_json
    from tests.helpers import awscli_logs

    runs = b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in awscli_logs())
    for tail, cut in ((b"", False), (b"2024-11-20 09:12:22,6\n", True)):
        path = tmp_path / f"runs-{cut}.log"
        # each copy of the runs ends in a cut header line, as a paste of pastes would
        path.write_bytes((runs + b"202\n") * 3 + runs + tail)
        with path.open("rb") as f:
            assert len(plan_chunks(f, 3, 64 << 10)) == 3  # type: ignore[arg-type]
        one = parse_path(str(path), ParseOptions(jobs=1))
        split = parse_path(str(path), ParseOptions(jobs=3, min_chunk=64 << 10))
        assert one.log is not None and one.log.truncated is cut
        assert render_json.render(split) == render_json.render(one)


def test_custom_endpoint_paste_is_cut_too(tmp_path: Path) -> None:
    """boto3#2357's paste ends in `2020-03-30 07:27:35,446 ur`: a header cut after the
    logger's first letters, following a record the reader drops."""
    rep = parse(tmp_path, S3_COMPATIBLE)
    assert rep.log is not None and rep.log.truncated
    f = one(rep, "SD210")
    assert f.severity is Severity.INFO and "xxxx.xxxxx.xxxxx.xxxxx.net" in f.message
