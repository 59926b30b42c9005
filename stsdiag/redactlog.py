"""`stsdiag redact`: a debug log with its secrets removed, to attach to a ticket.

Every line passes through `redact.redact`, the function every report of stsdiag passes
through: access key ids are masked, secret keys, session tokens, signatures, web identity
tokens and URL passwords are dropped. Nothing else changes: the lines stay where they are
(so a finding's line number points at the same line in both files), and `parse-log` gives
the redacted log the same diagnosis.

A secret that goes on past its line is followed: a line that ends inside a dropped value,
or with a secret's name and no value, drops the run of token characters that opens the
next line; an XML credential element left open (`<SessionToken>` with no closing tag on
its line) drops the lines up to its closing tag. A paste folded at a fixed width cuts
secrets, their names and tags anywhere: `folded_secrets` reads each line break joined and
drops on both lines the pieces of what only shows joined."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from stsdiag.errors import InputError
from stsdiag.parselog import READ_ERRORS
from stsdiag.redact import CREDENTIAL_ELEMENTS, MASK, redact, redact_one

# logs repeat their lines (the same traceback at every retry): each is redacted once
# (`folded_secrets` reads a break as it stands: `redact_one`, which `redact` calls it from)
_redact = functools.lru_cache(maxsize=4096)(redact_one)
_redact_line = functools.lru_cache(maxsize=4096)(redact)

MAX_PIECE = 1 << 20  # a longer line is written in pieces, cut between words
_BLOCK = 1 << 20
MAX_CARRY = 64  # lines an XML credential element may span (a session token: 2 KB or less)
WINDOW = 400  # how far from a line break a secret cut by a fold is looked for

# an XML credential element whose closing tag is not on the same line
_OPEN_XML = re.compile(rf"(?i)<({CREDENTIAL_ELEMENTS})>(?![^\n]*</\1>)")
# what goes on a dropped value on the next line: token characters (base64, base64url, JWT
# dots, URL escapes) from the line's start, after an indent a paste may have added
# (up to a key id's scope; a colon inside a token goes on, as in an SSO access token)
# (after the indent, the value's opening quote when the name ended the line: `'Token': ` /
# `  'eyJ…`; a JSON string's or a page's escapes of a secret's characters go on, `\u002b`,
# `\/`, `&#x2F;`, also one a fold cut: `\u002`)
_RUN = re.compile(
    r"[ \t>]*(?:[bu]?['\"])?((?:(?!/\d{8}/)(?:[A-Za-z0-9/+=%_.-]|:(?=[A-Za-z0-9/+])|"
    r"\\u00(?!2[267]|3[CcEe])[0-9A-Fa-f]{0,2}|\\/|&#(?!x0*2[27];|0*3[49];)x?[0-9A-Fa-f]*;?))+)"
)
_MASKED = re.compile(r"[ \t>]*(?:[bu]?['\"])?" + re.escape(MASK))
# the indent a paste put before a folded line's rest (`fold` with a prefix, a mail's quote)
_INDENT = re.compile(r"[ \t>]+")
# a line that ends where a secret's value would start: the value is on the next line
_KEY_AT_END = re.compile(
    r"(?i)(?:token|signature|secret_?access_?key|password|credential)['\"]?\s*(?:[:=]|=>)\s*(?:[bu]?['\"])?$"
)
# the runs `folded_secrets` drops: of a secret's characters (base64, base64url, a JWT's
# dots), less `=` and `%` (which join a key to its value or escape a separator) and `/`
# (which joins a key id to its scope: a secret's slashes may stay)
_TOKEN = re.compile(r"[A-Za-z0-9+_.-]+")
# a line that starts a new log record (a time stamp, a level): never a wrapped value's rest
_RECORD_START = re.compile(
    r"\s*(?:\d{4}-\d\d-\d\d[ T]\d|\d\d:\d\d:\d\d|\[?(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b)"
)

# what a log collector puts around every line it stores, so around each piece of a folded
# or split line too: a time stamp and stream (CRI `… stderr P `, GitLab `… 01E `, GitHub),
# a CloudWatch export's fields, a JSON record (`{"log": "…\\n", "stream": …}`); the text
# goes on past them
_WRAP_HEAD = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d) "
    r"(?:(?:stdout|stderr) [PF] |\d\d[EO]\+? )?"
    r"|EVENTS\t[^\t]*\t\d+\t[^\t]*\t"
    r"|\{\"(?:log|message|MESSAGE|msg)\": ?\"",
)
_WRAP_TAIL = re.compile(r"""\t\d{10,}$|(?:\\n)?"(?:, ?"\w+": ?(?:"[^"]*"|\d+))*\}$""")


def _wrap(line: str) -> tuple[int, int]:
    """Where the text of `line` starts and ends inside a collector's wrapping (or the whole
    line)."""
    m = _WRAP_HEAD.match(line)
    if m is None:
        return 0, len(line)
    t = _WRAP_TAIL.search(line, m.end())
    return m.end(), t.start() if t is not None else len(line)


@dataclass(frozen=True, slots=True)
class RedactResult:
    lines: int  # lines (or pieces of over-long lines) written
    changed: int  # of them, the ones that redaction changed


def _pieces(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's lines, each with its line end; a line longer than MAX_PIECE comes in
    pieces cut after a space, comma or quote (never inside a word, which may be a secret),
    or hard at MAX_PIECE when it has none. A stream that breaks (a cut gzip file) gives
    what came before, then an InputError."""
    rest = b""
    failure: Exception | None = None
    while True:
        try:
            chunk = stream.read(_BLOCK)
        except (*READ_ERRORS, ValueError) as e:
            failure, chunk = e, b""
        if not chunk:
            break
        data = rest + chunk if rest else chunk
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            yield data[start : nl + 1]
            start = nl + 1
        rest = data[start:]
        while len(rest) > MAX_PIECE:
            window = rest[:MAX_PIECE]
            cut = max(window.rfind(b" "), window.rfind(b","), window.rfind(b"'"))
            cut = cut + 1 if cut > MAX_PIECE // 2 else MAX_PIECE
            yield rest[:cut]
            rest = rest[cut:]
    if rest:
        yield rest
    if failure is not None:
        raise InputError(
            f"input ended early ({type(failure).__name__}): a cut or damaged file? The "
            "redacted log stops where it was cut"
        )


