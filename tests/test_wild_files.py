"""Real logs committed as files in public repositories (blog posts, lab guides, notes), read
whole rather than as a search excerpt, in tests/data/wild-files (sources in its SOURCES.md),
each with the misreading it showed, and near misses that must read as before: the metadata
service's 404 asked through an HTTP proxy (the proxy's side answered, not this instance), the
CLI's error message that names the operation of a request pasted without `Making request`, a
session token pasted as the region (the endpoint URL carries it: a leak, and SD106), a
terminal transcript of two commands, and a region typo known only from the endpoint URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stsdiag.cli import run
from stsdiag.redact import redact
from tests.helpers import codes, finding, parse

DATA = Path(__file__).parent / "data" / "wild-files"


def _parse(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return parse(tmp_path, (DATA / name).read_text(), capsys)


# ------------------------------------------------- the metadata service asked through a proxy

PROXIED = "03-blog-cli2-imds-through-proxy-404.log"


def test_role_list_404_through_the_proxy_is_not_a_missing_instance_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """EC2 instance with a role; `HTTP_PROXY` set without `NO_PROXY`: the SDK asked IMDS
    through Squid, which answered 403 to the token PUT and 404 to the role list. The curl
    the author ran directly got the role. SD501 said no IAM role is attached."""
    doc = _parse(tmp_path, PROXIED, capsys)
    assert {"SD501", "SD302"} <= set(codes(doc))
    sd501 = finding(doc, "SD501")
    assert "no IAM role" not in sd501["message"]
    assert "through the HTTP proxy" in sd501["message"]
    assert "NO_PROXY" in sd501["fix"]


def test_role_list_404_asked_directly_still_means_no_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / PROXIED).read_text()
    direct = (
        text.replace("Starting new HTTP connection (1): 172.31.94.221:3128",
                     "Starting new HTTP connection (1): 169.254.169.254:80")
        .replace('http://172.31.94.221:3128 "PUT http://169.254.169.254/latest/api/token',
                 'http://169.254.169.254:80 "PUT /latest/api/token')
        .replace('http://172.31.94.221:3128 "GET http://169.254.169.254/latest/meta-data/',
                 'http://169.254.169.254:80 "GET /latest/meta-data/')
    )  # fmt: skip
    doc = parse(tmp_path, direct, capsys)
    assert "SD302" not in codes(doc)
    sd501 = finding(doc, "SD501")
    assert "no IAM role (instance profile) is attached" in sd501["message"]
    assert "NO_PROXY" not in sd501["fix"]


# ------------------------------------------------- the operation named by the CLI's message

LAB = "05-lab-guide-cli2-s3-rb-accessdenied-imds-role.log"


def test_cli_error_after_the_body_names_the_operation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An AWS lab guide quotes `aws s3 rb --debug` from `Calculating signature` on (no
    `Making request`): the request was `s3.?`; the CLI's `remove_bucket failed: … (AccessDenied)
    when calling the DeleteBucket operation` pasted after the body names it."""
    doc = _parse(tmp_path, LAB, capsys)
    [r] = doc["requests"]
    assert (r["service"], r["operation"], r["error_code"]) == ("s3", "DeleteBucket", "AccessDenied")
    assert "SD503" in codes(doc)  # credentials from the instance's role


def test_cli_error_of_another_code_names_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        (DATA / LAB)
        .read_text()
        .replace(
            "(AccessDenied) when calling the DeleteBucket",
            "(NoSuchBucket) when calling the DeleteBucket",
        )
    )
    [r] = parse(tmp_path, text, capsys)["requests"]
    assert (r["operation"], r["error_code"]) == (None, "AccessDenied")


# ------------------------------------------------- a session token pasted as the region

TOKEN_REGION = "08-blog-cli-session-token-as-region-transcript.log"
FAKE_TOKEN_PIECE = "EXAMPLESESSIONTOKEN"


