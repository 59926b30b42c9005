"""Logs inside the wrappers CI systems and log collectors put around every line.

A debug log downloaded from CI (GitHub Actions, Azure Pipelines, GitLab CI, Jenkins with
the Timestamper plugin), copied out of a log collector (CloudWatch Logs, `aws logs
filter-log-events --output text`, Docker's json-file driver, the Kubernetes CRI files,
`journalctl -o json`, Loki, Splunk and Datadog JSON exports, CloudWatch Logs' CSV
downloads) carries the same lines, each behind (or inside) the tool's own. The wrapper
is recognised once, from the log's first lines (`detect`): one shape on nearly every line,
and taking it off shows at least as many of the SDK's records as reading the lines as
they are. A bare time prefix stays on a header that has no time of its own (it may be
the log's own, and it is the only one). It is then taken off every line of the stream
(`Unwrapper.feed`): pieces of one line the tool cut (CRI `P` lines, GitLab's `+` lines,
Docker's lines without their newline) are joined again, JSON strings decoded (a multi-line
event becomes its lines), a CSV field's quotes taken off (its lines stay lines). A bare log matches no shape and is read as before (the check reads a few hundred
lines once)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable
from typing import BinaryIO

from stsdiag.logparse import structured
from stsdiag.logparse.records import _LEVEL_NEAR_START, MAX_LINE, LineMap, unspace

_ISO = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)"
# CRI (containerd, CRI-O): '<time> <stream> <F|P> <line>'
_CRI = re.compile(rb"" + _ISO + rb" (?:stdout|stderr) ([FP])(?: |$)")
# GitLab Runner's FF_TIMESTAMPS: '<time> <stream: 2 hex><O|E><' '|'+'><line>'
_GITLAB = re.compile(rb"" + _ISO + rb" [0-9a-fA-F]{2}[OE]([ +])")
# `aws logs filter-log-events --output text`: EVENTS, eventId, ingestionTime,
# logStreamName, message, timestamp; a message's own newlines come through as they are,
# the timestamp after its last line
_EVENTS = re.compile(rb"EVENTS\t[^\t\n]*\t\d+\t[^\t\n]*\t")
_EVENT_END = re.compile(rb"\t\d{10,16}\r?$")
# a time before every line: GitHub Actions, Azure Pipelines (7 digits), Jenkins'
# Timestamper ('[2024-05-01T12:00:00.123Z] '), kubectl logs --timestamps, a CloudWatch
# Logs console copy (a tab), `aws logs tail` (a blank)
_ISO_PREFIX = re.compile(rb"\[?" + _ISO + rb"\]?[ \t]")
# where JSON-per-line exports keep the line: Docker's json-file ("log"), journald
# ("MESSAGE"), Loki's logcli ("line"), Splunk ("result"."_raw", "_raw"), Datadog
# ("attributes"."message"), others ("message", only with no level field: an object with a
# level is an application's JSON record, read as such)
_JSON_PATHS: tuple[tuple[str, ...], ...] = (
    ("log",),
    ("MESSAGE",),
    ("line",),
    ("result", "_raw"),
    ("_raw",),
    ("attributes", "message"),
    ("message",),
)
_LEVEL_KEYS = ("level", "levelname", "severity", "logger")
# CloudWatch Logs' CSV downloads (the console's log events, 'timestamp,message' with epoch
# milliseconds; Logs Insights' '@timestamp,@message' with '2025-11-30 16:43:04.727'): a row
# is the event's time, a comma and its message, quoted ('""' for a quote) when it holds a
# quote, a comma or a newline (a Lambda message ends with one: the closing quote comes
# alone on the next line). A time in quotes, or an unquoted one with a fraction before
# '"' (not a log's own 'YYYY-MM-DD HH:MM:SS,mmm - ' header)
_CSV_TIME = rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d"
_CSV_ROW = re.compile(
    rb'(?:\d{10,16}|"' + _CSV_TIME + rb'(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?"'
    rb"|" + _CSV_TIME + rb'\.\d{1,9}(?:Z|[+-]\d\d:?\d\d)?(?=,")),'
)
_CSV_HEADER = re.compile(rb'"?@?timestamp"?,"?@?message"?')
# a quoted field's text up to its closing quote ('""' is a quote in it; possessive: a line
# ending in '""' has no closing quote)
_CSV_CLOSE = re.compile(rb'(?:[^"]++|"")*+"')

SAMPLE_LINES = 256
# an export newest first is put in order up to this size: it is held in memory (about four
# times over while it is rebuilt), so the bound keeps the peak near the streaming reader's;
# the exports a UI downloads are far smaller, a bigger one is read in the order given
REVERSE_MAX = 16 << 20
SAMPLE_BYTES = 1 << 16


def _json_text(line: bytes) -> tuple[str, bool] | None:
    """(text, complete) of a JSON-per-line event, None when the line is none. `complete`
    is False for a Docker line without its newline (the rest comes in the next event)."""
    s = line.strip()
    if s[:1] != b"{" or s[-1:] != b"}":
        return None
    try:
        d = json.loads(s)
    except (ValueError, RecursionError):
        return None
    if not isinstance(d, dict):
        return None
    for path in _JSON_PATHS:
        v: object = d
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if path == ("message",) and any(k in d for k in _LEVEL_KEYS):
            return None
        if (  # journald's MESSAGE when not UTF-8: its bytes
            isinstance(v, list)
            and path == ("MESSAGE",)
            and all(isinstance(x, int) and 0 <= x < 256 for x in v)
        ):
            return bytes(v).decode("utf-8", "replace"), True
        if isinstance(v, str):
            if path == ("log",):
                return (v[:-1], True) if v.endswith("\n") else (v, False)
            return v, True
    return None


class Unwrapper:
    """Takes one wrapper's shape off each line of a stream (`feed`, then `end`)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.pending: bytes | None = None  # a line whose rest may come in the next lines
        self._take: Callable[[bytes], list[bytes]] = getattr(self, "_" + kind.replace("-", "_"))
        self.quoted = False  # (csv) inside a quoted field: the next line is more of it
        # an export that lists events newest first (Loki's, Splunk's, Datadog's default)
        self.newest_first = False
        # the rewriters of Python's logging as structured-logging libraries render it
        self.console = structured.Console()
        self.keyvalue = structured.KeyValue()
        self.rich = structured.Rich()
        self.at = 0  # the number of the line fed last
        self.pending_at = 0  # ... and of the line the pending one started on
        # the original line each line given out stands on (`feed`'s and `end`'s lines in
        # order; its reader empties it)
        self.where: list[int] = []

    def feed(self, line: bytes) -> list[bytes]:
        """The lines `line` (the next line of the stream) completes, wrapper taken off."""
        self.at += 1
        return self._take(line)

    def _put(self, out: list[bytes], line: bytes, at: int) -> None:
        out.append(line)
        self.where.append(at)

    def _emit(self, out: list[bytes], piece: bytes, more: bool) -> None:
        """`piece` after the pending part of its line; held when `more` (of the line)
        comes. A line never grows past MAX_LINE (as a physical line cannot)."""
        at = self.at
        if self.pending is not None:
            if len(self.pending) + len(piece) > MAX_LINE:
                self._put(out, self.pending, self.pending_at)
                self.pending = None
            else:
                piece = self.pending + piece
                at = self.pending_at
                self.pending = None
        if more:
            self.pending, self.pending_at = piece, at
        else:
            self._put(out, piece, at)

    def end(self) -> list[bytes]:
        out: list[bytes] = []
        self._flush(out)
        for line, at in self.console.end() + self.keyvalue.end() + self.rich.end():
            self._put(out, line, at)
        return out

    def _flush(self, out: list[bytes]) -> None:
        if self.pending is not None:
            self._put(out, self.pending, self.pending_at)
            self.pending = None

    def _cri(self, line: bytes) -> list[bytes]:
        out: list[bytes] = []
        m = _CRI.match(line)
        if m is None:
            self._flush(out)
            self._put(out, line, self.at)
        else:
            self._emit(out, line[m.end() :], m.group(1) == b"P")
        return out

    def _gitlab(self, line: bytes) -> list[bytes]:
        out: list[bytes] = []
        m = _GITLAB.match(line)
        if m is None:
            self._flush(out)
            self._put(out, line, self.at)
        elif m.group(1) == b"+" and self.pending is not None:
            self._emit(out, line[m.end() :], True)
        else:
            self._flush(out)
            self.pending, self.pending_at = line[m.end() :], self.at
        return out

    def _events(self, line: bytes) -> list[bytes]:
        m = _EVENTS.match(line)
        start = m.end() if m is not None else 0
        end = _EVENT_END.search(line, start)
        if end is not None:
            if m is None and end.start() == 0:
                return []  # a message's last newline: the timestamp alone on a line
            line = line[: end.start()]
        self.where.append(self.at)
        return [line[start:]]

    def _json(self, line: bytes) -> list[bytes]:
        out: list[bytes] = []
        got = _json_text(line)
        if got is None:
            self._flush(out)
            self._put(out, line, self.at)
            return out
        text, complete = got
        parts = unspace(text.encode("utf-8", "replace")).split(b"\n")
        for i, part in enumerate(parts):
            self._emit(out, part, not complete and i == len(parts) - 1)
        return out

    def _rewritten(self, lines: structured.Lines) -> list[bytes]:
        out: list[bytes] = []
        for line, at in lines:
            self._put(out, line, at)
        return out

    def _kv(self, line: bytes) -> list[bytes]:
        return self._rewritten(self.keyvalue.feed(line, self.at))

    def _rich(self, line: bytes) -> list[bytes]:
        return self._rewritten(self.rich.feed(line, self.at))

    def _console(self, line: bytes) -> list[bytes]:
        return self._rewritten(self.console.feed(line, self.at))

    def _csv(self, line: bytes) -> list[bytes]:
        out = self._csv_line(line)  # (a line for each line: evidence names the file's lines)
        self.where.extend(self.at for _ in out)
        return out

    def _csv_line(self, line: bytes) -> list[bytes]:
        if self.quoted:
            return self._csv_field(line, True)
        m = _CSV_ROW.match(line)
        if m is None:
            return [b""] if _CSV_HEADER.fullmatch(line.rstrip()) else [line]
        rest = line[m.end() :]
        if rest[:1] != b'"':
            return [rest]
        return self._csv_field(rest[1:], False)

    def _csv_field(self, text: bytes, more: bool) -> list[bytes]:
        """A quoted field's line (`more`: not its first), its quotes taken off; an empty
        line for the closing quote alone after a message's last newline (and for the
        header: a line for each line, so evidence names the file's lines)."""
        m = _CSV_CLOSE.match(text)
        self.quoted = m is None
        body = text if m is None else text[: m.end() - 1]
        if m is not None and more and not body:
            return [b""]
        return [body.replace(b'""', b'"')]

    def _iso(self, line: bytes) -> list[bytes]:
        # a header with no time of its own ('DEBUG:botocore...') keeps the one before it
        # (which may be the log's own: a format that starts with an ISO time)
        self.where.append(self.at)
        m = _ISO_PREFIX.match(line)
        if m is None:
            return [line]
        rest = line[m.end() :]
        if not rest[:1].isdigit() and _LEVEL_NEAR_START.match(rest):
            return [line]
        return [rest]


