"""Secrets never leave: every string stsdiag prints passes through `redact`.

Access key ids are masked (`AKIA…MPLE`); secret keys, session tokens, signatures, web
identity tokens and credential bodies are dropped."""

from __future__ import annotations

import re

_KEY_ID = re.compile(
    r"\b((?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA|ABIA|ACCA)[A-Z0-9])[A-Z0-9]{7,}([A-Z0-9]{4})\b"
)
_PAIRS = re.compile(
    r"(?i)((?:x-amz-security-token|aws_session_token|aws_secret_access_key|secretaccesskey|"
    r"secret_access_key|sessiontoken|session_token|webidentitytoken|web_identity_token|"
    r"securitytoken|security_token|x-amz-signature|signature|password|token)"
    r"""['"]?\s*(?:[:=]|=>)\s*b?['"]?)([^'"\s,&<}\]]+)"""
)
_XML = re.compile(r"(?is)(<(SecretAccessKey|SessionToken|WebIdentityToken|Token)>)(.*?)(</\2>)")
_BEARER = re.compile(r"(?i)(Bearer\s+)\S+")
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_LONG_B64 = re.compile(r"(?<![\w/+=%.-])[A-Za-z0-9/+]{60,}={0,2}")
_SECRET40 = re.compile(
    r"(?<![\w/+=%.-])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![\w/+=%-])"
)
_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")

MASK = "<redacted>"


def mask_key_id(key: str) -> str:
    return _KEY_ID.sub(lambda m: f"{m.group(1)[:4]}…{m.group(2)}", key)


def redact(text: str) -> str:
    if not text:
        return text
    text = _XML.sub(lambda m: m.group(1) + MASK + m.group(4), text)
    text = _PAIRS.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = _JWT.sub(MASK, text)
    text = _LONG_B64.sub(MASK, text)
    text = _SECRET40.sub(MASK, text)
    text = _HEX64.sub("<hex>", text)
    return _KEY_ID.sub(lambda m: f"{m.group(1)[:4]}…{m.group(2)}", text)


def excerpt(text: str, limit: int = 240) -> str:
    """A single-line, bounded excerpt of a log line. Not redacted here (that costs time on
    every request): every renderer redacts all output, see `render/*`."""
    one = " ".join(text[: limit * 4].split())
    return one if len(one) <= limit else one[: limit - 1] + "…"