class LineRedactor:
    """Redacts a log line by line, carrying a wrapped secret from one line to the next."""

    def __init__(self) -> None:
        self._value = False  # the last line ended inside a dropped value
        self._element: str | None = None  # an open XML credential element's name
        self._carried = 0  # lines dropped since it opened

    def line(self, text: str, runs: list[tuple[int, int]] | None = None) -> str:
        """`text` (no line end) redacted, and the `runs` of it that `folded_secrets` found."""
        original = text
        head = ""
        at, end = _wrap(text)  # (past a collector's wrapping: the text goes on there)
        if self._element is not None and (
            _RECORD_START.match(text, at) or self._carried >= MAX_CARRY
        ):
            self._element = None  # (its closing tag was lost: never past a record's end)
        if self._element is not None:
            close = _closing(self._element, text)
            if close is None:
                self._carried += 1
                return text[:at] + MASK + text[end:] if text[at:end].strip() else text
            head, text = MASK, text[close:]
            self._element = None
        elif self._value:
            self._value = False
            # (a line redacted before holds the mask there: redacting again changes nothing)
            m = (
                None
                if _RECORD_START.match(text, at) or _MASKED.match(text, at)
                else _RUN.match(text, at)
            )
            if m is not None:
                head, text = text[: m.start(1)] + MASK, text[m.end(1) :]
                if not text[: max(0, end - m.end(1))].strip():  # it goes on in the next line
                    self._value = True
                    return head + text
        out = head + _redact_line(text)
        if runs:
            out = _drop(out, original, runs)
        m = _OPEN_XML.search(out)
        if m is not None and _closing(m.group(1), out[m.end() :]) is None:
            self._element, self._carried = m.group(1), 0
            return out[: m.end()] + MASK
        w0, w1 = _wrap(out)
        tail = out[:w1].rstrip() if w0 else out.rstrip()
        # (a quoted-printable soft break may follow the dropped value: `<redacted>=`)
        self._value = tail.rstrip("=").endswith(MASK) or _KEY_AT_END.search(tail[-64:]) is not None
        return out


