"""Bytes → log records. Streams the input (bounded memory), recognises the header formats
botocore, boto3 and the AWS CLI write (and custom ones, and applications' formats that name
no logger: AWS Lambda's, Airflow's, Celery's, level-only ones, ones with the source file or
module after the level, where botocore's records are known by their messages or source
files; and loguru's and others that put the logger name elsewhere), joins continuation lines, strips CRLF and ANSI
colours, and keeps only the records that carry facts.

Two readers that yield the same records: `records_from_lines`, the reference (every line
through `classify_line`), and `iter_records`, the fast one (one regex pass per block finds
the stock-format headers; only kept records and their continuation lines are decoded)."""

from __future__ import annotations

import bisect
import calendar
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

SDK = rb"(?:botocore|boto3|urllib3|awscli|s3transfer|aiobotocore)(?:\.[A-Za-z_][\w]*)*"
LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL")
LEVEL = rb"(?:" + "|".join(LEVEL_NAMES).encode() + rb")"

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
# short prefix (timestamp, thread, pod name, quote marks). The name is a whole word (not the
# tail of 'myapp.botocore'); it may be bracketed ('[botocore.credentials] - INFO - '), carry
# a process id ('botocore.credentials[79705] INFO ') or, as loguru writes it, the function
# and line ('| INFO     | botocore.credentials:load:1113 - ', the level padded to 8), or the
# line and function ('[botocore.credentials(507):_protected_refresh]'). A name in parentheses
# may be followed by the process or thread in angle brackets and the level padded inside its
# brackets ('( botocore.endpoint) < WorkerProcess-9> [ INFO]: ', as botocore 1.3-era apps wrote).
_NAME_TAIL = rb"(?:\[\d{1,10}\]|:[\w<>]{1,64}:\d{1,7}|\(\d{1,7}\)(?::[\w<>]{1,64})?)?"
_GENERIC = re.compile(
    rb"^(?P<pre>[^\n]{0,120}?)(?:(?P<level1>" + LEVEL + rb")\]?[\s:|\-]{1,12}"
    rb"(?:\[(?P<thread1>[^\]\n]{1,64})\][\s:|\-]{1,6})?\[?(?<![\w.])(?P<logger1>"
    + SDK
    + rb")"
    + _NAME_TAIL
    + rb"|(?<![\w.])(?P<logger2>"
    + SDK
    + rb")"
    + _NAME_TAIL
    + rb"[\])]?(?:[\s:|\-]{1,6}<(?P<thread2>[^>\n]{1,64})>)?[\s:|\-\[]{1,6}\[? {0,4}"
    rb"(?P<level2>" + LEVEL + rb")\b)\]?[\s:|\-]{0,6}"
)
# A line can be a header only when a level word starts within its first 192 bytes (every
# header format has one there): the fast reader's proof that it missed no header rests on it.
_LEVEL_NEAR_START = re.compile(rb"[^\n]{0,192}?" + LEVEL)
_TS = re.compile(
    rb"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[ T](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:[,.](?P<f>\d+))?"
)
_THREAD = re.compile(rb"\b(MainThread|Thread-\d+(?: \([^)]*\))?|ThreadPoolExecutor-\d+_\d+)\b")
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_SDK_LOGGER = re.compile(SDK + rb"$")

# botocore's own error sentences (ClientError, EndpointConnectionError and its kin), as an
# application's logger quotes them in its own record (`ERROR:root:An error occurred
# (AccessDenied) when calling the AssumeRole operation: …`, Python's basicConfig format): such
# a line is read like the same sentence pasted alone (a continuation line), not dropped as
# another program's record
_SDK_QUOTE = re.compile(
    rb"An error occurred \([\w.]{1,100}\) when calling the \w{1,100} operation|"
    rb"(?:Could not connect to the|(?:Connect|Read) timeout on) endpoint URL: |"
    rb"Connection was closed before we received a valid response from endpoint URL: "
)


def _quotes_sdk(line: bytes, start: int, end: int) -> bool:
    """Whether another program's record at line[start:end] quotes botocore's error."""
    return (
        line.find(b"rror occurred (", start, end) >= 0
        or line.find(b"endpoint URL: ", start, end) >= 0
    ) and _SDK_QUOTE.search(line, start, end) is not None


# the programs a pasted command line may run the AWS CLI through (credential helpers, sudo)
WRAPPER = (
    rb"(?:(?:sudo|time|env|aws-vault|aws-okta|awsume|saml2aws|granted|assume|aws-sso-util|"
    rb"gimme-aws-creds)[ \t][^\n]{0,200}?[ \t])?"
)
# Continuation lines worth keeping even when their record was dropped (CLI stderr, tracebacks).
_CONT_FACT = re.compile(
    rb"Error|error occurred|A client error \(|Exception|Traceback|timeout|Timeout|Unable to locate|"
    rb"You must specify a region|Could not connect|Connection was closed before|refreshed credentials are still expired|Failed to connect to proxy|An HTTP Client raised an unhandled exception|Max number of attempts|Making request for OperationModel|"
    rb"Credential=|Signature expired|arn:aws|KeyboardInterrupt|Task timed out after|"
    rb"SSL validation failed|CERTIFICATE_VERIFY_FAILED|Too many open files|"
    # the proxy settings a user pasted above the output (`$ export HTTPS_PROXY=http://...`)
    rb"(?:export|set)[ \t]+(?:HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy)=|"
    # the command a user pasted above its log (`$ aws sts get-caller-identity --debug`)
    # (or run through a credential wrapper: `$ aws-vault exec prod -- aws ec2 ...`)
    rb"(?m:^)[ \t]*(?:\S{0,60}[$#>%][ \t]*)?"
    + WRAPPER
    # (global options may stand before the service: `aws --profile x --region y ecr ...`)
    + rb"aws[ \t]+(?:--[a-z][a-z-]{0,30}(?:[ \t=][^\s-]\S{0,200})?[ \t]+){0,6}"
    + rb"[a-z0-9][a-z0-9-]*[ \t]+[a-z0-9][a-z0-9-]*"
)
# Messages that carry facts, by logger family. Other records end the previous one and are dropped.
_KEEP = re.compile(
    rb"Making request for|Sending http request|Calling endpoint provider|Endpoint provider result|"
    rb"received when sending|Credentials found|Exception received|Retry needed|retry needed|Reached the maximum|Max attempts|Not retrying|"
    rb"Retry needed, action|StringToSign|CanonicalRequest:|Starting new HTTP|https?://\S+:\d+ \"|Response headers|Response body|"
    rb"Found credentials|Looking for credentials via|Retrieving credentials|credentials|"
    rb"metadata|IMDS|Event before-parameter-build|CLI version|Arguments entered to CLI|"
    rb"Exception caught in main|Assuming an endpoint|Using partition endpoint|"
    rb"Skipping environment variable credential|sts_regional_endpoints|Loading variable|"
    rb"Unable to |Error |error|Certificate path|Switching signature version|"
    rb"S3 client configured|Setting \w+ timeout|Setting config variable for region|Resetting dropped connection|Retrying \(|"
    rb"Proxy|proxy|Connection pool is full|Using S3|Checking for DNS|URI updated|"
    rb"Updating URI|Redirecting|redirect"
)

