"""Secrets never leave: every string stsdiag prints passes through `redact`.

Access key ids are masked (`AKIA…MPLE`); secret keys, session tokens, signatures, web
identity tokens, credential bodies and the passwords in URLs (a proxy's) are dropped."""

from __future__ import annotations

import re

# (a key id may follow an escape: `%3E`, `\u003e`, `\n` of a URL, a JSON string, a repr)
_KEY_ID = re.compile(
    r"(?:\b|(?<=%[0-9A-Fa-f]{2})|(?<=\\u00[0-9A-Fa-f]{2})|(?<=\\[nrt]))((?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA|ABIA|ACCA)[A-Z0-9])[A-Z0-9]{7,}([A-Z0-9]{4})\b"
)
# (a value may be a bytes repr `b'…'` or, in a Python 2 log, a unicode repr `u'…'`)
# Quotes and separators may come escaped: a URL (`%22`, `%3D`), a page (`&quot;`), a JSON
# string (`\"`, `\u003d`), also escaped again (`\\\'`: a repr in a JSON string)
_Q = r"""(?:['"]|\\+["']|(?:%5[Cc])?%2[27]|&quot;|&#x0*2[27];|&#0*3[49];)"""
_SGR = r"(?:\x1b\[[0-9;]*m)*"  # a terminal's colours before the value
_PAIR_SEP = (
    _Q
    + r"?\s*(?:[:=]|=>|%3[ADad]|&#x0*3[ADad];|&#0*5[89];|&#0*61;|\\u003[ADad])[\s+]*"
    + _SGR
    + "(?:[bu]?"
    + _Q
    + ")?"
)
# (to a quote, also `%22`, `\"`; a page's escapes of a secret's `/`, `+` and `=` go on)
_PAIR_VALUE = (
    r"""(?:&#x0*(?:2[BbFf]|3[Dd]);|&#0*(?:4[37]|61);|(?!%2[267]|%5[Cc]|\\")[^'"\s,&<}\]])"""
)
# `key: value` / `key=value` pairs. The specific names, as words of their own (not the end
# of `GetSessionToken`), always drop their value (`password` too, whatever it looks like).
# The generic words `token` and `signature` keep a value that cannot be a secret: a plain word
# of fewer than 16 letters or an error name, maybe followed by `:` `.` `;` (`…/api/token:
# Connect timeout`, `GetSessionToken: AccessDenied: …`, `CreateToken: InvalidGrantException`);
# a token or signature (digits, base64, hex, 16+ characters) is dropped
_PAIRS = re.compile(
    r"(?i)((?:(?:(?<![a-z0-9])|(?<=%2[27]))(?:x-amz-security-token|aws_session_token|aws_secret_access_key|secretaccesskey|"
    r"secret_access_key|sessiontoken|session_token|webidentitytoken|web_identity_token|"
    r"securitytoken|security_token|x-amz-signature|password)" + _PAIR_SEP + r")|"
    r"(?:(?:signature|token|secret)"
    + _PAIR_SEP
    + r"(?!(?:[A-Za-z]{1,15}|[A-Za-z]{2,40}(?:exception|error|fault))[:.;]?(?!"
    + _PAIR_VALUE
    + r"))))"
    r"(?!\+*[bu]?"
    + _Q
    + r")("
    + _PAIR_VALUE
    + r"+)"  # (not the `b` of `b'<redacted>'`, `b%27…`: twice)
)
# the XML elements that hold a credential (an AssumeRole* answer, a web identity request),
# also with their brackets escaped, as a page (`&lt;`), a JSON string (`\u003c`) or a URL
# (`%3C`) carries them
CREDENTIAL_ELEMENTS = "SecretAccessKey|SessionToken|WebIdentityToken|Token"
_LT = r"(?:<|&lt;|&#x0*3c;|&#0*60;|\\u003c|%3C)"
_GT = r"(?:>|&gt;|&#x0*3e;|&#0*62;|\\u003e|%3E)"
_SLASH = r"(?:/|%2F|&#x0*2f;|&#0*47;|\\/)"
_XML = re.compile(rf"(?is)({_LT}({CREDENTIAL_ELEMENTS}){_GT})(.*?)({_LT}{_SLASH}\2{_GT})")
# a cookie's value (`Cookie: session=…; other=…`, `Set-Cookie`): all of it, to its quote or
# the line's end (a JSON string's escapes go with it)
_COOKIE = re.compile(
    r"(?i)((?:(?<![\w-])|(?<=%2[27]))(?:set-)?cookie"
    + _Q
    + r"?\s*(?:[:=]|%3[ad]|&#x0*3[ad];|\\u003[ad])[\s+]*"
    + _SGR
    + r"(?:[bu]?"
    + _Q
    + r")?)((?:\\u00[0-9a-f]{2}|(?!"
    + _Q
    + r")[^'\"\r\n\\])+)"
)
_BEARER = re.compile(r"(?i)(Bearer\s+)\S+")
_JWT = re.compile(r"(?<![A-Za-z])eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_LONG_B64 = re.compile(r"(?<![\w/+=%.-])[A-Za-z0-9/+]{60,}={0,2}")
_SECRET40 = re.compile(
    r"(?<![\w/+=%.-])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![\w/+=%-])"
)
_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
# an STS session token by the opening every one has (base64 of its version and `origin_ec`
# or `er/aws`), wherever it stands: `_LONG_B64` spares runs after a `.` (URL paths), and a
# token pasted as the region lands there (`https://sts.IQoJb3JpZ2luX2Vj….amazonaws.com`)
# (and the older `aws` one: `AQoDYXdz…`, as in AWS's documented example tokens)
_TOKEN_OPENING = ("IQoJb3JpZ2luX2V", "AgoJb3JpZ2luX2V", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz")
_SESSION_TOKEN = re.compile(
    "(?<![A-Za-z0-9+=])(?:" + "|".join(_TOKEN_OPENING) + r")[A-Za-z0-9/+]{16,}={0,2}"
)
# key ids of any format (S3-compatible stores use hex or other ids): after `Credential=`
# (SigV4, also URL-encoded in presigned URLs), `AWSAccessKeyId=` (SigV2 query) and access key
# fields; the SigV2 header `AWS <key id>:<signature>` also carries a short signature
_ID_AFTER = re.compile(
    r"""(?i)((?:x-amz-)?credential=|awsaccesskeyid=|\baws_access_key_id['"]?\s*[:=]\s*(?:[bu]?['"])?|"""
    r"""\baccess_?key(?:_?id)?['"]?\s*[:=]\s*(?:[bu]?['"])?|<AccessKeyId>)([\w.+-]+?)(?=%2F|[/\s,'"&:<;\\]|$)"""
)
_SIGV2 = re.compile(r"""\b(AWS )([\w.+-]{8,}):([A-Za-z0-9+/=]{20,})""")
# the password of a URL's user info (`http://user:pass@proxy:3128`, from HTTPS_PROXY or a
# log): up to the authority's last `@`, as URL parsers read it
_URL_PASSWORD = re.compile(r"""(?i)\b([a-z][a-z0-9+.-]{0,15}://[^/\s:@'"<>]*:)[^/\s'"<>]*(?=@)""")

MASK = "<redacted>"


def mask_key_id(key: str) -> str:
    return _KEY_ID.sub(lambda m: f"{m.group(1)[:4]}…{m.group(2)}", key)


# literals where a key id may stand (`"access_key": null` in stsdiag's own JSON): kept, so
# redacting a rendered document keeps it valid
_NOT_IDS = frozenset({"null", "None", "none", "true", "false", "True", "False"})


def _mask_any_id(key: str) -> str:
    """An access key id of AWS's format as `AKIA…MPLE`; of any other format only its last
    four characters (`…6a6c`)."""
    masked = mask_key_id(key)
    if masked != key or key.startswith(("<", "…")) or key in _NOT_IDS:
        return masked
    return "…" + key[-4:] if len(key) >= 12 else MASK


_PAIRS_LOWER = re.compile(_PAIRS.pattern.removeprefix("(?i)"))
_PAIR_WORDS = ("token", "secret", "signature", "password")
# every long-secret pattern matches inside a run of 40+ such characters: one cheap scan
# finds the runs, and the patterns run only there (with a character of context each side)
_RUNS = re.compile(r"[A-Za-z0-9/+]{40,}")


def _long_secrets(text: str) -> str:
    windows: list[list[int]] = []  # [start, end): a run with one character of context
    for run in _RUNS.finditer(text):  # before it and three after; overlapping ones merged
        a, b = max(0, run.start() - 1), run.end() + 3
        if windows and a <= windows[-1][1]:
            windows[-1][1] = b
        else:
            windows.append([a, b])
    if not windows:
        return text
    out: list[str] = []
    last = 0
    for a, b in windows:
        out.append(text[last:a])
        seg = _LONG_B64.sub(MASK, text[a:b])
        seg = _SECRET40.sub(MASK, seg)
        out.append(_HEX64.sub("<hex>", seg))
        last = b
    out.append(text[last:])
    return "".join(out)


# a secret's characters escaped, as a URL (`%2F`), a page (`&#x2F;`), a JSON string (`\u002b`,
# `\/`) carries them: a long secret (a token, a secret key) is a run of these units, each one
# character of the secret
_ESCAPED_UNIT = r"(?:[A-Za-z0-9/+]|%(?:25)?2[BFbf]|&#x0*2[BFbf];|&#0*4[37];|\\u002[BFbf]|\\/)"
_ESCAPED_PAD = r"(?:=|%(?:25)?3[Dd]|&#x0*3[Dd];|&#0*61;|\\u003[Dd]){0,2}"
# (from the start of a word, or right after an escape: `Token%3DIQoJ…`, `Key\u003d…`)
_ESCAPED_RUN = re.compile(
    r"(?:(?<![A-Za-z0-9%#\\])|(?<=%[0-9A-Fa-f]{2})|(?<=;)|(?<=\\u00[0-9A-Fa-f]{2}))"
    rf"({_ESCAPED_UNIT}{{40,}}){_ESCAPED_PAD}"
)
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}|&#x?[0-9A-Fa-f]+;|\\u00[0-9A-Fa-f]{2}|\\/")
_ESCAPES = ("%2", "%3", "&#", "\\u00", "\\/")


def _escaped_secret(m: re.Match[str]) -> str:
    """An escaped run, dropped when it is a secret's shape unescaped: 60 characters or more
    (a token), or 40 of both cases with an escape (a secret key)."""
    run = m.group(0)
    plain = _ESCAPE.sub("/", m.group(1))  # (one character each: which does not matter here)
    if plain == m.group(1):
        # (no escape: the plain patterns judged it, but they spare a run after a `+` or an
        # escape, which in a form-encoded line (`quote_plus`) is a blank or a separator:
        # `credentials.json%3A+eyJ…`, `key+eyJ…`)
        before = m.string[max(0, m.start() - 3) : m.start()]
        if len(plain) >= 60 and (before.endswith("+") or _ESCAPE.fullmatch(before)):
            return MASK
        return run
    n = len(plain)
    if n >= 60 or (n == 40 and re.search("[a-z]", plain) and re.search("[A-Z]", plain)):
        return MASK
    return run


def _pairs(text: str, low: str) -> str:
    """`_PAIRS` without the slow case-insensitive scan: match on the lower-cased text (same
    offsets when lower-casing keeps the length), replace in the original."""
    if len(low) != len(text):
        return _PAIRS.sub(lambda m: m.group(1) + MASK, text)
    out: list[str] = []
    last = 0
    for m in _PAIRS_LOWER.finditer(low):
        out.append(text[last : m.start(2)])
        out.append(MASK)
        last = m.end(2)
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


# invisible characters a chat or web tool puts into long words: they would split a key id
# away from its pattern (`AKI\u200bAIOSFODNN7EXAMPLE`) and show nothing themselves
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


# a line break escaped inside one string (a JSON or repr of a whole log: `\\n`) between two
# characters of a word, maybe with an indent: a paste folded or cut a secret there
_ESCAPED_BREAK = re.compile(r"(?<=[A-Za-z0-9/+=_-])((?:\\r)?\\n)(?=[ \t]*[A-Za-z0-9/+=_-])")
_BREAK_WINDOW = 400


def redact(text: str) -> str:
    """`text` without its secrets, also those an escaped line break (`\\n`) cuts in two."""
    out = redact_one(text)
    if "\\n" not in text or len(text) < 20:
        return out
    from stsdiag.redactlog import drop_runs, folded_secrets  # (it imports this module)

    runs: list[tuple[int, int]] = []
    for m in _ESCAPED_BREAK.finditer(text):
        s, k = m.span(1)  # (the escape itself belongs to neither piece)
        a0 = max(0, s - _BREAK_WINDOW)
        runs_a, runs_b = folded_secrets(text[a0:s], text[k : k + _BREAK_WINDOW])
        runs += [(x + a0, y + a0) for x, y in runs_a]
        runs += [(x + k, y + k) for x, y in runs_b]
    return drop_runs(out, text, runs) if runs else out


def redact_one(text: str) -> str:
    """`redact` of the text as it stands (no escaped line break joined)."""
    if not text:
        return text
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    low = text.lower()
    if "<" in text or "&" in text or "\\u003" in low or "%3c" in low:
        text = _XML.sub(lambda m: m.group(1) + MASK + m.group(4), text)
        low = text.lower()
    if "cookie" in low:
        text = _COOKIE.sub(lambda m: m.group(1) + MASK, text)
        low = text.lower()
    if any(w in low for w in _PAIR_WORDS):
        text = _pairs(text, low)
        low = text.lower()
    if "redential=" in low or "ccess" in low or "accesskeyid" in low:
        text = _ID_AFTER.sub(lambda m: m.group(1) + _mask_any_id(m.group(2)), text)
    if "@" in text and "://" in text:
        text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    if "AWS " in text:
        text = _SIGV2.sub(lambda m: m.group(1) + _mask_any_id(m.group(2)) + ":" + MASK, text)
    if "bearer" in low:
        text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    if "eyJ" in text:
        text = _JWT.sub(MASK, text)
    if len(text) >= 40:
        if any(e in text for e in _ESCAPES):  # (first: the plain runs would cut it apart)
            text = _ESCAPED_RUN.sub(_escaped_secret, text)
        text = _long_secrets(text)
        if "b3JpZ2lu" in text or "ZXIvYXdz" in text or "AQoDYXdz" in text:
            text = _SESSION_TOKEN.sub(MASK, text)
    if "A" in text:
        text = _KEY_ID.sub(lambda m: f"{m.group(1)[:4]}…{m.group(2)}", text)
    return text


# a word the bound of an excerpt may cut: of a secret's characters (base64, hex, URL escapes)
_WORD_END = re.compile(r"[A-Za-z0-9/+=%_-]+$")
_WORD_START = re.compile(r"[A-Za-z0-9/+=%_-]*")
CUT_WORD = 16  # a longer word of a secret's shape cut by the bound is left out whole
_LOWER = re.compile("[a-z]")
_DIGIT = re.compile("[0-9]")


def excerpt(text: str, limit: int = 240) -> str:
    """A single-line, bounded excerpt of a log line. Not redacted here (that costs time on
    every request): every renderer redacts all output, see `render/*`. A long word the bound
    would cut is left out: the head of a secret (a token, a signature) cut short is too short
    for redaction to know it, wherever its name stood."""
    one = " ".join(text[: limit * 4].split())
    if len(one) <= limit:
        return one
    head = one[: limit - 1]
    m = _WORD_END.search(head)
    if m is not None:
        rest = _WORD_START.match(one, limit - 1)
        word = one[m.start() : rest.end() if rest is not None else limit - 1]
        if (
            len(word) >= CUT_WORD
            and _DIGIT.search(word)
            and (len(word) >= 2 * CUT_WORD or _LOWER.search(word))
        ):  # (a secret's shape: not `AWS4-HMAC-SHA256`, `application/x-www-form-urlencoded`)
            head = head[: m.start()]
    return head + "…"
