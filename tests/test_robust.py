"""Bad input never produces a traceback: random bytes, truncation at every line, huge lines,
invalid UTF-8, binary garbage — always a report or a one-line InputError."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stsdiag.errors import InputError
from stsdiag.models import Report
from stsdiag.parselog import ParseOptions, analyze
from tests.helpers import SEED, cases


def parse_bytes(data: bytes) -> Report | None:
    try:
        return analyze(io.BufferedReader(io.BytesIO(data)), "<test>", ParseOptions())  # type: ignore[arg-type]
    except InputError as e:
        assert "\n" not in str(e)
        return None


def real_logs() -> list[bytes]:
    logs = [SEED.read_bytes()] + [c.log.read_bytes() for c in cases()]
    return logs


REAL = real_logs()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_crash(data: bytes) -> None:
    parse_bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_logs_never_crash(data: st.DataObject) -> None:
    logs = REAL
    src = bytearray(logs[data.draw(st.integers(0, len(logs) - 1))][:20000])
    for _ in range(data.draw(st.integers(0, 20))):
        if not src:
            break
        pos = data.draw(st.integers(0, len(src) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "dup", "insert"]))
        if op == "flip":
            src[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del src[pos : pos + data.draw(st.integers(1, 200))]
        elif op == "dup":
            src[pos:pos] = src[pos : pos + data.draw(st.integers(1, 300))]
        else:
            src[pos:pos] = data.draw(st.binary(max_size=64))
    parse_bytes(bytes(src))


@pytest.mark.parametrize("idx", range(0, len(REAL), 4))
def test_truncation_at_every_line(idx: int) -> None:
    """Every line boundary of small logs (a spread of 60 cut points in large ones)."""
    data = REAL[idx]
    lines = data.split(b"\n")
    step = max(1, len(lines) // 60)
    for n in range(0, len(lines), step):
        parse_bytes(b"\n".join(lines[:n]))
        # and cut in the middle of a line
        cut = len(b"\n".join(lines[:n])) + 7
        parse_bytes(data[:cut])


def test_huge_line_and_invalid_utf8() -> None:
    seed = SEED.read_bytes()
    huge = b"x" * (10 * 1024 * 1024)
    rep = parse_bytes(seed + b"\n" + huge + b"\n" + seed)
    assert rep is not None and any(f.code == "SD104" for f in rep.findings)
    # a 10 MB line with no newline at all, and invalid UTF-8 everywhere
    assert parse_bytes(huge) is None
    bad = seed.replace(b"ap-northeast-1", b"ap-northeast-1\xff\xfe", 1)
    rep = parse_bytes(bad + b"\n\xc3\x28\xa0\xa1" * 1000)
    assert rep is not None


def test_binary_is_not_a_log() -> None:
    assert parse_bytes(os.urandom(200_000)) is None
    assert parse_bytes(b"") is None
    assert parse_bytes(b"\x00" * 100_000) is None