def test_session_token_as_region_is_sd106_and_never_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A terminal transcript (Chinese security blog): `aws sts get-caller-identity` failed with
    `Could not connect to the endpoint URL: "https://sts.<the session token>.amazonaws.com"`,
    then `aws iam get-role` with AccessDenied. Before: no request at all (the second command's
    AccessDenied swallowed the first one's error), and with the first alone the host was a
    piece of the token (`sts.iqojb3jpz2lux2vjexample`) and no SD106."""
    doc = _parse(tmp_path, TOKEN_REGION, capsys)
    [r] = doc["requests"]
    assert r["service"] == "sts"
    assert r["host"] is None
    assert r["error_code"] is None  # the AccessDenied was iam's GetRole, a later command
    assert r["attempts"][0]["error"] == "connection-error"
    sd106 = finding(doc, "SD106")
    assert "credential" in sd106["message"]
    assert "rotate" in sd106["fix"]
    run(["parse-log", str(DATA / TOKEN_REGION), "--fail-on", "never"])
    table = capsys.readouterr().out
    for out in (str(doc), table):
        assert FAKE_TOKEN_PIECE not in out
        assert FAKE_TOKEN_PIECE.lower() not in out


def test_the_redacted_transcript_keeps_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    """`stsdiag redact` dropped the token after `AWS_SESSION_TOKEN=` but kept it whole in the
    URL: the base64-run rule spares runs after a `.` (URL paths)."""
    code = run(["redact", str(DATA / TOKEN_REGION)])
    out = capsys.readouterr().out
    assert code == 0
    assert FAKE_TOKEN_PIECE not in out
    assert 'endpoint URL: "https://sts.<redacted>' in out


def test_url_paths_after_a_dot_are_still_kept() -> None:
    path = "https://bucket.s3.amazonaws.com/" + "abcdefghij" * 7 + "/key.txt"
    assert redact(path) == path
    # a token opening inside a word is not a token (it starts the run)
    word = "xIQoJb3JpZ2luX2Vj" + "a" * 30
    assert redact(f"path/{word}.txt") == f"path/{word}.txt"


def test_known_region_in_the_url_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / TOKEN_REGION).read_text()
    text = text[: text.index("aws iam get-role")]  # the first command only
    start = text.index('"https://sts.') + len('"https://sts.')
    end = text.index(".amazonaws.com", start)
    doc = parse(tmp_path, text[:start] + "us-east-1" + text[end:], capsys)
    [r] = doc["requests"]
    assert r["host"] == "sts.us-east-1.amazonaws.com"
    assert "SD106" not in codes(doc)


def test_one_command_transcript_keeps_its_own_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a second `$ aws …` line the record is not cut, and reads as before: its SDK
    error message is the record's reading (SD405 for an error with no request)."""
    text = (
        "root@host:~# aws sts get-caller-identity\n\n"
        'Could not connect to the endpoint URL: "https://sts.us-east-1.amazonaws.com/"\n'
        "An error occurred (AccessDenied) when calling the GetCallerIdentity operation: no\n"
    )
    doc = parse(tmp_path, text, capsys)
    assert (doc["requests"], codes(doc)) == ([], ["SD405"])


# ------------------------------------------------- a region typo known only from the URL

TYPO = "09-ai-stanbul-region-typo-eu-center-1.log"


def test_region_typo_in_the_endpoint_url_is_sd106(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository's troubleshooting note quotes the CLI's error for `eu-center-1`: stsdiag
    said only SD209 (could not connect), not that the region does not exist."""
    doc = _parse(tmp_path, TYPO, capsys)
    sd106 = finding(doc, "SD106")
    assert "eu-center-1" in sd106["message"]
    assert "eu-central-1" in sd106["message"]


@pytest.mark.parametrize(
    "host",
    ["sts.eu-central-1.amazonaws.com", "sts.amazonaws.com", "kms.eu-center-1.amazonaws.com"],
)
def test_known_region_global_or_other_service_host_is_no_sd106(
    host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / TYPO).read_text().replace("sts.eu-center-1.amazonaws.com", host)
    assert "SD106" not in codes(parse(tmp_path, text, capsys))


def test_client_region_in_the_log_is_what_sd106_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the client region in the log, the host's label is not asked again."""
    log = (
        "2024-01-01 00:00:00,000 - MainThread - botocore.endpoint - DEBUG - Making request for "
        "OperationModel(name=GetCallerIdentity) with params: {'url_path': '/', 'query_string': "
        "'', 'method': 'POST', 'headers': {}, 'body': {'Action': 'GetCallerIdentity'}, 'url': "
        "'https://sts.eu-center-1.amazonaws.com/', 'context': {'client_region': 'eu-center-1'}}\n"
    )
    doc = parse(tmp_path, log, capsys)
    assert [f["message"] for f in doc["findings"] if f["code"] == "SD106"] == [
        "Region 'eu-center-1' is not known to botocore. Did you mean eu-central-1?"
    ]


def test_whole_files_parse_without_error(capsys: pytest.CaptureFixture[str]) -> None:
    for p in sorted(DATA.glob("*.log")):
        assert run(["parse-log", str(p), "--fail-on", "never"]) == 0, p
        assert run(["parse-log", str(p), "--output", "json", "--fail-on", "never"]) == 0, p
    capsys.readouterr()


# ------------------------------------------------- out of file descriptors, not a bad certificate

EMFILE = "11-worker-notes-too-many-open-files-ssl.log"


def test_ssl_failure_out_of_file_descriptors_is_no_ca_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker scanning 17 regions logged `[Errno 24] Too many open files` and then `SSL
    validation failed for https://sts…`: urllib3 calls the failure to open the CA bundle an
    SSLError. SD303 said the certificate failed verification and to point AWS_CA_BUNDLE at
    another bundle."""
    doc = _parse(tmp_path, EMFILE, capsys)
    sd303 = finding(doc, "SD303")
    assert "Too many open files" in sd303["message"]
    assert "ulimit" in sd303["fix"]
    assert "AWS_CA_BUNDLE" not in sd303["fix"]


def test_ssl_failure_without_the_errno_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / EMFILE).read_text().replace("[Errno 24] Too many open files\n", "")
    sd303 = finding(parse(tmp_path, text, capsys), "SD303")
    assert sd303["message"] == (
        "sts.ap-northeast-1.amazonaws.com failed TLS certificate verification."
    )
    assert "AWS_CA_BUNDLE" in sd303["fix"]


# ------------------------------------------------- two runs pasted one after the other

TWO_RUNS = "13-readme-cli1-s3-sigv2-no-region-then-region.log"


def test_pasted_command_between_runs_starts_a_new_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A README shows `aws s3 ls … --debug` twice: without a region (SigV2, 400 InvalidRequest,
    the bucket is in us-east-2) and with `--region=us-east-2` (a listing). The second command
    line was a continuation of the first run's `Exiting with rc 255` record, so the second
    run's request went on as the first one's second try: one request, 2 tries, 34.6 s,
    InvalidRequest at s3.us-east-2."""
    doc = _parse(tmp_path, TWO_RUNS, capsys)
    got = [(r["host"], r["error_code"], len(r["attempts"])) for r in doc["requests"]]
    assert got == [(None, "InvalidRequest", 1), ("s3.us-east-2.amazonaws.com", None, 1)]
    assert doc["recommendation"]["region"] == "us-east-2"


def test_without_the_second_command_line_the_runs_read_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        (DATA / TWO_RUNS)
        .read_text()
        .replace("aws s3 ls s3://ravirajamani --region=us-east-2 --debug >> README.md\n", "")
    )
    doc = parse(tmp_path, text, capsys)
    got = [(r["host"], r["error_code"], len(r["attempts"])) for r in doc["requests"]]
    assert got == [("s3.us-east-2.amazonaws.com", "InvalidRequest", 2)]


# ------------------------------------------------- a log whose line breaks a page lost

FLAT = "14-blog-2015-cli1-flattened-s3-invalidaccesskeyid.log"


def test_records_glued_on_one_line_are_read_one_by_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 2015 blog post's debug log, every record on one line: only the first record
    (`Sending http request:`) was read, so the request 'got no answer' (SD210) though the
    same line holds its 403 and the CLI's InvalidAccessKeyId error."""
    doc = _parse(tmp_path, FLAT, capsys)
    assert "SD210" not in codes(doc)
    assert "SD403" in codes(doc)
    [r] = doc["requests"]
    assert r["error_code"] == "InvalidAccessKeyId"


def test_a_glued_header_is_cut_where_it_starts() -> None:
    from stsdiag.logparse.records import Record
    from stsdiag.logparse.requests import _glued

    def rec(msg: str) -> Record:
        return Record(1, "botocore.endpoint", "DEBUG", "MainThread", None, "botocore", [msg])

    pieces = _glued(rec("Sending http request:  2015-08-06 20:54:27,783 - botocore.parsers"
                        " - DEBUG - Response headers: {'x': 'y'}"))  # fmt: skip
    assert pieces is not None
    assert [(p.logger, p.message) for p in pieces] == [
        ("botocore.endpoint", "Sending http request:"),
        ("botocore.parsers", "Response headers: {'x': 'y'}"),
    ]
    # a time stamp in a message, not followed by a logger and a level
    assert _glued(rec("Response body: b'<x>2015-08-06 20:54:27,770 - </x>' - DEBUG - ")) is None
    assert _glued(rec("got 2015-08-06 20:54:27,770 - two words here - DEBUG - x")) is None


def test_a_time_stamp_inside_an_answer_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = "2024-01-01 00:00:00,000 - MainThread - "
    log = (
        f"{head}botocore.endpoint - DEBUG - Making request for OperationModel(name="
        "GetCallerIdentity) with params: {'url': 'https://sts.eu-west-1.amazonaws.com/', "
        "'context': {'client_region': 'eu-west-1'}}\n"
        f"{head}urllib3.connectionpool - DEBUG - https://sts.eu-west-1.amazonaws.com:443 "
        '"POST / HTTP/1.1" 403 300\n'
        f"{head}botocore.parsers - DEBUG - Response body:\n"
        "b'<ErrorResponse><Error><Code>AccessDenied</Code><Message>at 2015-08-06 "
        "20:54:27,770 - not - DEBUG - a record</Message></Error></ErrorResponse>'\n"
    )
    [r] = parse(tmp_path, log, capsys)["requests"]
    assert (r["host"], r["http_status"], r["error_code"]) == (
        "sts.eu-west-1.amazonaws.com",
        403,
        "AccessDenied",
    )


# ------------------------------------------------- an answer whose status line is not logged

NO_STATUS = "15-polly-readme-boto3-stream-logger-no-status-lines.log"


def _row(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    assert run(["parse-log", str(path), "--fail-on", "never"]) == 0
    out = capsys.readouterr().out
    return next(ln for ln in out.splitlines() if "polly.SynthesizeSpeech" in ln)


def test_answer_without_a_status_line_reads_answered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`set_stream_logger('botocore')` logs no urllib3 status line: the request has its
    response headers, a streaming body and 'No retry needed', and the table said its result
    was 'not in log'."""
    row = _row(capsys, DATA / NO_STATUS)
    assert "answered" in row and "not in log" not in row


def test_request_cut_before_its_answer_still_reads_no_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / NO_STATUS).read_text()
    cut = tmp_path / "cut.log"
    cut.write_text(text[: text.index("botocore.httpsession")].rsplit("\n", 1)[0] + "\n")
    row = _row(capsys, cut)
    assert "no answer" in row and "answered" not in row


def test_role_list_404_from_the_instance_says_attach_a_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A blog's EC2 instance asked IMDS directly (token 200, role list 404): SD501 said no
    role is attached, and its fix was the generic 'Configure credentials (…)'."""
    doc = _parse(tmp_path, "16-blog-cli2-imds-direct-role-list-404.log", capsys)
    sd501 = finding(doc, "SD501")
    assert "no IAM role (instance profile) is attached" in sd501["message"]
    assert "associate-iam-instance-profile" in sd501["fix"]
    assert "SD302" not in codes(doc)


def test_no_credentials_without_imds_keeps_the_generic_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        'Unable to locate credentials. You can configure credentials by running "aws configure".\n'
    )
    sd501 = finding(parse(tmp_path, text, capsys), "SD501")
    assert sd501["fix"].startswith("Configure credentials")


def test_info_level_lambda_log_says_answers_are_not_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Lambda function's INFO-level CloudWatch log has only `Starting new HTTPS connection`
    lines and ends normally (END, REPORT): every row said 'no answer', as if the calls had
    hung, while botocore logs no answer below DEBUG (SD210 says so at INFO severity)."""
    assert run(["parse-log", str(DATA / "18-readme-lambda-info-connections-only.log")]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [ln for ln in out if ln.split()[:1] and ln.split()[0].isdigit()]  # table rows
    assert rows and all("not logged" in ln and "no answer" not in ln for ln in rows)


# ------------------------------------------------- a read timeout of a call that runs long

BEDROCK = "19-app-log-bedrock-converse-read-timeout-tracebacks.log"


def test_read_timeout_of_a_long_running_call_says_raise_read_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bedrock Converse timed out reading after 120 s (the model still generating). The
    request was `bedrock-runtime.?` (the URL's path was dropped) and SD204's fix was STS's:
    check proxies and middleboxes, raise read_timeout only as a last resort."""
    doc = _parse(tmp_path, BEDROCK, capsys)
    [r] = doc["requests"]
    assert (r["service"], r["operation"]) == ("bedrock-runtime", "Converse")
    sd204 = finding(doc, "SD204")
    assert "read_timeout" in sd204["message"]
    assert "ConverseStream" in sd204["fix"]
    assert "middlebox" not in sd204["fix"]


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("sts.us-east-2.amazonaws.com", "/"),  # STS answers at once: a stall is the path's
        ("lambda.us-east-2.amazonaws.com", "/2015-03-31/functions/"),  # ListFunctions
    ],
)
def test_read_timeout_of_a_quick_call_keeps_the_path_advice(
    host: str, path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / BEDROCK).read_text()
    url = "https://bedrock-runtime.us-east-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-2%3A123456789012%3Ainference-profile%2Fglobal.anthropic.claude-sonnet-4-6/converse"
    text = text.replace(url, f"https://{host}{path}").replace(
        "bedrock-runtime.us-east-2.amazonaws.com", host
    )
    sd204 = finding(parse(tmp_path, text, capsys), "SD204")
    assert "middlebox" in sd204["fix"]
    assert "read_timeout` (botocore" not in sd204["message"]


