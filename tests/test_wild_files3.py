"""Real logs committed as files in public repositories (the third wave: a CloudWatch Logs
CSV download of a Lambda function's log, a notebook's custom format, a page that lost a
log's line breaks), in tests/data/wild-files3 (sources in its SOURCES.md), each with the
misreading it showed, and near misses that must read as before."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import codes, finding, parse

DATA = Path(__file__).parent / "data" / "wild-files3"


def _parse(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return parse(tmp_path, (DATA / name).read_text(), capsys)


# ------------------------------------- a CloudWatch Logs CSV download of a Lambda log

CSV = "02-lambda-cwl-csv-download-s3-getobject.log"


def test_cloudwatch_csv_download_is_unwrapped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Lambda function's debug log as CloudWatch Logs' CSV download holds it
    ('timestamp,message', epoch milliseconds, each message quoted with its quotes doubled
    and its closing quote alone on the next line). urllib3's status line came as
    `… ""GET /users/… HTTP/1.1"" 200 420`: the GetObject read as 'answered' with no
    status. It is a 200, and the evidence names the file's lines."""
    doc = _parse(tmp_path, CSV, capsys)
    [req] = doc["requests"]
    assert (req["service"], req["operation"]) == ("s3", "GetObject")
    assert req["http_status"] == 200
    assert [a["status"] for a in req["attempts"]] == [200]
    assert req["first_line"] == 16  # the 'Making request' row's line in the file
    assert req["attempts"][0]["line"] == 84
    assert codes(doc) == []
    assert doc["recommendation"]["region"] == "eu-central-1"


def _bare_lambda(text: str) -> str:
    """The CSV download's messages as the Lambda runtime wrote them (its text format)."""
    out = []
    for line in text.splitlines()[1:]:
        m = re.match(r'\d{13},"(.*)', line)
        body = m.group(1) if m else line
        if body == '"':
            continue
        out.append(body.replace('""', '"'))
    return "\n".join(out) + "\n"


def test_cloudwatch_csv_reads_as_the_bare_lambda_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: the same messages without the CSV around them (the function's log as
    Lambda writes it) read as they did, and as the CSV now does."""
    bare = parse(tmp_path, _bare_lambda((DATA / CSV).read_text()), capsys)
    csv = _parse(tmp_path, CSV, capsys)
    pick = ("service", "operation", "host", "http_status", "signing_region")
    assert [tuple(r[k] for k in pick) for r in bare["requests"]] == [
        tuple(r[k] for k in pick) for r in csv["requests"]
    ]
    assert bare["requests"][0]["http_status"] == 200


INSIGHTS = """\
@timestamp,@message
2025-11-30 16:43:04.727,"2025-11-30 16:43:04,727 - MainThread - botocore.endpoint - DEBUG - \
Making request for OperationModel(name=GetCallerIdentity) with params: {'url_path': '/', \
'query_string': '', 'method': 'POST', 'headers': {'Content-Type': \
'application/x-www-form-urlencoded; charset=utf-8'}, 'body': {'Action': \
'GetCallerIdentity', 'Version': '2011-06-15'}, 'url': 'https://sts.eu-west-1.amazonaws.com/', \
'context': {'client_region': 'eu-west-1', 'has_streaming_input': False, 'auth_type': None}}
"
2025-11-30 16:43:04.729,"2025-11-30 16:43:04,729 - MainThread - botocore.endpoint - DEBUG - \
Sending http request: <AWSPreparedRequest stream_output=False, method=POST, \
url=https://sts.eu-west-1.amazonaws.com/, headers={'Content-Length': '43'}>
"
2025-11-30 16:43:04.730,"2025-11-30 16:43:04,730 - MainThread - urllib3.connectionpool - \
DEBUG - Starting new HTTPS connection (1): sts.eu-west-1.amazonaws.com:443
"
2025-11-30 16:43:04.731,"2025-11-30 16:43:04,731 - MainThread - urllib3.connectionpool - \
DEBUG - https://sts.eu-west-1.amazonaws.com:443 ""POST / HTTP/1.1"" 403 306
"
2025-11-30 16:43:04.732,"2025-11-30 16:43:04,732 - MainThread - botocore.parsers - DEBUG - \
Response body:
b'<ErrorResponse xmlns=""https://sts.amazonaws.com/doc/2011-06-15/"">\\n  <Error>\\n    \
<Type>Sender</Type>\\n    <Code>InvalidClientTokenId</Code>\\n    <Message>The security token \
included in the request is invalid.</Message>\\n  </Error>\\n</ErrorResponse>\\n'
"
"""


def test_logs_insights_csv_with_quoted_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Logs Insights' CSV ('@timestamp,@message', a date-time) of an AWS CLI format log:
    the 403 InvalidClientTokenId of the regional STS call is read (SD403), its evidence on
    the file's lines."""
    doc = parse(tmp_path, INSIGHTS, capsys)
    [req] = doc["requests"]
    assert (req["operation"], req["http_status"], req["error_code"]) == (
        "GetCallerIdentity",
        403,
        "InvalidClientTokenId",
    )
    assert "SD403" in codes(doc)
    assert req["attempts"][0]["line"] == 4  # the Sending row's line in the file


