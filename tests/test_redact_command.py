"""`stsdiag redact`: a log with its secrets removed, line for line, that parse-log still reads
the same. The logs are the real fixture logs; `secret_log` splices every kind of secret into
them (marked there: botocore does not log secret keys itself, users' pastes do)."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest

from stsdiag.cli import run
from stsdiag.redact import MASK
from stsdiag.redactlog import LineRedactor, folded_secrets, redact_stream
from tests.helpers import LOGS, SEED, cases, diagnosis
from tests.test_secrets import (
    JWT,
    KEY_ID,
    OTHER_KEY_ID,
    SECRET_KEY,
    SESSION_TOKEN,
    SIGNATURE,
    SIGV2,
    secret_log,
)

ALL_LOGS = [c.log for c in cases()] + [SEED]
# the fixture logs' own AssumeRole answers carry a (fake) secret key and session token
FIXTURE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
SECRETS = {
    "secret key": SECRET_KEY,
    "session token": SESSION_TOKEN,
    "signature": SIGNATURE,
    "JWT signature": JWT.rsplit(".", 1)[1],
    "key id": KEY_ID,
    "other key id": OTHER_KEY_ID,
    "SigV2 signature": SIGV2,
    "fixture secret key": FIXTURE_SECRET,
}


def redacted(data: bytes) -> bytes:
    out = io.BytesIO()
    redact_stream(io.BytesIO(data), out)
    return out.getvalue()


def line_by_line(data: bytes) -> bytes:
    """Each line redacted on its own (values wrapped onto the next line followed)."""
    r = LineRedactor()
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return "\n".join(r.line(x) for x in lines).encode("utf-8", "surrogateescape")


def leaks(text: str, window: int = 8) -> list[str]:
    """The secrets of which `window` letters and digits in a row are still in `text` (a
    redacted token may keep its slashes: `<redacted>//////////<redacted>`)."""
    found = []
    for name, secret in SECRETS.items():
        pieces = re.findall(f"[A-Za-z0-9+]{{{window},}}", secret)
        if any(p[i : i + window] in text for p in pieces for i in range(len(p) - window + 1)):
            found.append(name)
    return found


def fold(text: str, width: int) -> str:
    """What a terminal or `fold -w WIDTH` does to a log: every line cut at WIDTH characters,
    inside words and names too."""
    out = []
    for line in text.split("\n"):
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("log", ALL_LOGS, ids=lambda p: p.stem)
def test_redacted_log_keeps_lines_and_diagnosis(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = log.read_bytes()
    clean = redacted(data)
    assert clean.count(b"\n") == data.count(b"\n")  # evidence line numbers still point right
    # a log no paste folded: no secret crosses a line break, so nothing else is dropped
    # (rich's handler folds its messages itself: a signature goes on in the next line)
    if "-rich-" not in log.name:
        assert clean == line_by_line(data)
    red = tmp_path / "red.log"
    red.write_bytes(clean)
    assert diagnosis(red, capsys) == diagnosis(log, capsys)
    assert redacted(clean) == clean  # a redacted log stays as it is


def test_no_secret_survives(tmp_path: Path) -> None:
    data = secret_log((LOGS / "glatest-cli-assume-role.log").read_bytes())
    assert leaks(data.decode()) == list(SECRETS)  # (the test can fail)
    text = redacted(data).decode()
    assert leaks(text) == []
    assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", text)
    assert "AKIA…MPLE" in text and MASK in text  # masked ids stay useful


@pytest.mark.parametrize("width", [*range(40, 130, 3), 132, 160, 200, 240])
def test_no_secret_survives_a_hard_fold(width: int) -> None:
    """A paste folded at a fixed width cuts secrets, their names and their XML tags in two:
    each piece alone matches no secret's pattern."""
    data = secret_log((LOGS / "glatest-cli-assume-role.log").read_bytes()).decode()
    folded = fold(data, width)
    text = redacted(folded.encode()).decode()
    assert text.count("\n") == folded.count("\n")
    assert leaks(text, 8) == []


@pytest.mark.parametrize("width", [72, 76, 80])
def test_no_secret_survives_a_fold_at_spaces(width: int) -> None:
    """`fold -s`: lines cut at the last space before WIDTH (a session token, longer than a
    line, is still cut inside)."""
    data = secret_log((LOGS / "g2020-cli-profile-assume-role.log").read_bytes()).decode()
    out = []
    for line in data.split("\n"):
        while len(line) > width:
            cut = line.rfind(" ", 0, width) + 1 or width
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    assert leaks(redacted("\n".join(out).encode()).decode()) == []


def test_a_key_name_cut_by_a_fold_still_drops_its_value() -> None:
    """`X-Amz-Cr` / `edential=<id>%2F...`: neither line alone names the key."""
    a = "url=https://s3.example.net/b?AWSAccessKeyId=00e2fda87cd7416e6a6c&X-Amz-Cr"
    b = f"edential={OTHER_KEY_ID}%2F20210729%2Fus-east-1, headers={{'Accept': 'x'}}"
    assert folded_secrets("2021-07-29 17:29:45,304 - x", a) == ([], [])
    runs_a, runs_b = folded_secrets(a, b)
    assert runs_a == [] and [b[s:e] for s, e in runs_b] == [OTHER_KEY_ID]
    text = redacted(f"{a}\n{b}\n".encode()).decode()
    assert OTHER_KEY_ID[:8] not in text and "%2F20210729%2Fus-east-1, headers=" in text


