"""Leaks of `stsdiag redact` that a second round of mutation fuzzing found in logs that went
through two encodings at once (a collector's line wrapping and a fold, a one-string JSON log
and a cut, `quote_plus` of a base64 document); each with a near miss that must read as before
(tests/data/fuzz-7: every secret in it fake)."""

from __future__ import annotations

import base64
import io
import json
import re
import urllib.parse
from pathlib import Path

from stsdiag.redact import redact
from stsdiag.redactlog import redact_stream

DATA = Path(__file__).parent / "data" / "fuzz-7"
SECRETS: dict[str, str] = json.loads((DATA / "secrets.json").read_text())
AKID, SECRET, SIG, TOKEN = SECRETS["akid"], SECRETS["secret"], SECRETS["sig"], SECRETS["token"]


def leaked(text: str, secret: str, n: int = 16) -> bool:
    """A piece of 16 characters of `secret` in `text`, as it stands or with its line breaks
    (real or escaped) joined, as a reader would put a folded secret together."""
    joined = re.sub(r"\r?\n[ \t]*|\\n[ \t]*", "", text)
    pieces = {secret[i : i + n] for i in range(len(secret) - n + 1)}
    return any(p in text or p in joined for p in pieces)


def redact_log(text: str) -> str:
    out = io.BytesIO()
    redact_stream(io.BytesIO(text.encode()), out)
    return out.getvalue().decode()


def same_shape(before: str, after: str) -> None:
    """One output line per input line, and redacting again changes nothing."""
    assert after.count("\n") == before.count("\n")
    assert redact_log(after) == after


RECORD = (
    "2026-11-28 06:46:10,301 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
    "<AWSPreparedRequest stream_output=False, method=POST, url=https://sts.us-west-2.amazonaws.com/, "
    f"headers={{'X-Amz-Date': b'20261128T000000Z', 'X-Amz-Security-Token': b'{TOKEN}', "
    f"'Authorization': b'AWS4-HMAC-SHA256 Credential={AKID}/20261128/us-west-2/sts/aws4_request, "
    f"SignedHeaders=host;x-amz-date, Signature={SIG}', 'Content-Length': '43'}}>"
)
PLAIN = (
    "2026-11-28 06:46:10,302 - MainThread - botocore.parsers - DEBUG - Response headers: "
    "{'x-amzn-RequestId': 'c6104cbe-af31-11e0-8154-cbc7ccf896c7', 'Content-Type': 'text/xml', "
    "'Content-Length': '1491', 'Date': 'Sat, 28 Nov 2026 06:46:10 GMT'} "
    "arn:aws:iam::123456789012:role/demo https://sts.us-west-2.amazonaws.com/ AWS4-HMAC-SHA256"
)


def cri(line: str, width: int = 100) -> list[str]:
    """A container runtime's log of a long line: pieces of `width`, `P` but the last (`F`)."""
    out = []
    while len(line) > width:
        out.append(f"2026-11-28T06:46:10.123456789Z stderr P {line[:width]}")
        line = line[width:]
    out.append(f"2026-11-28T06:46:10.123456789Z stderr F {line}")
    return out


def fold(line: str, width: int) -> list[str]:
    return [line[i : i + width] for i in range(0, len(line), width)]


# --- a collector's prefix on every piece of a split or folded line


def test_cri_partial_lines_carry_the_token_past_each_time_stamp() -> None:
    # each `P` piece starts with a time stamp: the carry of a cut token stopped there and
    # the rest of it (hundreds of characters) was kept
    text = "\n".join(cri(RECORD)) + "\n"
    out = redact_log(text)
    for secret in (TOKEN, SIG, AKID):
        assert not leaked(out, secret), secret
    same_shape(text, out)


def test_gitlab_and_cloudwatch_prefixes_on_a_folded_line() -> None:
    for wrap in (
        lambda p: f"2026-11-28T06:46:10.123456Z 01E {p}",
        lambda p: f"EVENTS\t1234\t1764300000000\tstream\t{p}\t1764300000000",
    ):
        text = "\n".join(wrap(p) for p in fold(RECORD, 100)) + "\n"
        out = redact_log(text)
        for secret in (TOKEN, SIG):
            assert not leaked(out, secret), (secret, out)
        same_shape(text, out)