def _closing(element: str, text: str) -> int | None:
    """Where `element`'s closing tag starts in `text`: a whole one, or one that a fold cut
    at the line's end (`</SessionTo`)."""
    m = re.search(f"(?i)</{element}>", text)
    if m is not None:
        return m.start()
    m = _CUT_CLOSE.search(text)
    if m is not None and element.lower().startswith(m.group(1).lower()):
        return m.start()
    return None


_CUT_CLOSE = re.compile(r"</(\w*)$")


def drop_runs(out: str, original: str, runs: list[tuple[int, int]]) -> str:
    """`_drop` of runs that may overlap (as `folded_secrets` gives them for several breaks)."""
    return _drop(out, original, _merged(runs))


def _drop(out: str, original: str, runs: list[tuple[int, int]]) -> str:
    """`out` (the redacted `original`) without what still stands there of the given runs of
    `original`. Redaction only put its tokens in place of pieces of `original`, so the text
    between the tokens is found in `original` in order; where it is not (invisible
    characters removed), a run of 8 characters or more is dropped where it stands once."""
    kept = _kept(original, out)
    if kept is None:
        for s, e in runs:
            piece = original[s:e]
            if len(piece) >= 8 and out.count(piece) == 1:
                out = out.replace(piece, MASK)
        return out
    cuts = set()  # ranges of `out` to drop
    for i, j, n in kept:
        for s, e in runs:
            lo, hi = max(s, i), min(e, i + n)
            if lo < hi:
                cuts.add((j + lo - i, j + hi - i))
    for s, e in sorted(cuts, reverse=True):
        out = out[:s] + MASK + out[e:]
    return out


# what `redact` puts in place of a secret: its mask, a hash's, a key id's (`AKIA…MPLE`, `…6a6c`)
_PUT = re.compile(re.escape(MASK) + r"|<hex>|[A-Z]{4}…[A-Z0-9]{4}|…[\w.+-]{4}")


def _kept(original: str, out: str) -> list[tuple[int, int, int]] | None:
    """(offset in `original`, offset in `out`, length) of the text redaction kept."""
    kept = []
    pos = cursor = 0
    for m in [*_PUT.finditer(out), None]:
        end = m.start() if m is not None else len(out)
        seg = out[pos:end]
        if seg:
            at = original.find(seg, cursor)
            if at < 0:
                return None
            kept.append((at, pos, len(seg)))
            cursor = at + len(seg)
        if m is not None:
            pos = m.end()
    return kept


def _stands(kept: list[tuple[int, int, int]] | None, s: int, e: int) -> bool:
    """Whether redaction kept text[s:e] (`kept` from `_kept`)."""
    return kept is None or any(i <= s and e <= i + n for i, _, n in kept)