def test_log_lines_with_a_comma_after_the_time_are_not_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: the AWS CLI's own 'YYYY-MM-DD HH:MM:SS,mmm - ' header (a comma after the
    time) is no CSV row: the same log without the CSV reads the same request."""
    bare = []
    for line in INSIGHTS.splitlines()[1:]:
        m = re.match(r'[\d :.-]+,"(.*)', line)
        body = m.group(1) if m else line
        if body != '"':
            bare.append(body.replace('""', '"'))
    doc = parse(tmp_path, "\n".join(bare) + "\n", capsys)
    [req] = doc["requests"]
    assert (req["http_status"], req["error_code"]) == (403, "InvalidClientTokenId")
    assert req["first_line"] == 1


# --------------------------------- set_stream_logger records glued onto one line

GLUED = "04-notes-boto3-stream-logger-flattened-shared-creds.log"


def test_stream_logger_records_glued_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A blog (zh) shows boto3's debug output with its line breaks lost: every
    `YYYY-MM-DD HH:MM:SS,mmm botocore.x [DEBUG] …` record glued onto the first one, a
    `Changing event name` (a record without facts, so the whole line was dropped). The
    credentials came from the shared credentials file (SD503); stsdiag read nothing."""
    doc = _parse(tmp_path, GLUED, capsys)
    assert codes(doc) == ["SD503"]
    sd503 = finding(doc, "SD503")
    assert "shared credentials file" in sd503["message"]
    assert sd503["evidence"][0]["line"] == 3
    assert doc["requests"] == []


def test_stream_logger_records_on_their_own_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: the same records each on its line read the same (SD503, no request)."""
    text = (DATA / GLUED).read_text()
    text = re.sub(r" (?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} botocore)", "\n", text)
    doc = parse(tmp_path, text, capsys)
    assert codes(doc) == ["SD503"]
    assert doc["requests"] == []


def test_a_long_message_quoting_a_time_is_not_glued_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: a long record without facts whose message holds time stamps not followed
    by a logger and a level (nor by `botocore.x [LEVEL]`) stays dropped: nothing read."""
    filler = " ".join(f"2023-04-21 17:58:{i:02d},953 retry handler was {i}" for i in range(20))
    text = (
        "2023-04-21 17:58:21,953 botocore.hooks [DEBUG] Changing event name from a to b "
        + filler
        + " Found credentials in shared credentials file: ~/.aws/credentials\n"
    )
    doc = parse(tmp_path, text, capsys)
    assert codes(doc) == []


# ------------------------------------------ a clock 11 minutes ahead, still accepted

SKEW = "03-notebook-boto3-module-funcname-format-clock-ahead.log"