def test_json_records_of_a_cut_line_with_escaped_slashes() -> None:
    # `{"message": "…Signature=2e14"}` / `{"message": "0988…"}`: the cut joins inside the
    # records, not across their quotes and braces
    cut = RECORD.index(SIG) + 10
    lines = [RECORD[:cut], RECORD[cut:]]
    text = "\n".join(json.dumps({"message": ln}).replace("/", "\\/") for ln in lines) + "\n"
    out = redact_log(text)
    assert not leaked(out, SIG)
    same_shape(text, out)


def test_collector_prefixes_near_miss_ordinary_records_stay() -> None:
    # the same wrappings around a record with no secret: nothing changes, and a new record
    # after a piece is not read as the rest of a value
    lines = [*cri(PLAIN), *cri(PLAIN.replace("10,302", "10,303"))]
    text = "\n".join(lines) + "\n"
    assert redact_log(text) == text
    gl = "\n".join(f"2026-11-28T06:46:10.123456Z 01E {p}" for p in fold(PLAIN, 90)) + "\n"
    assert redact_log(gl) == gl
    js = "\n".join(json.dumps({"log": p + "\n", "stream": "stderr"}) for p in fold(PLAIN, 90))
    assert redact_log(js + "\n") == js + "\n"


def test_cri_token_name_at_a_piece_end_drops_the_value_on_the_next() -> None:
    head = "2026-11-28 06:46:10,301 - MainThread - botocore.credentials - DEBUG - 'SessionToken': "
    text = (
        f"2026-11-28T06:46:10.123456789Z stderr P {head}\n"
        f"2026-11-28T06:46:10.123456789Z stderr F '{TOKEN[:70]}'\n"
    )
    out = redact_log(text)
    assert not leaked(out, TOKEN[:70])
    assert out.splitlines()[1].startswith("2026-11-28T06:46:10.123456789Z stderr F ")
    same_shape(text, out)


# --- a one-string JSON log: a line break inside a secret is the escape `\n`


def test_key_id_cut_by_an_escaped_line_break_is_masked() -> None:
    # parse-log and redact printed `Credential=AKIAJ\nMPWKI35WEXAMPLE` as it stood
    cut = RECORD.replace(AKID, AKID[:5] + "\n" + AKID[5:]).replace(SIG, SIG[:20] + "\n" + SIG[20:])
    one = json.dumps({"message": cut + "\n" + PLAIN, "logStream": "x"})
    out = redact(one)
    assert AKID[5:] not in out and not leaked(out, SIG) and not leaked(out, TOKEN)
    assert redact(out) == out
    # (as a log file's one line too)
    assert not leaked(redact_log(one + "\n"), AKID[4:], n=12)


def test_token_cut_by_an_escaped_break_and_indent_in_a_repr() -> None:
    xml = (
        "b'<Credentials>\\n  <SessionToken>"
        + TOKEN[:50]
        + "\\n    "
        + TOKEN[50:]
        + "</SessionToken>\\n  <Expiration>2026-11-28T01:00:00Z</Expiration>'"
    )
    out = redact("x " + json.dumps({"message": RECORD[:40] + xml}))
    assert not leaked(out, TOKEN)


def test_escaped_break_near_miss_key_id_and_record_stay_readable() -> None:
    # a whole key id before a break, a new record after it: masked as ever, the rest kept
    text = f"Credential={AKID}/20261128/us-west-2/sts/aws4_request\\n{PLAIN}\\nregion\\nus-west-2"
    out = redact(text)
    assert out == text.replace(AKID, "AKIA…MPLE")
    assert redact(out) == out


# --- `quote_plus` of a line: a blank is `+`


def test_quote_plus_of_a_base64_credentials_document_is_dropped() -> None:
    doc = base64.b64encode(
        json.dumps(
            {"AccessKeyId": AKID, "SecretAccessKey": SECRETS["b64_secret"], "SessionToken": TOKEN}
        ).encode()
    ).decode()
    for line in (f"  credentials.json: {doc}", f"data {doc}"):
        out = redact(urllib.parse.quote_plus(line))
        assert doc[:16] not in out and not leaked(out, doc), out[:80]
        assert redact(out) == out