# ------------------------------------------------- a `Sending` line the paste repeated

REPEATED = "06-notes-cloudshell-cli2-logs-startquery-repeated-sending.log"


def test_sending_repeated_in_the_same_millisecond_is_one_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The paste has the `request-created` hook and `Sending http request` twice at
    19:18:21,669 (masked differently), nothing between: the table said 2 tries."""
    [r] = _parse(tmp_path, REPEATED, capsys)["requests"]
    assert (r["operation"], r["http_status"], len(r["attempts"])) == ("StartQuery", 200, 1)


def test_sending_again_later_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / REPEATED).read_text()
    i = text.rindex("2025-03-18 19:18:21,669 - MainThread - botocore.endpoint - DEBUG - Sending")
    text = text[:i] + text[i:].replace("19:18:21,669", "19:18:21,670", 1)
    [r] = parse(tmp_path, text, capsys)["requests"]
    assert len(r["attempts"]) == 2


def test_sigv2_refused_for_want_of_a_region_is_sd101(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's first run: no region, so the old CLI signed S3 with SigV2 and S3 said
    'Please use AWS4-HMAC-SHA256' (the bucket is in us-east-2); no finding said so."""
    doc = _parse(tmp_path, TWO_RUNS, capsys)
    sd101 = finding(doc, "SD101")
    assert "Signature Version 2" in sd101["message"] and "us-east-2" in sd101["message"]
    assert "--region us-east-2" in sd101["fix"]


