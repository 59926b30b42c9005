"""Mutation fuzzing of real logs full of (fake) secrets: the leaks it found, and a fixed-seed
sample of the campaign (tests/data/fuzz-6: the records planted into fixture logs, every
secret in them fake)."""

from __future__ import annotations

import gzip
import html
import io
import json
import quopri
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from stsdiag.cli import run
from stsdiag.redact import excerpt, redact
from stsdiag.redactlog import redact_stream

DATA = Path(__file__).parent / "data" / "fuzz-6"
SECRETS: dict[str, str] = json.loads((DATA / "secrets.json").read_text())
TOKEN = SECRETS["tok_iqoj"]
SSO = SECRETS["sso_access"]


def pieces(secret: str, n: int = 16) -> set[str]:
    return {secret[i : i + n] for i in range(len(secret) - n + 1)}


def leaked(text: str, secret: str) -> bool:
    return any(p in text for p in pieces(secret))


def redact_log(text: str) -> str:
    out = io.BytesIO()
    redact_stream(io.BytesIO(text.encode()), out)
    return out.getvalue().decode()


# ---------------------------------------------------------------- Python 2 `u'…'` values


@pytest.mark.parametrize(
    "line",
    [
        "{'password': u'hunter2EXAMPLEpw'}",
        "{'X-Amz-Security-Token': u'FwoGZXIvYXdzEXAMPLE'}",
        "{'x-amz-sso_bearer_token': u'aoaAAAAAGEXAMPLE0123'}",
    ],
)
def test_python2_unicode_repr_values_dropped(line: str) -> None:
    # a Python 2 log shows str values as u'…': the `u` is the repr's, not the value's
    value = line.split("u'")[1].rstrip("'}")
    out = redact(line)
    assert value not in out and value[1:] not in out, out
    assert "u'<redacted>'" in out


def test_python2_unicode_repr_key_id_masked() -> None:
    out = redact("{'aws_access_key_id': u'00e2fda87cd7416e6a6c', 'region': u'eu-west-1'}")
    assert "00e2fda87cd7416e6a6c" not in out and "…6a6c" in out
    assert "u'eu-west-1'" in out  # near miss: other u'' values stay


def test_python2_unicode_repr_near_miss() -> None:
    # words that start with u stay words; a token name with a plain word stays readable
    for line in ("token: unavailable", "{'region': u'us-east-1', 'signature_version': u'v4'}"):
        assert redact(line) == line


# ------------------------------------------------ excerpts cut inside a secret's head


def test_excerpt_never_ends_in_a_long_words_head() -> None:
    # an evidence line whose bound falls in a token: the piece before the bound was too
    # short for any pattern (and its name may be past the bound in other layouts)
    line = "x" * 200 + " headers={'x-amz-sso_bearer_token': u'" + SSO + "'}"
    for limit in range(200, 260):
        out = redact(excerpt(line, limit))
        assert not leaked(out, SSO), (limit, out)
        assert len(out) <= limit


def test_excerpt_cut_near_miss() -> None:
    # short words and host names cut by the bound stay (the excerpt is for reading)
    line = "a " * 105 + "sts.us-east-1.amazonaws.com more words"
    assert excerpt(line, 220).endswith("sts.us-ea…")
    assert excerpt("word " * 60, 220).endswith("word…")
    assert excerpt("short line", 220) == "short line"


# ---------------------------------------------------------------- cookies


@pytest.mark.parametrize(
    "line",
    [
        "headers={'Cookie': b'aws-userInfo-signed=" + SECRETS["cookie"] + "', 'User-Agent': b'x'}",
        "< Set-Cookie: session=" + SECRETS["cookie"] + "; Path=/; Secure; HttpOnly",
        '{"log":"Cookie: a\\u003d' + SECRETS["cookie"] + '\\u0026b=1\\n","stream":"stderr"}',
    ],
)
def test_cookie_values_dropped(line: str) -> None:
    out = redact(line)
    assert not leaked(out, SECRETS["cookie"]), out
    assert "<redacted>" in out


def test_cookie_near_miss() -> None:
    for line in (
        "fetching cookie jar from cookie-service.example.com:443",
        "'User-Agent': b'aws-cli/2.15.0', 'Content-Length': '43'",
    ):
        assert redact(line) == line


# ------------------------------------------------------- client secrets (SSO cache)


def test_sso_cache_client_secret_dropped() -> None:
    cache = json.loads((DATA / "planted.log").read_text().splitlines()[18])
    out = redact(json.dumps(cache))
    for key in ("clientSecret", "accessToken", "refreshToken"):
        assert not leaked(out, cache[key]), key
    # folded at a width the JWT's dot falls behind: the head alone has no JWT shape
    head = '"clientSecret": "' + cache["clientSecret"][:40]
    assert not leaked(redact(head), cache["clientSecret"][:40])
    # near miss: the rest of the cache stays readable
    assert cache["startUrl"] in out and cache["clientId"] in out


