"""Pastes that hard-wrap or re-flow a log (a terminal copied at 80 columns, `fold`, an e-mail
at 72 or 76, a chat tool that indents what it wraps) and web pastes that swap spaces for
no-break spaces or sprinkle invisible characters: real fixture logs, transformed here, must
keep the original's diagnosis; and the reader changes that make it so, one by one."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stsdiag.logparse.records import (
    ReadStats,
    Record,
    iter_records,
    physical_lines,
    records_from_lines,
)
from stsdiag.logparse.requests import Reconstructor
from tests.helpers import ROOT, diagnosis
from tests.test_records import both


def fold(text: str, width: int, spaces: bool = False, indent: str = "") -> str:
    """`fold -w width` (`-s`: break after the last space that fits, as e-mail clients and
    `fold -s` do), continuation lines behind `indent` (as some chat tools show them)."""
    out: list[str] = []
    for line in text.split("\n"):
        first = True
        while len(line) > (room := width - (0 if first else len(indent))):
            cut = room
            if spaces and (sp := line.rfind(" ", 0, room)) > 0:
                cut = sp + 1
            out.append(("" if first else indent) + line[:cut])
            line, first = line[cut:], False
        out.append(("" if first else indent) + line)
    return "\n".join(out)


def zero_width(text: str, every: int) -> str:
    return "\n".join(
        "\u200b".join(ln[i : i + every] for i in range(0, len(ln), every))
        for ln in text.split("\n")
    )


VARIANTS: dict[str, Callable[[str], str]] = {
    "fold-80": lambda t: fold(t, 80),  # a terminal copied at 80 columns, `fold`
    "fold-100": lambda t: fold(t, 100),
    "fold-s-120": lambda t: fold(t, 120, spaces=True),
    "email-72": lambda t: fold(t, 72, spaces=True),
    "email-76": lambda t: fold(t, 76, spaces=True),
    "chat-80-indent-2": lambda t: fold(t, 80, indent="  "),
    "chat-100-indent-4": lambda t: fold(t, 100, spaces=True, indent="    "),
    "nbsp": lambda t: t.replace(" ", "\u00a0"),
    "zero-width-every-7": lambda t: zero_width(t, 7),
}

# for each paste, real logs whose diagnosis it changed before the reader learnt to undo it
# (from a sweep of all 80 fixture logs through each paste)
CASES: dict[str, list[str]] = {
    "fold-80": [
        "g2020-cli-assume-role-denied",
        "g2020-cli-unknown-region",
        "g2023-cli-profile-assume-role",
        "g2023-cli-read-timeout",
        "glatest-cli-profile-assume-role",
        "glatest-boto3-threads-ok",
        "glatest-boto3-lambda-ok",  # Lambda's format: the message's opening on the next line
        "glatest-boto3-lambda-vpc-timeout",
    ],
    "fold-100": [
        "g2023-cli-no-credentials-imds-timeout",
        "glatest-cli-no-credentials-imds-timeout",
    ],
    "fold-s-120": [
        "g2023-cli-no-credentials-imds-timeout",
        "glatest-cli-no-credentials-imds-timeout",
    ],
    "email-72": [
        "g2020-cli-profile-assume-role",
        "g2023-cli-noregion-global-timeout",
        "glatest-boto3-regional-interrupted",
        "glatest-cli-s3-accesspoint-noregion",
        "glatest-cli-noregion-global-interrupted",
    ],
    "email-76": [
        "g2020-cli-unknown-region",
        "g2023-cli-expired-token",
        "glatest-boto3-threads-ok",
        "glatest-cli-region-disabled",
    ],
    "chat-80-indent-2": [
        "glatest-boto3-imds-no-role",  # the status line's space before the path is lost
        "g2020-cli-noregion-global-timeout",
        "g2020-cli-webid-global-timeout",
        "glatest-boto3-custom-ok",
        "glatest-cli-legacy-global",
    ],
    "chat-100-indent-4": [
        "g2020-cli-proxy-dead",
        "g2023-cli-region-regional-ok",
        "glatest-cli-assume-role",
        "glatest-cli-noregion-global-timeout",
    ],
    "nbsp": [
        "g2020-boto3-basicconfig-ok",
        "g2023-boto3-setstream-global-timeout",
        "g2023-cli-read-timeout",
        "glatest-cli-imds-via-proxy",
    ],
    "zero-width-every-7": [
        "g2020-cli-noregion-global-ok",
        "g2023-cli-profile-assume-role",
        "glatest-boto3-custom-iso-read-timeout",
        "glatest-cli-legacy-global",
    ],
}


@pytest.mark.parametrize(("variant", "name"), [(v, n) for v, names in CASES.items() for n in names])
def test_wrapped_pastes_keep_the_diagnosis(
    name: str, variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = ROOT / "fixtures" / "logs" / f"{name}.log"
    mangled = tmp_path / f"{variant}.log"
    mangled.write_text(VARIANTS[variant](original.read_text()), encoding="utf-8")
    assert diagnosis(mangled, capsys) == diagnosis(original, capsys)


@pytest.mark.parametrize("variant", ["fold-80", "email-72", "chat-80-indent-2", "nbsp"])
def test_both_readers_agree_on_wrapped_logs(variant: str) -> None:
    """(A guard: the two readers yield the same records from wrapped real logs.)"""
    for name in sorted({n for names in CASES.values() for n in names})[:10]:
        text = (ROOT / "fixtures" / "logs" / f"{name}.log").read_text()
        data = VARIANTS[variant](text).encode()
        ref, fast = both(data)
        assert ref == fast, name
        assert both(data, block=613)[1] == ref, name


# ---------------------------------------------------------------- the reader, one by one
def records(data: bytes) -> list[Record]:
    """The fast reader's records, checked against the reference reader's."""
    ref, fast = both(data, block=41)  # tiny blocks: wrapped headers across block ends
    assert ref == fast
    return list(iter_records(io.BytesIO(data), ReadStats()))  # type: ignore[arg-type]


HEAD = b"2026-11-28 06:44:59,223 - MainThread - "


def test_a_dropped_header_whose_facts_a_wrap_moved_is_kept() -> None:
    """'Found cred' / 'entials in ...': the words that make the record worth keeping are on
    the next line (it used to be dropped, and SD503 with it)."""
    data = HEAD + b"botocore.credentials - INFO - Found cred\nentials in environment variables.\n"
    (rec,) = records(data)
    assert (rec.logger, rec.line, rec.flat) == (
        "botocore.credentials",
        1,
        "Found credentials in environment variables.",
    )


def test_a_reflowed_break_that_dropped_the_space_is_read_too() -> None:
    data = HEAD + b"botocore.credentials - INFO - Found\ncredentials in environment variables.\n"
    assert [r.logger for r in records(data)] == ["botocore.credentials"]


def test_a_wrapped_before_parameter_build_event_is_kept() -> None:
    data = HEAD + b"botocore.hooks - DEBUG - Event before-par\nameter-build.sts.AssumeRole: x\n"
    (rec,) = records(data)
    assert rec.flat.startswith("Event before-parameter-build.sts.AssumeRole")


def test_a_long_dropped_header_with_an_unrelated_next_line_stays_dropped() -> None:
    """(A guard: a tentative record whose next line shows no facts is still dropped.)"""
    data = (
        HEAD + b"botocore.client - DEBUG - Registering retry handlers for service: sts\n"
        b"some other program's line\n"
        + HEAD
        + b"botocore.hooks - DEBUG - Event session-initialized: calling handler <function\n"
        b"  add_scalar_parsers at 0x7f>\n"
    )
    assert records(data) == []


def test_a_header_cut_before_its_level_is_read_with_the_next_line() -> None:
    """fold -s at 72 columns breaks a long header before its level word; the next line
    used to be read as a header without a thread (or as a stray line)."""
    data = (
        b"2026-11-28 06:46:13,092 - ThreadPoolExecutor-0_0 - urllib3.connectionpool - \n"
        b"DEBUG - Starting new HTTPS connection (1): sts.amazonaws.com:443\n"
    )
    (rec,) = records(data)
    assert (rec.logger, rec.thread, rec.level, rec.line, rec.fmt) == (
        "urllib3.connectionpool",
        "ThreadPoolExecutor-0_0",
        "DEBUG",
        2,  # the line its message is on
        "awscli",
    )
    assert rec.message == "Starting new HTTPS connection (1): sts.amazonaws.com:443"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (b"urllib3.connectionpool - DE", b"BUG - Starting new HTTPS connection (1): x:443"),
        (b"urllib3.connectionpool -", b"DEBUG - Starting new HTTPS connection (1): x:443"),
        (b"urllib3.connec", b"    tionpool - DEBUG - Starting new HTTPS connection (1): x:443"),
    ],
    ids=["inside-the-level", "re-flowed", "indented"],
)
def test_a_header_cut_anywhere_is_rejoined(first: bytes, second: bytes) -> None:
    data = HEAD + first + b"\n" + second + b"\n" + HEAD + b"botocore.endpoint - DEBUG - x\n"
    rec = records(data)[0]
    assert (rec.logger, rec.thread, rec.message) == (
        "urllib3.connectionpool",
        "MainThread",
        "Starting new HTTPS connection (1): x:443",
    )


def test_a_time_stamped_line_is_not_joined_with_a_header() -> None:
    """(A guard: a line that opens with a time stamp is joined only into a header.)"""
    data = (
        b"2026-11-28 06:46:13,092 my own program's line\n"
        + HEAD
        + b"botocore.endpoint - DEBUG - Sending http request: <x>\n"
    )
    rec = records(data)[-1]
    assert (rec.line, rec.message) == (2, "Sending http request: <x>")


def test_flat_drops_the_indent_a_paste_gave_wrapped_lines() -> None:
    rec = Record(1, "x", "DEBUG", None, None, "awscli", ["url=https://sts.ap-nor", "  theast-1"])
    assert rec.flat == "url=https://sts.ap-northeast-1"
    tab = Record(1, "x", "DEBUG", None, None, "awscli", ["a", "\tb", "\tc"])
    assert tab.flat == "abc"
    # one blank is the space the fold fell before: kept
    one = Record(1, "x", "DEBUG", None, None, "awscli", ["Found credentials in", " env"])
    assert one.flat == "Found credentials in env"
    empty = Record(1, "x", "DEBUG", None, None, "awscli", ["", " Starting new HTTPS"])
    assert empty.head() == "Starting new HTTPS"


def test_flat_keeps_every_indent_when_a_line_has_none() -> None:
    """`_dedent` stops at the first continuation line without an indent (a traceback's
    `Traceback ...` or `ValueError: ...` line, a blank line): then no indent is undone, as
    when the smallest indent was computed over every line."""

    def flat(*lines: str) -> str:
        return Record(1, "x", "DEBUG", None, None, "awscli", list(lines)).flat

    assert flat("h:", "  File a", "ValueError: b", "  c") == "h:  File aValueError: b  c"
    assert flat("h:", "  a", "", "  b") == "h:  a  b"
    assert flat("h:", "  a", "\tb") == "h:  a\tb"  # (a tab is an indent of one)
    # near miss: every line indented, the smallest indent (two blanks) is undone
    assert flat("h:", "    a", "  b") == "h:  ab"


def test_a_message_without_a_dash_separator_is_never_cut_as_glued() -> None:
    """`_glued` rules a message out by its missing " - " before looking for a level."""
    from stsdiag.logparse.requests import _glued

    def rec(msg: str) -> Record:
        return Record(1, "botocore.endpoint", "DEBUG", "MainThread", None, "botocore", [msg])

    assert _glued(rec("Sending http request: 2015-08-06 20:54:27,783 -DEBUG- x")) is None
    # near miss: the same with the separators is cut where the glued header starts
    glued = _glued(rec("Sending http request: 2015-08-06 20:54:27,783 - botocore.parsers - "
                       "DEBUG - Response headers: {'x': 'y'}"))  # fmt: skip
    assert glued is not None and [p.message for p in glued] == [
        "Sending http request:",
        "Response headers: {'x': 'y'}",
    ]


def test_no_break_spaces_and_invisible_characters_are_undone() -> None:
    from stsdiag.logparse.records import unspace

    assert unspace("a\u00a0b\u200bc\u200dd\u2060e\ufefff\u00adg’".encode()) == "a bcdefg’".encode()
    data = "2026-11-28\u00a006:44:59,223\u00a0-\u00a0MainThread\u00a0-\u00a0botocore.endpoint"
    data += "\u00a0-\u00a0DEB\u200bUG\u00a0-\u00a0Sending\u00a0http\u00a0request:\u00a0<x>\n"
    (rec,) = records(data.encode())
    assert (rec.logger, rec.message) == ("botocore.endpoint", "Sending http request: <x>")
    stats = ReadStats()
    lines = list(physical_lines(io.BytesIO(data.encode()), stats))  # type: ignore[arg-type]
    assert [r.message for r in records_from_lines(lines, stats)] == [rec.message]


# ---------------------------------------------------------------- the facts, wrapped
def rebuilt(text: str) -> list[Any]:
    rc = Reconstructor()
    data = text.encode()
    out = [r for rec in records(data) for r in rc.feed(rec)]
    return out + list(rc.finish())


def test_wrapped_facts_are_read_across_lines() -> None:
    """A request whose URL, signing scope, client region and status line are broken over
    lines, the continuations indented as a chat tool shows them."""
    h = "2026-11-28 06:44:59,{} - MainThread - {} - DEBUG - "
    making = (
        "Making request for OperationModel(name=GetCallerIdentity) with params: {'url': "
        "'https://sts.eu-west-1.amazonaws.com/', 'context': {'client_region': 'eu-west-1'}}"
    )
    sending = (
        "Sending http request: <AWSPreparedRequest stream_output=False, method=POST, "
        "url=https://sts.eu-west-1.amazonaws.com/, headers={'Authorization': b'AWS4-HMAC-"
        "SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/eu-west-1/sts/aws4_request'}>"
    )
    status = 'https://sts.eu-west-1.amazonaws.com:443 "POST / HTTP/1.1" 403 306'
    log = "\n".join(
        [
            h.format("100", "botocore.endpoint") + making,
            h.format("101", "botocore.endpoint") + sending,
            h.format("102", "urllib3.connectionpool") + status,
        ]
    )
    for width in (72, 80):
        (req,) = rebuilt(fold(log, width, indent="  "))
        assert (req.operation, req.host, req.client_region) == (
            "GetCallerIdentity",
            "sts.eu-west-1.amazonaws.com",
            "eu-west-1",
        ), width
        assert (req.signing_region, req.signing_service, req.http_status) == (
            "eu-west-1",
            "sts",
            403,
        ), width


def test_a_status_line_that_lost_a_space_at_an_indented_break_is_read() -> None:
    """'... "GET' / '   /latest/meta-data/... HTTP/1.1" 404 339': the indent and the space
    the wrap fell before cannot be told apart; urllib3's status line is read either way."""
    log = (
        '2026-11-28 10:15:15,866 urllib3.connectionpool [DEBUG] http://127.0.0.30:80 "GET\n'
        '   /latest/meta-data/iam/security-credentials/ HTTP/1.1" 404 339\n'
    )
    rc = Reconstructor()
    (rec,) = records(log.encode())
    assert list(rc.feed(rec)) == []
    assert "imds-no-role" in [e.tag for e in rc.events.events]


