"""Records → reconstructed requests and log-level events.

A per-thread state machine: endpoint-provider parameters and `before-parameter-build`
events are held until `Making request for OperationModel(...)` opens a request; `Sending
http request`, urllib3 connection lines, exceptions and retry lines add attempts; response
headers/bodies give status, error code and message. Requests are yielded as they close, so
memory stays bounded on huge logs."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from stsdiag import endpoints
from stsdiag.logparse import pyrepr
from stsdiag.logparse.records import _CONT_FACT, CONT, KEPT, WRAPPER, Record, classify_line
from stsdiag.models import Attempt, ErrorKind, LineRef, LogRequest
from stsdiag.redact import excerpt, mask_key_id

_S3_REDIRECT = re.compile(
    r"S3 client configured for region ([\w-]+) but the bucket \S+ is in region ([\w-]+)"
)
_CLIENT_REGION = re.compile(r"'client_region': u?'([\w-]+)'")
_UA = re.compile(r"'User-Agent': b?'([^']{1,400})'")
_PARAM_URL = re.compile(r"'url': u?'(https?://[^']+)'")
_OP = re.compile(r"OperationModel\(name=([A-Za-z0-9]+)\)")
_BPB = re.compile(r"Event before-parameter-build\.([\w-]+)\.(\w+)")
# the service and operation botocore names in a call's retry event (`needs-retry.sts.AssumeRole`)
_NEEDS_RETRY = re.compile(r"Event needs-retry\.([\w-]+)\.([A-Z]\w{1,63}):")
_CREATED = re.compile(r"Event request-created\.([\w-]+)\.(\w+)")
# a Query-protocol body's action and API version: botocore < 1.4 named no operation in
# `Making request for <botocore.model.OperationModel object at 0x...>`
_ACTION = re.compile(r"'Action': u?'(\w+)'")
_API_VERSION = re.compile(r"'Version': u?'(\d{4}-\d\d-\d\d)'")
_CRED_SCOPE = re.compile(
    r"Credential=([A-Z0-9]{16,128})?[^/\s,'\"]*/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request"
)
_SCOPE = re.compile(r"\b\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request\b")
# a presigned URL's credential scope, URL-encoded (`X-Amz-Credential=<key id>%2F<date>%2F
# <region>%2F<service>%2Faws4_request`) or not: the region and service its signer used
_URL_SCOPE = re.compile(
    r"X-Amz-Credential=([A-Za-z0-9]{16,128})?[^&\s/%]*(?:%2F|/)(\d{8})(?:%2F|/)([a-z0-9-]{2,32})"
    r"(?:%2F|/)([a-z0-9-]{2,32})(?:%2F|/)aws4_request",
    re.IGNORECASE,
)
_URL = re.compile(r"\burl=(https?://[^\s,>'\"]+)")
_NEW_CONN = re.compile(r"Starting new (HTTPS?) connection \(\d+\): \[?([^\s:\]]+)\]?(?::(\d+))?")
# urllib3's response line; old urllib3 (vendored in botocore < 1.11) names no host. The target
# is a path, or a whole URL when the request went through an HTTP proxy
# (a paste through a word processor may have curly quotes; one that wrapped the line and
# indented the rest may have lost a space at the break)
_STATUS = re.compile(
    r"(?:(https?)://([^\s:/]+)(?::\d+)? ?)?[\"“”](\w+) ?([^\"“”\s]*) ?HTTP/[\d.]+[\"“”] ?(\d{3})"
)
# where credentials come from over plain HTTP (IMDS, ECS/EKS container endpoints, CloudShell):
# their connections and answers are the credential chain's, not an attempt of the API call
_CRED_HOSTS = frozenset({"169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254",
                         "fd00:ec2::23"})  # fmt: skip
_CRED_PATHS = ("/latest/", "/v2/credentials", "/v1/credentials", "/get-credentials")
_IMDS_STATUS = re.compile(
    r"Metadata service returned non-200 response with status code of (\d{3}) for url: (\S+?),"
)
# the error code of JSON and REST protocols, in the response headers: query-compatible
# services give the Query code (`InvalidClientTokenId;Sender`), others the shape name
_QUERY_ERROR = re.compile(r"(?i)x-amzn-query-error'?\s*:\s*b?'([A-Za-z][\w.]{0,127})[;']")
_ERROR_TYPE = re.compile(r"(?i)x-amzn-errortype'?\s*:\s*b?'([A-Za-z][\w.]{0,127})[;:']")
_ARN = re.compile(r"\barn:(aws[\w-]*):([\w-]+):([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12})?:")
_CODE_XML = re.compile(r"<Code>([^<]{1,128})</Code>")
_MSG_XML = re.compile(r"<Message>([^<]{0,2000})</Message>")
# the operation where a fragment lacks `Making request for OperationModel(...)`: a JSON
# protocol's target header, or a query/XML answer's root element
_TARGET = re.compile(r"""['"]X-Amz-Target['"]: b?['"][\w.-]+\.(\w{2,64})['"]""")
_ANSWER_ROOT = re.compile(r"<(\w{2,64})(?<!Error)Response[\s>]")
_CODE_JSON = re.compile(r"\"__type\"\s*:\s*\"(?:[^\"#]*#)?([^\"]{1,128})\"")
_MSG_JSON = re.compile(r"\"[Mm]essage\"\s*:\s*\"([^\"]{0,2000})\"")
# an OAuth 2.0 error answer (RFC 6749 5.2, as IAM Identity Center's OIDC service gives it):
# `{"error":"invalid_grant","error_description":"Invalid refresh token provided"}`
_OAUTH_ERROR = re.compile(
    r"\"error\"\s*:\s*\"(\w{1,64})\"\s*,\s*\"error_description\"\s*:\s*\"([^\"]{0,2000})\""
)
# the SDK's error message for an AWS error answer (old CLIs: "A client error (X) occurred")
_ERROR_START = re.compile(r"An error occurred \(|A client error \(")
_CLIENT_ERROR = re.compile(
    r"(?:An error occurred \(([\w.]+)\)|A client error \(([\w.]+)\) occurred)"
    r"(?: \(reached max retries: \d+\))? when calling the (\w+) operation(?:\s*\([^)]*\))?: ?(.*)"
)


# the messages of AWS's clock check (SD401 reads their times): 'Signature expired: <signed>
# is now earlier than <server - 15 min> (<server> - 15 min.)' and 'Signature not yet
# current: <signed> is still later than <server + 15 min> (<server> + 15 min.)', with any
# blank or line break a paste put between their parts (`clock_message` rebuilds them)
CLOCK_MESSAGE = re.compile(
    r"Signature\s*(expired|not\s*yet\s*current):\s*(\d{8}T\d{6}Z)\s*is\s*"
    r"(now\s*earlier|still\s*later)\s*than\s*(\d{8}T\d{6}Z)\s*\(\s*(\d{8}T\d{6}Z)\s*([-+])\s*"
    r"(\d+)\s*min\.?\s*\)"
)
_CLOCK_START = ("Signature expired:", "Signature not yet current:")


def clock_message(m: re.Match[str]) -> str:
    """A `CLOCK_MESSAGE` match as AWS writes it."""
    what = "expired" if m.group(1) == "expired" else "not yet current"
    rel = "now earlier" if m.group(3).startswith("now") else "still later"
    return (
        f"Signature {what}: {m.group(2)} is {rel} than {m.group(4)} "
        f"({m.group(5)} {m.group(6)} {m.group(7)} min.)"
    )


def _cut_clock(msg: str) -> bool:
    """`msg` is the start of AWS's clock message, cut short (by a paste's wrap)."""
    msg = msg.strip()
    if not msg or CLOCK_MESSAGE.search(msg):
        return False
    return any(x.startswith(msg) or msg.startswith(x) for x in _CLOCK_START)


def _unwrapped_error(text: str, start: int, sep: str) -> str:
    """The SDK's error line at `start` of `text` and the lines a paste wrapped it into
    (up to 4, to an empty line), joined by `sep` (a chat tool's indent taken off): "" where
    the wrap kept the blank or cut a word, " " where it dropped the blank."""
    lines = text[start:].split("\n", 5)[:5]
    out = lines[0]
    for ln in lines[1:]:
        if not ln.strip() or "Traceback" in ln:
            break
        out += sep + ln.lstrip(" \t")
    return out


def client_error(text: str) -> tuple[str, str, str, str] | None:
    """(code, operation, message, the whole match) of the SDK's error message in `text`.
    The clock check's message (SD401's), when a paste wrapped it, is read rejoined."""
    if "An error occurred" not in text and "A client error" not in text:
        return None
    m = _CLIENT_ERROR.search(text)
    if m is None or _cut_clock(m.group(4)):
        at = m.start() if m is not None else _ERROR_START.search(text)
        start = at if isinstance(at, int) else at.start() if at is not None else -1
        for sep in ("", " ") if start >= 0 else ():
            line = _unwrapped_error(text, start, sep)
            j = _CLIENT_ERROR.match(line)
            c = CLOCK_MESSAGE.match(j.group(4)) if j is not None else None
            if j is not None and c is not None:
                return j.group(1) or j.group(2), j.group(3), clock_message(c), j.group(0)
    if m is None:
        return None
    msg, whole = m.group(4), m.group(0)
    quote = text[m.start() - 1 : m.start()]
    if quote in ('"', "'") and msg.endswith(quote):
        # the line as the user quoted it (`"A client error (X) occurred ... large."`)
        msg, whole = msg[:-1], whole[:-1]
    return m.group(1) or m.group(2), m.group(3), msg, whole


# an AWS error answer pasted without the SDK's line: botocore's parsed response as Python
# prints it (`print(e.response)`: {'Error': {'Code': ..., 'Message': ...}, 'ResponseMetadata':
# ...}), or STS's own XML body (`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/...">`)
# (the message on up to four lines: a paste may have wrapped it, `_rejoined`)
_RESPONSE_DICT = re.compile(
    r"'Error':\s*\{[^{}]{0,200}?'Code':\s*'([\w.]{1,64})',\s*'Message':\s*"
    r"'([^'\n]{0,400}(?:\n[^'\n]{0,400}){0,3})'"
    r"(?=[^{}]{0,40}\},\s*'ResponseMetadata':\s*\{)"
)
_STS_XML_ERROR = re.compile(
    r"<ErrorResponse xmlns=\"https://sts\.amazonaws\.com/doc/\d{4}-\d\d-\d\d/\">\s*<Error>\s*"
    r"(?:<Type>\w{1,20}</Type>\s*)?(<Code>([\w.]{1,64})</Code>\s*"
    r"<Message>([^<\n]{0,400}(?:\n[^<\n]{0,400}){0,3})</Message>)"
)
_WRAP_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def _rejoined(msg: str) -> str:
    """A message a paste wrapped, on one line again: AWS's clock message as AWS writes it,
    any other with a blank at each break (the wrap fell at a blank, or dropped it)."""
    if "\n" not in msg:
        return msg
    c = CLOCK_MESSAGE.search(msg)
    if c is not None:
        return _WRAP_BREAK.sub(" ", msg[: c.start()]) + clock_message(c) + msg[c.end() :]
    return _WRAP_BREAK.sub(" ", msg)


def response_error(text: str) -> tuple[str, str, str, bool] | None:
    """(code, message, the matched text on one line, whether STS answered) of an AWS error
    answer pasted on its own: botocore's parsed response dict or STS's XML error body."""
    if "'ResponseMetadata'" in text and (d := _RESPONSE_DICT.search(text)):
        msg = _rejoined(d.group(2))
        return d.group(1), msg, f"'Code': '{d.group(1)}', 'Message': '{msg}'", False
    if "<ErrorResponse" in text and (x := _STS_XML_ERROR.search(text)):
        msg = _rejoined(x.group(3))
        whole = " ".join(f"<Code>{x.group(2)}</Code> <Message>{msg}</Message>".split())
        return x.group(2), msg, whole, True
    return None


_RESPONSE_EXCERPT = re.compile(
    r"^(?:'Code': '([\w.]{1,64})', 'Message': '(.*)'|<Code>([\w.]{1,64})</Code> <Message>(.*)</Message>)$"
)


def response_excerpt(text: str) -> tuple[str, str, bool] | None:
    """(code, message, whether STS answered) of the excerpt `response_error` made."""
    m = _RESPONSE_EXCERPT.match(text)
    if m is None:
        return None
    if m.group(1):
        return m.group(1), m.group(2), False
    return m.group(3), m.group(4), True


_MAX_ATTEMPTS = re.compile(
    r"Reached the maximum number of retry attempts: (\d+)|Max attempts of (\d+) reached|"
    r"reached max retries: (\d+)"
)
_ENDPOINT_URL = re.compile(r"endpoint URL: \"?(https?://[^\s\"]+)")
_PROXY_URL = re.compile(r"proxy URL: \"?(https?://[^\s\"]+)")
# urllib3's (and vendored requests') words for the pool an exception came from, the only
# place a bare `ConnectTimeout: HTTPSConnectionPool(host='...', port=443): ...` names the host
_POOL_HOST = re.compile(r"\b(HTTPS?)ConnectionPool\(host='([\w.-]{1,253})', port=(\d{1,5})\)")
_VERSION = re.compile(r"\b(aws-cli/[\d.]+|[Bb]otocore/[\d.]+|Boto3/[\d.]+|Python/[\d.]+)")
_FOUND_CREDS = re.compile(r"(?:Found credentials|Credentials found) (?:in|from|via) ([^.:\n]+)")
# one whole string of the CLI's argument list (`'--region', 'us-gov-west-1', `)
_CLI_ARG = re.compile(r"""(?<![\w'"])'([^'\\\n]{0,400})'(?=\s*[,\]])""")
# a shell prompt a pasted line may start with (`$ `, `user@host:~$ `, `PS C:\> `)
_PROMPT = r"^\s*(?:\S{0,60}[$#>%]\s*)?"
# the command line a user pasted above the log (its prompt before it)
_SHELL_AWS = re.compile(_PROMPT + r"aws\s+([a-z0-9][a-z0-9-]*\s.*)$")
_LOOKING = re.compile(r"Looking for credentials via: (\S+)")
# what a record's continuation lines may hold after `Found credentials in …`: a traceback, or
# botocore's error sentence on a line of its own (the CLI's output, an app's logger quoting it)
_GLUED_ERROR = re.compile(
    r"Traceback \(most recent call last\)|An error occurred \([\w.]+\) when calling|"
    r"A client error \([\w.]+\) occurred|endpoint URL: \"?https?://"
)
# proxy variables a user pasted above the output (`$ export HTTPS_PROXY=http://...`)
_SHELL_PROXY = re.compile(
    _PROMPT + r"(?:export|set)\s+(HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy)=(\S*)"
)
# the `--region` of the command line a user pasted with the CLI's output (no `--debug`: the
# only place the paste names the region the command was run for)
_SHELL_REGION = re.compile(
    _PROMPT + WRAPPER.decode() + r"aws\s+(?=[a-z0-9][a-z0-9-]*\s|--)[^\n]*?"
    r"--region[= ]['\"]?([a-z]{2}(?:-[a-z]+)+-\d+)['\"]?(?:\s|$)"
)

# botocore's HTTPClientError for a proxy setting urllib3 cannot parse (`HTTPS_PROXY=
# http://proxy:port`, `http://[host`): the URL botocore built itself would be an endpoint's
# (`Failed to parse: https://...`), a bare `host:port` or an IPv6 bracket the proxy's
BAD_PROXY_URL = (
    r"An HTTP Client raised an unhandled exception: (?:Failed to parse: '?(?!https?://)"
    r"[^\s']*'? is not a valid host or port|Invalid IPv6 URL)"
)

# exception text → kind, most specific first
_ERRORS: tuple[tuple[re.Pattern[str], ErrorKind], ...] = (
    (re.compile(r"ProxyConnectionError|Failed to connect to proxy|ProxyError|Tunnel connection failed|Unable to connect to proxy|" + BAD_PROXY_URL), ErrorKind.PROXY),
    (re.compile(r"SSLError|SSL validation failed|CERTIFICATE_VERIFY_FAILED|SSLCertVerificationError|certificate verify failed|hostname .* doesn't match|Could not find a suitable TLS CA certificate bundle"), ErrorKind.SSL),
    # (aiobotocore 1.x lets aiohttp's own exceptions through: "Timeout on reading data from
    # socket", "Connection timeout to host ...", "Cannot connect to host ...")
    (re.compile(r"ReadTimeout|Read timeout on endpoint URL|read timeout=|Read timed out|Timeout on reading data from socket"), ErrorKind.READ_TIMEOUT),
    (re.compile(r"ConnectTimeout|Connect timeout on endpoint URL|connect timeout=|timed out\. \(connect|Connection timeout to host"), ErrorKind.CONNECT_TIMEOUT),
    (re.compile(r"gaierror|NameResolutionError|Name or service not known|Temporary failure in name resolution|nodename nor servname|No address associated with hostname|getaddrinfo failed|Failed to resolve"), ErrorKind.DNS),
    (re.compile(r"Connection refused|ConnectionRefusedError|Errno 111\]|Errno 61\]|Connection reset by peer|ECONNRESET|ConnectionResetError"), ErrorKind.CONNECTION_REFUSED),
    (re.compile(r"NoCredentialsError|Unable to locate credentials"), ErrorKind.NO_CREDENTIALS),
    (re.compile(r"NoRegionError|You must specify a region"), ErrorKind.NO_REGION),
    (re.compile(r"EndpointConnectionError|Could not connect to the endpoint URL|ConnectionClosedError|Connection was closed|ConnectionError|Connection aborted|RemoteDisconnected|Cannot connect to host|ServerDisconnectedError"), ErrorKind.CONNECTION_ERROR),
)  # fmt: skip

_TRANSPORT = {
    ErrorKind.PROXY, ErrorKind.SSL, ErrorKind.READ_TIMEOUT, ErrorKind.CONNECT_TIMEOUT,
    ErrorKind.DNS, ErrorKind.CONNECTION_REFUSED, ErrorKind.CONNECTION_ERROR,
}  # fmt: skip


_PROVIDER_CALL = re.compile(r"Retrieving credentials via (assume role|web identity)|Assuming role")
_NO_CRED_OR_REGION = re.compile(
    "|".join(
        rx.pattern for rx, k in _ERRORS if k in (ErrorKind.NO_CREDENTIALS, ErrorKind.NO_REGION)
    )
)
_ANY_ERROR = re.compile("|".join(rx.pattern for rx, _ in _ERRORS))


def classify(text: str) -> ErrorKind | None:
    """The error kind a text shows, most specific first (a proxy error mentioning a timeout
    is a proxy error)."""
    if not _ANY_ERROR.search(text):
        return None
    for rx, kind in _ERRORS:
        if rx.search(text):
            return kind
    return None


_KIND_RX = {kind: rx for rx, kind in _ERRORS}


def error_text(lines: list[str]) -> str:
    """A record's lines without its traceback frames (the `File ...` lines and the source
    lines under them, indented deeper than their `Traceback` line, and the numbered source
    lines of IPython's tracebacks): the exception lines are what says what went wrong, and
    scanning only them keeps long tracebacks cheap."""
    if len(lines) < 4:
        return "\n".join(lines)  # too short to hold a traceback frame
    ipython = any(
        ln.startswith("-->") or (".py in " in ln and _IPY_FRAME.search(ln)) for ln in lines
    )
    out: list[str] = []
    base = -1
    for ln in lines:
        if base >= 0 and ln[: base + 1].isspace() and len(ln) > base:
            continue
        if ipython and _IPY_SOURCE.match(ln):
            continue
        if "Traceback (most recent call last)" in ln:
            base = len(ln) - len(ln.lstrip())
        out.append(ln)
    return "\n".join(out)


# IPython's (Jupyter's) traceback: a frame's `~/…/botocore/httpsession.py in send(self,
# request)` line, then its source lines, numbered, the current one marked `-->` (their code,
# `raise ProxyConnectionError(...)` under an `except ProxyError`, is no error that happened)
_IPY_FRAME = re.compile(r"\.py in [\w<>]+\(")
_IPY_SOURCE = re.compile(r"(?:-*> ?| +)\d{1,6}(?: |$)")


_EXC_LINE = re.compile(r"^\s*([\w.]*(?:Error|Exception|Timeout)\w*:.*)$", re.M)


def _said(text: str) -> str | None:
    """The line of a record that says credentials or the region are missing, when no
    exception line does (the CLI's own words under the command and settings a user pasted)."""
    m = _NO_CRED_OR_REGION.search(text)
    return _line_at(text, m.start()) if m else None


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end >= 0 else len(text)].strip()


