"""What a botocore / aiobotocore version sweep showed (fixture generations g2019, g2024, g2025,
gaio2021, gaio2022, gaiolatest): aiohttp's logs (no urllib3 lines, many requests at once on
one event loop), aiobotocore 1.x's raw aiohttp exceptions, and the standard retry mode's
unlogged read timeouts."""

from __future__ import annotations

import io
import re

import pytest

from stsdiag.logparse.requests import classify
from stsdiag.models import ErrorKind
from stsdiag.parselog import ParseOptions, analyze, parse_path
from tests.helpers import Case, cases

CASES = {c.name: c for c in cases()}
_SILENT = "Retry needed, retrying request after delay"
# the healthy aiobotocore logs: concurrent requests, with and without thread names
AIO_OK = sorted(n for n, c in CASES.items() if c.meta["generator"].startswith(("aiobotocore", "aioboto3"))
                and n.endswith("-ok"))  # fmt: skip


def _case(name: str) -> Case:
    if name not in CASES:
        pytest.fail(f"fixture {name} is missing: run fixtures/generate.py --only {name}")
    return CASES[name]


def test_the_sweep_fixtures_are_there() -> None:
    assert len(AIO_OK) >= 4
    assert {"gaio2021-ok", "gaio2022-threads-ok", "gaiolatest-threads-ok"} <= set(AIO_OK)


@pytest.mark.parametrize("name", AIO_OK)
def test_concurrent_aiobotocore_requests_each_get_their_answer(name: str) -> None:
    """asyncio.gather sends several requests before the first answer; aiohttp logs no status
    line, so each 'Response headers' goes to the oldest request still waiting, whatever the
    thread name says (was: the newest request took every answer, the others 'no answer',
    SD210)."""
    case = _case(name)
    rep = parse_path(str(case.log), ParseOptions())
    made = case.log.read_text().count("Making request for")
    assert rep.requests_total == made
    assert all(r.attempts and r.attempts[-1].answered for r in rep.requests)
    assert "SD210" not in {f.code for f in rep.findings}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("aiohttp.client_exceptions.ServerTimeoutError: Connection timeout to host "
         "https://sts.amazonaws.com/", ErrorKind.CONNECT_TIMEOUT),
        ("aiohttp.client_exceptions.ServerTimeoutError: Timeout on reading data from socket",
         ErrorKind.READ_TIMEOUT),
        ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
         "sts.ap-northeast-1.amazonaws.com:443 ssl:default [Network is unreachable]",
         ErrorKind.CONNECTION_ERROR),
        ("aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected",
         ErrorKind.CONNECTION_ERROR),
    ],
)  # fmt: skip
def test_aiohttp_exceptions_are_classified(text: str, kind: ErrorKind) -> None:
    assert classify(text) is kind


@pytest.mark.parametrize(
    ("name", "kind"),
    [("gaio2021-noregion-global-timeout", ErrorKind.CONNECT_TIMEOUT),
     ("gaio2021-read-timeout", ErrorKind.READ_TIMEOUT)],
)  # fmt: skip
def test_aiobotocore1_timeouts_are_read(name: str, kind: ErrorKind) -> None:
    """aiobotocore 1.x: 'retry needed, retryable exception caught: Connection timeout to host
    ...' (was: no error kind at all, so neither SD202/SD204 nor SD208, but SD210)."""
    rep = parse_path(str(_case(name).log), ParseOptions())
    (req,) = rep.requests
    assert len(req.attempts) >= 2
    assert all(a.error is kind for a in req.attempts)
    assert req.retries_exhausted


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_standard_mode_read_timeouts_count_every_attempt(mode: str) -> None:
    """The standard/adaptive handler logs only 'Retry needed, retrying request after delay'
    for a read timeout it retries; the attempts before the last are read timeouts too (was:
    no error on them, and SD204 counted one attempt)."""
    case = _case(f"g2024-boto3-{mode}-read-timeout")
    rep = parse_path(str(case.log), ParseOptions())
    (req,) = rep.requests
    tries = case.log.read_text().count("Sending http request")
    assert len(req.attempts) == tries >= 2
    assert all(a.error is ErrorKind.READ_TIMEOUT for a in req.attempts)
    sd204 = next(f for f in rep.findings if f.code == "SD204")
    assert f"({tries} attempts)" in sd204.message


