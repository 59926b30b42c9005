"""Real pastes of a fourth wave (issues of boto3, aws-cli, amazon-vpc-cni-k8s, prowler and
projects that call STS), in tests/data/wild-4 (sources in its SOURCES.md), each with the
misreading it showed, and near misses that must read as before: the old CLI's "A client error
(X) occurred" line and botocore's own "Connect timeout on endpoint URL" line as the whole
paste, the host of a vendored-requests pool, a traceback an app's log glued to botocore's
"Found credentials" line, an availability zone in an STS host, a China region's host in the
commercial domain, a rejected MFA code, the `--region` of a command line pasted above the
CLI's error, S3's InvalidToken, proxy variables exported above "Unable to locate credentials", and
the old CLI's error line with no capitalised "Error" in it, quoted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import codes, parse
from tests.helpers import refused as _refused

DATA = Path(__file__).parent / "data" / "wild-4"


def _parse(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return parse(tmp_path, (DATA / name).read_text(), capsys)


def _tries(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            r["service"],
            r["host"],
            len(r["attempts"]),
            r["attempts"][0]["error"] if r["attempts"] else None,
        )
        for r in doc["requests"]
    ]


# ------------------------------------------------- the CLI's own error line as the whole paste


def test_old_cli_client_error_line_is_a_botocore_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """devsecops/bootcamp#101: AWS CLI v1's `A client error (SignatureDoesNotMatch) occurred
    when calling the AssumeRole operation: Signature expired ... (... - 15 min.)` was refused
    as no botocore log; it is STS's clock-skew answer (STS allows 15 minutes)."""
    doc = _parse(tmp_path, "02-bootcamp-101-assumerole-signature-expired-15min.log", capsys)
    sd401 = [f for f in doc["findings"] if f["code"] == "SD401"]
    assert sd401 and "25196 s behind" in sd401[0]["message"]


def test_client_error_words_without_code_and_operation_stay_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "A client error occurred, the signature expired\n")
    assert _refused(tmp_path, "A client error (Throttling) happened somewhere\n")


def test_cli_connect_timeout_line_is_a_request_that_timed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/amazon-vpc-cni-k8s#1796: the CLI's whole output `Connect timeout on endpoint URL:
    "https://sts.us-west-2.amazonaws.com/"` was refused as no botocore log."""
    doc = _parse(tmp_path, "05-vpc-cni-1796-sts-regional-connect-timeout-line.log", capsys)
    assert _tries(doc) == [("sts", "sts.us-west-2.amazonaws.com", 1, "connect-timeout")]
    assert "SD202" in codes(doc)
    assert doc["recommendation"]["region"] == "us-west-2"


def test_read_timeout_line_reads_alike_and_prose_stays_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path, 'Read timeout on endpoint URL: "https://sts.eu-west-1.amazonaws.com/"\n', capsys
    )
    assert _tries(doc) == [("sts", "sts.eu-west-1.amazonaws.com", 1, "read-timeout")]
    # the words without the URL botocore puts after them are no SDK's message
    assert _refused(tmp_path, "I get a connect timeout on endpoint URL, any idea?\n")


# ------------------------------------------------- the host of a vendored-requests pool


def test_vendored_requests_pool_names_the_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """irothschild/stefuna#7: `botocore.vendored.requests.exceptions.ConnectTimeout:
    HTTPSConnectionPool(host='states.us-east-1.amazonaws.com', port=443)` read as a request
    to no host (`?.?`) and no region."""
    doc = _parse(tmp_path, "08-stefuna-7-states-connect-timeout-vendored.log", capsys)
    assert _tries(doc) == [
        ("stepfunctions", "states.us-east-1.amazonaws.com", 1, "connect-timeout")
    ]
    assert doc["requests"][0]["url"] == "https://states.us-east-1.amazonaws.com/"
    assert doc["recommendation"]["region"] == "us-east-1"


def test_imds_pool_stays_the_credential_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        "botocore.vendored.requests.exceptions.ConnectTimeout: HTTPConnectionPool("
        "host='169.254.169.254', port=80): Max retries exceeded with url: "
        "/latest/meta-data/iam/security-credentials/ (Caused by ConnectTimeoutError("
        "<botocore.awsrequest.AWSHTTPConnection object at 0x7fc11e517ef0>, 'Connection to "
        "169.254.169.254 timed out. (connect timeout=1)'))\n",
        capsys,
    )
    assert doc["requests"] == []
    assert codes(doc) == ["SD502"]


# ------------------------------------------------- a traceback glued to "Found credentials"


def test_traceback_glued_to_found_credentials_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """leeroybrun/glacier-vault-remove#51: the app's `12:04:50 - INFO : Found credentials in
    environment variables.` and the traceback after it read as one record; its
    InvalidClientTokenId (cut after `: The`) was lost, only SD503 remained."""
    doc = _parse(tmp_path, "11-glacier-vault-remove-51-invalidclienttokenid-env.log", capsys)
    assert set(codes(doc)) == {"SD403", "SD503"}


def test_found_credentials_alone_tells_only_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        "12:04:50 - INFO : Running with 1 processes\n"
        "12:04:50 - INFO : Found credentials in environment variables.\n",
        capsys,
    )
    assert codes(doc) == ["SD503"]


# ------------------------------------------------- an availability zone in an STS host


def test_az_in_an_sts_host_is_an_unknown_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#4279: `SSL validation failed for https://sts.us-east-1a.amazonaws.com/`
    (a zone as the region, behind a TLS-intercepting proxy): SD303 only, and the
    recommendation said the log names no region."""
    doc = _parse(tmp_path, "03-aws-cli-4279-sts-az-region-self-signed-proxy.log", capsys)
    assert set(codes(doc)) == {"SD106", "SD303"}
    sd106 = next(f for f in doc["findings"] if f["code"] == "SD106")
    assert "us-east-1a" in sd106["message"] and "us-east-1?" in sd106["message"]
    assert doc["recommendation"]["region"] == "us-east-1"


def test_valid_region_in_an_sts_host_is_no_unknown_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "03-aws-cli-4279-sts-az-region-self-signed-proxy.log").read_text()
    doc = parse(tmp_path, text.replace("us-east-1a", "us-east-2"), capsys)
    assert codes(doc) == ["SD303"]
    assert doc["recommendation"]["region"] == "us-east-2"


# ------------------------------------------------- a China region's host in the commercial domain


def test_china_region_host_in_the_commercial_domain_is_the_wrong_partition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """prowler-cloud/prowler#3612: `Could not connect to the endpoint URL:
    "https://sts.cn-north-1.amazonaws.com/"`: China's STS lives under amazonaws.com.cn; only
    SD209 ("the log does not show why") was said."""
    doc = _parse(tmp_path, "16-prowler-3612-china-sts-wrong-suffix.log", capsys)
    assert set(codes(doc)) == {"SD109", "SD209"}
    assert doc["recommendation"]["endpoint_url"] == "https://sts.cn-north-1.amazonaws.com.cn"


@pytest.mark.parametrize("host", ["sts.cn-north-1.amazonaws.com.cn", "sts.us-west-2.amazonaws.com"])
def test_host_in_its_own_partition_is_no_wrong_partition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    text = (DATA / "16-prowler-3612-china-sts-wrong-suffix.log").read_text()
    doc = parse(tmp_path, text.replace("sts.cn-north-1.amazonaws.com", host), capsys)
    assert codes(doc) == ["SD209"]


# ------------------------------------------------- a rejected MFA code


def test_rejected_mfa_code_is_not_fixed_in_a_trust_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """broamski/aws-mfa#25: GetSessionToken's `MultiFactorAuthentication failed` (the user
    passed their user ARN as the device); the fix said to check a role's trust policy, SCPs
    and a VPC endpoint policy, none of which is in play."""
    doc = _parse(tmp_path, "18-aws-mfa-25-getsessiontoken-mfa-accessdenied.log", capsys)
    (sd405,) = [f for f in doc["findings"] if f["code"] == "SD405"]
    assert "trust policy" not in sd405["fix"]
    assert "mfa/NAME" in sd405["fix"] and "not the user's ARN" in sd405["fix"]


def test_assume_role_denied_keeps_the_trust_policy_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
        "arn:aws:iam::123456789012:user/u is not authorized to perform: sts:AssumeRole on "
        "resource: arn:aws:iam::123456789012:role/r\n",
        capsys,
    )
    (sd405,) = [f for f in doc["findings"] if f["code"] == "SD405"]
    assert "trust policy" in sd405["fix"]


# ------------------------------------------------- the `--region` of a pasted command line


def test_command_line_region_makes_the_opt_in_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """99designs/aws-vault#512: `$ aws-vault exec production -- aws ec2 describe-instances
    --region ap-east-1` and EC2's AuthFailure: a session token from the global endpoint (v1)
    in an opt-in region. The region on the command line was ignored: a generic SD403 and
    "the log names no region"."""
    doc = _parse(tmp_path, "19-aws-vault-512-opt-in-authfailure-ec2.log", capsys)
    (sd403,) = [f for f in doc["findings"] if f["code"] == "SD403"]
    assert "ap-east-1 is an opt-in region" in sd403["message"]
    assert doc["recommendation"]["region"] == "ap-east-1"


def test_command_line_region_of_a_default_region_is_no_opt_in_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "19-aws-vault-512-opt-in-authfailure-ec2.log").read_text()
    doc = parse(tmp_path, text.replace("ap-east-1", "eu-west-1"), capsys)
    (sd403,) = [f for f in doc["findings"] if f["code"] == "SD403"]
    assert "opt-in" not in sd403["message"]
    assert doc["recommendation"]["region"] == "eu-west-1"


def test_region_in_prose_is_no_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "19-aws-vault-512-opt-in-authfailure-ec2.log").read_text()
    text = text.replace(
        "$ aws-vault exec production -- aws ec2 describe-instances --region ap-east-1",
        "I think the profile says --region ap-east-1 somewhere",
    )
    doc = parse(tmp_path, text, capsys)
    (sd403,) = [f for f in doc["findings"] if f["code"] == "SD403"]
    assert "opt-in region:" not in sd403["message"]
    assert doc["recommendation"]["region"] is None


# ------------------------------------------------- S3's InvalidToken


def test_s3_invalid_token_is_an_invalid_session_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#5564 (GovCloud instance, no region: the CLI sent the GovCloud session to
    the commercial S3): `An error occurred (InvalidToken) when calling the ListBuckets
    operation: The provided token is malformed or otherwise invalid.` read as "No findings"."""
    doc = _parse(tmp_path, "21-aws-cli-5564-govcloud-s3-invalidtoken-no-region.log", capsys)
    assert codes(doc) == ["SD403"]


def test_other_s3_errors_say_nothing_of_the_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "21-aws-cli-5564-govcloud-s3-invalidtoken-no-region.log").read_text()
    text = text.replace("(InvalidToken)", "(NoSuchBucket)")
    doc = parse(tmp_path, text, capsys)
    assert codes(doc) == []


# ------------------------------------------------- proxy variables exported above the failure


def test_proxy_exported_without_no_proxy_explains_missing_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dev.classmethod.jp (blog, an EC2 instance with a role): `export HTTP_PROXY=...`,
    `export HTTPS_PROXY=...`, then `Unable to locate credentials`: the instance role's
    credentials were asked through the proxy. Only SD501 ("configure credentials") was said,
    its evidence the three pasted lines run together."""
    doc = _parse(tmp_path, "24-classmethod-proxy-imds-unable-to-locate.log", capsys)
    assert codes(doc) == ["SD501", "SD302"]
    sd501 = doc["findings"][0]
    assert sd501["evidence"][0]["excerpt"].startswith("Unable to locate credentials")
    assert sd501["evidence"][0]["line"] == 5


@pytest.mark.parametrize(
    "change",
    [
        # the metadata service is exempted: the proxy is not why
        ("$ aws ec2", "$ export NO_PROXY=169.254.169.254,169.254.170.2\n$ aws ec2"),
        # nothing failed to find credentials
        (
            'Unable to locate credentials. You can configure credentials by running "aws configure".',
            "{}",
        ),
    ],
    ids=["no-proxy-set", "no-failure"],
)
def test_proxy_exports_without_a_credential_failure_or_with_no_proxy_say_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str]
) -> None:
    text = (DATA / "24-classmethod-proxy-imds-unable-to-locate.log").read_text()
    text = text.replace(*change)
    if "Unable to locate" not in text:
        assert _refused(tmp_path, text)  # (the exports alone are no SDK's output)
        return
    doc = parse(tmp_path, text, capsys)
    assert codes(doc) == ["SD501"]


# ------------------------------------------------- the old CLI's error line, quoted, alone


def test_old_cli_error_line_without_a_capital_error_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#1065: `"A client error (RequestTimeTooSkewed) occurred when calling the
    UploadPart operation: The difference between the request time and the current time is
    too large."` (quoted by the user): no word of the line made it a record (no "Error"), so
    it was refused as no botocore log; S3 says the clock is more than 15 minutes off."""
    doc = _parse(tmp_path, "31-aws-cli-1065-v1-requesttimetooskewed-uploadpart.log", capsys)
    (sd401,) = doc["findings"]
    assert sd401["code"] == "SD401"
    assert sd401["message"].endswith("too large.")  # the user's closing quote is not S3's


def test_quote_inside_a_message_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = parse(
        tmp_path,
        "An error occurred (AccessDenied) when calling the AssumeRole operation: "
        'User is not authorized to perform: sts:AssumeRole on resource: "r"\n',
        capsys,
    )
    assert doc["findings"][0]["message"].endswith('resource: "r"')
    assert _refused(tmp_path, "a client error (of mine) happened\n")
