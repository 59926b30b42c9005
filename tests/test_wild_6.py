"""Real pastes of a sixth wave (credential helpers and SAML tools, EKS and ECR commands,
Lambda logs, the AWS CLI's error lines), in tests/data/wild-6 (sources in its SOURCES.md),
each with the misreading it showed, and near misses that must read as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import codes, parse
from tests.helpers import refused as _refused
from tests.test_records import both

DATA = Path(__file__).parent / "data" / "wild-6"


def _parse(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return parse(tmp_path, (DATA / name).read_text(), capsys)


def _events(doc: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    return [e for e in doc["log"]["events"] if e["tag"] == tag]


# ------------------------------- an application's logger quoting botocore's error (basicConfig)

_DENIED = (
    "An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
    "arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on "
    "resource: arn:aws:iam::123456789012:role/deploy"
)


def test_root_logger_line_quoting_a_client_error_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """cevoaustralia/aws-google-auth#209: `ERROR:root:An error occurred (ValidationError) when
    calling the AssumeRoleWithSAML operation: …` (Python's basicConfig format, the root
    logger) was dropped as another program's record and the paste refused (SD001); the
    sentence is botocore's ClientError, read like the same line pasted alone."""
    doc = _parse(tmp_path, "11-aws-google-auth-209-root-error-saml-durationseconds.log", capsys)
    err = _events(doc, "client-error")
    assert err and "(ValidationError) when calling the AssumeRoleWithSAML" in err[0]["excerpt"]
    assert err[0]["line"] == 7


@pytest.mark.parametrize("prefix", ["ERROR:root:", "WARNING:myapp.aws:", "ERROR:__main__:"])
def test_app_logger_quoting_an_assume_role_denial_gives_sd405(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: str
) -> None:
    doc = parse(tmp_path, prefix + _DENIED + "\n", capsys)
    assert "SD405" in codes(doc)


def test_error_line_after_found_credentials_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's (or an app logger's) error line right after botocore's `Found credentials
    in environment variables.` was read as that record's continuation and lost (only a
    traceback there was read): the denial is SD405, the credentials SD503."""
    for line in (_DENIED, "ERROR:root:" + _DENIED):
        doc = parse(
            tmp_path,
            "2024-05-01 10:00:00,000 - MainThread - botocore.credentials - INFO - Found "
            "credentials in environment variables.\n" + line + "\n",
            capsys,
        )
        assert {"SD405", "SD503"} <= set(codes(doc))


def test_app_logger_lines_without_botocore_words_stay_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "ERROR:root:Failed to assume the role, giving up\n")
    assert _refused(tmp_path, "INFO:root:An error occurred in the exporter (retrying)\n")


def test_found_credentials_with_an_ordinary_next_line_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        "2024-05-01 10:00:00,000 - MainThread - botocore.credentials - INFO - Found "
        "credentials in environment variables.\nuploading 3 files\n",
        capsys,
    )
    assert codes(doc) == ["SD503"]


def test_both_readers_agree_on_quoting_lines() -> None:
    data = (
        b"2024-05-01 10:00:00,000 - MainThread - botocore.credentials - INFO - Found "
        b"credentials in environment variables.\n"
        b"ERROR:root:" + _DENIED.encode() + b"\n"
        b"INFO:root:hello\n"
        b'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n'
        b'ERROR:myapp:Could not connect to the endpoint URL: "https://sts.amazonaws.com/"\n'
        b"WARNING:root:Connection was closed before we received a valid response from "
        b'endpoint URL: "https://sts.us-east-1.amazonaws.com/".\n'
    )
    for block in (4 << 20, 64, 7):
        ref, fast = both(data, block)
        assert ref == fast
    assert any("ERROR:root:An error occurred" in "\n".join(r[4]) for r in ref)  # type: ignore[arg-type]


# ---------------------------------------------- a connection the endpoint accepted, then closed


def test_connection_closed_line_alone_is_a_reset_not_a_refusal_to_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#7621: the CLI's line for botocore's ConnectionClosedError, `Connection was
    closed before we received a valid response from endpoint URL: "https://api.ecr.
    ca-central-1.amazonaws.com/"`, was refused (SD001); it is a connection the path accepted
    and then cut (SD203), to ECR in ca-central-1."""
    doc = _parse(tmp_path, "17-aws-cli-7621-ecr-get-login-password-connection-closed.log", capsys)
    (req,) = doc["requests"]
    assert req["host"] == "api.ecr.ca-central-1.amazonaws.com"
    sd203 = [f for f in doc["findings"] if f["code"] == "SD203"]
    assert sd203 and "closed it before any answer" in sd203[0]["message"]
    assert "SD209" not in codes(doc)


def test_connection_closed_error_is_no_failure_to_connect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """botocore.exceptions.ConnectionClosedError read as SD209 'could not be connected to (DNS,
    refusal or routing)': the connection was made; the peer closed it."""
    doc = parse(
        tmp_path,
        "botocore.exceptions.ConnectionClosedError: Connection was closed before we received a "
        'valid response from endpoint URL: "https://sts.us-east-1.amazonaws.com/".\n',
        capsys,
    )
    assert codes(doc) == ["SD203"]
    assert "closed it before any answer" in doc["findings"][0]["message"]


