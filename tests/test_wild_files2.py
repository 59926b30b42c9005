"""Real logs committed as files in public repositories (the second wave: READMEs, notes, app
logs), in tests/data/wild-files2 (sources in its SOURCES.md), each with the misreading it
showed, and near misses that must read as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stsdiag.cli import run
from stsdiag.errors import InputError
from stsdiag.parselog import ParseOptions, analyze
from tests.helpers import codes, finding, parse

DATA = Path(__file__).parent / "data" / "wild-files2"


def _parse(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return parse(tmp_path, (DATA / name).read_text(), capsys)


# ------------------------------------------------- an SSO session the portal refused

SSO = "08-readme-rich-log-sso-token-expired.log"


def test_unauthorized_sso_token_is_an_expired_sso_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tool's README quotes its rich-handler log: botocore's `Refreshing temporary
    credentials failed` and `botocore.exceptions.UnauthorizedSSOTokenError: The SSO session
    associated with this profile has expired`. The fix is `aws sso login`; stsdiag refused
    the log (SD001: names botocore, but no record it reads)."""
    doc = _parse(tmp_path, SSO, capsys)
    assert codes(doc) == ["SD402"]
    sd402 = finding(doc, "SD402")
    assert "aws sso login" in sd402["message"]
    assert sd402["evidence"][0]["line"] == 7


def test_another_sso_error_is_not_an_expired_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A botocore SSO error that is not about the session (no such profile) still is no
    SD402: the log is refused as before."""
    text = (
        (DATA / SSO)
        .read_text()
        .replace(
            "UnauthorizedSSOTokenError: The SSO session associated with this profile has expired "
            "or is otherwise invalid. To refresh this SSO session run aws sso login with the "
            "corresponding profile.",
            "ProfileNotFound: The config profile (random-root) could not be found",
        )
    )
    _refused(tmp_path, text)


def _refused(tmp_path: Path, text: str) -> str:
    """The SD001 refusal of a log: its message."""
    log = tmp_path / "x.log"
    log.write_text(text)
    with open(log, "rb") as f, pytest.raises(InputError, match="SD001") as e:
        analyze(f, str(log), ParseOptions())
    return str(e.value)


# ------------------------------------------------- an old botocore's Sending without a URL

CFN = "03-notes-cli1-old-botocore-cloudformation-no-url.log"


def test_connection_host_names_the_service_of_a_request_without_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zenn notes quote `aws cloudformation create-change-set --debug` of a 2019 CLI v1:
    `Sending http request: <PreparedRequest [POST]>` (no URL), then the vendored urllib3's
    `Starting new HTTPS connection (1): cloudformation.us-west-2.amazonaws.com` and the body.
    The request read `?.CreateChangeSet`: the host named no service."""
    doc = _parse(tmp_path, CFN, capsys)
    [r] = doc["requests"]
    assert (r["service"], r["operation"], r["http_status"]) == (
        "cloudformation",
        "CreateChangeSet",
        200,
    )
    assert r["host"] == "cloudformation.us-west-2.amazonaws.com"
    assert codes(doc) == []


def test_connection_to_a_host_off_aws_names_no_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A connection to a host that is no AWS endpoint (a proxy, a custom endpoint) names no
    service: it stays unknown as before."""
    text = (
        (DATA / CFN)
        .read_text()
        .replace("cloudformation.us-west-2.amazonaws.com", "cfn.internal.example.com")
    )
    [r] = parse(tmp_path, text, capsys)["requests"]
    assert (r["service"], r["operation"], r["host"]) == (
        None,
        "CreateChangeSet",
        "cfn.internal.example.com",
    )


# ------------------------------------------------- urllib3's lines of another program

GCLOUD = "06-gha-diag-gcloud-debug-sts-googleapis.log"


def test_gcloud_debug_log_is_not_a_botocore_log(tmp_path: Path) -> None:
    """A repository's deploy diagnostic holds `gcloud auth print-access-token
    --verbosity=debug`: urllib3's `DEBUG: https://sts.googleapis.com:443 "POST /v1/token
    HTTP/1.1" 400` (Google's STS, workload identity federation). stsdiag read it as a
    botocore log with two requests `?.?` and 'No findings'; it is no AWS log at all."""
    msg = _refused(tmp_path, (DATA / GCLOUD).read_text())
    assert "sts.googleapis.com" in msg
    assert "no AWS endpoint" in msg


def test_urllib3_lines_to_an_aws_host_are_still_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same urllib3 lines to an AWS endpoint are read as before (an INFO-level or
    urllib3-only capture of an AWS program)."""
    text = (DATA / GCLOUD).read_text().replace("sts.googleapis.com", "sts.us-east-1.amazonaws.com")
    doc = parse(tmp_path, text, capsys)
    assert [r["host"] for r in doc["requests"]][-1] == "sts.us-east-1.amazonaws.com"