def test_quote_plus_near_miss_words_and_urls_stay() -> None:
    for line in (
        "$ kubectl get secret aws-creds -o yaml | grep credentials",
        PLAIN,
        "endpoint https://sts.us-west-2.amazonaws.com/ region us-west-2 "
        "arn:aws:sts::123456789012:assumed-role/demo-role/botocore-session-1764300000",
    ):
        q = urllib.parse.quote_plus(line)
        assert redact(q) == q


# --- a value carried to the next line past a JSON string's or a URL's escapes


def test_folded_token_with_json_u_escapes_is_carried_past_them() -> None:
    # `\u002b` (a `+`) in a JSON log folded at 80: the carry of the token stopped at the
    # first escape and the rest of the line (under the 40 units a token needs) was kept
    esc = json.dumps({"log": RECORD + "\n", "stream": "stderr"}).replace("+", "\\u002b")
    esc = esc.replace("=", "\\u003d")
    lines = fold(esc, 80)
    text = "\n".join(lines) + "\n"
    out = redact_log(text)
    for secret in (TOKEN, SIG):
        enc = json.dumps(secret)[1:-1].replace("+", "\\u002b").replace("=", "\\u003d")
        assert not leaked(out, enc), secret
    same_shape(text, out)


def test_folded_json_u_near_miss_quotes_and_words_after_a_value_stay() -> None:
    # the carry stops at an escaped quote or bracket: what follows the value is kept
    line = (
        "<redacted>\\u0022, \\u0022region\\u0022: \\u0022us-west-2\\u0022 \\u003cRequestId\\u003e"
    )
    text = "'SessionToken': <redacted>\n" + line + "\n"
    assert redact_log(text) == text


def test_secret_key_after_url_escaped_json_quotes() -> None:
    # a one-string JSON log, URL-encoded: `secretAccessKey%5C%22: %5C%22…%5C%22` (a secret
    # key with no `/` or `+`: no escape of its own that would show it as one)
    secret = SECRET.replace("/", "Q").replace("+", "z")
    doc = json.dumps({"message": f'{{"secretAccessKey": "{secret}", "region": "us-west-2"}}'})
    q = urllib.parse.quote(doc, safe=" :,-'")
    out = redact(q)
    assert not leaked(out, secret)
    assert "us-west-2" in out and "%5C%22region%5C%22" in out
    assert redact(out) == out
    # near miss: a name that is not a secret's keeps its value
    plain = urllib.parse.quote(json.dumps({"message": '{"roleName": "demo-role-2026"}'}))
    assert redact(plain) == plain


def test_redacting_an_escaped_redacted_value_again_changes_nothing() -> None:
    # `b%27<redacted>` / `+%22<redacted>` (a URL-encoded log): a second pass read `b` and `+`
    # as a value and masked them (`%3A<redacted>%27<redacted>`)
    for line in (
        RECORD,
        json.dumps({"accessToken": TOKEN, "region": "us-east-1"}),
    ):
        for enc in (urllib.parse.quote_plus, lambda t: t.replace("'", "&#x27;")):
            once = redact(enc(line))
            assert not leaked(once, TOKEN)
            assert redact(once) == once, once[:200]
    # near miss: a value that opens with `+` or `b` and is a secret still goes
    assert redact("token=+" + SIG) == "token=+<redacted>"
    assert redact("Token%3D" + "b" + SIG[1:]) == "Token%3D<redacted>"


def test_cookie_after_quotes_escaped_twice_a_repr_in_json() -> None:
    # a bytes repr of a log that has both quote kinds, then a JSON string: `\\'Cookie\\': b\\'`
    cookie = SECRET.replace("/", "Q").replace("+", "z")
    line = f"headers={{'User-Agent': b'aws-cli/2.15.0', 'Cookie': b'aws-userInfo-signed={cookie}'}}> \"x\""
    doc = json.dumps({"message": repr(line.encode())})
    assert "\\\\'Cookie\\\\'" in doc
    out = redact(doc)
    assert not leaked(out, cookie)
    assert "aws-cli/2.15.0" in out and redact(out) == out
    # near miss: another header's value in the same escaping stays
    plain = doc.replace("Cookie", "X-Trace")
    assert redact(plain) == plain