def test_could_not_connect_keeps_sd209(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = parse(
        tmp_path,
        "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "
        '"https://sts.us-east-1.amazonaws.com/"\n',
        capsys,
    )
    assert "SD209" in codes(doc) and "SD203" not in codes(doc)


def test_closed_words_of_another_program_stay_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "Connection was closed by the remote host\n")


# ------------------------------------------------------------- SAML: the assertion, not a session


def test_saml_assertion_older_than_5_minutes_is_no_expired_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nike-Inc/gimme-aws-creds#251: `ExpiredTokenException ... AssumeRoleWithSAML: Token must
    be redeemed within 5 minutes of issuance` got SD402's fix 'Refresh the credentials
    (re-assume the role, `aws sso login`)'; the call is unsigned: the SAML assertion is over
    5 minutes old, and the IdP must be asked again."""
    doc = _parse(tmp_path, "24-gimme-aws-creds-251-saml-token-redeemed-5-minutes.log", capsys)
    (f,) = doc["findings"]
    assert f["code"] == "SD402" and "SAML assertion is too old" in f["message"]
    assert "identity provider again" in f["fix"] and "sso login" not in f["fix"]


def test_saml_assertion_rejected_gets_a_saml_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(the shape of godaddy/aws-okta-processor#28, whose excerpt cuts the line) InvalidIdentityToken
    on AssumeRoleWithSAML got SD408's OIDC fix ('Register the OIDC provider ... aud/sub')."""
    doc = parse(
        tmp_path,
        "botocore.errorfactory.InvalidIdentityTokenException: An error occurred "
        "(InvalidIdentityToken) when calling the AssumeRoleWithSAML operation: Specified "
        "provider doesn't exist\n",
        capsys,
    )
    (f,) = doc["findings"]
    assert f["code"] == "SD408" and "SAML provider" in f["fix"] and "OIDC" not in f["fix"]
    assert "signin.amazonaws-us-gov.com/saml" in f["fix"]


def test_web_identity_token_errors_keep_their_oidc_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity "
        "operation: No OpenIDConnect provider found in your account for https://oidc.eks.us-west-"
        "2.amazonaws.com/id/EXAMPLE\n",
        capsys,
    )
    assert "OIDC" in doc["findings"][0]["fix"]
    doc = parse(
        tmp_path,
        "An error occurred (ExpiredTokenException) when calling the AssumeRoleWithWebIdentity "
        "operation: Token expired: current date/time 1700003600 must be before the expiration "
        "date/time 1700000000\n",
        capsys,
    )
    assert "web identity token" in doc["findings"][0]["message"]


# ------------------------------------------------- denied role assumptions whose ARN says why


@pytest.mark.parametrize(
    ("name", "account"),
    [
        ("19-costbuddy-15-lambda-assumerole-account-none.log", "'None'"),
        ("20-domain-protect-13-lambda-assumerole-empty-account.log", "''"),
    ],
)
def test_role_arn_without_an_account_is_an_unset_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, account: str
) -> None:
    """intuit/costBuddy#15 (`arn:aws:iam::None:role/…`) and domain-protect#13
    (`arn:aws:iam:::role/…`): SD405's fix was to edit the trust policy of that 'role'; the
    ARN has no account id (the Lambda built it from an unset variable), no policy helps."""
    doc = _parse(tmp_path, name, capsys)
    (f,) = doc["findings"]
    assert f["code"] == "SD405"
    assert f"has no account id ({account} where the 12 digits belong" in f["fix"]
    assert "trust policy" not in f["fix"]


@pytest.mark.parametrize(
    "name",
    [
        "05-terraform-kubestack-191-eks-get-token-role-self-assume.log",
        "40-airflow-17190-ecs-task-role-self-assume.log",
    ],
)
def test_role_assuming_itself_needs_explicit_self_trust(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """kbst/terraform-kubestack#191 (`aws eks get-token --role` run with that role's own
    session) and apache/airflow#17190 (an ECS task role assuming itself): SD405's fix asked
    for an identity policy and a trust policy in general; the session assumes its own role,
    which needs the role named in its own trust policy (no implicit self-trust since 2022)
    or no second assumption at all."""
    doc = _parse(tmp_path, name, capsys)
    (f,) = doc["findings"]
    assert f["code"] == "SD405" and "is assuming itself" in f["fix"]


def test_a_user_arn_as_the_role_is_no_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(the shape of amzn/selling-partner-api-models#2523, a PHP paste) a user's ARN as RoleArn."""
    doc = parse(
        tmp_path,
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
        "arn:aws:iam::123456789012:user/seller is not authorized to perform: sts:AssumeRole on "
        "resource: arn:aws:iam::123456789012:user/seller\n",
        capsys,
    )
    assert "is an IAM user, not a role" in doc["findings"][0]["fix"]


def test_masked_accounts_keep_the_two_sided_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """domain-protect#14: both accounts masked by the user (`yyyyyyyyyyyy`, `xxxxxxxxxxxx`):
    no unset value, no self-assumption; the caller's session maps to its role."""
    doc = _parse(tmp_path, "18-domain-protect-14-lambda-error-tab-assumerole-denied.log", capsys)
    (f,) = doc["findings"]
    assert f["fix"].startswith(
        "Both sides must allow it: an identity-based policy of "
        "arn:aws:iam::yyyyyyyyyyyy:role/domain-protect-lambda-default must allow"
    )


def test_another_roles_denial_keeps_the_two_sided_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, _DENIED + "\n", capsys)
    assert doc["findings"][0]["fix"].startswith("Both sides must allow it")


# ------------------------------------------------ IPython's numbered source lines are code


def test_ipython_source_lines_are_no_proxy_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws-samples/amazon-custom-entity-recognition-textract-comprehend#1: in a Jupyter
    traceback the numbered source lines of botocore's httpsession.send (`285 raise
    ProxyConnectionError(proxy_url=proxy_url, error=e)` under `except ProxyError`) read as a
    proxy failure (SD301, 'Fix HTTPS_PROXY'); the exception raised is EndpointConnectionError
    for comprehend.us-west-1 (SD209)."""
    doc = _parse(tmp_path, "32-custom-entity-recognition-1-comprehend-us-west-1.log", capsys)
    assert codes(doc) == ["SD209"]
    assert doc["requests"][0]["host"] == "comprehend.us-west-1.amazonaws.com"


def test_ipython_traceback_of_a_real_proxy_error_keeps_sd301(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "32-custom-entity-recognition-1-comprehend-us-west-1.log").read_text()
    head = text[: text.index("EndpointConnectionError: Could not")]
    doc = parse(
        tmp_path,
        head + 'ProxyConnectionError: Failed to connect to proxy URL: "http://proxy.corp:3128"\n',
        capsys,
    )
    assert codes(doc) == ["SD301"]


def test_connection_closed_title_line_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/aws-cli#3999 (the endpoint 'was blocked at firewall'): the CLI's line alone, with no
    word such as Error in it, was refused (SD001)."""
    doc = _parse(tmp_path, "33-aws-cli-3999-sagemaker-runtime-connection-closed-title.log", capsys)
    assert codes(doc) == ["SD203"]
    assert doc["requests"][0]["host"] == "runtime.sagemaker.us-east-2.amazonaws.com"


# ------------------------------------------ refreshed credentials that are already expired


def test_refreshed_but_still_expired_is_an_expired_credential_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ministryofjustice/analytics-platform#86 (R through reticulate): botocore's
    `RuntimeError: Credentials were refreshed, but the refreshed credentials are still
    expired.` was refused (SD001); the credential source hands out expired credentials, or
    the host's clock is ahead (SD402)."""
    doc = _parse(tmp_path, "45-analytics-platform-86-r-refreshed-still-expired.log", capsys)
    (f,) = doc["findings"]
    assert f["code"] == "SD402" and "already expired" in f["message"]
    assert f["evidence"][0]["line"] == 2


def test_credentials_refreshed_words_of_another_program_stay_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "Credentials were refreshed at 10:00, next refresh at 11:00\n")


# ------------------------------------------------------ a FIPS host name that does not exist


def test_unreachable_fips_host_names_the_fips_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """boto/botocore#2549: with AWS_USE_FIPS_ENDPOINT=true the CLI built
    `ec2-instance-connect-fips.us-gov-west-1.amazonaws.com`, which does not exist (GovCloud's
    standard name is already FIPS); SD209 said only 'Re-run with --debug'."""
    doc = _parse(tmp_path, "49-botocore-2549-govcloud-fips-host-missing.log", capsys)
    (f,) = doc["findings"]
    assert f["code"] == "SD209" and "is a FIPS name" in f["message"]
    assert "AWS_USE_FIPS_ENDPOINT" in f["fix"]


def test_unreachable_standard_host_keeps_the_generic_sd209(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(
        tmp_path,
        'Could not connect to the endpoint URL: "https://ec2-instance-connect.us-gov-west-1.'
        'amazonaws.com/"\n',
        capsys,
    )
    (f,) = doc["findings"]
    assert "FIPS" not in f["message"] and f["fix"].startswith("Re-run with `--debug`")


# --------------------------------------------------------- an endpoint URL without its scheme


def test_endpoint_url_without_scheme_is_an_endpoint_override_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws/amazon-sagemaker-examples#876: `ValueError: Invalid endpoint:
    sts.us-east-1.amazonaws.com` (the SageMaker SDK passed the host as endpoint_url) was
    refused (SD001); botocore refuses an endpoint URL without `https://` (SD107)."""
    doc = _parse(tmp_path, "28-sagemaker-examples-876-invalid-endpoint-no-scheme.log", capsys)
    (f,) = doc["findings"]
    assert f["code"] == "SD107" and "has no scheme" in f["message"]
    assert "https://sts.us-east-1.amazonaws.com" in f["fix"]