# the lines of a URL a paste wrapped by hand: indented, no blank in them, the last one
# closing the quote (`"https://host\n            /runtimes/arn%3A…\n            %2F…/invocations"`)
_URL_PIECE = re.compile(r"\n[ \t]+([^\s\"]+)(\"?)")


def _rewrapped(text: str, m: re.Match[str]) -> str:
    """The URL of an `endpoint URL: "…"` match, its wrapped lines joined when the quote
    it opened closes only on a later line."""
    url, end = m.group(1), m.end(1)
    if text[m.start(1) - 1 : m.start(1)] != '"' or text[end : end + 1] != "\n":
        return url
    for _ in range(8):
        piece = _URL_PIECE.match(text, end)
        if piece is None:
            return m.group(1)  # no closing quote: not a wrapped URL
        url, end = url + piece.group(1), piece.end()
        if piece.group(2):
            return url
    return m.group(1)


_NAMES_URL = re.compile(r"(?:endpoint|proxy) URL: \"?https?://|SSL validation failed for https?://")


def _last_exception_line(text: str, kind: ErrorKind | None = None) -> str:
    """The most telling line of a traceback: the last line that shows the error's kind
    (e.g. the `NameResolutionError` under an `EndpointConnectionError`), else the last
    `X: message` line."""
    if kind is not None:
        lines = [_line_at(text, m.start()) for m in _KIND_RX[kind].finditer(text)]
        lines = [x for x in lines if not x.startswith(("File ", "raise "))]
        # botocore's own message names the URL; a later line that only names the exception
        # class (a report's table: `RequestId : … ReadTimeoutError 不带 .response`) is prose
        said = [x for x in lines if _NAMES_URL.search(x)]
        if said or lines:
            return (said or lines)[-1]
    best = ""
    for m in _EXC_LINE.finditer(text):
        best = m.group(1).strip()
    return best


# a traceback frame's source line that raises an exception class (`raise ReadTimeout(e, ...)`)
_RAISE = re.compile(r"^[ \t]+raise ([A-Z]\w*)\(", re.M)


def _raised_in_cut_traceback(text: str) -> ErrorKind | None:
    """The kind of the exception a traceback cut before its last line raises: the innermost
    frame's `raise ReadTimeout(...)` (a paste or an index cut `ReadTimeout: ...` short) when
    no frame and no `X: message` line follows it; never a guess from a middle frame."""
    last = None
    for m in _RAISE.finditer(text):
        last = m
    if last is None:
        return None
    rest = text[last.end() :].split("\n", 1)
    tail = rest[1] if len(rest) > 1 else ""
    if 'File "' in tail or _EXC_LINE.search(tail) or tail.count("\n") > 1:
        return None
    return classify(last.group(1))


@dataclass(slots=True)
class _Try:
    """An attempt while its request is open (mutable); frozen into `Attempt`."""

    number: int
    line: int
    host: str | None = None
    proxy: str | None = None
    status: int | None = None
    error: ErrorKind | None = None
    error_text: str = ""
    time: float | None = None
    answered: bool = False
    unlogged: bool = False  # retried with no answer and no exception in the log
    status_line: int = 0  # the line of its status line
    prepared: bool = False  # built and signed after a retry decision, not yet sent
    signed_at: float | None = None  # its X-Amz-Date (the local clock when it was signed)

    @property
    def silent(self) -> bool:
        """Over with nothing in the log to say how: no answer, no exception, no kind yet."""
        return self.unlogged and self.error is None and self.status is None and not self.answered


# botocore's standard/adaptive retry handler names no exception, and botocore logs none for
# its HTTPClientError family: a read timeout or a closed connection
_SILENT_RETRY = "Retry needed, retrying request after delay"
_SILENT_KINDS = (ErrorKind.READ_TIMEOUT, ErrorKind.CONNECTION_ERROR)
# error codes botocore's retry handlers retry (throttling and transient errors)
_RETRIED_CODE = re.compile(
    r"Throttl|TooManyRequests|LimitExceeded|SlowDown|RequestTimeout|Internal(?:Error|Failure)|"
    r"ServiceUnavailable|IDPCommunicationError|PriorRequestNotComplete|TransactionInProgress"
)
# the retry handlers' decision with its delay: legacy, standard and adaptive modes
_DELAY = re.compile(r"(?:Retry needed, action of|retrying request after delay of): ([\d.]+)")
_REQUEST_ID = re.compile(r"(?i)x-amzn-requestid'?\s*:\s*b?'([\w-]{8,64})'")
# the time a request was signed (the local clock's) and the time its answer names (AWS's):
# with the log's own times of the two records, how far the local clock is off
_AMZ_DATE = re.compile(r"'X-Amz-Date': b?'(\d{8}T\d{6}Z)'")
_HTTP_DATE = re.compile(r"'Date': '(\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT)'")
# a difference the log shows beyond rounding (both times in whole seconds) and the time
# between the two records
CLOCK_SKEW_S = 60.0
# AWS refuses a signature more than 15 minutes off its clock: an answer to a request signed
# further off (not that refusal: its error says so) is no clock's, but two runs or two
# hosts' lines pasted together (a header of one with the request of another)
CLOCK_SPLICE_S = 900.0 + CLOCK_SKEW_S


def _epoch(text: str, fmt: str) -> float | None:
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


# the last line of a traceback that ends an asyncio task: the program's own deadline
# (`asyncio.wait_for`, `asyncio.timeout`) or a cancel stopped what was awaited, such as an
# aiobotocore request (3.11+: TimeoutError; 3.8-3.10: asyncio.exceptions.TimeoutError;
# 3.7: concurrent.futures._base.TimeoutError); not a socket's `TimeoutError: [Errno 110] ...`
_CANCEL_LINE = re.compile(
    r"(?:asyncio(?:\.exceptions)?\.|concurrent\.futures\._base\.)?(?:CancelledError|TimeoutError)\s*$"
)