def test_a_silent_retry_is_not_given_another_kind() -> None:
    """Only a read timeout or a closed connection leaves no trace in botocore's log; a last
    attempt that failed otherwise says nothing about the silent ones before it."""
    log = "\n".join(
        [
            "2026-01-01 00:00:00,000 botocore.endpoint [DEBUG] Making request for "
            "OperationModel(name=GetCallerIdentity) with params: {'url': "
            "'https://sts.ap-northeast-1.amazonaws.com/', 'context': {'client_region': "
            "'ap-northeast-1'}}",
            "2026-01-01 00:00:00,001 botocore.endpoint [DEBUG] Sending http request: "
            "<AWSPreparedRequest stream_output=False, method=POST, "
            "url=https://sts.ap-northeast-1.amazonaws.com/, headers={}>",
            "2026-01-01 00:00:02,000 botocore.retries.standard [DEBUG] Retry needed, retrying "
            "request after delay of: 0.5",
            "2026-01-01 00:00:02,500 botocore.endpoint [DEBUG] Sending http request: "
            "<AWSPreparedRequest stream_output=False, method=POST, "
            "url=https://sts.ap-northeast-1.amazonaws.com/, headers={}>",
            "2026-01-01 00:00:03,000 botocore.endpoint [DEBUG] Exception received when sending "
            "HTTP request.",
            "Traceback (most recent call last):",
            '  File "botocore/httpsession.py", line 464, in send',
            "socket.gaierror: [Errno -2] Name or service not known",
            "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "
            '"https://sts.ap-northeast-1.amazonaws.com/"',
        ]
    )
    rep = analyze(io.BytesIO(log.encode() + b"\n"), "<test>", ParseOptions())
    (req,) = rep.requests
    assert [a.error for a in req.attempts] == [None, ErrorKind.DNS]


# failing requests gathered on one event loop, with and without thread names
AIO_CONCURRENT_FAILING = ["gaio2021-threads-concurrent-dns", "gaiolatest-concurrent-read-timeout"]


@pytest.mark.parametrize(
    ("name", "last_failed"), list(zip(AIO_CONCURRENT_FAILING, [1, 3], strict=True))
)
def test_concurrent_aiobotocore_failures_go_to_their_own_requests(
    name: str, last_failed: int
) -> None:
    """Legacy mode logs each request's failed try in a retry line of its own ('retry needed,
    retryable exception caught: ...'), one per request, before any re-send: each goes to the
    oldest request still waiting, and the script's final traceback to the re-sent one (was:
    all to the newest request, whose tries then outnumbered its sends). The last tries that
    failed: the one of the final traceback; in gaiolatest-concurrent-read-timeout all three,
    whose retry handler's `needs-retry` events end them at the same moment (the three sent
    together timed out together), so the other two were not left waiting."""
    case = _case(name)
    text = case.log.read_text()
    rep = parse_path(str(case.log), ParseOptions())
    assert rep.requests_total == text.count("Making request for")
    assert sum(len(r.attempts) for r in rep.requests) == text.count("Sending http request")
    failed = sum(a.error is not None for r in rep.requests for a in r.attempts)
    assert failed == text.count("retryable exception caught") + last_failed
    assert all(r.attempts[0].error is not None for r in rep.requests)
    assert sum(r.retries_exhausted for r in rep.requests) == last_failed


def test_the_final_client_error_stays_with_the_request_that_had_it() -> None:
    """Two requests at once without thread names; the first is answered with an error, the
    script's ClientError traceback repeats it: it is not the second request's answer."""
    head = "2026-01-01 00:00:0{} botocore.{} [DEBUG] "
    url = "https://sts.ap-northeast-1.amazonaws.com/"
    making = (
        "Making request for OperationModel(name=GetCallerIdentity) with params: "
        f"{{'url': '{url}', 'context': {{'client_region': 'ap-northeast-1'}}}}"
    )
    sending = f"Sending http request: <AWSPreparedRequest method=POST, url={url}, headers={{}}>"
    msg = "The security token included in the request is invalid."
    log = "\n".join(
        [
            head.format(0, "endpoint") + making,
            head.format(1, "endpoint") + sending,
            head.format(2, "endpoint") + making,
            head.format(3, "endpoint") + sending,
            head.format(4, "parsers") + "Response headers: {'x-amzn-requestid': 'x'}",
            head.format(5, "parsers") + "Response body:",
            f"b'<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>{msg}"
            "</Message></Error></ErrorResponse>'",
            "Traceback (most recent call last):",
            '  File "app.py", line 9, in <module>',
            "botocore.exceptions.ClientError: An error occurred (InvalidClientTokenId) when "
            f"calling the GetCallerIdentity operation: {msg}",
        ]
    )
    rep = analyze(io.BytesIO(log.encode() + b"\n"), "<test>", ParseOptions())
    assert [r.error_code for r in rep.requests] == ["InvalidClientTokenId", None]


