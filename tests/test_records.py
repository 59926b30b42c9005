"""The log reader: formats, continuation lines, and the fast reader's equivalence with the
reference line-by-line reader on every real fixture."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stsdiag.logparse.records import ReadStats, iter_records, physical_lines, records_from_lines
from stsdiag.logparse.unwrap import unwrapped
from stsdiag.parselog import ParseOptions, analyze
from tests.helpers import SEED, awscli_logs, cases

LOGS = [c.log for c in cases()] + [SEED]


def both(
    data: bytes, block: int = 4 << 20
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    s1, s2 = ReadStats(), ReadStats()
    ref = [
        (r.line, r.logger, r.thread, r.ts, tuple(r.lines))
        for r in records_from_lines(physical_lines(unwrapped(io.BytesIO(data)), s1), s1)  # type: ignore[arg-type]
    ]
    fast = [
        (r.line, r.logger, r.thread, r.ts, tuple(r.lines))
        for r in iter_records(io.BytesIO(data), s2, block=block)  # type: ignore[arg-type]
    ]
    assert (s1.lines, s1.records, s1.sdk_records, s1.formats, s1.truncated_last_line) == (
        s2.lines,
        s2.records,
        s2.sdk_records,
        s2.formats,
        s2.truncated_last_line,
    )
    return ref, fast


@pytest.mark.parametrize("log", LOGS, ids=[p.stem for p in LOGS])
def test_fast_reader_equals_reference(log: object) -> None:
    data = log.read_bytes()  # type: ignore[attr-defined]
    ref, fast = both(data)
    assert ref == fast
    # tiny blocks: records spanning block boundaries
    ref2, fast2 = both(data, block=997)
    assert ref2 == fast2 == ref


_FORMATS = [
    "set_stream_logger",
    "basicConfig",
    "botocore",
    "custom-iso",
    "custom-nots",
    "crlf-ansi",
]


@pytest.mark.parametrize("fmt", _FORMATS)
def test_fast_reader_equals_reference_in_every_format(fmt: str) -> None:
    for log in awscli_logs()[:6]:
        data = _convert(log.read_bytes(), fmt)
        ref, fast = both(data)
        assert ref == fast, (fmt, log.name)
        assert both(data, block=1499)[1] == ref, (fmt, log.name)


_POOL = b"".join(p.read_bytes() for p in LOGS).split(b"\n")
_ODD = [
    b"",
    b"\r",
    b"DEBUG",
    b"INFO:root:hello ERROR",
    b"2021-07-29 17:29:45,221 - MainThread - myapp.x - WARNING - other program",
    b"2021-07-29 17:29:45,221 - botocore.endpoint - DEBUG - Sending http request: <x>",
    b"2021-07-29 17:29:45,221 botocore.credentials [INFO] Found credentials in environment",
    b"DEBUG:botocore.hooks:Event before-parameter-build.sts.GetCallerIdentity: calling",
    b"[DEBUG] botocore.endpoint: Making request for OperationModel(name=AssumeRole)",
    b'  File "x.py", line 1, in <module>  DEBUG',
    b"botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL",
    b"An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: x",
    b"\x1b[31m2021-07-29 17:29:45,221 - MainThread - botocore.endpoint - DEBUG - x\x1b[0m",
    b"2021-07-29 17:29:45,221 - " + b"T" * 70 + b" - botocore.endpoint - DEBUG - long thread",
    b"2021-07-29 17:29:45,221 - MainThread - botocore." + b"x" * 130 + b" - DEBUG - long logger",
    b"x" * 180 + b" ERROR here",
    b"\xff\xfe invalid utf-8 CRITICAL",
    b"[DEBUG]\t2026-11-28T09:00:35.307Z\t8f5e2b1c\tSending http request: <AWSPreparedRequest>",
    b"[INFO]\t2026-11-28T09:00:35.307Z\t8f5e2b1c\tthe function's own line",
    b'{"timestamp": "2026-11-28T09:00:40Z", "level": "DEBUG", "message": "Making request for x"}',
    b'{"level": "INFO", "message": "app line", "logger": "myapp"}',
    b'{"level": "ERROR", "message": "boom", "logger": "botocore.endpoint", "stackTrace": ["  File \\"x\\"\\n"], "errorType": "ReadTimeoutError", "errorMessage": "Read timeout"}',
    b"{not json at all DEBUG",
    b'{"level": "DEBUG"}',
    # what wrapped pastes leave: headers cut before or inside the level word, messages
    # cut after a few words, indented or re-flowed continuations, no-break spaces and
    # invisible characters
    b"2026-11-28 06:46:13,092 - ThreadPoolExecutor-0_0 - urllib3.connectionpool - ",
    b"2026-11-28 06:46:13,092 - ThreadPoolExecutor-0_0 - ",
    b"2026-11-28 06:46:13,092 - MainThread - urllib3.connectionpool - DE",
    b"2026-11-28 06:46:13,092 - MainThread - botocore.parsers - DEBUG\r",
    b"\x1b[32m2026-11-28 06:46:13,092\x1b[0m - MainThread - botocore.endpoint",
    b"2026-11-28 06:46:13,092 something else entirely",
    b"DEBUG - Starting new HTTPS connection (1): sts.amazonaws.com:443",
    b"BUG - Endpoint provider result: https://sts.amazonaws.com",
    b"    - DEBUG - Response headers: {'x-amzn-RequestId': 'x'}",
    b"urllib3.connectionpool - DEBUG - Starting new HTTPS connection (1): x:443",
    b"2026-11-28 06:44:59,223 - MainThread - botocore.credentials - INFO - Found cred",
    b"2026-11-28 06:44:59,223 - MainThread - botocore.credentials - INFO - Found",
    b"2026-11-28 06:44:59,223 - MainThread - botocore.hooks - DEBUG - Event before-par",
    b"2026-11-28 06:44:59,223 - MainThread - botocore.client - DEBUG - Registering\r",
    b"[DEBUG]\t2026-11-28T09:00:35.307Z\t8f5e2b1c-3d4a-4b6e-9f70-1a2b3c4d5e6f\tSending ht",
    b"[DEBUG]\t2026-11-28T09:00:35.307Z\t8f5e2b1c-3d4a-4b6e-9f70-1a2b3c4d5e6f\t",
    b"[INFO] 2026-11-28T09:00:35.307Z 8f5e2b1c-3d4a-4b6e-9f70-1a2b3c4d5e6f Found",
    b"tp request: <AWSPreparedRequest stream_output=False, method=POST>",
    b"entials in environment variables.",
    b"  credentials in shared credentials file: ~/.aws/credentials",
    b"ameter-build.sts.GetCallerIdentity: calling handler <function x>",
    b"2026-11-28\xc2\xa006:44:59,223\xc2\xa0-\xc2\xa0MainThread\xc2\xa0-\xc2\xa0botocore.endpoint"
    b"\xc2\xa0-\xc2\xa0DEBUG\xc2\xa0-\xc2\xa0Sending\xc2\xa0http request",
    b"2026-11-28 06:44:59,223 - Main\xe2\x80\x8bThread - botocore.endpoint - DEB\xe2\x80\x8bUG - x",
]


def _fold(line: bytes, width: int, indent: bytes) -> bytes:
    """A line wrapped as a paste wraps it: cut every `width` bytes, continuations indented."""
    parts = [line[i : i + width] for i in range(0, len(line), width)] or [b""]
    return b"\n".join([parts[0], *(indent + x for x in parts[1:])])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(
        st.one_of(
            st.integers(0, len(_POOL) - 1).map(lambda i: _POOL[i]),
            st.sampled_from(_ODD),
            st.binary(max_size=80),
            st.builds(
                _fold,
                st.integers(0, len(_POOL) - 1).map(lambda i: _POOL[i]),
                st.integers(8, 130),
                st.sampled_from([b"", b"  ", b"\t"]),
            ),
        ),
        max_size=120,
    ),
    block=st.integers(1, 4096),
    tail=st.booleans(),
)
def test_fast_reader_equals_reference_on_mutated_logs(
    picks: list[bytes], block: int, tail: bool
) -> None:
    """Real lines, odd lines and random bytes in any order, read in blocks of any size:
    the fast reader's records and statistics are the reference reader's."""
    data = b"\n".join(picks) + (b"\n" if tail else b"")
    ref, fast = both(data, block=block)
    assert ref == fast


@pytest.mark.parametrize(
    "prefix",
    [
        b"Nov 28 09:00:35 ip-10-0-1-23 myjob[1234]: ",  # journald / syslog
        b"2026-11-28T09:00:35.307123456Z ",  # kubectl logs --timestamps
        b"> ",  # quoted in an issue or e-mail
        b"    ",  # indented as a code block
    ],
    ids=["journald", "kubectl-timestamps", "quoted", "indented"],
)
def test_line_prefixes_keep_the_diagnosis(prefix: bytes) -> None:
    """Real logs behind the prefixes that log collectors and pastes add (added here)."""
    for log in awscli_logs()[:4] + [p for p in LOGS if "custom-iso" in p.name]:
        data = log.read_bytes()
        prefixed = b"".join(prefix + ln for ln in data.splitlines(keepends=True))
        assert _summary(prefixed) == _summary(data), log.name


def test_lambda_logs_through_aws_logs_tail() -> None:
    """A real Lambda-format log as `aws logs tail` prints it (each line behind the event's
    time and log stream; the prefix is added here): the same diagnosis."""
    log = next(p for p in LOGS if p.name == "glatest-boto3-lambda-vpc-timeout.log")
    data = log.read_bytes()
    prefix = (
        b"2026-11-28T09:00:35.307000+00:00 2026/11/28/[$LATEST]0123456789abcdef0123456789abcdef "
    )
    tailed = b"".join(prefix + ln for ln in data.splitlines(keepends=True))
    assert _summary(tailed) == _summary(data)
    assert ("SD202", "error") in _summary(data)[0]


def test_lambda_function_lines_are_not_sdk_records() -> None:
    text = (
        b"[INFO]\t2026-11-28T09:00:35.307Z\tabc\tprocessing order 42\n"
        b'{"level": "INFO", "message": "order done", "logger": "app"}\n'
    )
    stats = ReadStats()
    assert list(iter_records(io.BytesIO(text), stats)) == []  # type: ignore[arg-type]
    assert stats.sdk_records == 0 and stats.records == 2


def _convert(data: bytes, fmt: str) -> bytes:
    """Rewrite a real `aws --debug` log's headers into another logging format."""
    rx = re.compile(
        rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) - ([^\n]+?) - ([\w.]+) - (DEBUG|INFO|WARNING|ERROR) - ",
        re.M,
    )
    repl = {
        "set_stream_logger": rb"\1 \3 [\4] ",
        "basicConfig": rb"\4:\3:",
        "botocore": rb"\1 - \3 - \4 - ",
        "custom-iso": rb"\1 \4 [\2] \3 - ",
        "custom-nots": rb"[\4] \3: ",
        "crlf-ansi": b"\x1b[32m\\1\x1b[0m - \\2 - \\3 - \\4 - ",
    }[fmt]
    out = rx.sub(repl, data)
    if fmt == "crlf-ansi":
        out = out.replace(b"\n", b"\r\n")
    return out