# the shortest line a paste can have wrapped (the narrowest common wrap is an e-mail's 72
# columns, less the word that did not fit)
WRAP_MIN = 60
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
    # a tentative record: dropped unless its next line shows that a paste wrapped its
    # message, which this is (see `_may_wrap`); never yielded while set
    maybe: bytes | None = None

    @property
    def message(self) -> str:
        return self.lines[0] if self.lines else ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def flat(self) -> str:
        """Lines joined with nothing: undoes a paste that folded a long line (and the indent
        some chat tools give the lines they wrapped)."""
        if len(self.lines) < 2:
            return self.message
        return self.lines[0] + "".join(_dedent(self.lines[1:]))

    def head(self, limit: int = 400) -> str:
        """The message's first line as logged: a short one may have been cut by a paste
        that wrapped the header line, and goes on in the next lines."""
        if len(self.lines) == 1 or len(self.message) > 60:
            return self.message
        return self.flat[:limit].lstrip()  # (a wrap may fall just before the message)


def _dedent(rest: list[str]) -> list[str]:
    """Continuation lines without the indent a paste gave them all (two or more blanks, or
    a tab; one blank may be a space the wrap fell before)."""
    for x in rest:
        if not x.startswith((" ", "\t")):
            return rest  # a line without an indent (most records): nothing to undo
    indent = min(len(x) - len(x.lstrip(" \t")) for x in rest)
    if indent >= 2 or (indent and rest[0][0] == "\t"):
        return [x[indent:] for x in rest]
    return rest


class LineMap:
    """Where each line a wrapper's unwrapping gave (`unwrap.UnwrappedStream`) stands in
    the file the user has: pieces joined into one line (CRI `P` lines, GitLab's `+` lines,
    Docker's lines without their newline) start on the first piece's line, the lines of a
    multi-line event are all on its event's line, an export turned round (newest first)
    counts back. Kept as runs of lines that go on by the same step (-1, 0 or 1), so a
    wrapper that neither joins nor splits lines costs one run."""

    __slots__ = ("origins", "raw_lines", "starts", "steps", "unwrapped")

    def __init__(self) -> None:
        self.starts: list[int] = []  # each run's first unwrapped line
        self.origins: list[int] = []  # ... and the original line it stands on
        self.steps: list[int] = []  # ... and how the original lines go on (2: one line yet)
        self.unwrapped = 0  # unwrapped lines so far
        self.raw_lines = 0  # lines of the original fed so far

    def add(self, origin: int) -> None:
        """The next unwrapped line stands on original line `origin`."""
        self.unwrapped += 1
        if self.starts:
            k = self.unwrapped - self.starts[-1]
            step = self.steps[-1]
            if step == 2:
                d = origin - self.origins[-1]
                if -1 <= d <= 1:
                    self.steps[-1] = d
                    return
            elif origin == self.origins[-1] + k * step:
                return
        self.starts.append(self.unwrapped)
        self.origins.append(origin)
        self.steps.append(2)

    def __call__(self, line: int) -> int:
        """The original line of unwrapped line `line`."""
        i = bisect.bisect_right(self.starts, line) - 1
        if i < 0:
            return line
        step = self.steps[i]
        return self.origins[i] + (line - self.starts[i]) * (step if step != 2 else 1)


@dataclass(slots=True)
class ReadStats:
    lines: int = 0
    records: int = 0
    sdk_records: int = 0
    bytes: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    truncated_last_line: bool = False
    # where the lines read stand in the original file, when a wrapper was taken off
    line_map: LineMap | None = None

    def merge(self, later: ReadStats) -> None:
        """Add the counts of the next part of a split log."""
        self.lines += later.lines
        self.records += later.records
        self.sdk_records += later.sdk_records
        self.bytes += later.bytes
        for k, v in later.formats.items():
            self.formats[k] = self.formats.get(k, 0) + v
        self.truncated_last_line = self.truncated_last_line or later.truncated_last_line


_DAY_CACHE: dict[bytes, int] = {}
_TIME_ONLY = re.compile(
    rb"\b(?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d):(?P<s>[0-5]\d)(?:[,.](?P<f>\d{1,6}))?\b"
)


_SECONDS: dict[bytes, int] = {}


def parse_ts(raw: bytes | None) -> float | None:
    if not raw:
        return None
    # fast path: 'YYYY-MM-DD HH:MM:SS[,.]fff' at the start (every stock format); a log has
    # many records per second, so whole seconds are cached
    if len(raw) >= 19 and raw[4:5] == b"-" and raw[13:14] == b":" and raw[10:11] in (b" ", b"T"):
        t = _SECONDS.get(raw[:19])
        if t is None:
            day = raw[:10]
            try:
                base = _DAY_CACHE.get(day)
                if base is None:
                    base = calendar.timegm(
                        (int(day[:4]), int(day[5:7]), int(day[8:10]), 0, 0, 0, 0, 0, 0)
                    )
                    if len(_DAY_CACHE) < 4096:
                        _DAY_CACHE[day] = base
                t = base + int(raw[11:13]) * 3600 + int(raw[14:16]) * 60 + int(raw[17:19])
            except (ValueError, OverflowError):
                return None
            if len(_SECONDS) > 65536:
                _SECONDS.clear()
            _SECONDS[raw[:19]] = t
        if raw[19:20] in (b",", b".") and raw[20:21].isdigit():
            frac = raw[20:26]
            if not frac.isdigit():
                n = 0
                while n < len(frac) and frac[n : n + 1].isdigit():
                    n += 1
                frac = frac[:n]
            return float(t + int(frac) / (10 ** len(frac)))
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