def test_invalid_endpoint_with_an_empty_region_keeps_sd101(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, "ValueError: Invalid endpoint: https://sts..amazonaws.com\n", capsys)
    assert codes(doc) == ["SD101"]


def test_invalid_endpoint_of_another_program_stays_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path, "ValueError: Invalid endpoint: localhost:9000\n")


# ------------------------------------------------ a paste that ends right after a header


def test_paste_ending_in_a_bare_header_is_cut_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """boto/boto3#1488: the excerpt ends with `[2018-03-21 14:31:01,011: DEBUG/MainProcess]`
    (a Celery header, its message cut away); the HEAD sent just before read as SD210
    'the SDK was still waiting when the log ends' (a warning); the log was cut off, and the
    answer may be in the missing part (SD210 info)."""
    doc = _parse(tmp_path, "53-boto3-1488-celery-s3-head-expired-loop.log", capsys)
    assert doc["log"]["truncated"] is True
    (f,) = doc["findings"]
    assert f["code"] == "SD210" and f["severity"] == "info"


def test_log_ending_in_a_whole_record_is_not_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / "53-boto3-1488-celery-s3-head-expired-loop.log").read_text()
    whole = text[: text.rindex("[2018-03-21 14:31:01,011")]
    doc = parse(tmp_path, whole + "Task ended with status ERROR at 14:31:05 - \n", capsys)
    assert doc["log"]["truncated"] is False
    assert doc["findings"][0]["severity"] == "warning"
