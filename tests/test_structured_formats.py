"""Python's logging rendered by structlog or a logfmt formatter (stsdiag/logparse/structured.py):
the real fixture logs glatest-boto3-structlog-{console,logfmt,kv}-* (botocore 1.44 through
structlog 26's ProcessorFormatter) read as botocore's own format reads, and lines that only
look like these formats read as before. Inputs marked "hand-made" are built here from the
real logs' lines (a key the real renderer does not write, a logger missing)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from stsdiag.logparse import structured
from stsdiag.logparse.records import ReadStats, iter_records
from tests.helpers import ROOT, codes, finding, parse, refused

LOGS = ROOT / "fixtures" / "logs"
CONSOLE = LOGS / "glatest-boto3-structlog-console-ok.log"
LOGFMT = LOGS / "glatest-boto3-structlog-logfmt-vpc-timeout.log"
KV = LOGS / "glatest-boto3-structlog-kv-global-timeout.log"


def _records(data: bytes) -> list[tuple[str, str, list[str]]]:
    return [(r.logger, r.level, r.lines) for r in iter_records(io.BytesIO(data), ReadStats())]


@pytest.mark.parametrize("log", [CONSOLE, LOGFMT, KV], ids=lambda p: p.stem)
def test_every_botocore_record_is_read_with_its_logger(log: Path) -> None:
    recs = _records(log.read_bytes())
    loggers = {lg for lg, _, _ in recs}
    assert {"botocore.endpoint", "botocore.auth", "botocore.credentials"} <= loggers
    # a multi-line message (botocore.auth's CanonicalRequest) keeps its lines
    canon = next(lines for lg, _, lines in recs if lines[0].startswith("CanonicalRequest:"))
    assert canon[1] == "POST" and any(x.startswith("host:sts.") for x in canon)
    assert not any("[botocore" in x for _, _, lines in recs for x in lines)  # trailer taken off


def test_console_renderer_log_is_three_healthy_sts_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = parse(tmp_path, CONSOLE.read_text(), capsys)
    ops = [(r["operation"], r["http_status"]) for r in doc["requests"]]
    assert ops == [("GetCallerIdentity", 200), ("AssumeRole", 200), ("GetCallerIdentity", 200)]
    assert codes(doc) == ["SD503"]


def test_exc_info_repr_becomes_the_exception_line() -> None:
    line = next(
        ln for ln in KV.read_bytes().split(b"\n") if ln.startswith(b"event='Exception received")
    )
    out = structured.kv_record(line)
    assert out is not None
    assert out[0].endswith(
        b" - botocore.endpoint - DEBUG - Exception received when sending HTTP request."
    )
    assert out[1] == (
        b'botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL: "https://sts.amazonaws.com/"'
    )


def test_logfmt_escapes_and_epoch_time() -> None:
    """hand-made: python-logfmter's `at=` level key and an epoch timestamp."""
    out = structured.kv_record(
        b'at=DEBUG ts=1700000000.25 logger=botocore.auth msg="CanonicalRequest:\\nPOST\\n/" x=1'
    )
    assert out == [
        b"2023-11-14 22:13:20,25 - botocore.auth - DEBUG - CanonicalRequest:",
        b"POST",
        b"/",
    ]


def test_a_record_without_a_logger_is_read_by_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hand-made: the real logfmt log without its `logger=` pairs (a structlog set-up
    without add_logger_name)."""
    text = re.sub(r" logger=[\w.]+", "", LOGFMT.read_text())
    doc = parse(tmp_path, text, capsys)
    assert "SD202" in codes(doc)
    assert doc["requests"][0]["host"] == "sts.ap-northeast-1.amazonaws.com"


def test_a_logfmt_log_of_another_program_is_not_botocore_s(tmp_path: Path) -> None:
    lines = [
        f'time=2024-05-01T12:00:{i:02d}Z level=info logger=app.web msg="GET /health 200"'
        for i in range(40)
    ]
    assert refused(tmp_path, "\n".join(lines) + "\n")


def test_key_value_lines_inside_a_bare_log_leave_it_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: a bare botocore log with program lines of key=value pairs between its
    records (not a structured log) reads as it did."""
    bare = (LOGS / "glatest-cli-noregion-global-timeout.log").read_text()
    lines = bare.split("\n")
    mixed = "\n".join(
        x + ('\nlevel=info msg="tick" n=1' if i % 3 == 0 else "") for i, x in enumerate(lines)
    )
    a = parse(tmp_path, bare, capsys)
    b = parse(tmp_path, mixed, capsys)
    assert codes(a) == codes(b)
    assert [r["operation"] for r in a["requests"]] == [r["operation"] for r in b["requests"]]