def test_a_fold_inside_a_key_id_drops_both_halves() -> None:
    a = "'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIAIOSFODN"
    b = "N7EXAMPLE/20210729/us-east-1/sts/aws4_request, SignedHeaders=host"
    runs_a, runs_b = folded_secrets(a, b)
    assert runs_a == []  # (`Credential=AKIAIOSFODN` alone is dropped as a short key id)
    assert [b[s:e] for s, e in runs_b] == ["N7EXAMPLE"]
    assert redacted(f"{a}\n{b}\n".encode()).decode() == (
        f"{a[: -len('AKIAIOSFODN')]}{MASK}\n{MASK}{b[len('N7EXAMPLE') :]}\n"
    )


def test_open_xml_element_is_dropped_to_its_closing_tag() -> None:
    r = LineRedactor()
    lines = [
        "      <SessionToken>",
        "IQoJb3JpZ2lu",
        "X2VjEXAMPLE",
        "</SessionToken>",
        "<Expiration>",
    ]
    out = [r.line(x) for x in lines]
    assert out == [
        "      <SessionToken>" + MASK,
        MASK,
        MASK,
        MASK + "</SessionToken>",
        "<Expiration>",
    ]


def test_value_wrapped_onto_next_lines_is_dropped_until_a_record_starts() -> None:
    r = LineRedactor()
    lines = [
        f"'aws_session_token': '{SESSION_TOKEN[:40]}",
        SESSION_TOKEN[40:120],
        SESSION_TOKEN[120:] + "', 'region': 'us-east-1'}",
        "2021-07-29 17:29:45,221 - MainThread - botocore.endpoint - DEBUG - Sending",
    ]
    out = [r.line(x) for x in lines]
    assert out[0] == f"'aws_session_token': '{MASK}"
    assert out[1] == MASK
    assert out[2] == f"{MASK}', 'region': 'us-east-1'}}"
    assert out[3] == lines[3]  # a new record is never taken for the value's rest


def test_crlf_and_invalid_utf8_pass_through() -> None:
    data = b"caf\xe9 Signature=" + SIGNATURE.encode() + b", x\r\nplain line\r\nno end"
    want = b"caf\xe9 Signature=" + MASK.encode() + b", x\r\nplain line\r\nno end"
    assert redacted(data) == want


def test_cli_writes_file_and_reads_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "debug.txt.gz"
    src.write_bytes(gzip.compress(secret_log((LOGS / "glatest-cli-assume-role.log").read_bytes())))
    dst = tmp_path / "clean.txt"
    assert run(["redact", str(src), "--output-file", str(dst)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"stsdiag redact: .*debug\.txt\.gz: \d+ lines, \d+ redacted -> ", err)
    assert leaks(dst.read_text()) == []


def test_cli_refuses_to_overwrite_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "debug.txt"
    src.write_bytes(b"Signature=" + SIGNATURE.encode() + b"\n")
    assert run(["redact", str(src), "--output-file", str(src)]) == 2
    assert "is the input" in capsys.readouterr().err
    assert SIGNATURE in src.read_text()  # untouched


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "PNG image"),
        (bytes(range(256)) * 400, "binary data"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(
    data: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    assert run(["redact", str(src)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err and len(err.strip().splitlines()) == 1


def test_a_fold_cut_closing_tag_ends_the_element() -> None:
    """`...</SecretAcces` / `sKey>`: the element is over; what follows is not dropped."""
    head = "2021-07-29 17:29:45,301 - MainThread - botocore.parsers - DEBUG - Response body:"
    body = f"<Credentials><SecretAccessKey>{SECRET_KEY}</SecretAccessKey><Expiration>x</Expiration>"
    nxt = "2021-07-29 17:29:45,302 - MainThread - botocore.hooks - DEBUG - Event needs-retry"
    folded = fold(f"{head}\n{body}\n{nxt}\n", 60)
    text = redacted(folded.encode()).decode()
    assert leaks(text) == []
    assert text.endswith("<Expiration>x</Expiration>\n" + fold(nxt, 60) + "\n")


def test_a_record_after_a_hash_line_keeps_its_time_stamp() -> None:
    """A hash on a line of its own, then a record: `…b855` and `2026-11-28` read as one
    would be a 70-character run; a record's start is never a fold's rest."""
    lines = [
        "20261128/ap-northeast-1/sts/aws4_request",
        "f3cee906bac74ba7628205cf2111ab2b0980d89ae91a226c3d71b2af97253894",
        "2026-11-28 06:34:57,847 - MainThread - botocore.auth - DEBUG - Signature:",
        SIGNATURE,
        "2026-11-28 06:34:57,847 - MainThread - botocore.endpoint - DEBUG - Sending",
    ]
    out = redacted("\n".join(lines).encode()).decode().split("\n")
    assert out == [lines[0], MASK, lines[2], MASK, lines[4]]


def test_cut_gzip_writes_what_came_before_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A partial download: the lines before the cut come out redacted, then one error line
    (before: click took the EOFError for Ctrl-D, 'stsdiag: interrupted', exit 130)."""
    data = secret_log((LOGS / "glatest-cli-assume-role.log").read_bytes())
    src = tmp_path / "debug.txt.gz"
    src.write_bytes(gzip.compress(data)[:3000])
    dst = tmp_path / "clean.txt"
    assert run(["redact", str(src), "--output-file", str(dst)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "input ended early (EOFError)" in err
    text = dst.read_text()
    assert text.count("\n") > 20 and data.decode().startswith(text[:200]) and leaks(text) == []