# what web pages and chat tools put into a paste: no-break spaces for spaces, and
# invisible characters (zero-width spaces and joiners, word joiners, BOMs, soft hyphens)
# between others. Undone on whole lines before anything else reads them.
_NBSP = "\u00a0".encode()
_INVISIBLE = re.compile(
    b"|".join(re.escape(c.encode()) for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad")
)


def unspace(data: bytes) -> bytes:
    """`data` (whole lines) with no-break spaces as spaces and invisible characters gone."""
    if data.isascii():
        return data
    return _INVISIBLE.sub(b"", data.replace(_NBSP, b" "))


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
        for part in parts:
            yield unspace(part)
        while len(rest) > MAX_LINE:
            yield unspace(rest[:MAX_LINE])
            rest = rest[MAX_LINE:]
    if rest:
        stats.truncated_last_line = True
        yield unspace(rest)


# what a paste through a web page or a word processor does to quotes and brackets: undone,
# so reprs, status lines and URLs read as botocore wrote them (no entity makes a newline)
_ENTITIES = (("&#39;", "'"), ("&#x27;", "'"), ("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"),
             ("&amp;", "&"))  # fmt: skip
_CURLY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def _unpaste(t: str) -> str:
    if "&" in t:
        for entity, char in _ENTITIES:
            t = t.replace(entity, char)
    if not t.isascii():
        t = t.translate(_CURLY)
    return t


def _decode(b: bytes) -> str:
    if b"\x1b" in b:
        b = _ANSI.sub(b"", b)
    return _unpaste(b.decode("utf-8", "replace").rstrip("\r"))


def _header(line: bytes) -> tuple[re.Match[bytes] | None, str]:
    """Match a stock header format, trying them in `_FORMATS` order (as `_STOCK` does)."""
    for name, rx in _FORMATS:
        m = rx.match(line)
        if m is not None:
            return m, name
    return None, ""


CONT, FOREIGN, DROPPED, KEPT = 0, 1, 2, 3
_P_FOREIGN, _P_NONE, _P_ALL, _P_HOOKS, _P_SEARCH = 0, 1, 2, 3, 4
_KEEP_LOGGER = re.compile(  # (botocore < 1.11 vendors urllib3 under requests)
    rb"botocore\.(?:endpoint|regions|parsers|retryhandler|retries|httpsession)|"
    rb"(?:botocore\.vendored\.requests\.packages\.)?urllib3\.|awscli\.clidriver"
)
_POLICY: dict[bytes, int] = {}
# one-line messages of those loggers that state nothing stsdiag uses
_NO_FACTS = re.compile(
    rb"Response received to retry|No retry needed|Not retrying request|OrderedDict\(|"
    rb"Setting [\w-]+ timeout as "
)


def _policy(logger: bytes) -> int:
    """What to do with a record of this logger: a cached decision per logger name."""
    p = _POLICY.get(logger)
    if p is None:
        if not _SDK_LOGGER.match(logger):
            p = _P_FOREIGN
        elif logger == b"botocore.hooks":  # the chattiest logger: one event carries facts
            p = _P_HOOKS
        elif logger == b"botocore.loaders":
            p = _P_NONE
        elif _KEEP_LOGGER.match(logger):
            p = _P_ALL
        else:
            p = _P_SEARCH
        if len(_POLICY) < 4096:
            _POLICY[logger] = p
    return p


# A page that lost a log's line breaks glues every record onto the first one's line: a
# record without facts of its own is kept when other records' headers are glued to it
# (the AWS CLI's `YYYY-MM-DD HH:MM:SS,mmm - thread - logger - LEVEL - ` or
# set_stream_logger's `YYYY-MM-DD HH:MM:SS,mmm logger [LEVEL] `), so that the reconstructor
# cuts it into its records (`requests._glued`). Looked for only in long messages.
_GLUED_MIN = 300
_GLUED_IN = re.compile(
    rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:- [^\n]{0,80}? - (?:DEBUG|INFO|WARNING|ERROR) - "
    rb"|[A-Za-z_][\w.]{0,80} \[(?:DEBUG|INFO|WARNING|ERROR)\] )"
)


def _kind(policy: int, line: bytes, msg_start: int, line_end: int) -> int:
    if policy == _P_ALL:
        k = DROPPED if _NO_FACTS.match(line, msg_start) else KEPT
    elif policy == _P_SEARCH:
        end = msg_start + 200
        k = KEPT if _KEEP.search(line, msg_start, min(end, line_end)) else DROPPED
    elif policy == _P_HOOKS:
        k = KEPT if line.startswith(_HOOK_FACTS, msg_start) else DROPPED
    elif policy == _P_FOREIGN:
        return FOREIGN
    else:
        k = DROPPED
    if (
        k == DROPPED
        and line_end - msg_start > _GLUED_MIN
        and _GLUED_IN.search(line, msg_start, line_end) is not None
    ):
        return KEPT
    return k


# A paste that hard-wraps long lines (a terminal copied at 80 columns, an e-mail at 72 or
# 76, `fold`, a chat tool's re-flow) can move the words that show a record carries facts
# onto the next line ('... botocore.credentials - INFO - Found cred' / 'entials in ...').
# A dropped header line long enough to have been wrapped, whose message is too short to
# have settled the decision, is held as a tentative record; its first continuation line
# decides (`_continues`): the message joined with it, as folded or with the space a re-flow
# dropped.
_HOOK_FACT = b"Event before-parameter-build."
# (needs-retry: an attempt is over, also when botocore logged neither answer nor exception;
# request-created: the service and operation of a request whose `Making request` names none;
# after a retry decision the next attempt, also in a paste that ends before it is sent)
_HOOK_FACTS = (_HOOK_FACT, b"Event needs-retry.", b"Event request-created.")


_WRAP_MSG = (0, 0, 0, 65, 200)  # by policy: longest message (and CR) `_may_wrap` accepts


def _may_wrap(policy: int, line: bytes, ls: int, msg_start: int, le: int) -> bool:
    """Whether the dropped record whose header line is line[ls:le] (message from
    msg_start) could carry facts on its next line: only a search over the message's start
    can change its mind, and only if the line could have been wrapped (a message that
    ends with a colon goes on in the next lines by design: `CanonicalRequest:`)."""
    if line[le - 1 : le] == b"\r":
        le -= 1
    if le - ls < WRAP_MIN or line[le - 1] == 58:  # ':'
        return False
    if policy == _P_SEARCH:
        return le - msg_start < 200
    if policy == _P_HOOKS and le - msg_start <= 64:
        return _HOOK_FACT.startswith(line[msg_start:le].rstrip())
    return False


def _joins(line: bytes, nxt: bytes) -> tuple[bytes, bytes]:
    """A wrapped line and its next line as one: as a fold leaves them, and with the space
    a re-flow dropped at the break."""
    return line + nxt, line + b" " + nxt


def _settle(rec: Record, nxt: bytes, stats: ReadStats) -> Record | None:
    """A tentative record met its first continuation line: kept, or dropped after all."""
    msg = rec.maybe
    assert msg is not None
    rec.maybe = None
    if rec.logger:
        return rec if _continues(_policy(rec.logger.encode("ascii")), msg, _clean(nxt)) else None
    # a format that names no logger, the message's opening cut by a wrap: the SDK's when
    # the two lines open like one of its messages (then counted as the SDK's record)
    nxt = _clean(nxt).lstrip(b" \t")
    for joined in _joins(msg, nxt):
        logger = _sdk_logger_of(joined, 0)
        if logger is not None:
            stats.sdk_records += 1
            stats.formats[rec.fmt] = stats.formats.get(rec.fmt, 0) + 1
            rec.logger = _name(logger, "ascii")
            return rec if _kind(_policy(logger), joined, 0, len(joined)) == KEPT else None
    return None


_CONTINUES: dict[tuple[int, bytes, bytes], bool] = {}


def _continues(policy: int, msg: bytes, nxt: bytes) -> bool:
    """Whether a dropped record's message `msg` goes on in its next line `nxt` (cleaned)
    with words that carry facts (joined as a fold leaves it, or with the space a re-flow
    dropped; an indent the paste added is no part of it). Cached: multi-line messages
    that are no wrap (`CanonicalRequest:` / `POST`) repeat."""
    nxt = nxt.lstrip(b" \t")[:200]  # (no decision looks further)
    key = (policy, msg, nxt)
    hit = _CONTINUES.get(key)
    if hit is None:
        hit = False
        for joined in _joins(msg, nxt):
            hit = hit or _kind(policy, joined, 0, len(joined)) == KEPT
        if len(_CONTINUES) < 4096:
            _CONTINUES[key] = hit
    return hit


# AWS Lambda's Python runtime, text format: '[LEVEL]\t<UTC time>Z\t<request id>\t<message>'
# (awslambdaric's bootstrap), possibly after a prefix added by `aws logs tail` or a console
# copy; console copies and issue pastes turn the tabs into spaces (then the request id, when
# there is one, is a UUID, and the time keeps its 'Z')
_UUID = rb"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
_LAMBDA = re.compile(
    rb"\[(?P<level>" + LEVEL + rb")\]"
    rb"(?:\t(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z?)\t(?P<thread>[^\t\n]{0,64})\t"
    rb"|[ \t]+(?P<ts2>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)[ \t]+"
    rb"(?:(?P<thread2>" + _UUID + rb")[ \t]+)?)"
)
# How the log messages of botocore, boto3, urllib3 and s3transfer open, by the logger that
# writes them (from their sources): where a log format names no logger, a message that opens
# like one of these is the SDK's, written by that logger. First match wins.
_SDK_OPENINGS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"botocore.endpoint",
        rb"Making request for|Sending http request|Setting [\w-]+ timeout|Response received to "
        rb"retry|Exception received when sending",
    ),
    (
        b"botocore.regions",
        rb"Calling endpoint provider|Endpoint provider result|Selecting from endpoint provider|"
        rb"Selected auth type|Creating a regex based endpoint|Using partition endpoint",
    ),
    (b"botocore.parsers", rb"Response headers|Response body"),
    (b"botocore.hooks", rb"Event [\w.-]+[.:]|Changing event name"),
    (b"botocore.loaders", rb"Loading JSON file"),
    (b"botocore.session", rb"Loading variable|Setting config variable"),
    (
        b"botocore.client",
        rb"Registering retry handlers|Assuming an endpoint|Switching signature version",
    ),
    (
        b"botocore.configprovider",
        rb"Looking for endpoint for|No configured endpoint found|Found endpoint for",
    ),
    (
        b"botocore.credentials",
        rb"Looking for credentials via|Found credentials|Credentials found|Retrieving "
        rb"credentials|Retrieved credentials|Refreshing temporary credentials|Assuming role|"
        rb"Skipping environment variable|Credentials need to be refreshed|Error retrieving "
        rb"container metadata",
    ),
    (
        b"botocore.auth",
        rb"CanonicalRequest:|StringToSign:|Signature:|Calculating signature using",
    ),
    (b"botocore.httpsession", rb"Certificate path"),
    (
        b"botocore.retryhandler",
        rb"Retry needed, action of|retry needed|No retry needed|Reached the maximum",
    ),
    (b"botocore.retries.standard", rb"Retry needed|Not retrying|Max attempts"),
    (
        b"botocore.utils",
        rb"IMDS ENDPOINT|Caught retryable HTTP exception|Max number of attempts exceeded|"
        rb"Updating URI|URI updated|Checking for DNS compatible|Defaulting to S3|Using S3|"
        rb"S3 client configured|S3 request was previously|Registering S3|Access to EC2 "
        rb"metadata|Bad IMDS request|Error response received when retrieving|Metadata service "
        rb"returned|Received error when attempting to retrieve|Received non 200 response",
    ),
    (b"botocore.awsrequest", rb"Waiting for 100 Continue|100 Continue response seen"),
    (b"botocore.handlers", rb"Adding expect 100 continue"),
    (
        b"urllib3.connectionpool",
        rb"Starting new HTTPS? connection|Resetting dropped connection|https?://\S+:\d+ \"|"
        rb"Connection pool is full|Retrying \(Retry\(",
    ),
    (b"urllib3.util.retry", rb"Converted retries value|Incremented Retry for"),
    (b"s3transfer.utils", rb"Acquiring \d|Releasing acquire"),
    # the AWS CLI run in-process (awscli.clidriver's main() in a Lambda function or a task)
    (
        b"awscli.clidriver",
        rb"CLI version: aws-cli/|Arguments entered to CLI|Exception caught in main|Exiting "
        rb"with rc|Unable to locate credentials",
    ),
    (b"botocore", rb"Calculating checksum|Error (?:when|while|during) |Unable to "),
)
_SDK_MESSAGE = re.compile(
    b"|".join(b"(?P<o%d>%s)" % (i, alt) for i, (_, alt) in enumerate(_SDK_OPENINGS))
)