def _cancelled(rec: Record, last: str) -> bool:
    return _CANCEL_LINE.match(last.strip()) is not None and any(
        "asyncio" in ln for ln in rec.lines[-60:]
    )


_THREAD_DIED = "Exception in thread "  # threading's excepthook: 'Exception in thread T-1 (worker):'
_SILENT_TEXT = "retried without an answer or a logged error: a read timeout or a closed connection"


@dataclass(slots=True)
class _Builder:
    index: int
    first_line: int
    thread: str | None
    service: str | None = None
    operation: str | None = None
    client_region: str | None = None
    param_region: str | None = None
    use_global: bool | None = None
    use_fips: bool | None = None
    use_dualstack: bool | None = None
    endpoint_override: str | None = None
    endpoint_result: str | None = None
    url: str | None = None
    host: str | None = None
    signing_region: str | None = None
    signing_service: str | None = None
    access_key: str | None = None
    resource_regions: list[str] = field(default_factory=list)
    proxy: str | None = None
    attempts: list[_Try] = field(default_factory=list)
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    started: float | None = None
    ended: float | None = None
    last_line: int = 0
    exhausted: bool = False
    by_provider: bool = False
    refs: list[LineRef] = field(default_factory=list)
    opened: bool = False  # saw "Making request"
    # when its retry is due: the time of the retry handler's decision plus its delay (logs
    # without thread names: which waiting request a `Sending` is)
    ready_at: float | None = None
    # its retry handler decided to retry (at that line) and it has not been sent again
    waiting_since: int | None = None
    # its last attempt's answer (a status, headers, an exception) is in the log and the
    # retry handler's `needs-retry` event about it is not yet
    hook_due: bool = False
    implicit: bool = False  # opened by a fact from its middle (a paste that starts there)
    # the program got its final error (a traceback, the CLI's error line): a new connection
    # after it is another call's (no retry comes after the error is raised)
    over: bool = False

    def ref(self, rec: Record, tag: str, text: str | None = None, at: str | None = None) -> None:
        """Evidence: `text` (the record's message by default), at the line of the record
        that holds `at` (default: `text`)."""
        if len(self.refs) < 40:
            line = line_of(rec, at or text)
            self.refs.append(LineRef(line, tag, excerpt(text if text is not None else rec.message)))

    def touch(self, rec: Record) -> None:
        self.last_line = max(self.last_line, rec.line)
        if rec.ts is not None:
            if self.started is None:
                self.started = rec.ts
            self.ended = rec.ts

    def set_attempt(self, **kw: object) -> None:
        if not self.attempts:
            self.attempts.append(_Try(1, self.last_line))
        a = self.attempts[-1]
        for k, v in kw.items():
            setattr(a, k, v)

    def freeze(self) -> LogRequest:
        # every attempt failed and the SDK stopped: retries exhausted, even when the retry
        # handler (legacy mode) did not log it
        last = self.attempts[-1].error if self.attempts else None
        silent = [a for a in self.attempts if a.silent]
        if silent and self.attempts[-1] in silent and last is None:
            # the request ended with an attempt that failed unlogged: every silent attempt
            # failed the way a logged one did (legacy mode names a retried read timeout in
            # its retry line only; aiobotocore 1.x its connect timeouts too), else as the
            # usual member of botocore's unlogged HTTPClientError family, a read timeout
            known = [a.error for a in self.attempts if a.error in _TRANSPORT]
            kind = known[-1] if known else ErrorKind.READ_TIMEOUT
            for a in silent:
                a.error = kind
                a.error_text = f"{kind.value} (not logged: {_SILENT_TEXT})"
        for a in self.attempts[:-1]:
            if a.silent:
                if last in _SILENT_KINDS:
                    # failed as silently as botocore's HTTPClientError family does: take
                    # them as the last attempt's kind
                    a.error = last
                    a.error_text = f"{last.value} (not logged: taken from the last attempt)"
                else:
                    a.error_text = _SILENT_TEXT
        if len(self.attempts) >= 2 and all(a.error is not None for a in self.attempts):
            self.exhausted = True
        return LogRequest(
            index=self.index,
            first_line=self.first_line,
            last_line=max(self.last_line, self.first_line),
            thread=self.thread,
            service=self.service,
            operation=self.operation or _rest_operation(self.url),
            client_region=self.client_region,
            param_region=self.param_region,
            use_global_endpoint=self.use_global,
            use_fips=self.use_fips,
            use_dualstack=self.use_dualstack,
            endpoint_override=self.endpoint_override,
            endpoint_result=self.endpoint_result,
            url=self.url,
            host=self.host,
            signing_region=self.signing_region,
            signing_service=self.signing_service,
            access_key=self.access_key,
            resource_regions=tuple(dict.fromkeys(self.resource_regions)),
            proxy=self.proxy,
            attempts=tuple(
                Attempt(
                    a.number,
                    a.line,
                    a.host,
                    a.proxy,
                    a.status,
                    a.error,
                    a.error_text,
                    a.time,
                    a.answered or a.unlogged or a.status is not None or a.error is not None,
                )
                for a in self.attempts
            ),
            http_status=self.http_status,
            error_code=self.error_code,
            error_message=(
                excerpt(self.error_message, _ERROR_MESSAGE_LIMIT) if self.error_message else None
            ),
            started=self.started,
            ended=self.ended,
            retries_exhausted=self.exhausted,
            by_credential_provider=self.by_provider,
            refs=tuple(self.refs),
        )


@dataclass(slots=True)
class _Pending:
    """Facts seen before `Making request` in a thread (endpoint resolution, service)."""

    service: str | None = None
    operation: str | None = None
    params: dict[str, object] | None = None
    params_rec: Record | None = None
    result: str | None = None
    result_rec: Record | None = None


@dataclass(slots=True)
class LogEvents:
    """Log-level facts collected while reading (bounded)."""

    events: list[LineRef] = field(default_factory=list)
    versions: dict[str, None] = field(default_factory=dict)
    credential_source: str | None = None
    credential_line: int | None = None
    looking_for: list[str] = field(default_factory=list)
    cli_args: dict[str, str] = field(default_factory=dict)
    # lines outside any log record that only the SDK writes (a traceback through botocore,
    # the CLI's error message): a paste of those alone is still the SDK's story
    sdk_text: int = 0
    debug_records: int = 0  # botocore logs answers (status, headers, bodies) only at DEBUG
    # records of the AWS SDK's own loggers (botocore, boto3, the CLI, s3transfer), not
    # urllib3's: a log of urllib3 lines alone may be any program's (gcloud, requests)
    aws_records: int = 0
    _per_tag: dict[str, int] = field(default_factory=dict)

    def add(
        self, rec: Record, tag: str, text: str | None = None, offset: int = 0, limit: int = 240
    ) -> None:
        """An event at the line of `text` in the record (its first line by default), or
        `offset` lines further into the record."""
        line = rec.line + offset if offset else line_of(rec, text)
        self._add(LineRef(line, tag, excerpt(text or rec.message, limit)))

    def _add(self, ref: LineRef) -> None:
        n = self._per_tag.get(ref.tag, 0)
        if n < 20:
            self._per_tag[ref.tag] = n + 1
            self.events.append(ref)

    def remap(self, line_of: Callable[[int], int]) -> None:
        """Every line as `line_of` maps it (a wrapper's lines to the file's)."""
        self.events = [LineRef(line_of(e.line), e.tag, e.excerpt) for e in self.events]
        if self.credential_line is not None:
            self.credential_line = line_of(self.credential_line)

    def merge(self, later: LogEvents, lines: int) -> None:
        """Fold in the events of the next part of a split log (its lines start after
        `lines`), as if read in one go."""
        for e in later.events:
            self._add(LineRef(e.line + lines, e.tag, e.excerpt))
        for v in later.versions:
            if len(self.versions) < 8:
                self.versions[v] = None
        if later.credential_source is not None:
            self.credential_source = later.credential_source
            self.credential_line = (later.credential_line or 0) + lines
        self.looking_for.extend(later.looking_for[: max(0, 20 - len(self.looking_for))])
        self.cli_args = dict(later.cli_args)
        self.sdk_text += later.sdk_text
        self.debug_records += later.debug_records
        self.aws_records += later.aws_records


# an error message is kept to this length: STS's reason for denying a role assumption
# ("… because no identity-based policy allows the sts:AssumeRole action") ends messages of
# 300 to 500 characters
_ERROR_MESSAGE_LIMIT = 600

_AWS_LOGGERS = frozenset({"botocore", "boto3", "awscli", "s3transfer", "aiobotocore", "boto"})

CRED_OPS = frozenset(
    {"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetRoleCredentials"}
)


class _Open:
    """The open requests of every thread: a stack per thread, because a credential
    provider's STS call (AssumeRole, AssumeRoleWithWebIdentity) runs *inside* the request
    that needed the credentials."""

    def __init__(self) -> None:
        self.stacks: dict[str | None, list[_Builder]] = {}

    def get(self, thread: str | None) -> _Builder | None:
        st = self.stacks.get(thread)
        return st[-1] if st else None

    def push(self, thread: str | None, b: _Builder) -> None:
        self.stacks.setdefault(thread, []).append(b)

    def pop_all(self, thread: str | None) -> list[_Builder]:
        return self.stacks.pop(thread, [])

    def drop(self, thread: str | None, b: _Builder) -> bool:
        """Take `b` off if it is the thread's top request."""
        st = self.stacks.get(thread)
        if not st or st[-1] is not b:
            return False
        st.pop()
        if not st:
            del self.stacks[thread]
        return True

    def pop_top(self, thread: str | None) -> list[_Builder]:
        st = self.stacks.get(thread) or []
        return [st.pop()] if len(st) > 1 else []

    def threads(self) -> list[str | None]:
        return list(self.stacks)

    def values(self) -> list[_Builder]:
        return [b for st in self.stacks.values() for b in st]


def _in_flight(b: _Builder) -> bool:
    """Sent and not yet answered (no status, no response headers, no exception)."""
    return not _answered(b) and bool(b.attempts)


def _may_retry(b: _Builder) -> bool:
    """The last attempt failed in a way botocore retries (an exception, a throttling or
    server error) and no retry handler said the attempts ran out."""
    a = b.attempts[-1] if b.attempts else None
    if a is None or b.exhausted:
        return False
    if b.waiting_since is not None or a.error is not None or a.unlogged:
        return True
    if a.status is not None and _retried_status(a.status):
        return True
    return (
        a.status is not None
        and b.error_code is not None
        and bool(_RETRIED_CODE.search(b.error_code))
    )


def _retried_status(status: int) -> bool:
    """An HTTP status botocore may retry whatever the error code (throttled, server error)."""
    return status >= 500 or status == 429


def _answered(b: _Builder) -> bool:
    """The last attempt has its answer: a status line, response headers (aiohttp, as
    aiobotocore uses, logs no status line) or an exception."""
    if not b.attempts:
        return False
    a = b.attempts[-1]
    return a.status is not None or a.error is not None or a.answered or a.unlogged


def line_of(rec: Record, text: str | None) -> int:
    """The log line of `text` inside a record of several lines (the last line holding its
    start: tracebacks end with the telling line); the record's first line otherwise. JSON
    records are one log line each."""
    if text is None or len(rec.lines) == 1 or rec.fmt == "json":
        return rec.line
    needle = text.strip()[:60]
    if needle and needle not in rec.lines[0]:
        for i in range(len(rec.lines) - 1, 0, -1):
            if needle in rec.lines[i]:
                return rec.line + i
    return rec.line


def _service_of(host: str) -> str | None:
    """The service a host names (`sts.ap-northeast-1.amazonaws.com` → sts); S3's
    virtual-hosted names start with the bucket (`bucket.s3.us-east-2.amazonaws.com` → s3), a
    VPC endpoint's with its id (`vpce-0a1b-c2d3.sts.us-east-1.vpce.amazonaws.com` → sts). A
    custom endpoint's host (an S3-compatible store, LocalStack, a bare host name) names none."""
    if not endpoints.is_aws_host(host):
        return None
    labels = host.split(".")
    if labels[0].startswith("vpce-") and len(labels) > 2:
        labels = labels[1:]
    if any(x == "s3" or x.startswith(("s3-", "s3express-")) for x in labels[1:3]):
        return "s3"
    first = labels[0].replace("-fips", "")
    # the service whose endpoint prefix the host starts with, as botocore names it (one
    # label, `oidc` → sso-oidc, or two: `api.ecr` → ecr, `portal.sso` → sso)
    for prefix in (".".join([first, *labels[1:2]]), first) if len(labels) > 3 else (first,):
        if name := endpoints.client_of_prefix(prefix):
            return name
    return first or None