# shapes tried in this order (the specific ones first), each with the share of the
# sample's non-empty lines it must be on: a line-prefix shape on nearly every line (some
# lines of the tool's own, like Jenkins' '[Pipeline]', have none); `filter-log-events`'
# rows on a few (a multi-line event's lines come through bare)
_SHAPES: tuple[tuple[str, float, Callable[[bytes], bool]], ...] = (
    ("json", 0.8, lambda ln: _json_text(ln) is not None),
    ("cri", 0.8, lambda ln: _CRI.match(ln) is not None),
    ("gitlab", 0.8, lambda ln: _GITLAB.match(ln) is not None),
    ("events", 0.05, lambda ln: _EVENTS.match(ln) is not None),
    # (a multi-line message's lines and closing quotes are rows' lines too)
    ("csv", 0.2, lambda ln: _CSV_ROW.match(ln) is not None),
    ("iso", 0.8, lambda ln: _ISO_PREFIX.match(ln) is not None),
    # Python's logging rendered by structlog or a logfmt formatter (see `structured`): one
    # record a line (`key=value`), or a record's first line (the console renderer's)
    # (a paste may have folded most of their lines: the rewrite's check below decides)
    ("kv", 0.1, structured.kv_start),
    ("console", 0.1, lambda ln: structured.console_head(ln) is not None),
    ("rich", 0.05, structured.rich_head),
)
_QUICK = re.compile(
    rb"[ \t]*\{|\[?\d{4}-\d\d-\d\dT|EVENTS\t|[\w.@-]{1,64}=|"
    + structured.CONSOLE_TIME
    + rb" \[(?i:debug|info|warn|error)|\["
    + structured.RICH_TIME
    + rb"\] "
    + structured.RICH_LEVEL
    + rb" |"
    + _CSV_ROW.pattern
    + rb"|"
    + _CSV_HEADER.pattern
)