def _literal_start(alt: bytes) -> bytes:
    """The literal text a regex alternative starts with (before its first special
    character; a quantified last character is not part of it)."""
    m = re.search(rb"[\\\[(+{.?*]", alt)
    if m is None:
        return alt
    return alt[: m.start() - (alt[m.start() : m.start() + 1] in (b"?", b"*"))]


# the literal start of each opening: a message that a wrap cut inside one (or right after
# the logger's fields) may be the SDK's, decided by its next line
_OPENING_STARTS = tuple(
    _literal_start(alt) for _, alts in _SDK_OPENINGS for alt in alts.split(b"|")
)


def _may_open(msg: bytes) -> bool:
    """Whether a message that opens like none of the SDK's may be one cut short."""
    return any(o.startswith(msg) or msg.startswith(o) for o in _OPENING_STARTS)


def _sdk_logger_of(msg: bytes, start: int) -> bytes | None:
    """For formats that name no logger: the SDK logger that writes the message at `start`
    when it opens like one of botocore's, boto3's, urllib3's or s3transfer's, else None
    (another program)."""
    m = _SDK_MESSAGE.match(msg, start)
    if m is None:
        return None
    return _SDK_OPENINGS[int((m.lastgroup or "o0")[1:])][0]


# Formats that name the source file or module instead of the logger (Airflow's task log
# '{credentials.py:1974}', Flask's 'in credentials:'): the SDK modules that write log
# records, by file stem. A file name only the SDK uses names its logger; a common one
# (utils.py, client.py, ...) may be the application's own, so there the message must open
# like the SDK's too (then a logger the file can be is taken from the message).
_SDK_FILES: dict[bytes, tuple[bytes, ...]] = {
    b"connectionpool": (b"urllib3.connectionpool",),
    b"poolmanager": (b"urllib3.poolmanager",),
    b"retryhandler": (b"botocore.retryhandler",),
    b"httpsession": (b"botocore.httpsession",),
    b"configprovider": (b"botocore.configprovider",),
    b"endpoint_provider": (b"botocore.endpoint_provider",),
    b"awsrequest": (b"botocore.awsrequest",),
    b"httpchecksum": (b"botocore.httpchecksum",),
    b"clidriver": (b"awscli.clidriver",),
}
_SDK_COMMON_FILES: dict[bytes, tuple[bytes, ...]] = {
    b"endpoint": (b"botocore.endpoint",),
    b"credentials": (b"botocore.credentials",),
    b"auth": (b"botocore.auth",),
    b"parsers": (b"botocore.parsers",),
    b"regions": (b"botocore.regions",),
    b"hooks": (b"botocore.hooks",),
    b"utils": (b"botocore.utils", b"s3transfer.utils"),
    b"client": (b"botocore.client",),
    b"loaders": (b"botocore.loaders",),
    b"session": (b"botocore.session",),
    b"handlers": (b"botocore.handlers",),
    b"args": (b"botocore.args",),
    b"tokens": (b"botocore.tokens",),
    b"discovery": (b"botocore.discovery",),
    b"response": (b"botocore.response", b"urllib3.response"),
    b"standard": (b"botocore.retries.standard",),
    b"adaptive": (b"botocore.retries.adaptive",),
    b"connection": (b"urllib3.connection",),
    b"retry": (b"urllib3.util.retry",),
    b"tasks": (b"s3transfer.tasks",),
    b"futures": (b"s3transfer.futures",),
    b"manager": (b"s3transfer.manager",),
}


def _file_logger(stem: bytes, line: bytes, msg_start: int) -> bytes | None:
    """The SDK logger of a record that names its source file (stem, no '.py'), or None
    when the record is the application's."""
    own = _SDK_FILES.get(stem)
    if own is not None:
        return own[0]
    common = _SDK_COMMON_FILES.get(stem)
    if common is None:
        return None
    inferred = _sdk_logger_of(line, msg_start)
    if inferred is None:
        return None
    return inferred if inferred in common else common[0]