def test_pairs_balances_brackets_and_quotes() -> None:
    d = structured.pairs(b"event='a b' exc_info=(<class 'X'>, X('q \"r\" )'), <tb>) n=3 empty=")
    assert d == {
        b"event": "a b",
        b"exc_info": "(<class 'X'>, X('q \"r\" )'), <tb>)",
        b"n": "3",
        b"empty": "",
    }
    assert structured.pairs(b"event='unclosed level=debug") is None
    assert structured.pairs(b"Making request for OperationModel(name=X) with params: {}") is None


@pytest.mark.parametrize(("width", "spaces"), [(72, True), (80, False), (120, False)])
@pytest.mark.parametrize("log", [CONSOLE, LOGFMT, KV], ids=lambda p: p.stem)
def test_a_folded_paste_keeps_the_diagnosis(
    log: Path, width: int, spaces: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paste folded at 72-120 columns: a logfmt line's pieces (a quote still open) are
    joined again, and the console renderer's '[botocore.x]' trailer is found when the fold
    cut it."""
    from tests.helpers import diagnosis
    from tests.test_paste_wraps import fold

    folded = tmp_path / "folded.log"
    folded.write_text(fold(log.read_text(), width, spaces=spaces))
    assert diagnosis(folded, capsys) == diagnosis(log, capsys)


RICH_OK = LOGS / "glatest-boto3-rich-ok.log"
RICH_TIMEOUT = LOGS / "glatest-boto3-rich-read-timeout.log"


def test_rich_handler_messages_are_put_together_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rich wraps each message to its 80-column console and puts the source file at the
    right edge: the rebuilt records read whole (the urllib3 status line gives the status,
    SD503 quotes the whole sentence), with no file column left in them."""
    recs = _records(RICH_OK.read_bytes())
    assert not any(re.search(r"\w\.py:\d+\s*$", x) for _, _, lines in recs for x in lines)
    found = [lines[0] for lg, _, lines in recs if lg == "botocore.credentials"]
    assert "Found credentials in environment variables." in found
    doc = parse(tmp_path, RICH_OK.read_text(), capsys)
    assert [(r["operation"], r["http_status"]) for r in doc["requests"]] == [
        ("GetCallerIdentity", 200),
        ("AssumeRole", 200),
        ("GetCallerIdentity", 200),
    ]
    doc = parse(tmp_path, RICH_TIMEOUT.read_text(), capsys)
    assert codes(doc) == ["SD204", "SD208", "SD503"]


def test_a_bracketed_time_format_is_not_taken_for_rich_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss (hand-made from a real log): '[%(asctime)s] %(levelname)s %(name)s:
    %(message)s' opens like rich's lines but names its logger; it is read as it is."""
    from stsdiag.logparse.unwrap import detect

    src = (LOGS / "glatest-cli-noregion-global-timeout.log").read_text()
    text = re.sub(
        r"^(\S+ \S+) - \S+ - ([\w.]+) - (\w+) - ", r"[\1] \3 \2: ", src, flags=re.MULTILINE
    )
    assert text != src
    assert detect([x.encode() for x in text.split("\n")[:256]]) is None
    a = parse(tmp_path, src, capsys)
    b = parse(tmp_path, text, capsys)
    assert codes(a) == codes(b)


@pytest.mark.parametrize("log", [CONSOLE, LOGFMT, KV, RICH_OK, RICH_TIMEOUT], ids=lambda p: p.stem)
def test_line_numbers_name_the_file_s_lines(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A logfmt line's escaped newlines become several lines and rich's wrapped pieces one:
    the numbers parse-log gives are still the file's (a request's line holds its first
    record, SD503's the credentials line)."""
    lines = log.read_text().split("\n")
    doc = parse(tmp_path, log.read_text(), capsys)
    assert doc["log"]["lines"] == len(lines) - 1
    for r in doc["requests"]:
        assert re.search(
            r"Calling endpoint provider|Making request for", lines[r["first_line"] - 1]
        )
    sd503 = finding(doc, "SD503")
    assert "Found credentials in" in lines[sd503["evidence"][0]["line"] - 1]