def _sdk_count(lines: Iterable[bytes]) -> int:
    """How many of `lines` read as SDK records' headers."""
    from stsdiag.logparse.records import DROPPED, KEPT, classify_line

    return sum(1 for ln in lines if classify_line(ln, 0)[0] in (KEPT, DROPPED))


_TIME_PATHS = (
    ("timestamp",),
    ("time",),
    ("@timestamp",),
    ("__REALTIME_TIMESTAMP",),
    ("attributes", "timestamp"),
    ("result", "_time"),
    ("_time",),
)


def _event_time(line: bytes) -> str | None:
    """The time a JSON-per-line export gives an event (as text: one export writes them
    all alike, so they sort as text)."""
    try:
        d = json.loads(line)
    except (ValueError, RecursionError):
        return None
    for path in _TIME_PATHS:
        v: object = d
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (str, int, float)) and not isinstance(v, bool):
            return str(v)
    return None


def _newest_first(sample: list[bytes]) -> bool:
    """Whether a JSON-per-line export's events go back in time (Loki's, Splunk's and
    Datadog's default order)."""
    times = [t for t in map(_event_time, sample) if t is not None]
    pairs = list(itertools.pairwise(times))
    back = sum(1 for a, b in pairs if b < a)
    on = sum(1 for a, b in pairs if b > a)
    return back >= 3 and on * 10 <= back