# Apache Airflow's task log: '[<time>] {<file>.py:<line>} LEVEL - msg' (the time may read
# '2024-03-25, 10:23:09 UTC' in the web UI, or '2025-05-20T15:07:45.785+0000'; a
# '[SOURCE:...]' tag may follow it), possibly behind a docker compose or journald prefix
_AIRFLOW = re.compile(
    rb"\[(?P<ts>\d{4}-\d\d-\d\d[^\]\n]{0,40})\] (?:\[[^\]\n]{1,40}\] )?"
    rb"\{(?P<file>[\w-]{1,80})\.py:\d{1,7}\} (?P<level>" + LEVEL + rb") - ?"
)
# Celery's worker log: '[<time>: LEVEL/<process name>] msg'
_CELERY = re.compile(
    rb"\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d{1,6})?): (?P<level>" + LEVEL + rb")/"
    rb"(?P<thread>[^\]\n]{1,64})\] ?"
)
# Formats with a level word and no logger name ('%(asctime)s %(levelname)s %(message)s',
# '%(asctime)s - %(levelname)s - %(message)s', '%(asctime)s [%(levelname)s] ...',
# '%(levelname)s: %(message)s', '%(levelname)s %(asctime)s ...', Flask's '[%(asctime)s]
# %(levelname)s in %(module)s: ...'): before the level word only a time stamp, thread or
# process name may stand (no other name: that could be another program's logger).
_STAMP = (
    rb"(?:[\d \t\-:.,/TZ+()\[\]|]|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|AM|PM|UTC|"
    rb"GMT|MainThread|MainProcess|Thread-|ForkPoolWorker-)"
)
_BARE = re.compile(
    rb"[ \t>]*(?P<pre>" + _STAMP + rb"{0,80}?)(?<![\w.])\[?(?P<level>" + LEVEL + rb")\]?"
    rb"(?![\w.])(?: in (?P<module>\w{1,64}))?[ \t]*[:|\-]?[ \t]*"
    rb"(?:(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
    rb"[ \t]*[:|\-]?[ \t]*)?"
)
# After the level word of such a format, the source file or the module (the last part of
# the logger's name) may stand: '(auth.py:428) - ' ('%(levelname)s (%(filename)s:%(lineno)d)
# - %(message)s'), or 'endpoint - make_request: ' ('%(module)s - %(funcName)s: %(message)s')
_MODULE_AT = re.compile(
    rb"(?:[(\[](?P<file>[\w-]{1,80})\.py:\d{1,7}[)\]][ \t]*[:|\-]?[ \t]*"
    rb"|(?P<module>[A-Za-z_]\w{0,63}) - (?P<func>[A-Za-z_<>][\w<>]{0,63}: )?)"
)
# what log collectors put before such a line: journald's 'host prog[pid]: ', docker compose's
# 'service | ' (only lines with a time stamp are looked for behind one)
_OUTER = re.compile(rb"[^\n]{1,120}?(?:: |\| )")


# a header that names no SDK logger but whose record is the SDK's: (logger, level, thread,
# time, message start, format)
_Inferred = tuple[bytes, bytes, bytes | None, bytes | None, int, str]


def _loggerless(line: bytes) -> _Inferred | int:
    """A header of Airflow's, Celery's or a level-only format whose record is the SDK's;
    else FOREIGN (another program's record in one of those formats) or CONT (none of them)."""
    a = _AIRFLOW.search(line, 0, 240)
    if a is not None:
        logger = _file_logger(a["file"], line, a.end())
        if logger is None:
            return FOREIGN
        ts = a["ts"].replace(b", ", b" ")  # the web UI's '2024-03-25, 10:23:09 UTC'
        return logger, a["level"], None, ts, a.end(), "airflow"
    c = _CELERY.search(line, 0, 240)
    if c is not None:
        logger = _sdk_logger_of(line, c.end())
        if logger is None:
            return FOREIGN
        return logger, c["level"], c["thread"], c["ts"], c.end(), "celery"
    b = _BARE.match(line)
    outer = False
    if b is None:
        o = _OUTER.match(line)
        if o is None or (b := _BARE.match(line, o.end())) is None:
            return CONT
        outer = True
    pre = b["pre"]
    ts = b["ts"] or (pre if _TS.search(pre) or _TIME_ONLY.search(pre) else None)
    if ts is None and outer:
        return CONT
    start = b.end()
    module = b["module"]
    if module is None and (f := _MODULE_AT.match(line, start)) is not None:
        module = f["file"] or f["module"]
        start = f.end()
        # a funcName before the message, unless the message itself opens that way
        if f["func"] and _sdk_logger_of(line, f.start("func")) is not None:
            start = f.start("func")
    logger = _file_logger(module, line, start) if module else _sdk_logger_of(line, start)
    if logger is None:
        # a time-stamped record of another program; without a time stamp the line may as
        # well be a message's text, so it stays a continuation line
        return CONT if ts is None else FOREIGN
    t = _THREAD.search(pre)
    return logger, b["level"], t.group(1) if t else None, ts, start, "level-only"


def _json_field(d: dict[str, object], *keys: str) -> str | None:
    for k in keys:
        v = d.get(k)
        if isinstance(v, str) and v:
            return v
    return None


def _json_line(line: bytes, lineno: int) -> tuple[int, Record | None] | None:
    """A log record written as one JSON object (AWS Lambda's JSON log format, python-json-
    logger and alike): its fields, its traceback from `stackTrace`/`errorType`/`errorMessage`
    or `exc_info`. None when the line is not such an object."""
    import json

    try:
        d = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(d, dict):
        return None
    level = _json_field(d, "level", "levelname", "severity")
    message = _json_field(d, "message", "msg")
    if level is None or level.upper() not in LEVEL_NAMES or message is None:
        return None
    msg_b = message.encode("utf-8", "replace")
    logger = _json_field(d, "logger", "name", "logger_name")
    logger_b = logger.encode("utf-8", "replace") if logger else _sdk_logger_of(msg_b, 0)
    if logger_b is None:
        return FOREIGN, None
    kind = _kind(_policy(logger_b), msg_b, 0, len(msg_b))
    if kind != KEPT:
        return kind, (Record(lineno, "", "", None, None, "json") if kind == DROPPED else None)
    lines = message.split("\n")
    trace = d.get("stackTrace")
    if isinstance(trace, list) and trace:
        lines.append("Traceback (most recent call last):")
        for frame in trace:
            if isinstance(frame, str):
                lines.extend(frame.rstrip("\n").split("\n"))
    err = _json_field(d, "errorType")
    if err is not None:
        lines.append(f"{err}: {_json_field(d, 'errorMessage') or ''}")
    exc = _json_field(d, "exc_info", "exception", "stack_trace")
    if exc is not None:
        lines.extend(exc.split("\n"))
    lines = lines[:MAX_RECORD_LINES]
    ts = _json_field(d, "timestamp", "time", "asctime", "@timestamp")
    thread = _json_field(d, "requestId", "aws_request_id", "threadName", "thread_name")
    return KEPT, Record(
        line=lineno,
        logger=_name(logger_b, "utf-8"),
        level=level.upper(),
        thread=thread,
        ts=parse_ts(ts.encode("ascii", "replace")) if ts else None,
        fmt="json",
        lines=lines,
        size=sum(len(x) for x in lines),
    )


def _clean(line: bytes) -> bytes:
    """A physical line without ANSI colours and its CR."""
    if line[:1] in (b"\x1b", b"\r") or b"\x1b" in line[:64]:
        line = _ANSI.sub(b"", line)
    if line.endswith(b"\r"):
        line = line[:-1]
    return line


# A wrap can also fall inside the header (a long thread or logger name, an e-mail's 72
# columns): '... - urllib3.connectionpool - ' / 'DEBUG - Starting new HTTPS connection'.
# A line that opens with a stock format's time stamp and is no stock header is read
# together with the next line when the two make one (a wrap that breaks at spaces may
# leave a short line before a long word: no length is required).
_TS_AT = re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")
CUT_MAX = 256  # longer lines were not wrapped at a common width