OLD_VENDORED = [
    "g2018-cli-profile-assume-role",
    "g2018-cli-throttled",
    "g2018-boto3-basicconfig-legacy-global",
]


@pytest.mark.parametrize("name", OLD_VENDORED)
def test_vendored_urllib3_status_lines_are_read(name: str) -> None:
    """botocore < 1.11 logs through botocore.vendored.requests.packages.urllib3, whose status
    line names no host: every one is an attempt's status (was: dropped by the reader, so no
    status at all, the provider's AssumeRole took the next call's try, and the threads of a
    basicConfig log lost their answers: SD210)."""
    case = _case(name)
    text = case.log.read_text()
    rep = parse_path(str(case.log), ParseOptions())
    statuses = sorted(int(s) for s in re.findall(r'HTTP/1\.1" (\d{3}) ', text))
    assert statuses and sorted(a.status for r in rep.requests for a in r.attempts) == statuses
    ops = re.findall(r"OperationModel\(name=(\w+)\)", text)
    assert sorted(str(r.operation) for r in rep.requests) == sorted(ops)
    assert "SD210" not in {f.code for f in rep.findings}


def test_a_silent_retry_before_an_interruption_says_what_it_may_have_been() -> None:
    """Standard mode, Ctrl-C during the second try: the first try's failure shows only as the
    retry line; its attempt says so (was: an attempt with nothing on it)."""
    rep = parse_path(str(_case("g2024-cli-standard-read-interrupted").log), ParseOptions())
    (req,) = rep.requests
    first, last = req.attempts[0], req.attempts[-1]
    assert first.error is None and "read timeout" in first.error_text
    assert last.error is None and not last.answered
    assert "SD210" in {f.code for f in rep.findings}


@pytest.mark.parametrize(
    "name",
    ["gaiolatest-standard-concurrent-read-timeout",
     "g2024-boto3-basicconfig-threads-standard-read-timeout"],
)  # fmt: skip
def test_standard_mode_concurrent_tries_each_end_in_their_own_decision(name: str) -> None:
    """Standard mode, 3 requests at once (an event loop, or threads in a format without their
    names), all read timeouts: every try ends
    in one retry-handler line ('Retry needed, retrying request after delay' or 'Max attempts
    of N reached.'), which goes to the answer just before it or else to the oldest try still
    waiting (was: every line and every re-send to the newest request, the others 'no answer')."""
    case = _case(name)
    text = case.log.read_text()
    rep = parse_path(str(case.log), ParseOptions())
    gave_up = text.count("Max attempts of ")
    assert rep.requests_total == text.count("Making request for") == gave_up
    tries = [len(r.attempts) for r in rep.requests]
    assert sum(tries) == text.count("Sending http request") == gave_up + text.count(_SILENT)
    assert len(set(tries)) == 1  # the same limit for each
    assert all(r.retries_exhausted and all(a.answered for a in r.attempts) for r in rep.requests)
    assert "SD210" not in {f.code for f in rep.findings}


def test_a_thread_killed_by_an_exception_gets_its_own_final_error() -> None:
    """'Exception in thread Thread-2 (worker):' and the traceback, outside any log record,
    end that thread's request (was: every thread's final error went to one request, the
    others 'no answer', SD210)."""
    case = _case("g2024-boto3-threads-read-timeout")
    text = case.log.read_text()
    rep = parse_path(str(case.log), ParseOptions())
    died = text.count("Exception in thread ")
    assert rep.requests_total == died >= 2
    assert all(r.retries_exhausted for r in rep.requests)
    assert all(a.error is ErrorKind.READ_TIMEOUT for r in rep.requests for a in r.attempts)
    assert "SD210" not in {f.code for f in rep.findings}
