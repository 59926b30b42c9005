"""Mutation fuzzing of real logs full of (fake) secrets: the leaks it found, and a fixed-seed
sample of the campaign (tests/data/fuzz-6: the records planted into fixture logs, every
secret in them fake)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

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