def _cut_header(line: bytes) -> bool:
    """A line that opens like a stock header but stops before its message (see `_rejoin`)."""
    line = _clean(line)
    return len(line) <= CUT_MAX and _TS_AT.match(line) is not None and _header(line)[0] is None


def _rejoin(line: bytes, nxt: bytes) -> bytes | None:
    """A cut header line (`_cut_header`) and the line after it: the header line as logged,
    when they make one (joined as folded, or with the space a re-flow dropped; without an
    indent the paste added); None when they do not, or the next line starts a header of its
    own."""
    nxt = _clean(nxt).lstrip(b" \t")
    if _STOCK.match(b"\n" + nxt) is not None:
        return None
    line = _clean(line)
    for joined in _joins(line, nxt):
        if _header(joined)[0] is not None:
            return joined
    return None


class _Stepper:
    """The reference reader's state over consecutive physical lines: the open record, and
    a cut header line waiting for its next line."""

    def __init__(self, cur: Record | None, stats: ReadStats, out: list[Record]) -> None:
        self.cur = cur
        self.stats = stats
        self.out = out
        self.held: bytes | None = None

    def line(self, raw: bytes, lineno: int) -> None:
        held, self.held = self.held, None
        if held is not None:
            joined = _rejoin(held, raw)
            if joined is not None:  # the record's message starts on this line
                self.cur = _step(joined, lineno, self.cur, self.stats, self.out)
                return
            self.cur = _step(held, lineno - 1, self.cur, self.stats, self.out)
        if _cut_header(raw):
            self.held = raw
        else:
            self.cur = _step(raw, lineno, self.cur, self.stats, self.out)

    def end(self, lineno: int) -> Record | None:
        """No more lines (the last one numbered `lineno`): the open record."""
        if self.held is not None:
            self.cur = _step(self.held, lineno, self.cur, self.stats, self.out)
            self.held = None
        return self.cur


def classify_line(line: bytes, lineno: int) -> tuple[int, Record | None]:
    """(kind, record) for one physical line. kind: CONT (no header: a continuation line),
    FOREIGN (another program's record), DROPPED (an SDK record without facts; the record
    only carries its format) or KEPT (an SDK record that carries facts). A DROPPED or
    FOREIGN record that a wrap may have cut short comes as a tentative record (`maybe`)."""
    line = _clean(line)
    if not _LEVEL_NEAR_START.match(line):
        return CONT, None  # every header format has a level word near the start
    m, fmt = _header(line)
    lam = None
    if m is not None:
        logger_b = m["logger"]
        level_b = m["level"]
        gd = m.groupdict()
        thread_b = gd.get("thread")
        ts_b = gd.get("ts")
        msg_start = m.end()
    elif line[:1] == b"{" and (js := _json_line(line, lineno)) is not None:
        return js
    elif (lam := _LAMBDA.search(line, 0, 240)) is not None:
        # the Lambda runtime's text format names no logger: botocore's and urllib3's
        # messages are recognised by their openings, other lines are the function's own
        msg_start = lam.end()
        inferred = _sdk_logger_of(line, msg_start)
        level_b, ts_b = lam["level"], lam["ts"] or lam["ts2"]
        thread_b = lam["thread"] or lam["thread2"] or None  # the invocation's request id
        if inferred is None:
            if len(line) >= WRAP_MIN and _may_open(line[msg_start:].rstrip()):
                # the opening may be on the next line (a wrap): it decides (`_settle`)
                rec = _record(lineno, b"", level_b, thread_b, ts_b, "lambda", line[msg_start:])
                rec.maybe = line[msg_start:]
                return FOREIGN, rec
            return FOREIGN, None
        logger_b, fmt = inferred, "lambda"
    else:
        g = _GENERIC.match(line)
        if g is not None:
            logger_b = g["logger1"] or g["logger2"]
            level_b = g["level1"] or g["level2"]
            pre = g["pre"]
            t = _THREAD.search(pre)
            thread_b = g["thread1"] or g["thread2"] or (t.group(1) if t else None)
            ts_b = pre if (_TS.search(pre) or _TIME_ONLY.search(pre)) else None
            msg_start = g.end()
            fmt = "custom"
        else:
            # formats that name no logger (or a source file): the SDK's messages are
            # recognised by their openings (or the file), other records are foreign
            head = _loggerless(line)
            if isinstance(head, int):
                return head, None
            logger_b, level_b, thread_b, ts_b, msg_start, fmt = head
    policy = _policy(logger_b)
    kind = _kind(policy, line, msg_start, len(line))
    if kind == FOREIGN:
        return (CONT if _quotes_sdk(line, msg_start, len(line)) else FOREIGN), None
    if kind == DROPPED:
        if _may_wrap(policy, line, 0, msg_start, len(line)):
            rec = _record(lineno, logger_b, level_b, thread_b, ts_b, fmt, line[msg_start:])
            rec.maybe = line[msg_start:]
            return DROPPED, rec  # tentative: see `_continues`
        return DROPPED, Record(lineno, "", "", None, None, fmt)
    return KEPT, _record(lineno, logger_b, level_b, thread_b, ts_b, fmt, line[msg_start:])


_NAMES: dict[bytes, str] = {}  # logger, level and thread names, decoded once


def _name(b: bytes, encoding: str) -> str:
    s = _NAMES.get(b)
    if s is None:
        s = b.decode(encoding, "replace")
        if len(_NAMES) < 4096:
            _NAMES[b] = s
    return s


def _record(
    lineno: int,
    logger_b: bytes,
    level_b: bytes,
    thread_b: bytes | None,
    ts_b: bytes | None,
    fmt: str,
    msg_b: bytes,
) -> Record:
    msg = _decode(msg_b)
    logger = _name(logger_b, "ascii")
    level = _name(level_b, "ascii")
    thread = _name(thread_b, "utf-8").strip() if thread_b else None
    return Record(
        line=lineno,
        logger=logger,
        level=level,
        thread=thread,
        ts=parse_ts(ts_b),
        fmt=fmt,
        lines=[msg],
        size=len(msg),
    )


def _append(cur: Record, line: bytes) -> None:
    if len(cur.lines) < MAX_RECORD_LINES and cur.size < MAX_RECORD_BYTES:
        t = _decode(line)
        cur.lines.append(t)
        cur.size += len(t)


def _extend(cur: Record, seg: bytes) -> None:
    """Append the lines of `seg` (complete lines joined by newlines, no trailing one): the
    same as `_append` on each line, decoded in one go when the caps are not near."""
    if len(cur.lines) >= MAX_RECORD_LINES or cur.size >= MAX_RECORD_BYTES:
        return
    if b"\x1b" in seg or len(seg) + cur.size >= MAX_RECORD_BYTES:
        for ln in seg.split(b"\n"):
            _append(cur, ln)
        return
    text = _unpaste(seg.decode("utf-8", "replace"))
    parts = text.split("\n")
    if len(cur.lines) + len(parts) > MAX_RECORD_LINES:
        for ln in seg.split(b"\n"):
            _append(cur, ln)
        return
    if "\r" in text:
        parts = [x.rstrip("\r") for x in parts]
        cur.size += sum(len(x) for x in parts)
    else:
        cur.size += len(text) - len(parts) + 1
    cur.lines.extend(parts)