def test_another_invalid_request_is_no_sd101(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / TWO_RUNS).read_text()
    text = text.replace(
        "The authorization mechanism you have provided is not supported. Please use "
        "AWS4-HMAC-SHA256.",
        "Missing required header for this request: x-amz-content-sha256",
    )
    text = text.replace("requires Signature Version 4", "requires a header")
    assert "SD101" not in codes(parse(tmp_path, text, capsys))


# ------------------------------------------------- a global service's client names the region

IAM = "23-aws-docs-cli1-iam-list-groups-aws-global.log"


def test_global_service_client_names_the_configured_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The AWS CLI guide's `aws iam list-groups --debug`: IAM goes to iam.amazonaws.com with
    client region aws-global, but `Using partition endpoint for iam, us-west-2: aws-global`
    says the profile's region is us-west-2; the recommendation said the log names none."""
    doc = _parse(tmp_path, IAM, capsys)
    assert doc["recommendation"]["region"] == "us-west-2"
    assert codes(doc) == []


def test_without_the_partition_line_the_region_stays_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DATA / IAM).read_text().split("\n", 1)[1]
    assert parse(tmp_path, text, capsys)["recommendation"]["region"] is None


# ------------------------------------------------- another service throttled

S3_429 = "17-notes-boto3-custom-format-s3-429-retries.log"