def test_client_secret_near_miss() -> None:
    line = 'secretsmanager.us-east-1.amazonaws.com "SecretId": "prod/db", "secret": "none"'
    assert redact(line) == line


# ------------------------------------------- credential elements with escaped brackets


@pytest.mark.parametrize(
    ("lt", "gt"),
    [
        ("&lt;", "&gt;"),
        ("&#x3C;", "&#x3E;"),
        ("&#60;", "&#62;"),
        ("\\u003c", "\\u003e"),
        ("%3C", "%3E"),
    ],
)
def test_escaped_credential_elements_dropped(lt: str, gt: str) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"  # 41 characters: no key's shape
    line = (
        f"{lt}AccessKeyId{gt}ASIAIOSFODNN7EXAMPLE{lt}/AccessKeyId{gt}"
        f"{lt}SecretAccessKey{gt}{secret}{lt}/SecretAccessKey{gt}"
        f"{lt}RequestId{gt}c6104cbe-af31-11e0-8154-cbc7ccf896c7{lt}/RequestId{gt}"
    )
    out = redact(line)
    assert not leaked(out, secret), out
    # near miss: the request id stays, the key id shows masked
    assert "c6104cbe-af31-11e0-8154-cbc7ccf896c7" in out and "ASIA…MPLE" in out


# ------------------------------------------- secrets escaped as a URL, a page, a JSON string

SECRET_KEY = SECRETS["secret"]  # 40 characters, with `+`


@pytest.mark.parametrize(
    "line",
    [
        # a log line URL-encoded (a link, a form), its separators and quotes too
        "%22SecretAccessKey%22%3A+%22" + quote(SECRET_KEY, safe="") + "%22%2C+%22x%22",
        "Signature%3D" + SECRETS["sig"] + "%27%2C+%27Content-Length",
        "%26X-Amz-Security-Token%3D" + quote(quote(TOKEN, safe=""), safe=""),  # (twice)
        # a page's entities
        "&quot;secretAccessKey&quot;: &quot;"
        + html.escape(SECRET_KEY).replace("+", "&#x2B;").replace("/", "&#x2F;")
        + "&quot;",
        "token&#x3D;" + TOKEN.replace("/", "&#x2F;").replace("+", "&#x2B;").replace("=", "&#x3D;"),
        # a JSON string from an encoder that escapes `+`, `=` and `/` (Go, some loggers)
        '{\\"SessionToken\\": \\"'
        + TOKEN.replace("+", "\\u002b").replace("=", "\\u003d").replace("/", "\\/")
        + '\\"}',
        # a web identity token after an escaped quote
        "%27WebIdentityToken%27%3A+%27" + SECRETS["jwt"] + "%27",
        "%27Cookie%27%3A+b%27aws-userInfo-signed%3D" + SECRETS["cookie"] + "%27",
    ],
)
def test_escaped_secrets_dropped(line: str) -> None:
    out = redact(line)
    for name in ("secret", "sig", "jwt", "cookie"):
        assert not leaked(out, SECRETS[name]), (name, out)
    plain = out.replace("%252B", "+").replace("%252F", "/").replace("%2B", "+").replace("%2F", "/")
    plain = plain.replace("&#x2B;", "+").replace("&#x2F;", "/").replace("\\u002b", "+")
    assert not leaked(plain.replace("\\/", "/"), TOKEN), out
    assert not leaked(plain, SECRET_KEY), out


@pytest.mark.parametrize(
    "line",
    [
        "GET /path%2Fto%2Ffile.txt?prefix=logs%2F2026%2F11%2F28%2Fhost-01&list-type=2 HTTP/1.1",
        "url=https%3A%2F%2Fsts.us-east-1.amazonaws.com%2F%3FAction%3DGetCallerIdentity%26Version%3D2011-06-15",
        "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg== x-amz-request-id%3DEXAMPLE0123456789AB",
        "token%3Dunavailable%26signature_version%3Dv4 Token&#x3D;None GetSessionToken: AccessDenied",
        "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role%2Fsub-path%2Fmore-of-the-path-here",
    ],
)
def test_escaped_near_miss(line: str) -> None:
    assert redact(line) == line


# ------------------------------------------ the redact command: folds with an indent, QP


def planted() -> str:
    return (DATA / "planted.log").read_text()