# what only botocore, urllib3 and the AWS CLI write, in tracebacks and error messages
_SDK_TEXT = re.compile(
    # (the SDK's error line: a paste may have wrapped it between its words)
    r"\b(?:botocore|urllib3|boto3|awscli|s3transfer)[./\\]|An error occurred \([\w.]+\)\s+when\s+"
    r"calling\s+the\s+\w+\s+operation|A client error \([\w.]+\)\s+occurred\s+when\s+calling\s+the"
    r"\s+\w+\s+operation|"
    r"Could not connect to the endpoint URL|(?:Connect|Read) timeout on endpoint URL: \"?https?://|"
    r"Connection was closed before we received a valid response from endpoint URL: \"?https?://|"
    r"Unable to locate credentials|SSL validation failed for|Error when retrieving credentials from|"
    r"Invalid endpoint: (?:https?://[\w-]+\.\.|[\w-]+\.[\w.-]*amazonaws\.com)|"
    r"Failed to connect to proxy URL: \"?https?://|An HTTP Client raised an unhandled exception: |"
    # botocore's TokenRetrievalError / SSOTokenLoadError / UnauthorizedSSOTokenError texts
    r"Error when retrieving token from sso: |Error loading SSO Token: |"
    r"The SSO session associated with this profile has expired|"
    r"Credentials were refreshed, but the refreshed credentials are still expired|"
    r"'ResponseMetadata': \{'RequestId'|<ErrorResponse xmlns=\"https://sts\.amazonaws\.com/doc/"
)
# botocore's ValueError for the host it built from an empty region (`AWS_DEFAULT_REGION=""`):
# `Invalid endpoint: https://sts..amazonaws.com` (older botocore; newer ones refuse the region)
_EMPTY_REGION_HOST = re.compile(r"Invalid endpoint: https?://[\w-]+\.\.[\w.-]*\b")
# botocore's ValueError for an endpoint URL given without its scheme (`endpoint_url=
# "sts.us-east-1.amazonaws.com"`: botocore needs `https://` to read a host from it)
_NO_SCHEME_ENDPOINT = re.compile(
    r"Invalid endpoint: (?!\w+://)[\w-]+(?:\.[\w-]+)*\.amazonaws\.com(?:\.cn)?(?::\d+)?(?:/\S*)?"
)
# urllib3's frame that sets up the tunnel through an HTTPS proxy (`self._prepare_proxy(conn)`)
_PREPARE_PROXY = "_prepare_proxy("
# the AWS CLI's own line for a TLS failure names the URL this way
_SSL_FOR = re.compile(r"SSL validation failed for (https?://[^\s\"]+)")
# the container credential provider (ECS task roles, EKS Pod Identity) failed
_CONTAINER_FAILED = re.compile(
    r"retrieving credentials from container-role|ECS metadata|container metadata|"
    r"169\.254\.170\.(?:2|23)\b"
)
# botocore's ContainerMetadataFetcher refusing a full URI's host (ValueError)
_REFUSED_HOST = re.compile(
    r"Unsupported host '([^'\s]{1,255})'\. +Can only retrieve metadata from these hosts: [^\n]{0,200}"
)
_CONFIG_REGION = re.compile(
    r"(?:Setting config variable for region to|Loading variable region from \w+ with value) "
    r"u?'([a-z]{2}(?:-[a-z]+)+-\d+)'"
)
# a global service's client (IAM, CloudFront, Route 53) built for the configured region:
# `Using partition endpoint for iam, us-west-2: aws-global` names that region
_PARTITION_ENDPOINT = re.compile(
    r"Using partition endpoint for [\w-]+, ([a-z]{2}(?:-[a-z]+)+-\d+): aws-global"
)
_IMDS_ENDPOINT = re.compile(r"IMDS ENDPOINT: (\S+)")
_IMDS_PATHS = ("/latest/api/token", "/latest/meta-data/", "/latest/dynamic/")
# the ECS task role's and EKS Pod Identity's credential endpoints (as urllib3 names them)
_CONTAINER_HOSTS = frozenset(
    {"169.254.170.2", "169.254.170.2:80", "169.254.170.23", "169.254.170.23:80"}
)
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


# a log spliced from two runs: the next record's time is this far before the last one's (no
# thread of one process logs minutes late), or this far after it (botocore waits at most a
# minute by default for a connection or an answer, 20 s between attempts)
SPLICE_BACK = 300.0
SPLICE_AHEAD = 3600.0
_DAY = 86400.0


def _spliced(last: float, ts: float) -> bool:
    """A record at `ts` after one at `last` is another run's: time went back minutes, or
    on by an hour (a time of day that passes midnight, in formats without a date, is no
    splice)."""
    if last - ts > SPLICE_BACK:
        return not (last < 2 * _DAY and ts < 2 * _DAY and last - ts > _DAY - SPLICE_AHEAD)
    return ts - last > SPLICE_AHEAD


def _url_scope(rec: Record, b: _Builder, target: str) -> None:
    """A presigned URL's credential scope in the request's target: the signer's region and
    service when nothing else named them (the URL's host may name no region:
    `bucket.s3.amazonaws.com`). Its evidence names the key id masked, never the signature."""
    sc = _URL_SCOPE.search(target)
    if sc is None or b.signing_region is not None:
        return
    region, service = sc.group(3).lower(), sc.group(4).lower()
    b.signing_region, b.signing_service = region, service
    key = mask_key_id(sc.group(1)) if sc.group(1) else None
    b.access_key = b.access_key or key
    said = f"X-Amz-Credential={key or '…'}/{sc.group(2)}/{region}/{service}/aws4_request"
    b.ref(rec, "signing-scope", said, sc.group(0))


def _is_credential_fetch(host: str | None, target: str, cred_hosts: frozenset[str]) -> bool:
    """A request of the credential chain (IMDS, container endpoints), by its host or path
    (IMDS's paths are its own; over plain HTTP they are never an API call); through a proxy
    the target is the whole URL."""
    if target.startswith("http://"):
        host, target = _host_of(target), target[target.find("/", 7) :] if "/" in target[7:] else "/"
    if host in _CRED_HOSTS or host in cred_hosts or target.startswith(_IMDS_PATHS):
        return True
    return target.startswith(_CRED_PATHS) and (host is None or host in _LOOPBACK)


def _apply_pending(b: _Builder, p: _Pending) -> None:
    """What the thread logged before the request (service, endpoint resolution)."""
    if p.operation and (b.operation is None or b.operation == p.operation):
        b.service = p.service
    if p.params is not None and p.params_rec is not None:
        b.param_region = pyrepr.get_str(p.params, "Region")
        b.use_global = pyrepr.get_bool(p.params, "UseGlobalEndpoint")
        b.use_fips = pyrepr.get_bool(p.params, "UseFIPS")
        b.use_dualstack = pyrepr.get_bool(p.params, "UseDualStack")
        b.endpoint_override = pyrepr.get_str(p.params, "Endpoint")
        b.ref(p.params_rec, "endpoint-params")
        b.first_line = min(b.first_line, p.params_rec.line)
    if p.result is not None and p.result_rec is not None:
        b.endpoint_result = p.result
        b.ref(p.result_rec, "endpoint-result")
        if b.url is None and (host := _host_of(p.result)):
            # a `Making request` cut before its URL: the endpoint it is built on says where
            b.url, b.host = p.result, host


def _elsewhere(b: _Builder, host: str) -> bool:
    """A connection or answer for another service or bucket than the request a paste's
    fragment opened (no `Making request` seen): a request of its own (INFO-level logs show
    only these). The same first label in another region is a redirect of the same request
    (`bucket.s3.us-east-2` → `bucket.s3.us-east-1`)."""
    return (
        b.implicit
        and not b.opened
        and b.host is not None
        and b.host.split(".", 1)[0] != host.split(".", 1)[0]
    )


# the instance's region in IMDS, as the AWS CLI v2 and botocore's region fetcher ask it
_IMDS_REGION_PATHS = ("placement/availability-zone", "placement/region")
_METADATA_FAILED = re.compile(
    r"Max number of attempts exceeded|Caught retryable HTTP exception while making metadata "
    r"service|Error response received when making metadata|timeout|Timeout"
)


def _region_lookup_failed(rec: Record, text: str) -> bool:
    """The SDK asked IMDS for the region and got none: a failure that names the region's
    path, or one of `awscli.utils`, whose metadata fetcher only looks up the region (AWS CLI
    v2, when no region is configured). botocore.utils's own words are the same for the
    credential and the region fetchers, so without the path they tell neither."""
    if "metadata" not in text and not any(p in text for p in _IMDS_REGION_PATHS):
        return False
    if not (rec.logger == "awscli.utils" or any(p in text for p in _IMDS_REGION_PATHS)):
        return False
    return bool(_METADATA_FAILED.search(text)) or classify(text) in _TRANSPORT


def _about_credential_chain(text: str) -> bool:
    """An error of the credential chain's own HTTP (IMDS, container endpoints)."""
    return "metadata" in text or "169.254.17" in text or any(h in text for h in _CRED_HOSTS)


# a host name or IP address; not what a user put in its place ('<S3 BUCKET>.s3.<REGION>...')
_HOSTNAME = re.compile(r"[a-z0-9_.:%-]{1,255}")


# an AWS URL botocore built from a region no host name can hold (`https://sts.<region>.
# amazonaws.com` with a session token or a secret key pasted as the region: `/`, `+`, `=`)
_BAD_REGION_URL = re.compile(
    r"https?://([a-z0-9-]+)\.([^\s\"']*?[^A-Za-z0-9.\s\"'-][^\s\"']*?)\.amazonaws\.com(?:\.cn)?/?$"
)


# a log header inside a record's message: a page or a chat that lost the log's line breaks
# glued the next records onto this one (`Sending http request:  2015-08-06 20:54:27,770 -
# botocore.response - DEBUG - Response Body: …`, `…'Content-Length': '237'}>2025-03-18 …`),
# in the AWS CLI's format or in set_stream_logger's (`… 2023-04-21 17:58:21,955
# botocore.hooks [DEBUG] Changing event name …`)
_GLUED_HEADER = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:- |[A-Za-z_][\w.]* \[)")
_GLUED_LEVELS = (
    " - DEBUG - ",
    " - INFO - ",
    " - WARNING - ",
    " - ERROR - ",
    " [DEBUG] ",
    " [INFO] ",
    " [WARNING] ",
    " [ERROR] ",
)


def _glued(rec: Record) -> list[Record] | None:
    """The records glued into `rec`'s message line, `rec` first (cut where the next one's
    header starts); its continuation lines go with the last one. None when nothing is glued."""
    msg = rec.message
    # (every glued header holds " - ": most messages are ruled out by that alone)
    if rec.fmt == "json" or " - " not in msg or not any(x in msg for x in _GLUED_LEVELS):
        return None
    cuts = [
        m.start()
        for m in _GLUED_HEADER.finditer(msg, 1)
        if classify_line(msg[m.start() : m.start() + 300].encode("utf-8", "replace"), 0)[0] != CONT
    ]
    if not cuts:
        return None
    out = [replace(rec, lines=[msg[: cuts[0]].rstrip()], size=0)]
    for a, b in zip(cuts, [*cuts[1:], len(msg)], strict=True):
        kind, r = classify_line(msg[a:b].rstrip().encode("utf-8", "replace"), rec.line)
        if kind == KEPT and r is not None:  # (records without facts are dropped, as read)
            out.append(r)
    if len(rec.lines) > 1:
        out[-1] = replace(out[-1], lines=out[-1].lines + rec.lines[1:])
    return out


def _shell_lines(rec: Record) -> list[int]:
    """Where a record's text has a shell line that runs the AWS CLI (a pasted command): of
    a stderr record any line, of another record (a log's header line) its continuation
    lines; none in a JSON record, whose lines are not the log's."""
    if rec.fmt == "json":
        return []
    start = 0 if rec.logger == "stderr" else 1
    return [
        i
        for i in range(start, len(rec.lines))
        if "aws" in rec.lines[i] and _SHELL_AWS.match(rec.lines[i])
    ]


# the operation a REST path names, for a request known only from its URL (an exception's
# endpoint URL): Bedrock's runtime and Lambda's Invoke, whose calls run long
_REST_OPERATIONS = (
    (re.compile(r"/model/[^/\s\"]+/converse-stream\b"), "ConverseStream"),
    (re.compile(r"/model/[^/\s\"]+/converse\b"), "Converse"),
    (
        re.compile(r"/model/[^/\s\"]+/invoke-with-response-stream\b"),
        "InvokeModelWithResponseStream",
    ),
    (re.compile(r"/model/[^/\s\"]+/invoke\b"), "InvokeModel"),
    (re.compile(r"/20\d\d-\d\d-\d\d/functions/[^/\s\"]+/invocations\b"), "Invoke"),
    # Bedrock AgentCore Runtime: POST /runtimes/{agentRuntimeArn}/invocations
    (re.compile(r"/runtimes/[^/\s\"]+/invocations\b"), "InvokeAgentRuntime"),
)


def _rest_operation(url: str | None) -> str | None:
    if not url or ("/model/" not in url and "/functions/" not in url and "/runtimes/" not in url):
        return None
    return next((op for pat, op in _REST_OPERATIONS if pat.search(url)), None)


_EMFILE = "Too many open files"


def _emfile(text: str, kind: ErrorKind | None, line: str) -> str:
    """A TLS failure's line, with the process's `[Errno 24] Too many open files` in front
    when the record says it elsewhere: the CA bundle could not be opened (urllib3 calls any
    failure to set up the TLS context an SSLError), nothing was wrong with a certificate."""
    if kind is ErrorKind.SSL and _EMFILE in text and _EMFILE not in line:
        return f"[Errno 24] {_EMFILE}; {line}"
    return line


def bad_region_in_url(url: str) -> tuple[str, str] | None:
    """(service, region) of an AWS URL whose region part holds characters a host name
    cannot (botocore put the region into the host as it was given)."""
    m = _BAD_REGION_URL.match(url) if ".amazonaws.com" in url else None
    return (m.group(1), m.group(2)) if m else None