# ------------------------------------------------- a call that succeeded after a redirect

REDIRECT = "04-app-log-boto3-s3-putobject-301-redirect.log"


def _table(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(["parse-log", str(path), "--fail-on", "never"]) == 0
    return capsys.readouterr().out


def test_a_call_that_succeeded_after_a_redirect_reads_as_success(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A class assignment's app log (boto3 1.34, Windows): PutObject to a bucket in
    us-east-1 from a us-east-2 client: 301 PermanentRedirect, botocore's redirector re-signs
    for us-east-1, 200. The table's result read `200 PermanentRedirect`, as if the 200 had
    carried an error."""
    out = _table(DATA / REDIRECT, capsys)
    assert "200 (after PermanentRedirect)" in out
    assert "200 PermanentRedirect" not in out
    assert "SD104" in out  # the client region differs from the bucket's (info)


def test_a_failed_retry_keeps_its_error_in_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the last try fails too, the result is its status and error as before."""
    text = (DATA / REDIRECT).read_text()
    cut = text[: text.index("100 Continue response seen")]
    log = tmp_path / "x.log"
    log.write_text(
        cut.replace("Waiting for 100 Continue response.\n", "", 1)
        + "03/09/2024 16:12:46 - urllib3.connectionpool - DEBUG - "
        'https://deassignment.s3.us-east-1.amazonaws.com:443 "PUT /20240309-161244 HTTP/1.1" 403 None\n'
        "03/09/2024 16:12:46 - botocore.parsers - DEBUG - Response body:\n"
        'b\'<?xml version="1.0" encoding="UTF-8"?>\\n<Error><Code>AccessDenied</Code>'
        "<Message>Access Denied</Message></Error>'\n"
    )
    out = _table(log, capsys)
    assert "403 AccessDenied" in out
    assert "(after" not in out


# ------------------------------------------------- AgentCore Runtime's synchronous invocation

AGENTCORE = "14-report-agentcore-invoke-read-timeout.log"


def test_agentcore_runtime_read_timeout_is_a_long_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository's experiment report: every InvokeAgentRuntime failed with `Read timeout
    on endpoint URL: "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/..."` after
    the same 70 s (the client's read_timeout; the agent's work ran longer). SD204 gave STS's
    advice (proxies, middleboxes, SNI, MTU; raise read_timeout only as a last resort)."""
    doc = _parse(tmp_path, AGENTCORE, capsys)
    sd204 = finding(doc, "SD204")
    assert "InvokeAgentRuntime answers only when the work it starts is done" in sd204["message"]
    assert "15 minutes" in sd204["fix"]
    assert "middleboxes" not in sd204["fix"]


def test_agentcore_invocations_url_names_the_operation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole URL (a Chinese report quotes it, wrapped by hand) names InvokeAgentRuntime."""
    url = (
        "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/arn%3Aaws%3Abedrock-"
        "agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fielts_part1_probe-hAXrU75Hx4/invocations"
    )
    text = f'botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: "{url}"\n'
    doc = parse(tmp_path, text, capsys)
    [r] = doc["requests"]
    assert (r["service"], r["operation"]) == ("bedrock-agentcore", "InvokeAgentRuntime")
    assert "InvokeAgentRuntime answers only" in finding(doc, "SD204")["message"]


def test_another_agentcore_call_keeps_the_path_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quick AgentCore data-plane call (memory events) that times out keeps the advice
    about the path, as before."""
    text = (DATA / AGENTCORE).read_text().replace("/runtimes/...", "/memories/mem-1/events")
    sd204 = finding(parse(tmp_path, text, capsys), "SD204")
    assert "answers only when" not in sd204["message"]
    assert "middleboxes" in sd204["fix"]


# ------------------------------------------------- a role assumption denied: whose policy

DENIED = "18-tutorial-boto3-assume-role-denied-cross-account.log"


def test_assume_role_denied_names_both_sides_and_the_callers_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An IRSA tutorial's support section: a profile chained from a role session gets
    `AccessDenied ... User: arn:aws:sts::…:assumed-role/acme-list-bucket-role/botocore-session-…
    is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::…:role/…`; the
    tutorial produces it twice, once by removing the caller role's permission policy and once
    by changing the target's trust policy: the message is the same. SD405's fix named only
    the trust policy, SCPs and the VPC endpoint policy."""
    doc = _parse(tmp_path, DENIED, capsys)
    fix = finding(doc, "SD405")["fix"]
    assert "identity-based policy of arn:aws:iam::123456789012:role/acme-list-bucket-role" in fix
    assert "trust policy" in fix


@pytest.mark.parametrize(
    ("why", "want", "unwanted"),
    [
        ("because no identity-based policy allows the sts:AssumeRole action",
         "Allow sts:AssumeRole on arn:aws:iam::111122223333:role/r in an identity-based policy "
         "of arn:aws:iam::123456789012:role/a", "trust policy"),
        ("because no resource-based policy allows the sts:AssumeRole action",
         "to the trust policy of arn:aws:iam::111122223333:role/r", "identity-based"),
    ],
)  # fmt: skip
def test_a_stated_reason_names_one_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], why: str, want: str, unwanted: str
) -> None:
    text = (
        "ClientError: An error occurred (AccessDenied) when calling the AssumeRole operation: "
        "User: arn:aws:sts::123456789012:assumed-role/a/s is not authorized to perform: "
        f"sts:AssumeRole on resource: arn:aws:iam::111122223333:role/r {why}\n"
    )
    fix = finding(parse(tmp_path, text, capsys), "SD405")["fix"]
    assert want in fix
    assert unwanted not in fix


def test_another_access_denied_keeps_the_catalogue_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "ClientError: An error occurred (AccessDenied) when calling the GetCallerIdentity "
        "operation: Access denied by the VPC endpoint policy\n"
    )
    fix = finding(parse(tmp_path, text, capsys), "SD405")["fix"]
    assert fix == "Check the trust policy of the role, SCPs and the VPC endpoint policy."


# ------------------------------------------------- the CLI's proxy error line pasted alone

PROXY_LINE = "20-notes-cli2-proxy-url-port-9.log"


def test_cli_proxy_error_line_alone_is_sd301_naming_the_proxy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A research repository's notes: 'The initial sandboxed AWS call failed with `Failed to
    connect to proxy URL: "http://127.0.0.1:9"`' (the sandbox's dead proxy). botocore's
    ProxyConnectionError message pasted alone was refused as no botocore log (SD001)."""
    doc = _parse(tmp_path, PROXY_LINE, capsys)
    sd301 = finding(doc, "SD301")
    assert "http://127.0.0.1:9" in sd301["message"]
    assert "no connection to the proxy" in sd301["message"]
    assert "a local proxy that stopped" in sd301["fix"]


def test_cli_v2_error_line_with_an_https_proxy_says_the_scheme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI v2's own line (`aws: [ERROR]: Failed to connect to proxy URL: "…"`, a sandbox
    report); with an https:// proxy URL the fix is the scheme (most proxies speak plain HTTP)."""
    text = 'aws: [ERROR]: Failed to connect to proxy URL: "https://proxy.corp.example:3128"\n'
    sd301 = finding(parse(tmp_path, text, capsys), "SD301")
    assert "https://proxy.corp.example:3128" in sd301["message"]
    assert "use `http://`" in sd301["fix"]


def test_an_endpoint_connection_error_alone_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = 'Could not connect to the endpoint URL: "https://sts.us-east-1.amazonaws.com/"\n'
    doc = parse(tmp_path, text, capsys)
    assert "SD301" not in codes(doc)
    assert "SD209" in codes(doc)


# ------------------------------------------------- an endpoint override to this machine

LOCAL = "21-course-cli-sts-local-emulator-stopped.log"


def test_a_stopped_local_endpoint_is_not_a_network_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A course on a local AWS emulator (Floci, port 4566): with the emulator stopped, `aws sts
    get-caller-identity --profile floci` fails `Could not connect to the endpoint URL:
    "http://localhost:4566/"`. SD209 said the log does not show why (DNS, refusal, routing)
    and to run `stsdiag probe`, which tests AWS's endpoints, not the local one."""
    doc = _parse(tmp_path, LOCAL, capsys)
    sd209 = finding(doc, "SD209")
    assert "this machine's own address" in sd209["message"]
    assert "http://localhost:4566/" in sd209["fix"]
    assert "endpoint override" in sd209["fix"]
    assert "stsdiag probe" not in sd209["fix"]


def test_a_connection_failure_to_aws_keeps_its_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        (DATA / LOCAL)
        .read_text()
        .replace("http://localhost:4566/", "https://sts.us-east-1.amazonaws.com/")
    )
    sd209 = finding(parse(tmp_path, text, capsys), "SD209")
    assert "own address" not in sd209["message"]
    assert "stsdiag probe" in sd209["fix"]


# ------------------------------------------------- a URL a report wrapped by hand

WRAPPED = "12-notes-agentcore-read-timeout-wrapped-url.log"


def test_a_hand_wrapped_endpoint_url_is_rejoined_and_its_line_is_the_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Chinese report quotes the exception as a small table: `message   : Read timeout on
    endpoint URL: "https://bedrock-agentcore…amazonaws.com` with the path on two indented
    lines up to the closing quote, then `RequestId : 无 —— ReadTimeoutError 不带 .response`.
    The request lost its path (no operation, STS's path advice) and SD204's evidence was the
    RequestId line, the last to name ReadTimeoutError."""
    doc = _parse(tmp_path, WRAPPED, capsys)
    [r] = doc["requests"]
    assert r["operation"] == "InvokeAgentRuntime"
    assert r["url"].endswith("/invocations")
    sd204 = finding(doc, "SD204")
    assert sd204["evidence"][0]["line"] == 2
    assert "InvokeAgentRuntime answers only" in sd204["message"]


def test_a_url_followed_by_other_indented_text_is_not_joined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An indented line that does not close the quote without a blank is no part of it."""
    text = (
        'message   : Read timeout on endpoint URL: "https://bedrock-agentcore.us-east-1.'
        'amazonaws.com\n            (the path was cut here by the author)"\n'
    )
    [r] = parse(tmp_path, text, capsys)["requests"]
    assert r["url"] == "https://bedrock-agentcore.us-east-1.amazonaws.com"
    assert r["operation"] is None


def test_the_command_line_above_names_the_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The course pastes `aws sts get-caller-identity --profile floci` above the error; the
    request (known only from the endpoint URL on localhost) read `?.?`."""
    [r] = _parse(tmp_path, LOCAL, capsys)["requests"]
    assert (r["service"], r["operation"]) == ("sts", "GetCallerIdentity")


def test_a_cli_command_of_its_own_names_no_operation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`aws s3 ls` is the CLI's own command, no API operation of that name: nothing named."""
    text = (DATA / LOCAL).read_text().replace("sts get-caller-identity", "s3 ls")
    [r] = parse(tmp_path, text, capsys)["requests"]
    assert (r["service"], r["operation"]) == (None, None)


# ------------------------------------------------- clock skew off EC2

SKEW = "23-notes-wsl-cli-gci-signature-expired.log"


def test_clock_skew_fix_is_not_only_ec2s_time_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A course's error notes (WSL: `/mnt/d/...`): `SignatureDoesNotMatch ... Signature
    expired: … (… - 15 min.)` on GetCallerIdentity, fixed with `ntpdate`. SD401 is right; its
    fix named only chrony with the Amazon Time Sync Service (169.254.169.123), which answers
    on EC2 only."""
    sd401 = finding(_parse(tmp_path, SKEW, capsys), "SD401")
    assert "2236 s behind" in sd401["message"]
    assert "NTP" in sd401["fix"]
    assert "on EC2 the Amazon Time Sync Service" in sd401["fix"]
    assert "hwclock" in sd401["fix"]