def _runs(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The runs of token characters in `text` that the spans touch."""
    out: list[tuple[int, int]] = []
    for run in _TOKEN.finditer(text):
        if any(s < run.end() and run.start() < e for s, e in spans):
            out.append(run.span())
    return out


def folded_secrets(
    a: str, b: str, before: str = "", after: str = ""
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Secrets that only show when lines `a` and `b` are read as one, as a paste that folded
    a long line at a fixed width cut them (`Signa` / `ture=fe5f...`, a key id or a token
    cut in two): (start, end) runs of `a` and of `b` to drop. Only runs that cross the
    break, or that redacting the line alone would keep, are given. `before` and `after`:
    the lines around them, when a fold may have cut those breaks too (an element's tag, or
    the rest of a token that many lines hold, may be there)."""
    if not a or not b:
        return [], []
    a0, a1 = _wrap(a)
    b0, b1 = _wrap(b)
    if a0 and b0:  # both wrapped by a collector: the text goes on inside the wrapping
        c0, c1 = _wrap(before)
        d0, d1 = _wrap(after)
        runs_a, runs_b = folded_secrets(a[a0:a1], b[b0:b1], before[c0:c1], after[d0:d1])
        return [(s + a0, e + a0) for s, e in runs_a], [(s + b0, e + b0) for s, e in runs_b]
    if _RECORD_START.match(b):
        return [], []
    indent = _INDENT.match(b)
    if indent is not None and indent.end() < len(b) and not a[-1:].isspace():
        # a fold that indented the rest: the pieces join without the indent too (or the
        # blank was the text's own: `AWS` / ` <key id>:<signature>`)
        k = indent.end()
        more = _INDENT.match(after)
        runs_a, runs_b = folded_secrets(a, b[k:], before, after[more.end() :] if more else after)
        plain_a, plain_b = _folded(a, b, before, after)
        return _merged([*runs_a, *plain_a]), _merged(
            [*plain_b, *((s + k, e + k) for s, e in runs_b)]
        )
    if a.endswith("=") and len(a) > 1:
        # a quoted-printable soft break (`=` at the end: the line goes on without a break)
        soft_a, soft_b = _folded(a[:-1], b, before, after)
        plain_a, plain_b = _folded(a, b, before, after)
        return _merged([*soft_a, *plain_a]), _merged([*soft_b, *plain_b])
    return _folded(a, b, before, after)


def _merged(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The runs, overlapping ones as one."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(runs):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _folded(
    a: str, b: str, before: str, after: str
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """`folded_secrets` of the lines as they are joined."""
    if after and _RECORD_START.match(after):
        after = ""
    if before and _RECORD_START.match(a):
        before = ""
    at, bh = (before + a)[-WINDOW:], (b + after)[:WINDOW]
    a_at = max(0, len(at) - len(a))  # where `a` starts in `at`
    joined = at + bh
    whole = _redact(joined)
    alone_a, alone_b = _redact(at), _redact(bh)
    if whole == alone_a + alone_b:
        return [], []
    kept = _kept(joined, whole)
    if kept is None:  # (invisible characters in the window, which redaction removed)
        return [], []
    spans = []  # what redaction replaced: between the pieces it kept
    last = 0
    for i, _, n in [*kept, (len(joined), 0, 0)]:
        if i > last:
            spans.append((last, i))
        last = i + n
    cut, off = len(at), len(a) - len(at)
    # what each line's own redaction keeps (a run it drops needs no dropping here)
    a_own, b_own = at[a_at:], b[:WINDOW]
    kept_a, kept_b = _kept(a_own, _redact(a_own)), _kept(b_own, _redact(b_own))
    runs_a: list[tuple[int, int]] = []
    runs_b: list[tuple[int, int]] = []
    for s, e in _runs(joined, spans):
        if e <= a_at:
            continue  # in the line before: written already
        s = max(s, a_at)
        if s - cut >= len(b):
            continue  # in the line after: read again at the next break
        if s < cut < e:  # cut by the break (the line alone may have dropped its part)
            if _stands(kept_a, s - a_at, cut - a_at):
                runs_a.append((off + s, off + cut))
            runs_b.append((0, min(e - cut, len(b))))
        elif e <= cut:
            if _stands(kept_a, s - a_at, e - a_at):
                runs_a.append((off + s, off + e))
        elif _stands(kept_b, s - cut, min(e - cut, len(b_own))):
            runs_b.append((s - cut, min(e - cut, len(b))))
    return runs_a, runs_b


def redact_stream(stream: BinaryIO, out: BinaryIO) -> RedactResult:
    """Write `stream`'s lines to `out`, redacted. Bytes that are not UTF-8 pass through as
    they were (they are never part of a secret's pattern); line ends (LF, CRLF) are kept.
    A line is written once the two after it are read (a secret may go on there)."""
    lines = changed = 0
    redactor = LineRedactor()
    held: list[tuple[str, bytes, list[tuple[int, int]]]] = []  # text, line end, runs
    before = ""  # the last line written, when a fold may have cut the break after it

    def write() -> None:
        nonlocal lines, changed, before
        text, end, runs = held.pop(0)
        if held:  # the break after it
            after = held[1][0] if len(held) > 1 else ""
            more_a, more_b = folded_secrets(text, held[0][0], before, after)
            runs = runs + more_a
            held[0] = (held[0][0], held[0][1], held[0][2] + more_b)
        lines += 1
        clean = redactor.line(text, runs)
        if clean != text:
            changed += 1
        out.write(clean.encode("utf-8", "surrogateescape") + end)
        before = text

    for raw in _pieces(stream):
        body = raw.rstrip(b"\r\n")
        held.append((body.decode("utf-8", "surrogateescape"), raw[len(body) :], []))
        if len(held) == 3:
            write()
    while held:
        write()
    return RedactResult(lines, changed)