def _host_of(url: str) -> str | None:
    if bad_region_in_url(url):
        return None  # its host would be a piece of the region (of a pasted secret)
    try:
        host = endpoints.host_of(url)
    except ValueError:  # a malformed URL in the log
        return None
    return host if _HOSTNAME.fullmatch(host) else None


def is_run_start(rec: Record) -> bool:
    """The AWS CLI's first record of a run (`CLI version: ...`): where `new_process` ends
    the previous run's requests, and where a split log may be cut."""
    return rec.logger == "awscli.clidriver" and rec.head().startswith("CLI version: ")


class Reconstructor:
    def __init__(self) -> None:
        self.open = _Open()
        self.pending: dict[str | None, _Pending] = {}
        self.events = LogEvents()
        self.count = 0
        self._provider_pending: dict[str | None, bool] = {}
        # formats without thread names: requests whose attempt is still in flight when
        # another request starts (concurrent threads) wait here for their answers
        self.floating: list[_Builder] = []
        self._sent: _Builder | None = None
        self._answered: _Builder | None = None
        # the request of the last exception record, whose retry line is still to come
        self._retry_pending: _Builder | None = None
        self._pending_at = 0  # the record count when it was answered
        # without thread names: the request of the last `needs-retry` event, and when
        self._hooked: _Builder | None = None
        self._last_rid: tuple[str, _Builder] | None = None  # the last answer's request id
        self._hooked_at = -10
        self._records = 0
        # the host of each thread's last new connection: old urllib3 names none in its
        # response lines
        self._conn_host: dict[str | None, str] = {}
        self._imds_status: int | None = None  # the credential chain's last HTTP answer
        self._cred_hosts: frozenset[str] = frozenset()  # IMDS elsewhere (`IMDS ENDPOINT: ...`)
        # threads that run an asyncio event loop (aiobotocore): their requests overlap
        self._async: set[str] = set()
        self._last_ts: float | None = None  # the last record's time (`_spliced`)
        # the `aws ...` command a user pasted above the log, and its line
        self._shell: tuple[int, str] | None = None
        self._skew = CLOCK_SKEW_S  # the largest clock offset an event names so far

    # ------------------------------------------------------------------ plumbing
    def _new(self, rec: Record) -> _Builder:
        self.count += 1
        b = _Builder(self.count, rec.line, rec.thread)
        b.touch(rec)
        return b

    def _current(self, rec: Record) -> _Builder:
        b = self._own(rec)
        if b is None:
            b = self._new(rec)
            self.open.push(rec.thread, b)
        return b

    def _own(self, rec: Record) -> _Builder | None:
        """The thread's open request, if any."""
        b = self.open.get(rec.thread)
        if b is None and rec.thread is not None:
            orphan = self.open.get(None)
            if orphan is not None and orphan.implicit:
                # a paste that began inside a traceback (no thread name there): the
                # thread's first record goes on with that request
                self.open.stacks[None].pop()
                orphan.thread = rec.thread
                self.open.push(rec.thread, orphan)
                return orphan
        return b

    def _fragment(
        self, rec: Record, b: _Builder | None, host: str | None
    ) -> tuple[_Builder | None, list[LogRequest]]:
        """`b`, unless it is a fragment's request for another service than `host`'s: then
        the thread's requests are over (returned frozen) and there is none."""
        if b is None or not host or not _elsewhere(b, host):
            return b, []
        return None, [x.freeze() for x in self.open.pop_all(rec.thread)]

    def _implicit(
        self, rec: Record, host: str | None, scheme: str = "https", url: str | None = None
    ) -> _Builder:
        """The request a record belongs to when none is open: a paste that starts in the
        middle of a request (after `Making request`) still shows what went wrong."""
        b = self._current(rec)
        b.implicit = not b.opened
        if host:
            b.host = b.host or host
            # (the whole URL when the record gave it: its path may name the operation)
            b.url = b.url or (url if url and _host_of(url) == host else f"{scheme}://{host}/")
            b.service = b.service or _service_of(host)
        return b

    def finish(self) -> Iterator[LogRequest]:
        # endpoint resolution to STS with no `Making request` after it (a paste's fragment,
        # or a call that failed before it was made): the endpoint it chose is evidence
        for p in self.pending.values():
            host = _host_of(p.result) if p.result else None
            if p.result_rec is not None and host and endpoints.region_of_sts_host(host)[0]:
                b = self._new(p.result_rec)
                b.operation = p.operation
                _apply_pending(b, p)
                b.url, b.host = p.result, host
                b.service = b.service or "sts"
                yield b.freeze()
        self.pending.clear()
        for b in self.floating:
            yield b.freeze()
        self.floating = []
        for t in self.open.threads():
            for b in self.open.pop_all(t):
                yield b.freeze()

    # ------------------------------------------------------------------ routing
    def _route(self, rec: Record, step: str, host: str | None = None) -> _Builder | None:
        """The request a record belongs to. With thread names: the thread's current one.
        Without (and only once requests overlap): `send` goes to the newest request unless
        it is waiting for an answer, then to the oldest one waiting to retry on that host;
        `answer` (status, exception) to the oldest in-flight request on that host, and so do
        `headers` without a status line before them (aiohttp) and a retry line without an
        exception record before it (`retry`); `conn` and `after` (headers after a status
        line, body, other retry lines) follow the last `send` / `answer`."""
        top = self.open.get(rec.thread)
        if rec.thread is not None or not self.floating:
            return top
        if step == "send":
            pool = [*self.floating, *([top] if top else [])]
            same = [b for b in pool if host is None or b.host in (None, host)]
            unsent = [b for b in same if not b.attempts]
            retry = [b for b in same if b.attempts and not _in_flight(b)]
            # those whose retry handler said it retries, the longest waiting first (a
            # request that failed for good logs no retry decision)
            retrying = sorted(
                (b for b in retry if b.waiting_since is not None),
                key=lambda b: (b.waiting_since or 0, b.index),
            )
            picks = unsent or retrying[:1] or retry
            chosen = min(picks, key=lambda b: b.index) if picks else top
            retry = retrying or retry
            ts = rec.ts
            if not unsent and len(retry) > 1 and ts is not None:
                # several wait to retry: the one whose delay ends now (a failed request
                # that was not retried has none)
                due = [b for b in retry if b.ready_at is not None]
                if due:
                    chosen = min(due, key=lambda b: (abs(ts - (b.ready_at or 0.0)), b.index))
            self._sent = chosen
            return chosen
        if step == "conn":
            return self._sent or top
        if step == "retry":
            # a retry line repeats the exception record just before it; without one (legacy
            # mode logs a read timeout only here) it is the answer of the oldest one waiting
            if self._hooked is not None and self._records - self._hooked_at <= 3:
                # the retry handler's event just before it (matched to the answers in
                # order: two answers may come before either's retry decision)
                return self._hooked
            pending = self._retry_pending
            if pending is not None and self._records - self._pending_at <= 3:
                return pending
            step = "answer"
        if step == "headers":
            # the status line came first (urllib3): the oldest status line still without
            # its headers (two answers' status lines may come before their headers)
            waiting = [b for b in [*self.floating, *([top] if top else [])] if b.attempts
                       and b.attempts[-1].status and not b.attempts[-1].answered]  # fmt: skip
            last = self._answered  # (a success is complete at its status line: `_settle`)
            if (
                last is not None
                and last not in waiting
                and last.attempts
                and last.attempts[-1].status
                and not last.attempts[-1].answered
            ):
                waiting.append(last)
            if waiting:
                chosen = min(waiting, key=lambda b: (b.attempts[-1].status_line, b.index))
                self._answered = chosen
                return chosen
            # no status line before the headers (aiohttp): the oldest request in flight
            step = "answer"
        if step == "answer":
            cands = [b for b in [*self.floating, *([top] if top else [])] if _in_flight(b)
                     and (host is None or host in (b.host, b.attempts[-1].host))]  # fmt: skip
            chosen = min(cands, key=lambda b: b.attempts[-1].line) if cands else top
            self._answered = chosen
            return chosen
        return self._answered or top

    def _drain(self, line: int) -> list[_Builder]:
        """Floating requests that have had their last answer, or nothing for 1000 lines, are
        over. One answered with an error its SDK retries may still be retried: its retry
        decision can come after another thread's next request."""
        done = [
            b
            for b in self.floating
            if (_answered(b) and not _may_retry(b)) or line - b.last_line > 1000
        ]
        if done:
            self.floating = [b for b in self.floating if b not in done]
        return done

    def _settle(self, b: _Builder | None) -> Iterator[LogRequest]:
        """A floating request that got a successful answer is complete."""
        if (
            b is not None
            and b in self.floating
            and b.http_status is not None
            and b.http_status < 400
        ):
            self.floating.remove(b)
            yield b.freeze()

    # ------------------------------------------------------------------ dispatch
    def new_process(self) -> Iterator[LogRequest]:
        """An AWS CLI run starts (`CLI version: ...`): nothing of the previous run goes on,
        so its requests are over and its per-run state is dropped. Logs of many runs can
        therefore be split at run starts and read in parallel with the same result."""
        yield from self.finish()
        self.pending.clear()
        self._provider_pending.clear()
        self._sent = self._answered = self._retry_pending = self._hooked = None
        self._last_rid = None
        self._async.clear()
        self._conn_host.clear()
        self._imds_status = None
        self._cred_hosts = frozenset()
        self.events.cli_args.clear()

    def _unthread(self, rec: Record, msg: str) -> None:
        """aiobotocore runs many requests at once on one thread's event loop, so its thread
        name does not tell them apart: its records are routed as if they had none."""
        t = rec.thread
        if t is None:
            return
        if t not in self._async and (
            rec.logger.startswith("aiobotocore")
            or ("Making request for" in msg and "aiobotocore" in rec.flat)
        ):
            self._async.add(t)
            if t in self.pending:
                self.pending[None] = self.pending.pop(t)
            for b in self.open.pop_all(t):
                b.thread = None
                self.open.push(None, b)
        if t in self._async:
            rec.thread = None

    @staticmethod
    def _ready(b: _Builder | None, rec: Record, msg: str) -> None:
        """`b` retries after the delay its retry handler logged."""
        if b is not None and b.waiting_since is None:
            b.waiting_since = rec.line
        m = _DELAY.search(msg) if b is not None and rec.ts is not None else None
        if b is not None and m is not None and rec.ts is not None:
            try:
                b.ready_at = rec.ts + float(m.group(1))
            except ValueError:  # a cut number in a damaged paste
                b.ready_at = None

    def _pending(self, b: _Builder | None) -> None:
        """`b` was just answered with an error its SDK retries: a retry line right after it
        is its own (the reader drops the lines that say an answer is not retried)."""
        self._retry_pending, self._pending_at = b, self._records

    def feed(self, rec: Record) -> Iterator[LogRequest]:
        glued = _glued(rec)
        if glued is not None:
            for piece in glued:
                yield from self.feed(piece)
            return
        if len(rec.lines) > 1 or rec.logger == "stderr":
            # a terminal transcript: each `$ aws …` line in the text starts another CLI run,
            # whose output is its own (a `Could not connect` of the first command is not
            # the second command's `An error occurred (AccessDenied)`, and a request of the
            # first `--debug` run does not go on in the second's, whose first records are
            # the lines after the previous run's last record)
            cuts = _shell_lines(rec)
            if cuts:
                starts = cuts if cuts[0] == 0 else [0, *cuts]
                for a, b in zip(starts, [*starts[1:], len(rec.lines)], strict=True):
                    part = (
                        replace(rec, lines=rec.lines[:b])
                        if a == 0
                        else Record(rec.line + a, "stderr", "", None, None, "plain", rec.lines[a:b])
                    )
                    if _SHELL_AWS.match(part.lines[0]):
                        yield from self.new_process()
                    yield from self._feed(part)
                return
        yield from self._feed(rec)

    def _feed(self, rec: Record) -> Iterator[LogRequest]:
        ts = rec.ts
        if ts is not None:
            if self._last_ts is not None and _spliced(self._last_ts, ts):
                # another run's log after this one's (two files put together): nothing of
                # the first run goes on in the second, as at a CLI run's start
                yield from self.new_process()
            self._last_ts = ts
        # a message wrapped by a paste continues on the next lines: dispatch on the rejoined text
        msg = rec.head()
        self._records += 1
        self._unthread(rec, msg)
        if rec.thread is None and rec.message.startswith(_THREAD_DIED) and rec.logger == "stderr":
            # Python's report of an exception that ended a thread names the thread
            name = rec.message[len(_THREAD_DIED) :].rstrip().removesuffix(":")
            if self.open.get(name) is not None:
                rec.thread = name
        if rec.level == "DEBUG":
            self.events.debug_records += 1
        if rec.logger and rec.logger.split(".", 1)[0] in _AWS_LOGGERS:
            self.events.aws_records += 1
        if is_run_start(rec):
            yield from self.new_process()
        n = len(rec.lines)
        # (the markers are never on a header line: only continuation lines and orphans hold them)
        for i in range(max(0, n - 4), n if n > 1 or rec.logger == "stderr" else 0):
            # the process was stopped while it ran: Ctrl-C (the traceback's last line), or
            # the Lambda platform's timeout line, wherever a record's last lines hold them
            tail = rec.lines[i]
            tag = (
                "interrupted"
                if "KeyboardInterrupt" in tail
                else "function-timeout"
                if "Task timed out after" in tail
                else "cancelled"
                if i == n - 1 and _cancelled(rec, tail)
                else None
            )
            if tag is not None:
                # a text record's lines are the log's lines; a JSON record's are not
                self.events.add(rec, tag, tail.strip(), i if rec.fmt != "json" else 0)
                break
        if "Making request for" in msg:
            yield from self._making_request(rec)
        elif msg.startswith("Calling endpoint provider with parameters"):
            p = self.pending.setdefault(rec.thread, _Pending())
            p.params = pyrepr.parse_dict_after(rec.flat, "parameters:")
            p.params_rec = rec
        elif msg.startswith("Endpoint provider result"):
            p = self.pending.setdefault(rec.thread, _Pending())
            p.result = msg.split(":", 1)[1].strip() if ":" in msg else None
            p.result_rec = rec
        elif msg.startswith("Event before-parameter-build."):
            m = _BPB.search(msg)
            if m:
                p = self.pending.setdefault(rec.thread, _Pending())
                p.service, p.operation = m.group(1), m.group(2)
        elif msg.startswith("Event request-created."):
            self._created(rec, msg)
        elif msg.startswith("Sending http request"):
            # a credential provider's nested call that already has its answer is over: this
            # attempt belongs to the request that needed the credentials
            top = self.open.get(rec.thread)
            if top is not None and top.by_provider and top.http_status is not None:
                for done in self.open.pop_top(rec.thread):
                    yield done.freeze()
            host = None
            if rec.thread is None and self.floating:  # only routing without threads needs it
                url = _URL.search(rec.flat)
                host = _host_of(url.group(1)) if url else None
            self._sending(rec, self._route(rec, "send", host))
        elif msg.startswith("CanonicalRequest:"):
            self._canonical(rec)
        elif msg.startswith("StringToSign"):
            m = _SCOPE.search(rec.text)
            b = self._route(rec, "sign") or (self._implicit(rec, None) if m else None)
            self._resigned(rec, b)
            if b is not None and m:
                b.signing_region, b.signing_service = m.group(1), m.group(2)
                b.touch(rec)
        elif msg.startswith(("Starting new HTTP", "Resetting dropped connection")):
            m = _NEW_CONN.search(msg)
            if m is not None:
                host = m.group(2).lower()
                self._conn_host[rec.thread] = host
                b, over = self._fragment(rec, self._route(rec, "conn"), host)
                yield from over
                if (
                    b is not None
                    and b.over
                    and m.group(1) == "HTTPS"
                    and self.open.drop(rec.thread, b)
                ):
                    # the call failed for good (the program caught and logged its error): a
                    # new connection is the program's next call, not a retry of that one
                    yield b.freeze()
                    b = None
                # botocore logs `Sending` before connecting: a connection of a request not
                # yet sent is the credential chain's (IMDS, a container endpoint)
                local = host in _CRED_HOSTS or host in _LOOPBACK or host in self._cred_hosts
                # only HTTPS opens a request: the credential chain speaks plain HTTP (to IMDS,
                # or to a proxy on its way there) before any request is made
                if b is None and not local and m.group(1) == "HTTPS":
                    b = self._implicit(rec, host, "https")
                if b is not None and not (local and not b.attempts):
                    b.touch(rec)
                    if b.host is None and b.service is None and endpoints.is_aws_host(host):
                        # an old botocore's `Sending http request: <PreparedRequest [POST]>`
                        # names no URL: an AWS host connected to names the service (not a
                        # proxy's host, nor a custom endpoint's)
                        b.service = _service_of(host)
                    b.host = b.host or host
                    b.set_attempt(host=host)
        elif msg.startswith("Response headers"):
            # (botocore logs an error answer's headers and body twice in some versions: the
            # same request id is the same answer)
            rid = _REQUEST_ID.search(rec.flat)
            again = (
                rid is not None and self._last_rid is not None and rid.group(1) == self._last_rid[0]
            )
            if again and self._last_rid is not None:
                b = self._answered = self._last_rid[1]
            else:
                b = self._route(rec, "headers") or self._implicit(rec, None)
            self._last_rid = (rid.group(1), b) if rid is not None else None
            b.touch(rec)
            b.hook_due = True
            if b.attempts:
                b.attempts[-1].answered = True
                self._clock(rec, b, b.attempts[-1])
            flat = rec.flat
            if b.error_code is None and "x-amzn-" in flat.lower():
                m = _QUERY_ERROR.search(flat) or _ERROR_TYPE.search(flat)
                if m:
                    b.error_code = m.group(1)
                    b.ref(rec, "error-type", m.group(0))
            self._region_hints(b, rec, flat)
        elif msg.startswith("Response body"):
            self._body(rec, self._route(rec, "after") or self._implicit(rec, None))
        elif "received when sending HTTP request" in msg or msg.startswith(
            ("retry needed, retryable exception caught", "Retry needed, retryable exception")
        ):
            retry_line = msg.startswith(("retry needed", "Retry needed"))
            text = error_text(rec.lines)
            u = _ENDPOINT_URL.search(text)
            host = _host_of(u.group(1)) if u else None
            b = self._route(rec, "retry" if retry_line else "answer", host)
            self._retry_pending = None
            if not retry_line:
                self._pending(b)
                if b is not None:
                    b.hook_due = True
            else:
                self._ready(b, rec, msg)
            self._exception(rec, text, b)
        elif msg.startswith(_SILENT_RETRY):
            # the standard handler's retry line: of the answer just before it, else of an
            # attempt that failed with no answer and no exception in the log
            b = self._route(rec, "retry")
            self._retry_pending = None
            if b is not None and b.attempts and not _answered(b):
                b.attempts[-1].unlogged = True
                b.touch(rec)
            self._ready(b, rec, msg)
        elif msg.startswith("Retry needed, action of"):
            # the legacy handler's delay, right after the answer it is about
            hooked = self._hooked if self._records - self._hooked_at <= 3 else None
            self._ready(hooked or self._route(rec, "after"), rec, msg)
        elif msg.startswith("Event needs-retry."):
            # botocore asks its retry handler after every attempt: an attempt with neither
            # answer nor exception in the log is over all the same. It failed the way
            # botocore's HTTPClientError family does, unlogged (a read timeout or a closed
            # connection; the legacy handler re-raises the last attempt's without a word).
            # (The event's other handlers, adaptive mode's rate limiter or S3's redirector,
            # are called for the same answer.)
            b = None
            named: _Builder | None = None
            if "RetryHandler" not in msg:
                pass
            elif rec.thread is None and self.floating:
                # without thread names: about the oldest answer (a status line, headers, an
                # exception) that had none yet, else about the oldest attempt in flight (the
                # first to time out)
                pool = [*self.floating, *self.open.stacks.get(None, [])]
                due = [x for x in pool if x.hook_due and x.attempts]
                if due:
                    first = min(due, key=lambda x: x.attempts[-1].line)
                    first.hook_due = False
                    self._hooked, self._hooked_at = first, self._records
                    named = first
                else:
                    b = self._route(rec, "answer")
                    self._hooked, self._hooked_at = b, self._records
            else:
                b = self._own(rec)
            named = named or b
            m = _NEEDS_RETRY.match(msg)
            if named is not None and named.operation is None and m is not None:
                # a fragment without `Making request`: the event names the call
                named.service, named.operation = m.group(1), m.group(2)
            if b is not None and b.attempts:
                b.hook_due = False
                a = b.attempts[-1]
                if not _answered(b) and a.error is None and a.status is None:
                    a.unlogged = True
                    b.touch(rec)
                    self._pending(b)  # (legacy mode may name the error in its retry line)
            yield from self._after_hook(rec)
        elif ("eached" in msg or "Max attempts" in msg) and _MAX_ATTEMPTS.search(msg):
            # (a retry handler's decision, like a retry line: after the answer it is about,
            # or after a try that failed without one in the log)
            b = self._route(rec, "retry")
            self._retry_pending = None
            if b is not None:
                if b.attempts and not _answered(b):
                    b.attempts[-1].unlogged = True
                b.touch(rec)
                # (the standard handler says so after any last attempt, also one that
                # succeeded or failed in a way it never retries: nothing was exhausted then)
                if _may_retry(b):
                    b.exhausted = True
                    b.ref(rec, "retries-exhausted")
            else:
                self.events.add(rec, "retries-exhausted")
        elif (m := self._status(rec, msg)) is not None:
            host = (m.group(2) or self._conn_host.get(rec.thread) or "").lower() or None
            status = int(m.group(5))
            if (m.group(1) or "http") == "http" and _is_credential_fetch(
                host, m.group(4), self._cred_hosts
            ):
                self._credential_fetch(rec, host, m.group(4), status)
            else:
                b, over = self._fragment(rec, self._route(rec, "answer", host), host)
                yield from over
                b = b or self._implicit(rec, host, m.group(1) or "https")
                b.touch(rec)
                b.hook_due = True
                b.http_status = status
                if "X-Amz-Credential" in m.group(4):
                    _url_scope(rec, b, m.group(4))
                if _retried_status(status):  # (400s are retried by their code: _body)
                    self._pending(b)
                b.set_attempt(
                    status=status, status_line=rec.line, **({"host": host} if host else {})
                )
                if status >= 300:
                    b.ref(rec, "http-status")
                yield from self._settle(b)
        else:
            self._other(rec, msg)

    def _after_hook(self, rec: Record) -> Iterator[LogRequest]:
        """Lines after a hook's one-line record that are no part of it (a traceback the
        program printed, Python's report of a thread that died): read as they are after a
        record the reader drops, from the first one that carries facts."""
        for i in range(1, len(rec.lines)):
            if _CONT_FACT.search(rec.lines[i].encode("utf-8", "replace")):
                rest = Record(rec.line + i, "stderr", "", None, None, "plain", rec.lines[i:])
                yield from self.feed(rest)
                return

    # ------------------------------------------------------------------ handlers
    @staticmethod
    def _status(rec: Record, msg: str) -> re.Match[str] | None:
        """urllib3's response line (`https://host:443 "POST / HTTP/1.1" 200 419`), also when
        a paste wrapped it onto the next line."""
        m = _STATUS.search(msg) if "HTTP/" in msg else None
        if m is None and len(rec.lines) > 1 and "urllib3" in rec.logger:
            flat = rec.flat[:600]  # wrapped anywhere, even inside the status code
            m = _STATUS.search(flat) if "HTTP/" in flat else None
        return m

    def _credential_fetch(self, rec: Record, host: str | None, target: str, status: int) -> None:
        """An answer to the credential chain: IMDS answered (so it is reachable), through a
        proxy when the target is a whole URL; 404 on the role list: no role attached."""
        self._imds_status = status
        proxied = target.startswith("http://")
        self.events.add(rec, "imds-via-proxy" if proxied else "imds-answered")
        if (
            status == 200
            and host in _CONTAINER_HOSTS
            and target.startswith(("/v1/credentials", "/v2/credentials"))
            and self.events.looking_for[-1:] == ["container-role"]
            and self.events.credential_source is None
        ):
            # the container provider logs no "Found credentials": its endpoint's 200 right
            # after botocore looked for credentials there is where they came from
            self.events.credential_source = "the container credential endpoint " + (
                "(EKS Pod Identity)"
                if (host or "").startswith("169.254.170.23")
                else "(ECS task role)"
            )
            self.events.credential_line = rec.line
            self.events.add(rec, "credentials-found")
        elif status == 404 and "security-credentials" in target:
            self.events.add(rec, "imds-no-role")
        elif status == 407:
            self.events.add(rec, "proxy-auth-required")

    def _making_request(self, rec: Record) -> Iterator[LogRequest]:
        flat = rec.flat
        m = _OP.search(flat)
        op = m.group(1) if m else None
        outer = self.open.get(rec.thread)
        nested = outer is not None and not outer.attempts and op in CRED_OPS and outer.opened
        if nested and rec.thread is None and not self._provider_pending.get(None, False):
            # without thread names, an AssumeRole* while another request waits to be sent is
            # a provider's call only when a provider said it makes one (`Looking for
            # credentials via: assume-role`, `Retrieving credentials via web identity`);
            # else it is another thread's call
            nested = False
        if not nested:
            for old in self._drain(rec.line):
                yield old.freeze()
            for prev in self.open.pop_all(rec.thread):
                if (
                    rec.thread is None
                    and not _answered(prev)
                    and prev.opened
                    and len(self.floating) < 8
                ):
                    self.floating.append(prev)  # maybe another thread's request, still waiting
                else:
                    yield prev.freeze()
        b = self._new(rec)
        b.opened = True
        b.by_provider = nested
        self.open.push(rec.thread, b)
        b.operation = op or (
            self.pending[rec.thread].operation if rec.thread in self.pending else None
        )
        if b.operation is None and (ma := _ACTION.search(flat)) is not None:
            b.operation = ma.group(1)
        # read the two parts that carry facts (no eval): the URL and the context dict
        mu = _PARAM_URL.search(flat)
        b.url = mu.group(1) if mu else None
        # the context dict holds opaque objects and lists that cost time to read: read only
        # the two small dicts that carry facts (signing, s3_accesspoint), and the region
        ci = flat.find("'context': {")
        ctx: dict[str, object] = {}
        if ci >= 0:
            for key in ("signing", "s3_accesspoint"):
                ki = flat.find(f"'{key}': {{", ci)
                if ki >= 0:
                    ctx[key] = pyrepr.parse(flat, ki + len(key) + 4)
            mr = _CLIENT_REGION.search(flat, ci)
            if mr:
                ctx["client_region"] = mr.group(1)
        if b.url:
            b.host = _host_of(b.url)
        self._ua_versions(flat)
        b.client_region = pyrepr.get_str(ctx, "client_region")
        if b.client_region is None:
            mc = _CLIENT_REGION.search(flat)
            b.client_region = mc.group(1) if mc else None
        signing = pyrepr.get(ctx, "signing")
        sreg = pyrepr.get_str(signing, "region")
        if sreg:
            b.signing_region = sreg
        ap = pyrepr.get_str(ctx, "s3_accesspoint", "region")
        if ap:
            b.resource_regions.append(ap)
        self._region_hints(b, rec, flat)
        p = self.pending.pop(rec.thread, None)
        if p is not None:
            _apply_pending(b, p)
        cli_url = self.events.cli_args.get("--endpoint-url")
        if (
            b.endpoint_override is None
            and cli_url
            and not nested
            and b.host
            and _host_of(cli_url) == b.host
        ):
            b.endpoint_override = cli_url
        if b.service is None and b.host:
            b.service = _service_of(b.host)
        if b.service is None and b.operation:  # the URL cut off or redacted
            mv = _API_VERSION.search(flat)
            if endpoints.is_sts_call(b.operation, mv.group(1) if mv else None):
                b.service = "sts"
        if b.operation in CRED_OPS and self._provider_pending.pop(rec.thread, False):
            b.by_provider = True
        b.ref(rec, "making-request")

    def _created(self, rec: Record, msg: str) -> None:
        """`Event request-created.<service>.<Operation>`: botocore's own name for the
        service of the request just made, where the request named no operation or its
        host no service botocore knows (`queue.amazonaws.com`, a redacted URL); with no
        request open (a fragment that starts here), the name of the request to come. After a
        retry decision it is the next attempt being built (`_resigned`)."""
        m = _CREATED.search(msg)
        if m is None:
            return
        service = endpoints.client_name(m.group(1)) or m.group(1)
        b = self._own(rec)
        if b is None:
            p = self.pending.setdefault(rec.thread, _Pending())
            if p.operation is None:
                p.service, p.operation = service, m.group(2)
            return
        # (a request whose operation the log never named: after its retry decision the next
        # `request-created` is its next attempt, and names its service where its host did not:
        # `sync-states.<region>` is sfn's, with StartSyncExecution's host prefix)
        unnamed_retry = b.operation is None and b.waiting_since is not None
        if b.operation == m.group(2) or unnamed_retry:
            self._resigned(rec, b)
        if unnamed_retry and (b.service is None or endpoints.client_name(b.service) is None):
            b.service = service
        if b.attempts or b.operation not in (None, m.group(2)):
            return
        b.operation = m.group(2)
        if b.service is None or endpoints.client_name(b.service) is None:
            b.service = service

    def _region_hints(self, b: _Builder, rec: Record, text: str) -> None:
        for m in _ARN.finditer(text) if "arn:" in text else ():
            if m.group(2) not in ("iam", "sts"):
                b.resource_regions.append(m.group(3))
                if not any(r.tag == "resource-arn" for r in b.refs):
                    cr = re.search(r"'client_region': u?'[\w-]+'", text)
                    arn = text[m.start() : m.start() + 120].split("'")[0].split('"')[0]
                    focus = f"{cr.group(0)} … {arn}" if cr else arn
                    op = _OP.search(text)
                    b.ref(rec, "resource-arn", f"{op.group(0) + ': ' if op else ''}{focus}")
        m2 = (  # (an uncompiled pattern: looked up only when the header is there)
            re.search(r"x-amz-bucket-region'?\"?:\s*b?'?\"?([a-z]{2}(?:-[a-z]+)+-\d+)", text)
            if "x-amz-bucket-region" in text
            else None
        )
        if m2:
            b.resource_regions.append(m2.group(1))
            b.ref(rec, "bucket-region")

    def _ua_versions(self, flat: str) -> None:
        """The SDK and CLI versions the User-Agent names (of `Making request`, or of
        `Sending http request` in a fragment that starts there)."""
        if not self.events.versions:
            ua = _UA.search(flat)
            for v in _VERSION.findall(ua.group(1) if ua else ""):
                self.events.versions[v] = None

    def _clock(self, rec: Record, b: _Builder, a: _Try) -> None:
        """How far the local clock is off AWS's, from an answer's `Date` header: the
        attempt's X-Amz-Date plus the time the log shows between the request and its
        answer. An AWS host's answer only (a proxy's or another server's clock is not
        AWS's); an event when it is off by more than a minute (and at most as far as AWS
        accepts), and further than before."""
        if a.signed_at is None or a.time is None or rec.ts is None or "'Date'" not in rec.flat:
            return
        host = a.host or b.host
        d = _HTTP_DATE.search(rec.flat)
        if d is None or host is None or not endpoints.is_aws_host(host):
            return
        server = _epoch(d.group(1), "%a, %d %b %Y %H:%M:%S GMT")
        waited = rec.ts - a.time
        if server is None or not 0 <= waited < 3600:
            return
        off = server - (a.signed_at + waited)
        if self._skew + 5 < abs(off) <= CLOCK_SPLICE_S:
            self._skew = abs(off)
            signed = datetime.fromtimestamp(a.signed_at, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            self.events.add(
                rec,
                "clock-offset",
                f"clock offset {off:+.0f} s: {host} answered with Date {d.group(1)} "
                f"{waited:.1f} s after a request signed at {signed} (X-Amz-Date)",
            )

    def _sending(self, rec: Record, routed: _Builder | None = None) -> None:
        b = routed or self._current(rec)
        b.touch(rec)
        # botocore sends it again: the error before was an attempt's, not the call's end (a
        # paste that starts inside a retried attempt's traceback)
        b.over = False
        flat = rec.flat
        self._ua_versions(flat)
        url = _URL.search(flat)
        last = b.attempts[-1] if b.attempts else None
        if (
            last is not None
            and rec.thread is not None
            and rec.ts is not None
            and last.time == rec.ts
            and not (last.answered or last.prepared or last.unlogged)
            and last.error is None
            and last.status is None
        ):
            # the same `Sending` again in the same millisecond with nothing between (a
            # paste that repeated a line or a block): one attempt, not a retry, which
            # comes only after an answer or an exception and the retry handler's decision
            return
        if b.attempts and b.attempts[-1].prepared:
            # the attempt botocore built and signed after its retry decision: now sent
            b.attempts[-1] = _Try(len(b.attempts), rec.line, time=rec.ts)
        else:
            b.attempts.append(_Try(len(b.attempts) + 1, rec.line, time=rec.ts))
        n = len(b.attempts)
        b.ready_at = b.waiting_since = None
        d = _AMZ_DATE.search(flat) if "X-Amz-Date" in flat else None
        if d is not None:
            b.attempts[-1].signed_at = _epoch(d.group(1), "%Y%m%dT%H%M%SZ")
        if url:
            u = url.group(1)
            if b.url is None:
                b.url = u
            h = _host_of(u)
            if h:
                b.host = b.host or h
                b.set_attempt(host=h)
        m = _CRED_SCOPE.search(flat)
        if m:
            if m.group(1):
                b.access_key = mask_key_id(m.group(1))
            b.signing_region, b.signing_service = m.group(2), m.group(3)
            b.ref(rec, "signing-scope", m.group(0))
        p = self.pending.get(rec.thread) if b.operation is None and not b.opened else None
        if p is not None and p.operation is not None:
            # a fragment without `Making request`: the call its request was built for
            b.operation = p.operation
            _apply_pending(b, self.pending.pop(rec.thread))
        if b.service is None:  # a fragment: what the request names itself
            b.service = b.signing_service or (_service_of(b.host) if b.host else None)
            t = _TARGET.search(flat) if b.operation is None else None
            if t:
                b.operation = t.group(1)
        if n == 1:
            b.ref(rec, "sending")

    def _canonical(self, rec: Record) -> None:
        """The signer's canonical request: the signed `host` header is the request's host,
        and a JSON protocol's `x-amz-target` names the operation (for a fragment without
        `Making request`, or an old botocore whose `Sending` names no URL)."""
        host = next((ln[5:].strip().lower() for ln in rec.lines[1:40]
                     if ln.startswith("host:")), None)  # fmt: skip
        if host is not None and ":" in host:  # (a port)
            host = host.split(":", 1)[0]
        b = self._route(rec, "sign") or (self._implicit(rec, host) if host else None)
        self._resigned(rec, b)
        if b is None or not host or (b.host is not None and b.host != host):
            return
        if b.host is None:
            b.host, b.url = host, b.url or f"https://{host}/"
            b.service = b.service or _service_of(host)
            b.touch(rec)
        if b.operation is None and (
            t := next((ln for ln in rec.lines[1:40] if ln.startswith("x-amz-target:")), None)
        ):
            b.operation = t.rsplit(".", 1)[-1].strip() or None

    def _resigned(self, rec: Record, b: _Builder | None) -> None:
        """`b` is built and signed again after its retry handler decided to retry: a new
        attempt, counted also when the log ends before it is sent (`Sending` completes it)."""
        if b is None or b.waiting_since is None or not b.attempts or b.attempts[-1].prepared:
            return
        if rec.thread is None and self.floating:
            return  # overlapping requests without thread names: `Sending` tells which
        b.attempts.append(_Try(len(b.attempts) + 1, rec.line, time=rec.ts, prepared=True))
        b.last_line = max(b.last_line, rec.line)
        b.ref(rec, "re-signed", f"attempt {len(b.attempts)} built and signed for the retry")

    def _body(self, rec: Record, b: _Builder | None) -> None:
        if b is None:
            return
        b.touch(rec)
        if b.attempts:
            b.attempts[-1].answered = True
        text = rec.flat
        if b.operation is None and (root := _ANSWER_ROOT.search(text, 0, 400)):
            b.operation = root.group(1)
        code = _CODE_XML.search(text) or _CODE_JSON.search(text)
        oauth = _OAUTH_ERROR.search(text) if "error_description" in text else None
        if oauth is not None and (b.error_message is None or code is None):
            # the code (`InvalidGrantException`) is in the headers; botocore reads no message
            # from this shape, its description says what is wrong
            b.error_code = b.error_code or oauth.group(1)
            b.error_message = oauth.group(2).strip()
            b.ref(rec, "error-body", f"{b.error_code}: {b.error_message}", oauth.group(0))
        elif code:
            b.error_code = code.group(1).strip()
            if _RETRIED_CODE.search(b.error_code):  # a retry line may follow
                self._pending(b)
            msg = _MSG_XML.search(text) or _MSG_JSON.search(text)
            b.error_message = msg.group(1).strip() if msg else None
            b.ref(rec, "error-body", f"{b.error_code}: {b.error_message or ''}", code.group(0))
        elif b.error_code is not None and b.error_message is None:
            # JSON and REST protocols: the code was in the headers, the body has the message
            msg = _MSG_JSON.search(text) or _MSG_XML.search(text)
            if msg:
                b.error_message = msg.group(1).strip()
                b.ref(rec, "error-body", f"{b.error_code}: {b.error_message}", msg.group(0))
        if b.operation is None and b.error_code and len(rec.lines) > 2:
            # the CLI's message about the error, pasted right after the body (its stderr),
            # names the operation of a request whose `Making request` the paste left out
            for ln in rec.lines[2:]:
                ce = client_error(ln) if "when calling the" in ln else None
                if ce is not None and ce[0] == b.error_code:
                    b.operation = ce[1]
                    break
        self._region_hints(b, rec, text)

    def _exception(self, rec: Record, text: str, routed: _Builder | None = None) -> None:
        b = routed or self._current(rec)
        b.touch(rec)
        kind = classify(text) or _raised_in_cut_traceback(rec.text)
        if kind in (None, ErrorKind.CONNECTION_ERROR) and _PREPARE_PROXY in rec.text:
            # failed inside urllib3's proxy tunnel set-up (connecting to the proxy, CONNECT):
            # old botocore names it a ConnectionError, newer ones a ProxyConnectionError
            kind = ErrorKind.PROXY
        line = _emfile(text, kind, _last_exception_line(text, kind) or rec.message)
        m = _ENDPOINT_URL.search(text)
        if m and b.url is None:
            b.url = m.group(1)
            if b.host is None and (h := _host_of(b.url)):
                b.host, b.service = h, b.service or _service_of(h)
        pm = _PROXY_URL.search(text)
        if pm:
            b.proxy = pm.group(1)
        if rec.head().startswith(("retry needed", "Retry needed")) and b.attempts:
            # the retry line repeats the attempt's exception: keep the kind, no new attempt
            # (it names the kind when the exception record showed none: no traceback logged)
            last = b.attempts[-1].error
            if kind is not None and (last is None or last is ErrorKind.OTHER):
                b.set_attempt(error=kind, error_text=excerpt(line))
            return
        if not b.attempts:
            b.attempts.append(_Try(1, rec.line, time=rec.ts))
        b.set_attempt(error=kind or ErrorKind.OTHER, error_text=excerpt(line))
        b.ref(rec, "exception", line)

    def _other(self, rec: Record, msg: str) -> None:
        text = error_text(rec.lines)
        if rec.logger == "stderr" and (sh := _SHELL_AWS.match(rec.lines[0])):
            self._shell = (rec.line, sh.group(1))
        if rec.logger == "stderr" and "_PROXY=" in rec.lines[0].upper():
            # the settings a user pasted above the output, in the record it opened: events,
            # and no part of the text read for errors (`NO_PROXY=169.254.169.254` is no
            # failure of the metadata service)
            head = rec.lines[:12]
            for ln in head:
                if px := _SHELL_PROXY.match(ln):
                    tag = "no-proxy-env" if px.group(1).upper() == "NO_PROXY" else "proxy-env"
                    self.events.add(rec, tag, ln.strip())
            text = error_text([ln for ln in head if not _SHELL_PROXY.match(ln)] + rec.lines[12:])
        if rec.logger == "stderr":
            for ln in rec.lines[:12]:
                if "--region" in ln and (sr := _SHELL_REGION.match(ln)):
                    self.events.add(rec, "shell-region", f"--region '{sr.group(1)}'")
                    break
        if rec.logger == "stderr" and _SDK_TEXT.search(rec.text):
            self.events.sdk_text += 1
        if "/" in msg and len(self.events.versions) < 8:
            for v in _VERSION.findall(msg):
                if len(self.events.versions) < 8:
                    self.events.versions[v] = None
        if msg.startswith("Looking for credentials via"):
            m = _LOOKING.search(msg)
            if m and len(self.events.looking_for) < 20:
                self.events.looking_for.append(m.group(1))
            if m and m.group(1) in (
                "assume-role",
                "assume-role-with-web-identity",
                "custom-process",
            ):
                self._provider_pending[rec.thread] = True
            if len(rec.lines) > 1:  # the provider's failure, in the lines after it
                self._credential_chain(rec, msg, text)
            return
        m = _FOUND_CREDS.search(msg) if "redentials" in msg else None
        if m and rec.logger.startswith("botocore"):
            self.events.credential_source = m.group(1).strip()
            self.events.credential_line = rec.line
            self.events.add(rec, "credentials-found")
            if len(rec.lines) == 1 or not _GLUED_ERROR.search(text):
                return
            # a traceback or an error line the paste glued to the line (an app's own log
            # format, or its logger quoting botocore's error, read as the line's
            # continuation): what it says is read below like any other record's
        if ("Retrieving" in msg or "Assuming" in msg) and _PROVIDER_CALL.search(msg):
            self._provider_pending[rec.thread] = True
        if self._credential_chain(rec, msg, text):
            return
        b = self.open.get(rec.thread)
        ms3 = _S3_REDIRECT.search(msg) if "S3 client configured" in msg else None
        if ms3 and b is not None:
            # botocore's own words: the bucket lives in another region than the client's
            b.resource_regions.append(ms3.group(2))
            b.client_region = b.client_region or ms3.group(1)
            b.ref(rec, "bucket-region")
            return
        if msg.startswith("Exiting with rc"):  # the CLI ended: nothing was still waiting
            self.events.add(rec, "cli-exit")
        ce = client_error(text)
        if ce:
            code, op, message, whole = ce
            self.events.add(rec, "client-error", whole)
            target = self._told(rec, code) or b or self._latest(op)
            if target is not None and target.error_code is None:
                target.error_code = code
                target.error_message = message
                target.ref(rec, "client-error", whole)
                if target.attempts:  # the SDK had an answer: an error
                    target.attempts[-1].answered = True
            elif target is None:
                # (whole: STS's reason for a denial ends a message of 300 characters and more)
                self.events.add(rec, "orphan-client-error", whole, limit=_ERROR_MESSAGE_LIMIT)
            return
        if rec.logger == "stderr" and (re_ := response_error(rec.text)) is not None:
            # an error answer pasted alone (no request, no operation named)
            self.events.add(rec, "orphan-response-error", re_[2])
            return
        if "Invalid endpoint: " in text and (er := _EMPTY_REGION_HOST.search(text)):
            self.events.add(rec, "empty-region", er.group(0))
            return
        if "Invalid endpoint: " in text and (ns := _NO_SCHEME_ENDPOINT.search(text)):
            self.events.add(rec, "endpoint-no-scheme", ns.group(0))
            return
        final = "Exception caught in main" in msg or rec.logger == "stderr" or "Traceback" in text
        # only a final error, or a missing credential or region, is an event here
        kind = classify(text) if final or _NO_CRED_OR_REGION.search(text) else None
        if (
            "refresh failed" in text
            or "SSOTokenLoadError" in text
            or "Error loading SSO Token" in text
            or "UnauthorizedSSOTokenError" in text
            or "SSO session associated with this profile has expired" in text
        ):
            # the SSO session is over (botocore's TokenRetrievalError / SSOTokenLoadError, or
            # UnauthorizedSSOTokenError: the portal refused the cached token)
            self.events.add(rec, "sso-expired", _last_exception_line(text) or msg)
        if "refreshed credentials are still expired" in text:
            # botocore's RefreshableCredentials: the source handed out expired credentials
            self.events.add(
                rec,
                "refreshed-still-expired",
                _last_exception_line(text)
                or _line_at(text, text.find("refreshed credentials are still")),
            )
        if kind is ErrorKind.NO_CREDENTIALS:
            self.events.add(rec, "no-credentials", _last_exception_line(text) or _said(text) or msg)
        elif kind is ErrorKind.NO_REGION:
            self.events.add(rec, "no-region", _last_exception_line(text) or _said(text) or msg)
        elif kind is not None and final:
            self.events.add(rec, "final-error", _last_exception_line(text) or msg)
            if kind in _TRANSPORT:
                # the final exception belongs to the last attempt when nothing else said so;
                # a paste of only the traceback is a request of its own
                u = _ENDPOINT_URL.search(text) or _SSL_FOR.search(text)
                host = _host_of(u.group(1)) if u else None
                pool = _POOL_HOST.search(text) if host is None else None
                if pool is not None:
                    host = pool.group(2)
                # (overlapping requests without thread names: the oldest one still waiting)
                target = (
                    self._route(rec, "answer", host) if rec.thread is None and self.floating else b
                ) or self._latest(None)
                if target is None and not _about_credential_chain(text):
                    scheme = "http" if pool is not None and pool.group(1) == "HTTP" else "https"
                    url = _rewrapped(text, u) if u else None
                    target = self._implicit(rec, host, scheme, url=url)
                    self._shell_names(rec, target)
                if target is not None and u and (bad := bad_region_in_url(u.group(1))):
                    # the region botocore built the URL from: the request's own region
                    target.service = target.service or bad[0]
                    target.client_region = target.client_region or bad[1]
                if target is not None:
                    target.over = True
                last = target.attempts[-1] if target is not None and target.attempts else None
                if target is not None and (
                    last is None or (last.error is None and last.status is None)
                ):
                    if last is None:
                        target.attempts.append(_Try(1, rec.line, time=rec.ts))
                    line = _emfile(text, kind, _last_exception_line(text, kind) or msg)
                    target.set_attempt(error=kind, error_text=excerpt(line))
                    if target.proxy is None and (pm := _PROXY_URL.search(text)):
                        # (the CLI's `Failed to connect to proxy URL: "http://..."` alone)
                        target.proxy = pm.group(1)
                        target.set_attempt(proxy=pm.group(1))
                    target.touch(rec)
                    if not any(x.tag == "exception" for x in target.refs):
                        target.ref(rec, "exception", line)
        if "partition endpoint" in msg and (m4 := _PARTITION_ENDPOINT.search(msg)):
            self.events.add(rec, "config-region", m4.group(0))
        if "region" in msg and (m3 := _CONFIG_REGION.search(msg)) is not None:
            # the region the session was given (`--region`, `Session(region_name=...)`, or
            # old botocore's config lookup): evidence of the intended region
            self.events.add(rec, "config-region", m3.group(0))
        if "sts_regional_endpoints" in msg or "AWS_STS_REGIONAL_ENDPOINTS" in msg:
            self.events.add(rec, "sts-regional-endpoints")
        if msg.startswith("Arguments entered to CLI"):
            self.events.add(rec, "cli-args")
            args = pyrepr.parse(rec.flat, max(0, rec.flat.find("[")))
            if isinstance(args, list) and not rec.flat.rstrip().endswith("]"):
                args = self._cut_args(rec)
            if isinstance(args, list):
                vals: list[str] = []
                for a in args:  # `--region=X` is `--region X`
                    if isinstance(a, str):
                        vals.extend(a.split("=", 1) if a.startswith("--") and "=" in a else [a])
                for flag, val in zip(vals, [*vals[1:], ""][: len(vals)], strict=True):
                    if flag in ("--endpoint-url", "--region") and val:
                        self.events.cli_args[flag] = val
                    if flag == "--region" and val:  # the region the user asked for
                        self.events.add(rec, "config-region", f"--region '{val}'")

    def _shell_names(self, rec: Record, b: _Builder) -> None:
        """A request known only from the CLI's error line: the command line the user pasted
        just above it (`aws sts get-caller-identity --profile floci`) names its service and
        operation, when botocore's model has that operation and the host names no other
        service (an endpoint override's host names none)."""
        shell = self._shell
        if shell is None or b.operation is not None or not 0 <= rec.line - shell[0] <= 6:
            return
        words = shell[1].split()
        co = endpoints.cli_operation(words[0], words[1]) if len(words) >= 2 else None
        if co is not None and b.service in (None, co[0]):
            b.service, b.operation = co

    def _cut_args(self, rec: Record) -> list[str]:
        """The CLI's arguments when a paste cut their list: its whole strings, or the
        command the user pasted just above the log when it starts with those (at least the
        command and subcommand: the same command, and the rest is what the CLI was given)."""
        whole = _CLI_ARG.findall(rec.flat[rec.flat.find("[") + 1 :])
        shell, self._shell = self._shell, None
        if shell is None or len(whole) < 2 or rec.line - shell[0] > 4:
            return whole
        try:
            words = shlex.split(shell[1], posix=True)
        except ValueError:  # unbalanced quotes
            return whole
        return words if words[: len(whole)] == whole else whole

    def _credential_chain(self, rec: Record, msg: str, text: str) -> bool:
        """IMDS's and the container endpoint's part of a record (their endpoint, answers and
        failures) as events; True when that was all the record said."""
        if _region_lookup_failed(rec, text):
            # (and IMDS's failure is said as well, below)
            self.events.add(rec, "imds-region-failed", _last_exception_line(text) or msg)
        if "Access to EC2 metadata has been disabled" in msg:
            self.events.add(rec, "imds-disabled")
            return True
        if msg.startswith("IMDS ENDPOINT: ") and (mi := _IMDS_ENDPOINT.search(msg)):
            if (h := _host_of(mi.group(1))) and len(self._cred_hosts) < 8:
                self._cred_hosts |= {h}
            return True
        if msg.startswith("Metadata service returned non-200") and (
            mi := _IMDS_STATUS.search(text)
        ):
            if self._imds_status is None:  # no urllib3 line said it already
                url = mi.group(2)
                path = url[url.find("/", url.find("//") + 2) :] if "//" in url else url
                self._credential_fetch(rec, _host_of(url), path, int(mi.group(1)))
            return True
        if (
            self._imds_status is not None
            and self._imds_status >= 400
            and "metadata service" in text
        ):
            return True  # IMDS answered, with an error: said by the events of that answer
        if (mh := _REFUSED_HOST.search(text)) is not None:
            # botocore refused the host AWS_CONTAINER_CREDENTIALS_FULL_URI names (before any
            # request): EKS Pod Identity's 169.254.170.23 to a botocore that predates it
            self.events.add(rec, "container-host-refused", mh.group(0))
            return True
        mc = (
            _CONTAINER_FAILED.search(text)
            if "container" in text or "ECS" in text or "169.254.170." in text
            else None
        )
        # (the endpoint's address alone, with no error, is no failure)
        if mc and not (mc.group(0).startswith("169.254.170.") and classify(text) is None):
            self.events.add(rec, "container-creds-failed", _last_exception_line(text) or msg)
            return True
        if (
            "metadata service" in text
            and re.search(
                r"Max number of attempts exceeded|Caught retryable HTTP exception while making metadata service|"
                r"Error response received when making metadata|timeout|Timeout",
                text,
            )
        ) or (
            # a pasted traceback of the credential chain's own request (IMDS, container)
            rec.logger == "stderr"
            and (
                "BadIMDSRequestError" in text
                or (_about_credential_chain(text) and classify(text) in _TRANSPORT)
            )
        ):
            self.events.add(rec, "imds-failed", _last_exception_line(text) or msg)
            return True
        return False

    def _told(self, rec: Record, code: str) -> _Builder | None:
        """Without thread names, among overlapping requests: the one whose answer already
        had this error code (the SDK's final error message repeats it)."""
        if rec.thread is not None or not self.floating:
            return None
        return next((x for x in [*self.floating, *self.open.stacks.get(None, [])]
                     if x.error_code == code), None)  # fmt: skip

    def _latest(self, operation: str | None) -> _Builder | None:
        cands = [b for b in self.open.values() if operation is None or b.operation == operation]
        return max(cands, key=lambda b: b.index) if cands else None
