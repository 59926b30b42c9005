"""Secrets never leave: logs full of secrets through every output format."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from stsdiag.cli import run
from tests.helpers import LOGS, cases

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEtokenAQoDYXdzEJr//////////wEaDEXAMPLE" + "A" * 300
SIGNATURE = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IkVYQU1QTEUifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlRVhBTVBMRQ"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
# an S3-compatible store's key id (MinIO, Ceph: not AWS's format) and a SigV2 signature
OTHER_KEY_ID = "00e2fda87cd7416e6a6c"
SIGV2 = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="


def secret_log(base: bytes) -> bytes:
    """A real log with every kind of secret a debug log can carry spliced into it (marked:
    botocore does not log secret keys itself, but users' pastes and custom loggers do)."""
    extra = (
        f"2021-07-29 17:29:45,300 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
        f"<AWSPreparedRequest stream_output=False, method=POST, url=https://sts.ap-northeast-1.amazonaws.com/, "
        f"headers={{'X-Amz-Security-Token': b'{SESSION_TOKEN}', 'Authorization': b'AWS4-HMAC-SHA256 "
        f"Credential={KEY_ID}/20210729/ap-northeast-1/sts/aws4_request, SignedHeaders=host;x-amz-date, "
        f"Signature={SIGNATURE}'}}>\n"
        f"2021-07-29 17:29:45,301 - MainThread - botocore.parsers - DEBUG - Response body:\n"
        f"b'<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>"
        f"<SecretAccessKey>{SECRET_KEY}</SecretAccessKey><SessionToken>{SESSION_TOKEN}</SessionToken>"
        f"</Credentials></AssumeRoleResult></AssumeRoleResponse>'\n"
        f"2021-07-29 17:29:45,302 - MainThread - botocore.endpoint - DEBUG - Making request for "
        f"OperationModel(name=AssumeRoleWithWebIdentity) with params: {{'body': {{'Action': 'AssumeRoleWithWebIdentity', "
        f"'WebIdentityToken': '{JWT}', 'RoleArn': 'arn:aws:iam::123456789012:role/x'}}, "
        f"'url': 'https://sts.amazonaws.com/', 'context': {{'client_region': 'aws-global'}}}}\n"
        f"2021-07-29 17:29:45,303 - MainThread - botocore.credentials - DEBUG - aws_secret_access_key = {SECRET_KEY}\n"
        f"2021-07-29 17:29:45,304 - MainThread - botocore.endpoint - DEBUG - Sending http request: "
        f"<AWSPreparedRequest stream_output=False, method=GET, url=https://s3.example.net/b?"
        f"AWSAccessKeyId={OTHER_KEY_ID}&X-Amz-Credential={OTHER_KEY_ID}%2F20210729%2Fus-east-1, "
        f"headers={{'Authorization': b'AWS4-HMAC-SHA256 Credential={OTHER_KEY_ID}/20210729/us-east-1/s3/aws4_request', "
        f"'X-Old': 'AWS {OTHER_KEY_ID}:{SIGV2}'}}>\n"
        f"An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: "
        f"The security token {SESSION_TOKEN} included in the request is invalid. Key {KEY_ID} Signature={SIGNATURE}\n"
    ).encode()
    return base + b"\n" + extra


BASES = [c.log for c in cases()][:6] or [LOGS]


@pytest.mark.parametrize("output", ["table", "json", "junit"])
@pytest.mark.parametrize("idx", range(len(BASES)))
def test_no_secret_survives_any_output(
    output: str, idx: int, tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "secrets.log"  # type: ignore[operator]
    log.write_bytes(secret_log(BASES[idx].read_bytes()))
    code = run(["parse-log", str(log), "--output", output, "--fail-on", "never"])
    out, err = capsys.readouterr()
    assert code == 0, err
    if output == "json":
        json.loads(out)  # still a valid document after redaction
    elif output == "junit":
        ElementTree.fromstring(out)
    text = out + err
    assert SECRET_KEY not in text
    assert SESSION_TOKEN[:40] not in text
    assert SIGNATURE not in text
    assert JWT[:30] not in text
    assert KEY_ID not in text
    assert OTHER_KEY_ID not in text and SIGV2 not in text
    # no unmasked access key id of any kind
    assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", text)
    # masked ids are still useful
    if output != "junit":
        useful = ("AKIA…MPLE", "ASIA…MPLE", "…6a6c", "InvalidClientTokenId")
        assert any(u in text for u in useful)


def test_fixture_logs_through_json_have_no_raw_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    for c in cases():
        run(["parse-log", str(c.log), "--output", "json", "--fail-on", "never"])
        out, _ = capsys.readouterr()
        json.loads(out)  # redacting the rendered document keeps it valid JSON
        assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", out), c.name
        assert "Signature=" not in out or "Signature=<redacted>" in out, c.name


def test_redact_windows_equal_whole_text_patterns() -> None:
    """`redact` runs the long-secret patterns only around runs of 40+ characters and the
    key=value pattern on lower-cased text: the result is what the plain patterns give."""
    import random

    from stsdiag import redact as r

    def plain(text: str) -> str:
        text = r._LONG_B64.sub(r.MASK, text)
        text = r._SECRET40.sub(r.MASK, text)
        return r._HEX64.sub("<hex>", text)

    rng = random.Random(7)
    alphabet = "AbCdEf0123456789/+=-_.% \"'xyzXYZ"
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 6)):
            n = rng.choice([1, 3, 39, 40, 41, 59, 60, 64, 70])
            parts.append("".join(rng.choice(alphabet[:18]) for _ in range(n)))
            parts.append("".join(rng.choice(alphabet[16:]) for _ in range(rng.randint(0, 3))))
        text = "".join(parts)
        assert r._long_secrets(text) == plain(text), text
    for text in ["X-Amz-Security-Token: abc", "İİ token=abc", "Password = 'x'", "none here"]:
        assert r._pairs(text, text.lower()) == r._PAIRS.sub(lambda m: m.group(1) + r.MASK, text)


@pytest.mark.parametrize("output", ["table", "json", "junit"])
@pytest.mark.parametrize("name", ["g2020-cli-proxy-dead.log", "glatest-cli-proxy-dead.log"])
def test_proxy_url_password_is_dropped(
    output: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real dead-proxy log whose proxy URL is given user info (edited: the recorded runs had
    none; botocore masks it as `***:***` only in newer versions, users' own loggers never)."""
    password = "pr0xyS3cret"
    text = (LOGS / name).read_text()
    assert "http://127.0.0.1:3128" in text
    log = tmp_path / name
    log.write_text(text.replace("http://127.0.0.1:3128", f"http://alice:{password}@127.0.0.1:3128"))
    code = run(["parse-log", str(log), "--output", output, "--fail-on", "never"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert password not in out + err
    if output != "junit":
        assert "SD301" in out and "alice:<redacted>@127.0.0.1:3128" in out