def _apply(kind: str, lines: list[bytes]) -> list[bytes]:
    u = Unwrapper(kind)
    out: list[bytes] = []
    for ln in lines:
        out.extend(u.feed(ln))
    return out + u.end()


def detect(sample: list[bytes]) -> Unwrapper | None:
    """The wrapper around the lines of a log whose first lines are `sample` (unspaced,
    without newlines), or None (a bare log)."""
    if not any(_QUICK.match(ln) for ln in sample[:64]):
        return None
    body = [ln for ln in sample if ln.strip()]
    if len(body) < 4:
        return None
    bare: int | None = None
    for kind, share, test in _SHAPES:
        hits = sum(1 for ln in body if test(ln))
        if hits < max(4, share * len(body)):
            continue
        if bare is None:
            bare = _sdk_count(sample)
        lines = _apply(kind, sample)
        # (a structured format's rewrite must read more of the SDK's records than the lines
        # as they are: a stock format it resembles reads them all already)
        more = 1 if kind in ("kv", "console", "rich") else 0
        if _sdk_count(lines) >= max(1, bare + more):
            u = Unwrapper(kind)
            u.newest_first = kind == "json" and _newest_first(sample)
            return u
    return None


class UnwrappedStream:
    """A byte stream's lines with a wrapper taken off (`read(n)`): split into lines as
    `physical_lines` splits them (a line longer than MAX_LINE in pieces), unspaced,
    unwrapped; the last line keeps its missing newline."""

    def __init__(self, head: bytes, stream: BinaryIO, u: Unwrapper) -> None:
        self.head = head
        self.stream = stream
        self.u = u
        self.rest = b""
        self.out = b""
        self.eof = False
        self.line_map = LineMap()

    def _mapped(self, lines: list[bytes]) -> list[bytes]:
        """`lines` (what the unwrapper gave last), their original lines noted."""
        add = self.line_map.add
        for at in self.u.where:
            add(at)
        self.u.where.clear()
        self.line_map.raw_lines = self.u.at
        return lines

    def _oldest_first(self) -> None:
        """The whole export (up to REVERSE_MAX bytes) unwrapped, its events in the order
        they happened: each event's lines (a multi-line event's, in their order) after the
        later event's. A bigger export is read as it comes."""
        chunks = [self.head]
        size = len(self.head)
        while size <= REVERSE_MAX:
            chunk = self.stream.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        self.head = b"".join(chunks)
        self.u.newest_first = False
        if size > REVERSE_MAX:
            return
        raw, self.head = self.head, b""
        lines = raw.split(b"\n")
        if not lines[-1]:
            lines.pop()
        groups = []
        for line in lines:
            for i in range(0, max(len(line), 1), MAX_LINE):
                groups.append((self.u.feed(unspace(line[i : i + MAX_LINE])), self.u.where[:]))
                self.u.where.clear()
        groups.append((self.u.end(), self.u.where[:]))
        self.u.where.clear()
        self.line_map.raw_lines = self.u.at
        for _, where in reversed(groups):
            for at in where:
                self.line_map.add(at)
        self.out = b"".join(unspace(x) + b"\n" for g, _ in reversed(groups) for x in g)
        self.eof = True

    def _fill(self, n: int) -> None:
        if self.u.newest_first:
            self._oldest_first()
        while len(self.out) < n and not self.eof:
            if self.head:
                chunk, self.head = self.head, b""
            else:
                chunk = self.stream.read(1 << 16)
            lines: list[bytes] = []
            if not chunk:
                self.eof = True
                rest, self.rest = self.rest, b""
                out = []
                if rest:
                    out = self.u.feed(unspace(rest))
                tail = self._mapped(out + self.u.end())
                last = b"\n".join(unspace(x) for x in tail)
                if tail and not rest:
                    last += b"\n"
                self.out += last
                return
            data = self.rest + chunk if self.rest else chunk
            parts = data.split(b"\n")
            self.rest = parts.pop()
            for part in parts:
                lines.extend(self.u.feed(unspace(part)))
            while len(self.rest) > MAX_LINE:
                lines.extend(self.u.feed(unspace(self.rest[:MAX_LINE])))
                self.rest = self.rest[MAX_LINE:]
            self._mapped(lines)
            if lines:
                self.out += b"".join(unspace(x) + b"\n" for x in lines)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = 1 << 62
        self._fill(n)
        data, self.out = self.out[:n], self.out[n:]
        return data


