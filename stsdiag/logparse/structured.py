"""Python's logging rendered by a structured-logging library: the SDK's records in
`key=value` lines (structlog's LogfmtRenderer and KeyValueRenderer, python-logfmter, other
logfmt formatters) or in structlog's console renderer (`<time> [debug    ] <message>
[botocore.endpoint] key=value`, the logger's name after the message, after the last line
of a multi-line one); or by rich's RichHandler (messages wrapped to the console's width,
the source file at the right edge, no logger). Each record is rewritten as a format the
reader knows (botocore's own `<time> - <logger> - <LEVEL> - <message>`, an ISO time
without its zone, an epoch time in UTC; or, for rich's, the source file's `[<time>] LEVEL
(endpoint.py:114) - <message>`), its
escaped newlines as lines, an exception it carries (`exc_info=`, `exception=`) as the
lines Python's logging writes after the message, a message rich wrapped put together
again. `unwrap` recognises the shapes and calls these; each rewriter gives every line with
the number of the line it starts on."""

from __future__ import annotations

import re
import time

from stsdiag.logparse.pyrepr import _Reader

_LEVELS = {
    b"debug": b"DEBUG",
    b"info": b"INFO",
    b"warning": b"WARNING",
    b"warn": b"WARNING",
    b"error": b"ERROR",
    b"exception": b"ERROR",
    b"critical": b"CRITICAL",
    b"fatal": b"CRITICAL",
}
_MESSAGE_KEYS = (b"event", b"msg", b"message")
_LEVEL_KEYS = (b"level", b"levelname", b"lvl", b"severity", b"at")  # `at`: python-logfmter's
_LOGGER_KEYS = (b"logger", b"logger_name", b"name")
_TIME_KEYS = (b"timestamp", b"time", b"ts", b"asctime", b"@timestamp", b"t")
_THREAD_KEYS = (b"thread_name", b"threadName", b"thread")

_KEY = re.compile(rb"[\w.@-]{1,64}=")
_HAS_MESSAGE = re.compile(rb"(?:^|\s)(?:event|msg|message)=")
_HAS_LEVEL = re.compile(rb"(?:^|\s)(?:level|levelname|lvl|severity|at)=")
_OPEN = {ord("("): ord(")"), ord("["): ord("]"), ord("{"): ord("}"), ord("<"): ord(">")}
_QUOTES = (ord("'"), ord('"'))
_SPACE = b" \t\r"


def _quoted_end(line: bytes, i: int) -> int:
    """Where the quoted string that starts at `i` ends (after its closing quote), -1 when
    it does not end on the line."""
    q, n = line[i], len(line)
    i += 1
    while i < n:
        c = line[i]
        if c == 92:  # a backslash escapes the next byte
            i += 2
            continue
        if c == q:
            return i + 1
        i += 1
    return -1


def _value_end(line: bytes, i: int) -> int:
    """Where the value that starts at `i` ends: a quoted string, a bracketed repr (a
    tuple's, a dict's, an object's, brackets balanced and quotes skipped) or a bare word;
    -1 when a quote or bracket does not close on the line."""
    n = len(line)
    if i < n and line[i] in _QUOTES:
        return _quoted_end(line, i)
    if i < n and line[i] in _OPEN:
        stack = [_OPEN[line[i]]]
        i += 1
        while i < n and stack:
            c = line[i]
            if c in _QUOTES:
                i = _quoted_end(line, i)
                if i < 0:
                    return -1
                continue
            if c in _OPEN:
                stack.append(_OPEN[c])
            elif c == stack[-1]:
                stack.pop()
            i += 1
        return i if not stack else -1
    while i < n and line[i] not in _SPACE:
        i += 1
    return i


def pairs(line: bytes) -> dict[bytes, str] | None:
    """The `key=value` pairs of a line (quoted values unquoted, escapes decoded); None
    when the line is not pairs alone."""
    out: dict[bytes, str] = {}
    i, n = 0, len(line)
    while i < n:
        m = _KEY.match(line, i)
        if m is None:
            return None
        end = _value_end(line, m.end())
        if end < 0 or (end < n and line[end] not in _SPACE):
            return None
        out[line[i : m.end() - 1]] = _unquote(line[m.end() : end])
        i = end
        while i < n and line[i] in _SPACE:
            i += 1
    return out