def assert_clean(out: str) -> None:
    joined = re.sub(r"=?\r?\n[ \t>]*", "", out)
    for name, secret in SECRETS.items():
        if name in ("akid", "asid", "b64_secret", "b64_token"):
            continue  # (key ids show masked; the base64 document is checked whole)
        assert not leaked(joined, secret), (name, joined[joined.find(secret[:8]) - 80 :][:300])


@pytest.mark.parametrize("width", [61, 64, 76, 80, 100, 132, 160])
@pytest.mark.parametrize("indent", ["  ", "\t", "> "])
def test_fold_with_indent(width: int, indent: str) -> None:
    # a fold that indents what it carries over (an e-mail quote, `fold` piped to `sed`,
    # a ticket tool): the pieces join without the indent
    out = redact_log(fold(planted(), width, indent))
    assert_clean(out)


def test_quoted_printable_soft_breaks() -> None:
    # a log mailed as quoted-printable: `=3D` for `=`, and a soft break (`=` at the line's
    # end) every 76 characters, inside names and secrets
    text = quopri.encodestring(planted().encode()).decode()
    out = redact_log(text)
    joined = out.replace("=\n", "").replace("=3D", "=")
    for name in ("secret", "sig", "tok_iqoj", "tok_aqo", "cp_secret", "imds_secret"):
        assert not leaked(joined, SECRETS[name]), name


def test_sso_token_with_colon_folded() -> None:
    # an SSO access token holds a `:`: a fold's carry goes on past it
    line = "headers={'x-amz-sso_bearer_token': b'" + SSO + "', 'User-Agent': b'x'}"
    for width in (60, 64, 80):
        assert not leaked(re.sub(r"\n\s*", "", redact_log(fold(line, width, "  "))), SSO)


def test_fold_near_miss_blank_is_text() -> None:
    # a continuation line's blank may be the text's own: nothing readable is dropped
    text = "2026-11-28 06:46:10,301 - MainThread - botocore.hooks - DEBUG - Event\n  before-call.sts.GetCallerIdentity: calling handler\n"
    assert redact_log(text) == text


def fold(text: str, width: int, indent: str = "") -> str:
    out = []
    for line in text.split("\n"):
        first = True
        while len(line) > width:
            w = width if first else width - len(indent)
            out.append(("" if first else indent) + line[:w])
            line, first = line[w:], False
        out.append(("" if first else indent) + line)
    return "\n".join(out)


def test_quoted_printable_soft_break_in_a_name() -> None:
    # the soft break cut the name: joined without the `=`, the name is whole again
    sig = SECRETS["sig"]
    text = (
        "2026-11-28 06:46:10,301 - MainThread - botocore.endpoint - DEBUG - headers=3D{'Au=\n"
        "thorization': b'AWS4-HMAC-SHA256 Credential=3DAKIAIOSFODNN7EXAMPLE/20261128/us-ea=\n"
        "st-1/sts/aws4_request, SignedHeaders=3Dhost;x-amz-date, Signa=\n"
        "ture=3D" + sig + "'}\n"
    )
    out = redact_log(text)
    assert not leaked(out.replace("=\n", ""), sig), out
    assert "us-ea=\nst-1/sts/aws4_request" in out  # near miss: the rest reads as before


# ------------------------------------------------- a fixed-seed sample of the campaign

BASE = Path(__file__).parent.parent / "fixtures" / "logs" / "glatest-cli-assume-role.log"
B64_DOC = planted().rsplit("credentials.json: ", 1)[1].split()[0]