class _Head:
    """`head` then the rest of `stream`, in reads of the size asked for; an error met
    while reading `head` comes after it."""

    def __init__(self, head: bytes, stream: BinaryIO, error: Exception | None) -> None:
        self.head = head
        self.stream = stream
        self.error = error

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n is None or n < 0:
                data, self.head = self.head + self.stream.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            return data
        if self.error is not None:
            e, self.error = self.error, None
            raise e
        return self.stream.read(n)


def unwrapped(stream: BinaryIO) -> BinaryIO:
    """`stream`, or its lines with a wrapper taken off if its first lines show one (the
    lines within its first SAMPLE_BYTES bytes, at most SAMPLE_LINES of them)."""
    head = b""
    error: Exception | None = None
    while len(head) < SAMPLE_BYTES:
        try:
            chunk = stream.read(SAMPLE_BYTES - len(head))
        except Exception as e:  # a broken stream: read up to the error, as before
            error = e
            break
        if not chunk:
            break
        head += chunk
    if error is None:
        lines = head.split(b"\n")
        if len(head) >= SAMPLE_BYTES or not lines[-1]:
            lines.pop()  # a line cut by the sample's end, or the empty one after the last
        u = detect([unspace(x) for x in lines[:SAMPLE_LINES]])
        if u is not None:
            return UnwrappedStream(head, stream, u)  # type: ignore[return-value]
    return _Head(head, stream, error)  # type: ignore[return-value]