def _summary(data: bytes) -> tuple[object, ...]:
    rep = analyze(io.BufferedReader(io.BytesIO(data)), "x", ParseOptions())  # type: ignore[arg-type]
    rec = rep.recommendation
    return (
        sorted((f.code, f.severity.value) for f in rep.findings),
        rep.requests_total,
        [
            (r.operation, r.host, r.signing_region, len(r.attempts), r.error_code)
            for r in rep.requests
        ],
        rec.region if rec else None,
    )


@pytest.mark.parametrize("fmt", _FORMATS)
def test_every_format_gives_the_same_diagnosis(fmt: str) -> None:
    logs = awscli_logs()[:8]
    assert logs
    for log in logs:
        data = log.read_bytes()
        assert _summary(_convert(data, fmt)) == _summary(data), (fmt, log.name)


def test_folded_paste_is_rejoined() -> None:
    """A paste that wraps the seed line at 80 columns still explains it."""
    line = SEED.read_bytes().rstrip(b"\n")
    folded = b"\n".join(line[i : i + 80] for i in range(0, len(line), 80))
    s = _summary(folded)
    assert ("SD104", "error") in s[0] and s[3] == "ap-northeast-1"


def test_interleaved_other_programs_and_quoting() -> None:
    line = SEED.read_bytes().rstrip(b"\n")
    noise = b"2021-07-29 17:29:45,100 - MainThread - myapp.worker - INFO - unrelated\nrandom text\n"
    s = _summary(noise + b"> " + line + b"\n" + noise)
    assert ("SD104", "error") in s[0]