def spliced() -> str:
    """The planted records in the middle of a real log (after a record, at its time)."""
    lines = BASE.read_text().split("\n")
    mid = next(i for i in range(len(lines) // 2, len(lines)) if lines[i][:4].isdigit())
    return "\n".join([*lines[:mid], *planted().rstrip("\n").split("\n"), *lines[mid:]])


def _cut(text: str) -> str:
    # every planted secret cut in two across a line break, at a fixed place
    for secret in SECRETS.values():
        text = text.replace(secret, secret[:11] + "\n" + secret[11:])
    return text


MUTATIONS = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "ansi": lambda t: "\n".join(f"\x1b[2m{ln}\x1b[0m" for ln in t.split("\n")),
    "docker-json": lambda t: "\n".join(
        json.dumps({"log": ln + "\n", "stream": "stderr", "time": "2026-11-28T06:46:10Z"})
        for ln in t.split("\n")
    ),
    "github": lambda t: "\n".join(f"2026-11-28T06:46:10.1234567Z {ln}" for ln in t.split("\n")),
    "py2": lambda t: re.sub(r"(?<!\w)b'", "u'", t),
    "fold-80-indent": lambda t: fold(t, 80, "  "),
    "fold-131": lambda t: fold(t, 131),
    "html": lambda t: html.escape(t).replace("/", "&#x2F;").replace("+", "&#x2B;"),
    "url": lambda t: "\n".join(quote(ln, safe=" :,-'") for ln in t.split("\n")),
    "cut": _cut,
}


def views(out: str) -> str:
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    return "\n".join([plain, re.sub(r"\r?\n[ \t>]*", "", plain), re.sub(r"\\[nr]\s*", "", plain)])


def assert_no_secret(out: str) -> None:
    text = views(out)
    for name, secret in [*SECRETS.items(), ("base64 document", B64_DOC)]:
        for enc in {
            secret,
            quote(secret, safe=""),
            secret.replace("/", "&#x2F;").replace("+", "&#x2B;"),
        }:
            assert not leaked(text, enc), name


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_campaign_sample(mutation: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "debug.log"
    log.write_text(MUTATIONS[mutation](spliced()))
    for argv in (
        ["parse-log", str(log), "-j", "1", "--output", "json"],
        ["redact", str(log)],
    ):
        code = run(argv)
        out, err = capsys.readouterr()
        assert code in (0, 1, 2), (argv, err)
        assert "Traceback" not in err and "internal error" not in err
        assert_no_secret(out + err)


@pytest.mark.parametrize("packing", ["gzip", "utf-16", "cut"])
def test_campaign_sample_packed(
    packing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = spliced().encode()
    log = tmp_path / "debug.log"
    if packing == "gzip":
        log.write_bytes(gzip.compress(data))
    elif packing == "utf-16":
        log.write_bytes(spliced().encode("utf-16"))
    else:  # cut at every 4,000th byte (a truncated upload)
        log.write_bytes(data[: len(data) // 4000 * 4000])
    for argv in (["parse-log", str(log), "-j", "1", "--output", "table"], ["redact", str(log)]):
        code = run(argv)
        out, err = capsys.readouterr()
        assert code in (0, 1, 2), (argv, err)
        assert "Traceback" not in err
        assert_no_secret(out + err)


@pytest.mark.parametrize(
    "line",
    [
        # a log line inside a bytes repr (a logger that logged a chunk): quotes escaped
        "b'... headers={\\'Cookie\\': b\\'aws-userInfo-signed=" + SECRETS["cookie"] + "\\'}>\\n'",
        "b'... {\\'password\\': b\\'" + SECRETS["cookie"] + "\\'}\\n'",
        # a terminal's colours between the name and the value
        "'Cookie': \x1b[33mb'aws-userInfo-signed=" + SECRETS["cookie"] + "'",
        "'password': \x1b[33mb'" + SECRETS["cookie"] + "\x1b[0m'",
    ],
)
def test_escaped_quotes_and_colours_before_a_value(line: str) -> None:
    out = redact(line)
    assert not leaked(out, SECRETS["cookie"]), out


def test_escaped_quotes_and_colours_near_miss() -> None:
    for line in ("'region': \x1b[33mb'us-east-1'", "b'{\\'region\\': \\'eu-west-1\\'}'"):
        assert redact(line) == line


def test_value_opening_quote_on_the_next_line() -> None:
    # a fold right after a name's `': `: the next line opens with the indent and the quote
    log = (
        Path(__file__).parent.parent / "fixtures" / "logs" / "glatest-cli-webid-ok.log"
    ).read_text()
    jwt = re.findall(r"'WebIdentityToken': '([^']+)'", log)[0]
    out = redact_log(fold(log, 132, "  "))
    assert not leaked(re.sub(r"\n\s*", "", out), jwt)
    assert "'RoleSessionName': 'demo-pod'" in re.sub(r"\n\s*", "", out)  # near miss


def test_quoted_printable_value_carried() -> None:
    # a dropped value followed by a soft break (`<redacted>=`) goes on in the next lines
    jwt = SECRETS["sso_client_secret"]
    text = (
        '{"clientId": "EXAMPLEclientid0123456789", "clientSecre=\nt": "'
        + "=\n".join(jwt[i : i + 75] for i in range(0, len(jwt), 75))
        + '"}\n'
    )
    out = redact_log(text)
    assert not leaked(out.replace("=\n", ""), jwt), out
    assert "EXAMPLEclientid0123456789" in out  # near miss


def test_excerpt_keeps_a_cut_word_of_no_secrets_shape() -> None:
    # the README's example: the bound cuts the signing algorithm's name, which stays
    for word in ("AWS4-HMAC-SHA256", "application/x-www-form-urlencoded"):
        head = "'Content-Type': '" + word[:12]
        line = "x " * ((239 - len(head)) // 2) + "x" * ((239 - len(head)) % 2) + head + word[12:]
        assert excerpt(line, 240).endswith(head + "…")