def kv_start(line: bytes) -> bool:
    """Whether a line opens like a `key=value` record (its message or level first): a
    whole one, or the first piece of one a paste folded."""
    return line[:1].isalpha() and (
        _HAS_MESSAGE.match(line) is not None or _HAS_LEVEL.match(line) is not None
    )


def is_kv_line(line: bytes) -> bool:
    return (
        line[:1].isalpha()
        and _HAS_MESSAGE.search(line) is not None
        and _HAS_LEVEL.search(line) is not None
        and pairs(line) is not None
    )


_ISO_TIME = re.compile(
    rb"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$"
)
_EPOCH = re.compile(rb"\d{9,10}(?:\.\d{1,9})?$")
# `exc_info` as its tuple's repr: (<class 'botocore.exceptions.X'>, X('message', ...), <traceback ...>)
_EXC_CLASS = re.compile(r"<class '([\w.]+)'>,\s*\w+\(")


def _unquote(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        r = _Reader(text)
        r.pos = 1
        return r.string(text[0], raw=False)
    return text


def _time(value: str | None) -> bytes | None:
    """A record's time as botocore's format writes it ('YYYY-MM-DD HH:MM:SS,ffffff'): an
    ISO time without its zone, an epoch time in UTC."""
    if not value:
        return None
    raw = value.encode()
    m = _ISO_TIME.match(raw)
    if m is not None:
        return m.group(1) + b" " + m.group(2) + (b"," + m.group(3) if m.group(3) else b"")
    if _EPOCH.match(raw):
        secs, _, frac = raw.partition(b".")
        day = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(secs))).encode()
        return day + (b"," + frac if frac else b"")
    return None


def _first(d: dict[bytes, str], keys: tuple[bytes, ...]) -> str | None:
    return next((d[k] for k in keys if k in d), None)


def header(ts: bytes | None, thread: str | None, logger: str | None, level: bytes) -> bytes:
    """The header botocore's formats give a record with these fields."""
    if logger is None:  # a level-only format: the reader knows botocore's records by their messages
        return (ts + b" " if ts else b"") + level + b" "
    name = logger.encode()
    if ts is None:
        return level + b":" + name + b":"  # logging.basicConfig's
    if thread:
        return ts + b" - " + thread.encode() + b" - " + name + b" - " + level + b" - "
    return ts + b" - " + name + b" - " + level + b" - "


def exception_lines(d: dict[bytes, str]) -> list[str]:
    """The lines Python's logging writes after a record's message for the exception it
    carries: structlog's rendered traceback (`exception=`), or the last line of one made
    from the `exc_info` tuple's repr ('botocore.exceptions.X: message')."""
    text = d.get(b"exception")
    if text:
        return text.split("\n")
    info = d.get(b"exc_info")
    if not info:
        return []
    m = _EXC_CLASS.search(info)
    if m is None:
        return []
    r = _Reader(info)
    r.pos = m.end()
    r.ws()
    q = r.peek()
    message = ""
    if q in ("'", '"'):
        r.pos += 1
        message = r.string(q, raw=False)
    return [f"{m.group(1)}: {message}".rstrip(": ") if message else m.group(1)]


def kv_record(line: bytes) -> list[bytes] | None:
    """The lines botocore's format gives the record of a `key=value` line; None when the
    line is not one."""
    d = pairs(line) if _HAS_MESSAGE.search(line) and _HAS_LEVEL.search(line) else None
    if d is None:
        return None
    message = _first(d, _MESSAGE_KEYS)
    level = _LEVELS.get((_first(d, _LEVEL_KEYS) or "").lower().encode())
    if message is None or level is None:
        return None
    head = header(
        _time(_first(d, _TIME_KEYS)), _first(d, _THREAD_KEYS), _first(d, _LOGGER_KEYS), level
    )
    lines = message.split("\n") + exception_lines(d)
    out = [head + lines[0].encode("utf-8", "replace")]
    out.extend(x.encode("utf-8", "replace") for x in lines[1:])
    return out


_HOLD_LINES = 400
_HOLD_BYTES = 1 << 20
Lines = list[tuple[bytes, int]]  # lines given out, each with the number of the line it starts on