def _step(
    raw: bytes, lineno: int, cur: Record | None, stats: ReadStats, out: list[Record]
) -> Record | None:
    """The reference reader's step for one physical line: returns the open record."""
    kind, rec = classify_line(raw, lineno)
    if kind == CONT:
        if cur is not None and cur.maybe is not None:
            cur = _settle(cur, raw, stats)
        if cur is not None:
            _append(cur, raw)
        elif _CONT_FACT.search(raw):
            stats.records += 1
            cur = Record(lineno, "stderr", "", None, None, "plain", [_decode(raw)])
        return cur
    stats.records += 1
    if cur is not None and cur.maybe is None:
        out.append(cur)
    if kind == FOREIGN:
        return rec  # (a tentative one, or none)
    stats.sdk_records += 1
    assert rec is not None
    stats.formats[rec.fmt] = stats.formats.get(rec.fmt, 0) + 1
    return rec if kind == KEPT or rec.maybe is not None else None


def records_from_lines(lines: Iterable[bytes], stats: ReadStats) -> Iterator[Record]:
    """Reference reader: every line through `classify_line`. `iter_records` must yield the
    same records and statistics (tested on every fixture, and on mutated logs)."""
    lineno = 0
    out: list[Record] = []
    steps = _Stepper(None, stats, out)
    for raw in lines:
        lineno += 1
        steps.line(raw, lineno)
        if out:
            yield from out
            out.clear()
    cur = steps.end(lineno)
    yield from out
    stats.lines = lineno
    if cur is not None and cur.maybe is None:
        yield cur


# The fast reader. The four stock formats at a line start, in `_FORMATS` order, as one
# pattern led by a newline (a literal prefix: the regex engine skips from newline to
# newline at C speed). Logger names and fractions are bounded so that a match always has
# its level word within 192 bytes of the line start, as `classify_line` requires; longer
# ones are left to the exact path (`_odd_lines`).
_LOGGER_B = rb"[\w.]{1,80}"
_TS_B = rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d{1,9})?"
_STOCK = re.compile(
    rb"\n(?:(" + _TS_B + rb")(?:"
    rb" - ([^\n]{1,64}?) - (" + _LOGGER_B + rb") - (" + LEVEL + rb") - ?"
    rb"| - (" + _LOGGER_B + rb") - (" + LEVEL + rb") - ?"
    rb"| (" + _LOGGER_B + rb") \[(" + LEVEL + rb")\] ?"
    rb"|)"  # a time stamp and no stock header (m.lastindex 1): maybe one cut by a wrap
    rb"|(" + LEVEL + rb"):(" + _LOGGER_B + rb"):)"
)
# by m.lastindex (the branch's last group): the format, its logger and level groups
_STOCK_NAMES = (
    "",
    "",
    "",
    "",
    "awscli",
    "",
    "botocore",
    "",
    "set_stream_logger",
    "",
    "basicConfig",
)
_LOGGER_GROUP = (0, 0, 0, 0, 3, 0, 5, 0, 7, 0, 10)
_LEVEL_GROUP = (0, 0, 0, 0, 4, 0, 6, 0, 8, 0, 9)
_LEVEL_WORDS = (b"DEBUG", b"INFO", b"WARN", b"ERROR", b"CRITICAL")  # WARN counts WARNING too


_LASTINDEX = operator.attrgetter("lastindex")


def _odd_lines(buf: bytes, stock: set[int]) -> list[int]:
    """Offsets of the newlines before the lines that have a level word within 192 bytes
    of their start but are not stock headers. Only these can be other headers (custom
    formats, other programs' lines), so only these go through `classify_line`."""
    odd: set[int] = set()
    for w in _LEVEL_WORDS:
        p = buf.find(w)
        while p >= 0:
            ls = buf.rfind(b"\n", 0, p)
            if p - ls <= 193 and ls not in stock:
                odd.add(ls)
            p = buf.find(w, p + 1)
    return sorted(odd)