def test_time_of_day_only_timestamps_give_durations() -> None:
    """A custom format with `%(asctime)s` replaced by a time of day (`17:29:45,221`)."""
    logs = awscli_logs()
    data = next(p.read_bytes() for p in logs if b"Connect timeout" in p.read_bytes())
    short = re.sub(rb"^\d{4}-\d\d-\d\d (\d\d:\d\d:\d\d,\d+) - [^\n]+? - ([\w.]+) - (DEBUG|INFO) - ",
                   rb"\1 \3 \2: ", data, flags=re.M)  # fmt: skip
    full = analyze(io.BufferedReader(io.BytesIO(data)), "x", ParseOptions())  # type: ignore[arg-type]
    rep = analyze(io.BufferedReader(io.BytesIO(short)), "x", ParseOptions())  # type: ignore[arg-type]
    d_full = [r.duration_s for r in full.requests]
    d_short = [r.duration_s for r in rep.requests]
    assert d_short == pytest.approx(d_full) and any(d for d in d_short)


def test_concurrent_threads_without_thread_names() -> None:
    """A real log of four threads calling STS at once, rewritten into a format without thread
    names (as `boto3.set_stream_logger('')` writes): every request still gets its own attempt
    and answer, the same as with thread names."""
    log = next(p for p in (c.log for c in cases()) if p.name == "glatest-boto3-threads-ok.log")
    data = log.read_bytes()
    bare = re.sub(
        rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) - [^\n]+? - ([\w.]+) - (DEBUG|INFO|WARNING|ERROR) - ",
        rb"\1 \2 [\3] ",
        data,
        flags=re.M,
    )
    assert b"Thread" not in bare.split(b"\n")[40]

    def shape(d: bytes) -> list[tuple[object, ...]]:
        rep = analyze(io.BufferedReader(io.BytesIO(d)), "x", ParseOptions())  # type: ignore[arg-type]
        return sorted(
            (r.operation, r.host, r.signing_region, len(r.attempts), r.http_status)
            for r in rep.requests
        )

    threaded = shape(data)
    assert len(threaded) >= 5 and all(t[3] == 1 and t[4] == 200 for t in threaded)
    assert shape(bare) == threaded
