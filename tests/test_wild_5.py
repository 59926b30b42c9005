"""Real pastes of a fifth wave (issues of aws-sam-cli, boto3, aws-cli, Airflow and tools built
on boto3), in tests/data/wild-5 (sources in its SOURCES.md), each with the misreading it
showed, and near misses that must read as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import codes, parse
from tests.helpers import refused as _refused

DATA = Path(__file__).parent / "data" / "wild-5"


def _parse(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return parse(tmp_path, (DATA / name).read_text(), capsys)


# ------------------------------------------------------ an SSO session that is over, pasted alone


@pytest.mark.parametrize(
    "name",
    ["05-sam-cli-7759-windows-tokenretrieval.log", "06-boto3-4119-sso-token-expired-plain.log"],
)
def test_sso_token_retrieval_error_text_is_an_expired_sso_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """aws/aws-sam-cli#7759 (SAM CLI on Windows) and boto/boto3#4119: botocore's
    TokenRetrievalError text `Error when retrieving token from sso: Token has expired and
    refresh failed` was refused as no botocore log (SD001); it is an SSO session that is over
    (`aws sso login`)."""
    doc = _parse(tmp_path, name, capsys)
    sd402 = [f for f in doc["findings"] if f["code"] == "SD402"]
    assert sd402 and "aws sso login" in sd402[0]["message"]


def test_unauthorized_sso_token_text_is_an_expired_sso_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        "botocore.exceptions.UnauthorizedSSOTokenError: The SSO session associated with this "
        "profile has expired or is otherwise invalid. To refresh this SSO session run aws sso "
        "login with the corresponding profile.\n",
        capsys,
    )
    assert "SD402" in codes(doc)


def test_token_words_of_another_program_stay_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "Error when retrieving token from github: bad credentials\n")
    assert _refused(tmp_path, "The session associated with this browser has expired\n")


# ------------------------------------------- a command line with global options before the service


def test_command_line_with_options_first_names_its_opt_in_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#8413: `aws --profile other --region ap-east-1 ecr describe-repositories`
    above `InvalidClientTokenId ... AssumeRole` read as a generic SD403 with no region (the
    command line was only read with the service first); ap-east-1 is an opt-in region where
    the global endpoint's v1 tokens are not valid."""
    doc = _parse(tmp_path, "13-aws-cli-8413-ap-east-1-assumerole-invalidclienttokenid.log", capsys)
    sd403 = [f for f in doc["findings"] if f["code"] == "SD403"]
    assert sd403 and "ap-east-1 is an opt-in region" in sd403[0]["message"]
    assert doc["recommendation"]["region"] == "ap-east-1"


def test_command_line_with_options_first_in_a_default_region_is_no_opt_in_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "13-aws-cli-8413-ap-east-1-assumerole-invalidclienttokenid.log").read_text()
    doc = parse(tmp_path, text.replace("ap-east-1", "eu-west-1"), capsys)
    sd403 = [f for f in doc["findings"] if f["code"] == "SD403"]
    assert sd403 and "opt-in" not in sd403[0]["message"]
    assert doc["recommendation"]["region"] == "eu-west-1"


def test_another_programs_command_line_names_no_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "13-aws-cli-8413-ap-east-1-assumerole-invalidclienttokenid.log").read_text()
    for other in ("terraform --profile", "aws-nuke --profile"):
        doc = parse(tmp_path, text.replace("aws --profile", other, 1), capsys)
        sd403 = [f for f in doc["findings"] if f["code"] == "SD403"]
        assert sd403 and "opt-in" not in sd403[0]["message"]


# --------------------------------------------------- a word that is no region in the STS host