def _dated(text: str, shift_s: int) -> str:
    """The log with every answer's `Date` set to its request's X-Amz-Date plus `shift_s`."""
    from datetime import UTC, datetime, timedelta

    out = []
    signed = None
    for line in text.splitlines():
        m = re.search(r"'X-Amz-Date': b'(\d{8}T\d{6}Z)'", line)
        if m:
            signed = datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if signed is not None and "'Date': '" in line:
            date = (signed + timedelta(seconds=shift_s)).strftime("%a, %d %b %Y %H:%M:%S GMT")
            line = re.sub(r"'Date': '[^']*'", f"'Date': '{date}'", line)
        out.append(line)
    return "\n".join(out) + "\n"


def test_answers_dated_eleven_minutes_before_the_signature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook's boto3 log (`%(module)s - %(funcName)s:` format): IAM and Redshift
    answered 200, but their `Date` headers are 675 s before the requests' X-Amz-Date (plus
    the 0.3 s to the answer): the local clock runs 11 minutes ahead, 4 minutes from the
    15 at which AWS refuses every signature. stsdiag said nothing; now SD401 (an error past
    five minutes, as the probe's own Date-header check), on the first answer's line."""
    doc = _parse(tmp_path, SKEW, capsys)
    assert [r["http_status"] for r in doc["requests"]] == [200, 200, 200]
    assert codes(doc) == ["SD401"]
    sd401 = finding(doc, "SD401")
    assert sd401["severity"] == "error"
    assert "675 s ahead of AWS's" in sd401["message"]
    assert sd401["evidence"][0]["line"] == 52


@pytest.mark.parametrize(("shift", "expected"), [(0, None), (-40, None), (90, "warning")])
def test_answer_dates_near_the_signature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shift: int, expected: str | None
) -> None:
    """Near misses: answers dated as signed, or 40 s off (rounding, a slow answer), are no
    finding; 90 s behind is a warning (the probe's thresholds: 60 s, 300 s)."""
    doc = parse(tmp_path, _dated((DATA / SKEW).read_text(), shift), capsys)
    if expected is None:
        assert codes(doc) == []
    else:
        sd401 = finding(doc, "SD401")
        assert sd401["severity"] == expected
        assert "90 s behind AWS's" in sd401["message"]


def test_answers_dated_hours_away_are_a_splice_not_a_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: a blog (wave 1's file 04) spliced two runs 1 h 47 min apart, one run's
    `Response headers` (its Date) after the other's request. AWS refuses a signature more
    than 15 minutes off, so answers accepted 6453 s away are no clock's: no finding."""
    doc = parse(tmp_path, _dated((DATA / SKEW).read_text(), 6453), capsys)
    assert [r["http_status"] for r in doc["requests"]] == [200, 200, 200]
    assert codes(doc) == []


def test_a_local_endpoints_clock_is_not_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: the same answers from a local emulator (another server's clock): no
    finding."""
    text = (DATA / SKEW).read_text()
    text = text.replace("https://iam.amazonaws.com", "http://localhost:4566")
    text = text.replace("https://redshift.us-east-2.amazonaws.com", "http://localhost:4566")
    text = text.replace("iam.amazonaws.com:443", "localhost:4566").replace(
        "redshift.us-east-2.amazonaws.com:443", "localhost:4566"
    )
    doc = parse(tmp_path, text, capsys)
    assert "SD401" not in codes(doc)


def test_a_refused_signature_is_one_clockfinding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: when AWS refused a request for the clock, that error's SD401 is the one
    finding (no second one from the answer's Date)."""
    text = _dated((DATA / SKEW).read_text(), -1200)
    text = text.replace(
        '"POST / HTTP/1.1" 200 212',
        '"POST / HTTP/1.1" 403 321',
    ).replace(
        'b\'<AttachRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\\n  '
        "<ResponseMetadata>",
        'b\'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\\n  <Error>'
        "<Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>Signature expired: "
        "20201028T025338Z is now earlier than 20201028T023838Z (20201028T025338Z - 15 min.)"
        "</Message></Error>\\n  <ResponseMetadata>",
    )
    doc = parse(tmp_path, text, capsys)
    assert codes(doc).count("SD401") == 1
    assert "Signature expired" in finding(doc, "SD401")["message"]