def test_s3_429_gets_a_fix_for_s3_not_sts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GetObject answered 429 twice (a custom log format, legacy retries): SD407's fix was
    STS's ('Cache credentials, … spread calls across regional endpoints')."""
    doc = _parse(tmp_path, S3_429, capsys)
    [r] = doc["requests"]
    assert (r["operation"], r["http_status"], len(r["attempts"])) == ("GetObject", 429, 2)
    sd407 = finding(doc, "SD407")
    assert "regional endpoints" not in sd407["fix"]
    assert "adaptive" in sd407["fix"] and "prefixes" in sd407["fix"]


def test_sts_429_keeps_the_sts_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DATA / S3_429).read_text()
    text = text.replace("micktwomey-scratch-example.s3.eu-west-1", "sts.eu-west-1")
    text = text.replace("/s3/aws4_request", "/sts/aws4_request").replace(
        ".s3.GetObject", ".sts.GetCallerIdentity"
    )
    sd407 = finding(parse(tmp_path, text, capsys), "SD407")
    assert "regional endpoints" in sd407["fix"]


@pytest.mark.parametrize(
    "token",
    [
        "IQoJb3JpZ2luX2VjEXAMPLEtokenEXAMPLEtokenEXAMPLE",
        "FwoGZXIvYXdzEXAMPLEtokenEXAMPLEtokenEXAMPLE",
        # the older opening of AWS's documented example tokens ('AQoDYXdzEPT//////////wEXAMPLE…')
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI",
    ],
)
def test_a_token_after_a_dot_is_dropped_by_its_opening(token: str) -> None:
    """A session token pasted as the region stands after `sts.` in the endpoint URL, where
    base64 runs of URL paths are spared: each STS token opening drops it there."""
    out = redact(f'Could not connect to the endpoint URL: "https://sts.{token}.amazonaws.com/"')
    assert token[:12] not in out and token[-12:] not in out