class KeyValue:
    """`key=value` lines, rewritten (`kv_record`). A line a paste folded (a quote or a
    bracket still open at its end) is joined with the next ones, with nothing between (a
    fold leaves the blank it broke at on the first piece), until it reads whole."""

    def __init__(self) -> None:
        self.held: list[tuple[bytes, int]] = []
        self.size = 0

    def _flush(self) -> Lines:
        held, self.held, self.size = self.held, [], 0
        return held

    def feed(self, line: bytes, at: int) -> Lines:
        out: Lines = []
        if self.held:
            if is_kv_line(line):  # a whole record: what was held was no folded one
                out.extend(self._flush())
            else:
                self.held.append((line, at))
                self.size += len(line)
                joined = b"".join(x for x, _ in self.held)
                rec = kv_record(joined)
                if rec is not None:
                    first = self.held[0][1]
                    self.held, self.size = [], 0
                    return [(x, first) for x in rec]
                if len(self.held) > _HOLD_LINES or self.size > _HOLD_BYTES:
                    out.extend(self._flush())
                return out
        rec = kv_record(line)
        if rec is not None:
            return out + [(x, at) for x in rec]
        if _KEY.match(line) is not None and pairs(line) is None and _open_at_end(line):
            self.held, self.size = [(line, at)], len(line)
            return out
        return [*out, (line, at)]

    def end(self) -> Lines:
        return self._flush()


def _open_at_end(line: bytes) -> bool:
    """Whether a line of pairs ends inside a value (a quote or bracket not closed)."""
    i, n = 0, len(line)
    while i < n:
        m = _KEY.match(line, i)
        if m is None:
            return False
        end = _value_end(line, m.end())
        if end < 0:
            return True
        i = end
        while i < n and line[i] in _SPACE:
            i += 1
    return False


# the times that open the console renderer's and rich's lines (`unwrap`'s quick check
# looks for them too), and rich's level names
CONSOLE_TIME = rb"\d[\d:.,TZ+/ -]{0,39}?"
RICH_TIME = rb"[\d:/ ,.APM-]{1,40}"
_RICH_LEVEL_NAMES = (b"DEBUG", b"INFO", b"WARNING", b"ERROR", b"CRITICAL")
RICH_LEVEL = rb"(?:" + b"|".join(_RICH_LEVEL_NAMES) + rb")"

# structlog's console renderer: '<time> [<level, padded>] <message>' on the first line, then
# ' [<logger>]' and sorted ' key=value' pairs after the message's last line
_CONSOLE = re.compile(
    rb"^(?P<ts>" + CONSOLE_TIME + rb") \[(?P<level>debug|info|warning|warn|error|exception|"
    rb"critical|fatal) *\] ",
    re.IGNORECASE,
)
_TRAILER = re.compile(rb" +\[(?P<logger>[A-Za-z_][\w.]{0,127})\](?P<kv>(?: [\w.@-]{1,64}=\S*)*) *$")


def console_head(line: bytes) -> re.Match[bytes] | None:
    return _CONSOLE.match(line)


class Console:
    """structlog's console lines, rewritten: a record's first line is held until the line
    that names its logger (its own, or its message's last) comes. A trailer a paste folded
    (`... [botoc` / `ore.hooks]`) is found on the last two lines joined."""

    def __init__(self) -> None:
        self.held: list[tuple[bytes, int]] = []  # the record's lines so far, its first first
        self.head: re.Match[bytes] | None = None
        self.size = 0

    def _release(self, logger: bytes | None, last: tuple[bytes, int] | None) -> Lines:
        """The held record with its header rewritten (`last`: its final line, without
        the logger's trailer)."""
        m = self.head
        held, self.held, self.head, self.size = self.held, [], None, 0
        lines = [*held, last] if last is not None else held
        if m is None or not lines:
            return lines
        level = _LEVELS.get(m.group("level").lower(), b"DEBUG")
        ts = _time(m.group("ts").decode("ascii", "replace").strip()) or m.group("ts").strip()
        name = logger.decode("ascii", "replace") if logger is not None else None
        first, at = lines[0]
        return [(header(ts, None, name, level) + first[m.end() :], at), *lines[1:]]

    def feed(self, line: bytes, at: int) -> Lines:
        m = _CONSOLE.match(line)
        out: Lines = []
        if m is not None:
            if self.held:
                out.extend(self._release(None, None))
            self.head = m
            t = _TRAILER.search(line, m.end())
            if t is not None:
                return out + self._release(t.group("logger"), (line[: t.start()], at))
            self.held, self.size = [(line, at)], len(line)
            return out
        if self.head is None:
            return [(line, at)]
        t = _TRAILER.search(line)
        if t is not None:
            return self._release(t.group("logger"), (line[: t.start()], at))
        prev, prev_at = self.held[-1]
        joined = prev + line
        t = _TRAILER.search(joined, self.head.end() if len(self.held) == 1 else 0)
        if t is not None and t.start() < len(prev):
            self.held.pop()
            return self._release(t.group("logger"), (joined[: t.start()], prev_at))
        self.held.append((line, at))
        self.size += len(line)
        if len(self.held) > _HOLD_LINES or self.size > _HOLD_BYTES:
            out.extend(self._release(None, None))
        return out

    def end(self) -> Lines:
        return self._release(None, None) if self.held else []


