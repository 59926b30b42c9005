"""Was the log cut off? A pasted excerpt or a partial file can end in the middle of a record:
its last line is the start of a record header (`2021-01-19 1`, `202`, `2020-03-30 07:27:35,446
ur`), or its last record's Python repr is not closed (`Sending http request:
<AWSPreparedRequest ... 'Authorization': b`). The end of such a log is not the end of the
story: a request without an answer there may have had one in the missing part (SD210).

or its last record's message is a strict start of a message botocore writes longer
(`Exception`). `Tail` remembers the end of the input as it is read; `was_cut` looks at it and at the last
record the reader yielded."""

from __future__ import annotations

import io
import re
from typing import BinaryIO

from stsdiag.logparse.records import DROPPED, KEPT, LEVEL_NAMES, Record, classify_line

TAIL = 512
MAX_SCAN = 1 << 20  # a bigger last record is not scanned (it is not a cut paste)

# a strict prefix of a timestamped header: a date and time cut anywhere, then at most a
# short start of the rest of the header (thread or logger name), with no level word yet
_CUT_HEADER = re.compile(
    r"\[?(?:19|20)\d{0,2}(?:-\d{0,2}(?:-\d{0,2}(?:[ T]\d{0,2}(?::\d{0,2}(?::\d{0,2}"
    r"(?:[,.]\d{0,6})?)?)?)?)?)?(?:\]?[ ,|-]+[\w.\[\] -]{0,60})?"
)
_LEVEL_WORD = re.compile(r"\b(?:" + "|".join(LEVEL_NAMES) + r")\b")
# a whole header and no message: a time, then the level word with at most its process or
# thread (`[2018-03-21 14:31:01,011: DEBUG/MainProcess]`, `… - botocore.hooks - DEBUG - `);
# botocore never logs an empty message, so the paste was cut right after the header
_BARE_HEADER = re.compile(
    r"[^\n]{0,120}?\d\d:\d\d:\d\d[^\n]{0,120}?(?:\[|: | - )(?:"
    + "|".join(LEVEL_NAMES)
    + r")\b(?:/[\w-]{1,40})?\]?[\s:|-]*"
)
_SPECIAL = re.compile(r"""[(){}\[\]<>'"\\]""")
_CLOSE = {"(": ")", "[": "]", "{": "}", "<": ">"}
_STRING_START = re.compile(r"""\s*[bBuUrR]{0,2}(['"])""")


class Tail(io.RawIOBase):
    """A binary stream passed through, keeping its last `TAIL` bytes."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.data = b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(n)
        if chunk:
            self.data = chunk[-TAIL:] if len(chunk) >= TAIL else (self.data + chunk)[-TAIL:]
        return chunk


def cut_header(line: str) -> bool:
    """The line is the start of a timestamped record header, cut before its level word."""
    s = line.strip().strip("`")
    return bool(s) and _CUT_HEADER.fullmatch(s) is not None and not _LEVEL_WORD.search(s)


def _close_of(text: str, start: int) -> int:
    """From an opening bracket or quote at `start`: where the repr closes, or -1 when the
    text ends first. Strings are skipped (with their escapes); a `<` opens only before a
    letter (`<AWS…`, `<botocore… object>`), a `>` that closes nothing (`->`) is text."""
    stack: list[str] = []
    quote: str | None = None
    for m in _SPECIAL.finditer(text, start):
        c, i = m.group(), m.start()
        if quote is not None:
            if c == quote and not _escaped(text, i):
                quote = None
                if not stack:
                    return i
        elif c in "'\"" and _PREFIX.search(text, max(0, i - 3), i) is not None:
            quote = c  # a string literal (`'x'`, `b'x'`), not an apostrophe (`can't`)
        elif c in "([{" or (c == "<" and text[i + 1 : i + 2].isalpha()):
            stack.append(_CLOSE[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return i
        elif c in ")]}":
            return i  # a closer that does not match: not a repr this can read
    return -1


def _escaped(text: str, i: int) -> bool:
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n % 2 == 1


_PREFIX = re.compile(r"(?:^|[^\w]|(?<!\w)[bBuUrR]{1,2})\Z")
_OPENER = re.compile(r"[(\[{]|<[A-Za-z]")


def unclosed(message: str, rest: str = "") -> bool:
    """The record's Python repr is cut: a bracket opened on the message line (`<AWS…`,
    `params: {`), or a string starting the next line (`Response body:` then `b'…`), is not
    closed by the end of the record. Only reprs that start there are read: a traceback's
    source lines (`raise Error(` on a line of its own) are not reprs."""
    text = message + ("\n" + rest if rest else "")
    if len(text) > MAX_SCAN:
        return False
    pos = 0
    while (m := _OPENER.search(message, pos)) is not None:
        end = _close_of(text, m.start())
        if end < 0:
            return True
        pos = end + 1
    if message.rstrip().endswith(":") and rest:
        s = _STRING_START.match(rest)
        if s is not None:
            return _close_of(text, len(message) + 1 + s.start(1)) < 0
    return False


# messages botocore and urllib3 log whose words go on past their first (`Exception` is cut
# from `Exception received when sending HTTP request.`): a last record that holds only a
# strict start of one of them was cut mid-message
_GOES_ON = (
    "Exception received when sending HTTP request",
    "Exception received when sending urllib3 HTTP request",
    "Sending http request: <AWSPreparedRequest",
    "Making request for OperationModel",
    "Starting new HTTPS connection",
    "Starting new HTTP connection",
    "Response headers: {",
    "Response body:",
    "Retry needed, retrying request after delay of",
    "retry needed, retryable exception caught",
    "Calling endpoint provider with parameters: {",
    "Endpoint provider result: ",
    "Looking for credentials via: ",
)


def cut_message(message: str) -> bool:
    """The record's message is a strict start of a message botocore writes longer."""
    m = message.strip()
    return len(m) >= 3 and any(len(m) < len(full) and full.startswith(m) for full in _GOES_ON)


def was_cut(tail: bytes, last: Record | None) -> bool:
    """The input ends mid-record: its last line is a cut header, or the last record (the
    reader's, or the last line's own when the reader dropped it) ends inside a repr."""
    text = tail.decode("utf-8", "replace").replace("\r", "").rstrip()
    if not text:
        return False
    nl = text.rfind("\n")
    whole = nl >= 0 or len(tail) < TAIL  # the tail holds the last line from its start
    last_line = text[nl + 1 :] if whole else None
    if last_line is not None and (cut_header(last_line) or _BARE_HEADER.fullmatch(last_line)):
        return True
    if last is not None and last.lines:
        end = last.lines[-1].rstrip()
        if end and text.endswith(end[-64:]):
            if len(last.lines) == 1 and cut_message(last.message):
                return True
            return unclosed(last.lines[0], "\n".join(last.lines[1:]))
    if last_line is not None:
        kind, _ = classify_line(last_line.encode("utf-8", "replace"), 0)
        if kind in (KEPT, DROPPED):
            return unclosed(last_line)
    return False
