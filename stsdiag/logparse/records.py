"""Bytes → log records. Streams the input (bounded memory), recognises the header formats
botocore, boto3 and the AWS CLI write (and custom ones), joins continuation lines, strips
CRLF and ANSI colours, and keeps only the records that carry facts.

Hot path: one bytes regex match per line, no decoding of lines that are skipped."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

SDK = rb"(?:botocore|boto3|urllib3|awscli|s3transfer|aiobotocore)(?:\.[A-Za-z_][\w]*)*"
LEVEL = rb"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)"

# Known header formats, most specific first. Each yields ts?, thread?, logger, level, msg.
_FORMATS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    (
        "awscli",  # 2021-07-29 17:29:45,221 - Thread-3 - botocore.endpoint - DEBUG - msg
        re.compile(
            rb"(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?) - (?P<thread>[^\n]{1,64}?) - "
            rb"(?P<logger>[\w.]+) - (?P<level>" + LEVEL + rb") - ?"
        ),
    ),
    (
        "botocore",  # 2021-07-29 17:29:45,221 - botocore.endpoint - DEBUG - msg
        re.compile(
            rb"(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?) - (?P<logger>[\w.]+) - "
            rb"(?P<level>" + LEVEL + rb") - ?"
        ),
    ),
    (
        "set_stream_logger",  # 2021-07-29 17:29:45,221 botocore.endpoint [DEBUG] msg
        re.compile(
            rb"(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?) (?P<logger>[\w.]+) "
            rb"\[(?P<level>" + LEVEL + rb")\] ?"
        ),
    ),
    (
        "basicConfig",  # DEBUG:botocore.endpoint:msg
        re.compile(rb"(?P<level>" + LEVEL + rb"):(?P<logger>[\w.]+):"),
    ),
)

# Anything else: an SDK logger name next to a level word (either order), after an optional
# short prefix (timestamp, thread, pod name, quote marks).
_GENERIC = re.compile(
    rb"^(?P<pre>[^\n]{0,120}?)(?:(?P<level1>" + LEVEL + rb")\]?[\s:|\-]{1,6}"
    rb"(?:\[(?P<thread1>[^\]\n]{1,64})\][\s:|\-]{1,6})?(?P<logger1>" + SDK + rb")"
    rb"|(?P<logger2>" + SDK + rb")[\s:|\-\[]{1,6}\[?(?P<level2>" + LEVEL + rb")\b)\]?[\s:|\-]{0,6}"
)
# A line can be a header only when a level word starts within its first 192 bytes (every
# header format has one there). The same test, compiled for a block scan, finds the next
# possible header after a kept record without classifying each continuation line.
_LEVEL_NEAR_START = re.compile(rb"[^\n]{0,192}?" + LEVEL)
_NEXT_HEADERISH = re.compile(rb"^[^\n]{0,192}?" + LEVEL, re.M)
_TS = re.compile(
    rb"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[ T](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:[,.](?P<f>\d+))?"
)
_THREAD = re.compile(rb"\b(MainThread|Thread-\d+(?: \([^)]*\))?|ThreadPoolExecutor-\d+_\d+)\b")
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_SDK_LOGGER = re.compile(SDK + rb"$")

# Continuation lines worth keeping even when their record was dropped (CLI stderr, tracebacks).
_CONT_FACT = re.compile(
    rb"Error|error occurred|Exception|Traceback|timeout|Timeout|Unable to locate|"
    rb"You must specify a region|Could not connect|Max number of attempts|Making request for OperationModel|"
    rb"Credential=|Signature expired|arn:aws"
)
# Messages that carry facts, by logger family. Other records end the previous one and are dropped.
_KEEP = re.compile(
    rb"Making request for|Sending http request|Calling endpoint provider|Endpoint provider result|"
    rb"received when sending|Credentials found|Exception received|Retry needed|retry needed|Reached the maximum|Max attempts|Not retrying|"
    rb"Retry needed, action|StringToSign|Starting new HTTP|https?://\S+:\d+ \"|Response headers|Response body|"
    rb"Found credentials|Looking for credentials via|Retrieving credentials|credentials|"
    rb"metadata|IMDS|Event before-parameter-build|CLI version|Arguments entered to CLI|"
    rb"Exception caught in main|Assuming an endpoint|Using partition endpoint|"
    rb"Skipping environment variable credential|sts_regional_endpoints|Loading variable|"
    rb"Unable to |Error |error|Certificate path|Switching signature version|"
    rb"S3 client configured|Setting \w+ timeout|Resetting dropped connection|Retrying \(|"
    rb"Proxy|proxy|Connection pool is full|Using S3|Checking for DNS|URI updated|"
    rb"Updating URI|Redirecting|redirect"
)

MAX_LINE = 1 << 20  # a physical line longer than this is split into pieces
MAX_RECORD_LINES = 4000
MAX_RECORD_BYTES = 4 << 20


@dataclass(slots=True)
class Record:
    """One log record: header fields plus message lines (first = message on the header line)."""

    line: int
    logger: str
    level: str
    thread: str | None
    ts: float | None
    fmt: str
    lines: list[str] = field(default_factory=list)
    size: int = 0

    @property
    def message(self) -> str:
        return self.lines[0] if self.lines else ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def flat(self) -> str:
        """Lines joined with nothing: undoes a paste that folded a long line."""
        return "".join(self.lines)


@dataclass(slots=True)
class ReadStats:
    lines: int = 0
    records: int = 0
    sdk_records: int = 0
    bytes: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    truncated_last_line: bool = False


_DAY_CACHE: dict[bytes, int] = {}
_TIME_ONLY = re.compile(
    rb"\b(?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d):(?P<s>[0-5]\d)(?:[,.](?P<f>\d{1,6}))?\b"
)


def parse_ts(raw: bytes | None) -> float | None:
    if not raw:
        return None
    # fast path: 'YYYY-MM-DD HH:MM:SS[,.]fff' at the start (every stock format)
    if len(raw) >= 19 and raw[4:5] == b"-" and raw[13:14] == b":" and raw[10:11] in (b" ", b"T"):
        day = raw[:10]
        base = _DAY_CACHE.get(day)
        try:
            if base is None:
                base = calendar.timegm(
                    (int(day[:4]), int(day[5:7]), int(day[8:10]), 0, 0, 0, 0, 0, 0)
                )
                if len(_DAY_CACHE) < 4096:
                    _DAY_CACHE[day] = base
            t = base + int(raw[11:13]) * 3600 + int(raw[14:16]) * 60 + int(raw[17:19])
        except (ValueError, OverflowError):
            return None
        if raw[19:20] in (b",", b".") and raw[20:21].isdigit():
            frac = raw[20:26]
            n = 0
            while n < len(frac) and frac[n : n + 1].isdigit():
                n += 1
            return float(t + int(frac[:n]) / (10**n))
        return float(t)
    m = _TS.search(raw)
    if not m:
        # a time of day only (custom formats): seconds since midnight, enough for durations
        t2 = _TIME_ONLY.search(raw)
        if not t2:
            return None
        f2 = t2["f"]
        secs = int(t2["h"]) * 3600 + int(t2["mi"]) * 60 + int(t2["s"])
        return secs + (int(f2) / (10 ** len(f2)) if f2 else 0.0)
    try:
        base2 = calendar.timegm(
            (
                int(m["y"]),
                int(m["mo"]),
                int(m["d"]),
                int(m["h"]),
                int(m["mi"]),
                int(m["s"]),
                0,
                0,
                0,
            )
        )
    except (ValueError, OverflowError):
        return None
    f = m["f"]
    return base2 + (int(f) / (10 ** len(f)) if f else 0.0)


def physical_lines(stream: BinaryIO, stats: ReadStats, block: int = 1 << 20) -> Iterator[bytes]:
    """Split a byte stream into lines without trusting it to contain newlines."""
    rest = b""
    while True:
        chunk = stream.read(block)
        if not chunk:
            break
        stats.bytes += len(chunk)
        data = rest + chunk if rest else chunk
        parts = data.split(b"\n")
        rest = parts.pop()
        yield from parts
        while len(rest) > MAX_LINE:
            yield rest[:MAX_LINE]
            rest = rest[MAX_LINE:]
    if rest:
        stats.truncated_last_line = True
        yield rest


def _decode(b: bytes) -> str:
    if b"\x1b" in b:
        b = _ANSI.sub(b"", b)
    return b.decode("utf-8", "replace").rstrip("\r")


def _header(line: bytes, hint: int) -> tuple[int, re.Match[bytes] | None, str]:
    """Match a header: the last matching format first (logs use one format throughout)."""
    name, rx = _FORMATS[hint]
    m = rx.match(line)
    if m is not None:
        return hint, m, name
    for i, (name, rx) in enumerate(_FORMATS):
        if i != hint:
            m = rx.match(line)
            if m is not None:
                return i, m, name
    return hint, None, ""


CONT, FOREIGN, DROPPED, KEPT = 0, 1, 2, 3


def classify_line(line: bytes, lineno: int, hint: int) -> tuple[int, int, Record | None]:
    """(format hint, kind, record) for one physical line. kind: CONT (no header: a
    continuation line), FOREIGN (another program's record), DROPPED (an SDK record without
    facts) or KEPT (an SDK record that carries facts: the new Record)."""
    if line[:1] in (b"\x1b", b"\r") or b"\x1b" in line[:64]:
        line = _ANSI.sub(b"", line)
    if line.endswith(b"\r"):
        line = line[:-1]
    if not _LEVEL_NEAR_START.match(line):
        return hint, CONT, None  # every header format has a level word near the start
    hint, m, fmt = _header(line, hint)
    if m is not None:
        logger_b = m["logger"]
        level_b = m["level"]
        gd = m.groupdict()
        thread_b = gd.get("thread")
        ts_b = gd.get("ts")
        msg_start = m.end()
    else:
        g = _GENERIC.match(line)
        if g is None:
            return hint, CONT, None
        logger_b = g["logger1"] or g["logger2"]
        level_b = g["level1"] or g["level2"]
        pre = g["pre"]
        t = _THREAD.search(pre)
        thread_b = g["thread1"] or (t.group(1) if t else None)
        ts_b = pre if (_TS.search(pre) or _TIME_ONLY.search(pre)) else None
        msg_start = g.end()
        fmt = "custom"
    if not _SDK_LOGGER.match(logger_b):
        return hint, FOREIGN, None
    if logger_b == b"botocore.hooks":  # the chattiest logger: one event carries facts
        keep = line.startswith(b"Event before-parameter-build.", msg_start)
    elif logger_b == b"botocore.loaders":
        keep = False
    else:
        keep = bool(_KEEP_LOGGER.match(logger_b) or _KEEP.search(line, msg_start, msg_start + 200))
    if not keep:
        return hint, DROPPED, Record(lineno, "", "", None, None, fmt)
    msg = _decode(line[msg_start:])
    rec = Record(
        line=lineno,
        logger=logger_b.decode("ascii", "replace"),
        level=level_b.decode("ascii", "replace"),
        thread=thread_b.decode("utf-8", "replace").strip() if thread_b else None,
        ts=parse_ts(ts_b),
        fmt=fmt,
        lines=[msg],
        size=len(msg),
    )
    return hint, KEPT, rec


def _append(cur: Record, line: bytes) -> None:
    if len(cur.lines) < MAX_RECORD_LINES and cur.size < MAX_RECORD_BYTES:
        t = _decode(line)
        cur.lines.append(t)
        cur.size += len(t)


def records_from_lines(lines: Iterable[bytes], stats: ReadStats) -> Iterator[Record]:
    """Reference reader: every line through `classify_line`. `iter_records` must yield the
    same records (tested on every fixture)."""
    hint = 0
    cur: Record | None = None
    lineno = 0
    for raw in lines:
        lineno += 1
        hint, kind, rec = classify_line(raw, lineno, hint)
        if kind == CONT:
            if cur is not None:
                _append(cur, raw)
            elif _CONT_FACT.search(raw):
                stats.records += 1
                cur = Record(lineno, "stderr", "", None, None, "plain", [_decode(raw)])
            continue
        stats.records += 1
        if cur is not None:
            yield cur
            cur = None
        if kind == FOREIGN:
            continue
        stats.sdk_records += 1
        assert rec is not None
        stats.formats[rec.fmt] = stats.formats.get(rec.fmt, 0) + 1
        if kind == KEPT:
            cur = rec
    stats.lines = lineno
    if cur is not None:
        yield cur


# A line is a candidate when it holds a fact keyword or a continuation fact; everything
# else is skipped inside the regex engine (C speed). Records are then rebuilt exactly as
# `records_from_lines` does, from the candidate line up to the next header line.
_KEEP_LOGGER = re.compile(
    rb"botocore\.(?:endpoint|regions|parsers|retryhandler|retries|httpsession)|urllib3\.|awscli\.clidriver"
)
_CANDIDATE = re.compile(_KEEP.pattern + rb"|" + _CONT_FACT.pattern + rb"|" + _KEEP_LOGGER.pattern)


def iter_records(stream: BinaryIO, stats: ReadStats, block: int = 4 << 20) -> Iterator[Record]:
    """Fast reader: scan blocks for candidate lines, classify only those and the lines that
    follow a kept record. Counts `sdk_records` only for the lines it classifies."""
    hint = 0
    cur: Record | None = None  # a kept or orphan record still collecting continuation lines
    lineno = 0  # number of the line *before* position 0 of the current block
    rest = b""
    eof = False
    while not eof:
        chunk = stream.read(block)
        if not chunk:
            eof = True
            if not rest:
                break
            stats.truncated_last_line = True
            data, rest = rest, b""
        else:
            stats.bytes += len(chunk)
            data = rest + chunk if rest else chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) <= MAX_LINE:
                    rest = data
                    continue
                cut = MAX_LINE - 1  # a huge line with no newline: split it
                data, rest = data[: cut + 1] + b"\n", data[cut + 1 :]
                cut += 1
            else:
                data, rest = data[: cut + 1], data[cut + 1 :]
        pos = 0  # everything before pos is consumed
        counted = 0  # newlines counted up to this offset
        n = len(data)
        while pos < n:
            if cur is not None:
                # extend the open record: lines before the next line with a level word near
                # its start are continuation lines for sure; take them in one piece
                nh = _NEXT_HEADERISH.search(data, pos)
                nxt = nh.start() if nh is not None else n
                if nxt > pos:
                    seg = data[pos:nxt]
                    chunk_lines = (seg[:-1] if seg.endswith(b"\n") else seg).split(b"\n")
                    for ln in chunk_lines:
                        _append(cur, ln)
                    lineno += len(chunk_lines)
                    pos = nxt
                    counted = pos
                    continue
                end = data.find(b"\n", pos)
                if end < 0:
                    end = n
                line = data[pos:end]
                lineno += 1
                counted = end + 1
                hint, kind, rec = classify_line(line, lineno, hint)
                if kind == CONT:
                    _append(cur, line)
                    pos = end + 1
                    continue
                stats.records += 1
                yield cur
                cur = None
                if kind != FOREIGN:
                    stats.sdk_records += 1
                    if kind == KEPT:
                        assert rec is not None
                        stats.formats[rec.fmt] = stats.formats.get(rec.fmt, 0) + 1
                        cur = rec
                pos = end + 1
                continue
            m = _CANDIDATE.search(data, pos)
            if m is None:
                lineno += data.count(b"\n", counted, n)
                counted = n
                pos = n
                break
            start = data.rfind(b"\n", 0, m.start()) + 1
            if start < pos:
                start = pos
            end = data.find(b"\n", m.start())
            if end < 0:
                end = n
            lineno += data.count(b"\n", counted, start) + 1
            counted = end + 1
            line = data[start:end]
            hint, kind, rec = classify_line(line, lineno, hint)
            if kind == KEPT:
                assert rec is not None
                stats.records += 1
                stats.sdk_records += 1
                stats.formats[rec.fmt] = stats.formats.get(rec.fmt, 0) + 1
                cur = rec
            elif kind == CONT and _CONT_FACT.search(line):
                stats.records += 1
                cur = Record(lineno, "stderr", "", None, None, "plain", [_decode(line)])
            elif kind == DROPPED:
                stats.sdk_records += 1
            pos = end + 1
    stats.lines = lineno
    if cur is not None:
        stats.records += 1
        yield cur