def test_a_lambda_record_whose_opening_a_wrap_moved_is_the_sdks() -> None:
    """Lambda's text format names no logger: botocore's records are known by how their
    messages open, and a wrap can put the opening on the next line."""
    head = b"[DEBUG]\t2026-11-28T09:00:35.307Z\t8f5e2b1c-3d4a-4b6e-9f70-1a2b3c4d5e6f\t"
    data = head + b"Sending ht\ntp request: <AWSPreparedRequest method=POST>\n"
    data += head + b"processing order 42\nand more of the function's own words\n"
    stats = ReadStats()
    (rec,) = records(data)
    assert (rec.logger, rec.thread, rec.flat) == (
        "botocore.endpoint",
        "8f5e2b1c-3d4a-4b6e-9f70-1a2b3c4d5e6f",
        "Sending http request: <AWSPreparedRequest method=POST>",
    )
    list(iter_records(io.BytesIO(data), stats))  # type: ignore[arg-type]
    assert (stats.records, stats.sdk_records) == (2, 1)


def test_bucket_region_header_is_read_only_where_it_is() -> None:
    """`_region_hints` looks the `x-amz-bucket-region` pattern up only when the header's
    name is in the text: an S3 answer's header names the bucket's region (hand-typed, as
    botocore.parsers logs it)."""

    def regions(headers: bytes) -> list[tuple[str, ...]]:
        log = (
            b"2024-05-01 10:00:00,001 - MainThread - botocore.endpoint - DEBUG - Making request "
            b"for OperationModel(name=ListObjectsV2) with params: {'url': "
            b"'https://mybucket.s3.amazonaws.com/', 'context': {'client_region': 'us-east-1'}}\n"
            b"2024-05-01 10:00:00,200 - MainThread - botocore.parsers - DEBUG - Response headers: "
            + headers
            + b"\n"
        )
        rec = Reconstructor()
        out = [r for x in iter_records(io.BytesIO(log), ReadStats()) for r in rec.feed(x)]
        return [r.resource_regions for r in [*out, *rec.finish()]]

    assert regions(b"{'x-amz-bucket-region': 'eu-west-1', 'x-amz-request-id': 'EXAMPLE'}") == [
        ("eu-west-1",)
    ]
    # near miss: another header only
    assert regions(b"{'x-amz-request-id': 'EXAMPLE', 'Server': 'AmazonS3'}") == [()]