class _Block:
    """One block of whole lines, led by a newline (`buf[0]`), scanned header to header."""

    def __init__(self, buf: bytes, lineno: int, stats: ReadStats) -> None:
        self.buf = buf
        self.stats = stats
        self.cnt_pos = 1  # buf[:cnt_pos] holds the newlines counted so far
        self.cnt_line = lineno + 1  # ... so buf[cnt_pos] starts this line

    def line_at(self, ls: int) -> int:
        """Number of the line after the newline at `ls` (offsets only grow)."""
        self.cnt_line += self.buf.count(b"\n", self.cnt_pos, ls + 1)
        self.cnt_pos = ls + 1
        return self.cnt_line

    def gap(self, s: int, e: int, cur: Record | None) -> Record | None:
        """Continuation lines buf[s:e] (no header among them): they extend the open record,
        or, with none open, the first one that states a fact opens an orphan record."""
        buf = self.buf
        if cur is not None and cur.maybe is not None:
            le = buf.find(b"\n", s, e)
            cur = _settle(cur, buf[s : le if le >= 0 else e], self.stats)
        if cur is not None:
            _extend(cur, buf[s:e])
            return cur
        m = _CONT_FACT.search(buf, s, e)
        if m is None:
            return None
        ls = buf.rfind(b"\n", s - 1, m.start())
        le = buf.find(b"\n", m.start(), e)
        if le < 0:
            le = e
        self.stats.records += 1
        cur = Record(
            self.line_at(ls), "stderr", "", None, None, "plain", [_decode(buf[ls + 1 : le])]
        )
        if le < e:
            _extend(cur, buf[le + 1 : e])
        return cur

    def scan(self, cur: Record | None, out: list[Record]) -> Record | None:
        buf = self.buf
        stats = self.stats
        total = 0
        for w in _LEVEL_WORDS:
            total += buf.count(w)
        matches = list(_STOCK.finditer(buf))
        # every stock header holds a level word: any other one may sit on another header
        # (the lines with a time stamp and no stock header are none: with those, look)
        odd = (
            _odd_lines(buf, {m.start() for m in matches})
            if total > len(matches) or 1 in map(_LASTINDEX, matches)
            else []
        )
        odd.append(len(buf))  # sentinel
        oi = 0
        next_odd = odd[0]
        find = buf.find
        policies = _POLICY
        branch_counts = [0] * 11
        foreign = 0
        cuts = 0
        prev_end = 0  # offset of the newline that ends the last header line
        # a dropped record that a wrap may have cut short waits for the next header: when
        # that is on the next line (as in any log that was not wrapped), nothing to do
        pend: tuple[re.Match[bytes], int, int, int] | None = None
        for m in matches:
            ls = m.start()
            if pend is not None:
                if ls != pend[3] or m.lastindex == 1:
                    cur = self._wrapped(*pend, next_odd)
                pend = None
            while next_odd < ls:  # odd lines first (rare): the exact path
                cur, prev_end = self._odd(next_odd, prev_end, cur, out)
                oi += 1
                next_odd = odd[oi]
            k = m.lastindex or 0
            if k == 1:  # a time stamp and no stock header (rare): the exact path
                cur, prev_end = self._cut(ls, prev_end, cur, out)
                cuts += 1
                continue
            logger_b = m.group(_LOGGER_GROUP[k])
            pol = policies.get(logger_b, -1)
            if pol < 0:
                pol = _policy(logger_b)
            end = m.end()
            le = find(b"\n", end)
            kind = _kind(pol, buf, end, le)
            if kind == FOREIGN and _quotes_sdk(buf, end, le):
                # another program's record quoting botocore's error: a continuation line
                # (as `classify_line` has it), read with the lines before it
                cur = self.gap(prev_end + 1, le, cur)
                prev_end = le
                cuts += 1
                continue
            if ls != prev_end:
                cur = self.gap(prev_end + 1, ls, cur)
            prev_end = le
            if cur is not None:
                if cur.maybe is None:
                    out.append(cur)
                cur = None
            if kind == FOREIGN:
                foreign += 1
                continue
            branch_counts[k] += 1
            if kind == KEPT:
                cur = self._stock_record(m, k, logger_b, end, le)
            elif le - end <= _WRAP_MSG[pol] and buf[le - 1] != 58:  # (see `_may_wrap`)
                pend = (m, pol, end, le)  # a wrap may have cut it short: see above
        if pend is not None:
            cur = self._wrapped(*pend, next_odd)
        while oi < len(odd) - 1:
            cur, prev_end = self._odd(odd[oi], prev_end, cur, out)
            oi += 1
        if prev_end < len(buf) - 1:
            cur = self.gap(prev_end + 1, len(buf) - 1, cur)
        n = len(matches) - cuts
        stats.records += n
        stats.sdk_records += n - foreign
        formats = stats.formats
        for k, c in enumerate(branch_counts):
            if c:
                formats[_STOCK_NAMES[k]] = formats.get(_STOCK_NAMES[k], 0) + c
        return cur

    def _wrapped(
        self, m: re.Match[bytes], pol: int, end: int, le: int, next_odd: int
    ) -> Record | None:
        """A dropped stock record whose message a wrap may have cut short (`_may_wrap`):
        kept when its next line, surely a continuation line, carries facts; tentative when
        that line is in the next block, or may be a header."""
        buf = self.buf
        if not _may_wrap(pol, buf, m.start() + 1, end, le):
            return None
        nxt = _STOCK.match(buf, le)
        if nxt is not None and nxt.lastindex != 1:
            return None  # the next line is a stock header
        msg = buf[end : le - 1 if buf[le - 1] == 13 else le]
        maybe: bytes | None = msg
        if nxt is None and next_odd != le and le + 1 < len(buf):
            ne = buf.find(b"\n", le + 1)
            if not _continues(pol, msg, buf[le + 1 : ne - 1 if buf[ne - 1] == 13 else ne]):
                return None
            maybe = None
        k = m.lastindex or 0
        rec = self._stock_record(m, k, m.group(_LOGGER_GROUP[k]), end, le)
        rec.maybe = maybe
        return rec

    def _stock_record(
        self, m: re.Match[bytes], k: int, logger_b: bytes, end: int, le: int
    ) -> Record:
        """The record of stock header `m` (its branch `k`), message buf[end:le]."""
        g = m.groups()
        return _record(
            self.line_at(m.start()),
            logger_b,
            g[_LEVEL_GROUP[k] - 1],
            g[1],
            g[0],
            _STOCK_NAMES[k],
            self.buf[end:le],
        )

    def _cut(
        self, ls: int, prev_end: int, cur: Record | None, out: list[Record]
    ) -> tuple[Record | None, int]:
        """A line that opens with a time stamp but is no stock header: a header cut by a
        wrap, read with its next line (`_rejoin`), or else a line for `_odd`."""
        buf = self.buf
        le = buf.find(b"\n", ls + 1)
        ne = buf.find(b"\n", le + 1)
        # (a next line that is a header, or has a time stamp, is never joined: `_rejoin`)
        if ne > 0 and _STOCK.match(buf, le) is None and _cut_header(buf[ls + 1 : le]):
            joined = _rejoin(buf[ls + 1 : le], buf[le + 1 : ne])
            if joined is not None:  # the record's message starts on the next line
                return self._odd(ls, prev_end, cur, out, classify_line(joined, 0), ne)
        return self._odd(ls, prev_end, cur, out)

    def _odd(
        self,
        ls: int,
        prev_end: int,
        cur: Record | None,
        out: list[Record],
        joined: tuple[int, Record | None] | None = None,
        ne: int = 0,
    ) -> tuple[Record | None, int]:
        """A line that may be a header in another format, classified the reference way
        (its statistics counted here), or the header `joined` from it and the next line
        (which ends at `ne`). Returns the open record and the last header's end."""
        if ls < prev_end:
            return cur, prev_end  # the second line of a joined header
        buf = self.buf
        le = buf.find(b"\n", ls + 1)
        kind, rec = joined or classify_line(buf[ls + 1 : le], 0)
        if kind == CONT:
            return cur, prev_end
        if ls != prev_end:
            cur = self.gap(prev_end + 1, ls, cur)
        if cur is not None:
            if cur.maybe is None:
                out.append(cur)
            cur = None
        stats = self.stats
        stats.records += 1
        if joined is not None:
            le = ne
        if kind == FOREIGN:
            if rec is None:
                return None, le
        else:
            stats.sdk_records += 1
            assert rec is not None
            stats.formats[rec.fmt] = stats.formats.get(rec.fmt, 0) + 1
        if kind == KEPT or rec.maybe is not None:
            rec.line = self.line_at(ls) + (joined is not None)
            return rec, le
        return None, le


def iter_records(stream: BinaryIO, stats: ReadStats, block: int = 1 << 16) -> Iterator[Record]:
    """Fast reader, record for record and count for count the same as `records_from_lines`:
    in each block one regex pass finds the stock-format headers, a count of level words
    proves that no other line can be a header (or finds the few lines that can, for
    `classify_line`), and continuation lines are decoded as whole segments. A log inside
    a CI system's or log collector's wrapper is read without it (`unwrap.unwrapped`: the
    reference reader is given the same stream)."""
    from stsdiag.logparse.unwrap import unwrapped

    stream = unwrapped(stream)
    stats.line_map = getattr(stream, "line_map", None)
    cur: Record | None = None
    lineno = 0  # lines before the current block
    rest = b""
    eof = False
    out: list[Record] = []
    failure: Exception | None = None
    while not eof:
        try:
            chunk = stream.read(block)
        except Exception as e:  # a broken stream (a cut gzip): what came before is read
            failure, chunk = e, b""  # to its end, open record included; then the error
        if not chunk:
            eof = True
            if not rest:
                break
            if rest.endswith(b"\n"):  # a cut header line, carried over
                data, rest = rest, b""
            else:
                stats.truncated_last_line = True
                data, rest = unspace(rest) + b"\n", b""
        else:
            stats.bytes += len(chunk)
            data = rest + chunk if rest else chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) <= MAX_LINE:
                    rest = data
                    continue
                data, rest = data[:MAX_LINE] + b"\n", data[MAX_LINE:]
            else:
                data, rest = data[: cut + 1], data[cut + 1 :]
            data = unspace(data)
            # a header line cut by a wrap is read with the line after it, so it is never
            # a block's last line (unless the input ends there)
            p = data.rfind(b"\n", 0, len(data) - 1) + 1
            if _cut_header(data[p:-1]):
                if len(rest) > MAX_LINE:  # the next line is longer than a line can be
                    data, rest = data + unspace(rest[:MAX_LINE]) + b"\n", rest[MAX_LINE:]
                else:
                    data, rest = data[:p], data[p:] + rest
                    if not data:
                        continue
        n = data.count(b"\n")
        if b"\x1b" in data:  # ANSI colours: line by line, the reference way
            steps = _Stepper(cur, stats, out)
            for i, raw in enumerate(data[:-1].split(b"\n")):
                steps.line(raw, lineno + i + 1)
            cur = steps.end(lineno + n)
        else:
            cur = _Block(b"\n" + data, lineno, stats).scan(cur, out)
        lineno += n
        yield from out
        out.clear()
    stats.lines = lineno
    if cur is not None and cur.maybe is None:
        yield cur
    if failure is not None:
        raise failure