# rich's RichHandler: '[<time>] <LEVEL, 8 wide> <message, wrapped to its column> <file.py:line>',
# the time column left blank when the time repeats, the message's other lines (and the
# lines rich wrapped it into) indented to its column; no logger name
_RICH_HEAD = re.compile(
    rb"\[(?P<time>" + RICH_TIME + rb")\] (?P<level>" + RICH_LEVEL + rb") {0,3}(?: |$)"
)
_RICH_PATH = re.compile(rb" (?P<path>[\w.-]{1,80}\.py:\d{1,7}) *$")
_RICH_LEVELS = frozenset(_RICH_LEVEL_NAMES)
_RICH_BLANK = re.compile(rb" {3,42}" + RICH_LEVEL + rb" +\S")


def rich_head(line: bytes) -> bool:
    """Whether a line opens a record of rich's (its time shown, or left blank)."""
    return _RICH_HEAD.match(line) is not None or _RICH_BLANK.match(line) is not None


class Rich:
    """rich's log lines, rewritten: each record's message is put together again (a piece
    as wide as the message's column was cut inside a word: joined with nothing; one that
    the next piece's first word would not have fitted after was wrapped at a blank: joined
    with one; else the message's own line ends there) behind a header the reader knows
    ('[<time>] DEBUG (endpoint.py:114) - '), with the last time shown where rich left it
    blank. The columns are taken from the first line with a time."""

    def __init__(self) -> None:
        self.tw = -1  # the time column's width (with its brackets)
        self.time = b""
        self.lines: Lines = []  # the record's message lines so far
        self.head = b""
        self.width = 0  # the message column's width (0: unknown, no file column)
        self.last = (0, False)  # the record's last line as rich gave it: width, no blank

    def _flush(self) -> Lines:
        lines, self.lines = self.lines, []
        if not lines:
            return []
        first, at = lines[0]
        return [(self.head + first, at), *lines[1:]]

    def _piece(self, piece: bytes, at: int) -> None:
        # (the line rich gave before: a word longer than the column starts a line of its
        # own and is cut into lines as wide as the column, with no blank in them)
        last, self.last = self.last, (len(piece), b" " not in piece)
        if not self.lines:
            self.lines.append((piece, at))
            return
        prev, prev_at = self.lines[-1]
        w = self.width
        if w and piece[:1] != b" " and last[1] and last[0] >= w:
            self.lines[-1] = (prev + piece, prev_at)  # cut inside a word
        elif w and piece[:1] != b" " and last[0] + 1 + len(piece.split(b" ", 1)[0]) > w:
            self.lines[-1] = (prev + b" " + piece, prev_at)  # wrapped at a blank
        else:
            self.lines.append((piece, at))

    def feed(self, line: bytes, at: int) -> Lines:
        if self.tw < 0:
            m = _RICH_HEAD.match(line)
            if m is None:
                return [(line, at)]
            self.tw = m.end("time") + 1
        tw, mcol = self.tw, self.tw + 10
        level = line[tw + 1 : mcol].rstrip()
        stamp = line[:tw]
        if (
            level in _RICH_LEVELS
            and line[tw : tw + 1] == b" "
            and (stamp[:1] == b"[" or not stamp.strip())
        ):
            out = self._flush()
            if stamp.strip():
                self.time = stamp
            p = _RICH_PATH.search(line, mcol)
            end = p.start() if p is not None else len(line)
            self.width = (end - mcol) if p is not None else 0
            path = b"(" + p.group("path") + b") - " if p is not None else b""
            self.head = self.time + b" " + level + b" " + path
            self.lines = [(line[mcol:end].rstrip(), at)]
            self.last = (len(self.lines[0][0]), b" " not in self.lines[0][0])
            return out
        if self.lines and not line[:mcol].strip():
            self._piece(line[mcol:].rstrip(), at)
            return []
        return [*self._flush(), (line, at)]

    def end(self) -> Lines:
        return self._flush()
