"""Real boto3/botocore debug pastes from public GitHub issues (tests/data/wild-sdk, sources in
its SOURCES.md), each with the misreading it showed, and near misses that must read as before:
a header with the logger in parentheses and the process in angle brackets (botocore 1.3-era
apps), the logger's line and function after its name."""

from __future__ import annotations

import io
from pathlib import Path

from stsdiag.logparse.records import CONT, FOREIGN, KEPT, classify_line
from stsdiag.models import Report
from stsdiag.parselog import ParseOptions, analyze

DATA = Path(__file__).parent / "data" / "wild-sdk"


def report(data: bytes) -> Report:
    return analyze(io.BufferedReader(io.BytesIO(data)), "x", ParseOptions())  # type: ignore[arg-type]


# ------------------------------------------------------------------------- the reader


def test_logger_in_parentheses_and_process_in_angle_brackets() -> None:
    """botocore/botocore#785: `ts ( botocore.endpoint) < WorkerProcess-9> [DEBUG]: msg` was
    'not a botocore debug log'."""
    rep = report((DATA / "14-botocore-785-paren-logger-angle-process.log").read_bytes())
    assert [(r.host, r.thread) for r in rep.requests] == [
        ("queue.amazonaws.com", "WorkerProcess-9")
    ]


def test_padded_level_inside_brackets_and_near_misses() -> None:
    _, rec = classify_line(
        b"2016-02-02T20:05:40 ( boto3.resources.action) < WorkerProcess-9> [ INFO]: Calling "
        b"sqs:get_queue_url with {'QueueName': 'SQSWorkQueue'}",
        1,
    )
    assert rec is not None and (rec.logger, rec.level) == ("boto3.resources.action", "INFO")
    # another program's logger that ends in 'botocore', and words between name and level
    for line in (
        b"2016-02-02T20:05:40 (myapp.botocore) < WorkerProcess-9> [DEBUG]: Making request for x",
        b"2016-02-02T20:05:40 ( botocore.endpoint) < WorkerProcess-9> said [DEBUG]: Making request",
    ):
        assert classify_line(line, 1)[0] in (CONT, FOREIGN), line  # not an SDK header


def test_logger_line_and_function_after_the_name() -> None:
    """botocore/botocore#1866: `[botocore.credentials(507):_protected_refresh] msg`: the
    message starts after the header, not with '(507):_protected_refresh] '."""
    first = (DATA / "15-botocore-1866-logger-line-func.log").read_bytes().splitlines()[1]
    kind, rec = classify_line(first, 2)
    assert kind == KEPT and rec is not None
    assert (rec.logger, rec.level) == ("botocore.credentials", "WARNING")
    assert rec.lines[0].startswith("Refreshing temporary credentials failed")


def test_cloudwatch_console_table_paste() -> None:
    """boto/boto3#4040: rows copied from the CloudWatch console (`| time | message | group |
    stream |`): GetCallerIdentity from eu-west-1 sent to the global endpoint, signed for
    us-east-1 (botocore 1.34's legacy default)."""
    rep = report((DATA / "04-boto3-4040-cloudwatch-console-table.log").read_bytes())
    assert [(r.operation, r.client_region, r.host, r.signing_region) for r in rep.requests] == [
        ("GetCallerIdentity", "eu-west-1", "sts.amazonaws.com", "us-east-1")
    ]
    assert {f.code for f in rep.findings} == {"SD102", "SD103"}
    assert rep.recommendation is not None and rep.recommendation.region == "eu-west-1"