def test_sts_host_built_from_the_word_default_is_an_unknown_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """apache/airflow#43870: `Could not connect to the endpoint URL:
    "https://sts.default.amazonaws.com/"` read as SD107 'not an STS endpoint, use
    --endpoint-url' (no override was given); botocore built the host from the region
    'default', a profile's name: SD106."""
    doc = _parse(tmp_path, "02-airflow-43870-sts-default-region-endpointconnection.log", capsys)
    assert "SD107" not in codes(doc)
    sd106 = [f for f in doc["findings"] if f["code"] == "SD106"]
    assert sd106 and "'default'" in sd106[0]["message"] and "profile" in sd106[0]["message"]


def test_sts_host_with_a_region_like_typo_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """prowler-cloud/prowler#1654 (`sts.us-east.amazonaws.com`), and near misses: a typo of
    the global host and a host of another service stay as they were."""
    doc = _parse(tmp_path, "03-prowler-1654-sts-us-east-truncated-region.log", capsys)
    assert "SD106" in codes(doc) and "SD107" not in codes(doc)
    line = 'Could not connect to the endpoint URL: "https://%s/"\n'
    doc = parse(tmp_path, line % "sts.amazonaws.co", capsys)
    assert "SD106" not in codes(doc)
    doc = parse(tmp_path, line % "ec2.default.amazonaws.com", capsys)
    assert "SD106" not in codes(doc)


# ------------------------------------------------------- a web identity the trust policy refuses


def _fix(doc: dict[str, Any], code: str) -> str:
    return str(next(f for f in doc["findings"] if f["code"] == code)["fix"])


def test_web_identity_access_denied_names_the_trust_policy_conditions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """external-secrets/kubernetes-external-secrets#622: `AccessDenied ... AssumeRoleWithWebIdentity
    operation: Not authorized to perform sts:AssumeRoleWithWebIdentity` in an IRSA pod got the
    generic fix 'check the trust policy of the role, SCPs and the VPC endpoint policy'; for
    this call it is the trust policy's OIDC provider principal and its sub/aud conditions."""
    doc = _parse(tmp_path, "14-external-secrets-622-irsa-not-authorized-webidentity.log", capsys)
    fix = _fix(doc, "SD405")
    assert "oidc-provider" in fix and "system:serviceaccount:" in fix and "aud" in fix


def test_assume_role_access_denied_keeps_the_generic_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "14-external-secrets-622-irsa-not-authorized-webidentity.log").read_text()
    doc = parse(tmp_path, text.replace("AssumeRoleWithWebIdentity", "AssumeRole"), capsys)
    fix = _fix(doc, "SD405")
    assert "oidc-provider" not in fix and "trust policy" in fix


# ------------------------------------------------------ an error answer pasted without the SDK line


def test_printed_error_response_dict_is_an_invalid_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mintel/pytest-localstack#27: botocore's parsed response as Python prints it
    (`{'Error': {'Type': 'Sender', 'Code': 'InvalidClientTokenId', ...}, 'ResponseMetadata':
    ...}`) was refused as no botocore log (SD001); it is the answer InvalidClientTokenId."""
    doc = _parse(tmp_path, "12-pytest-localstack-27-error-dict-invalidclienttokenid.log", capsys)
    assert "SD403" in codes(doc)


def test_sts_xml_error_body_is_an_expired_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mozilla-iam/mozilla-aws-cli#146: STS's own XML error body (`<ErrorResponse
    xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` ... `ExpiredTokenException`, `Token too
    old`) pasted alone was refused as no botocore log (SD001)."""
    doc = _parse(tmp_path, "08-mozilla-aws-cli-146-webidentity-token-too-old-xml.log", capsys)
    sd402 = [f for f in doc["findings"] if f["code"] == "SD402"]
    assert sd402 and "Token too old" in sd402[0]["message"]


def test_error_shapes_of_other_services_and_programs_stay_refused(tmp_path: Path) -> None:
    # a dict with an error code but no botocore response metadata
    assert _refused(tmp_path, "{'Error': {'Code': 'E42', 'Message': 'disk full'}}\n")
    # S3's XML error body (another namespace, no ErrorResponse)
    assert _refused(
        tmp_path,
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
        "<Message>Access Denied</Message></Error>\n",
    )
