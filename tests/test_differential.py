"""Regression tests for what the differential test (fixtures/differential.py) found: real
botocore / AWS CLI logs whose reconstruction disagreed with what botocore did (its own
events, recorded while it ran). tests/data/differential/README.md says how each log was
made. Every test here fails on the code before the fixes (0cf4664) but two guards, marked
as such, for mistakes made on the way to them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stsdiag.cli import run

DATA = Path(__file__).resolve().parent / "data" / "differential"


def report(name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    run(["parse-log", str(DATA / name), "--output", "json", "--fail-on", "never", "--jobs", "1"])
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def codes(doc: dict[str, Any]) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def kinds(req: dict[str, Any]) -> list[str | None]:
    return [a["error"] for a in req["attempts"]]


def test_standard_mode_read_timeouts_that_nothing_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Standard retry mode logs no read timeout, and the program caught the last one: only
    `Event needs-retry` / `Retry needed, retrying request after delay` / `Max attempts of 2
    reached` say the attempts ended. botocore: ReadTimeoutError twice."""
    doc = report("standard-silent-read-timeout.log", capsys)
    (req,) = doc["requests"]
    assert kinds(req) == ["read-timeout", "read-timeout"]
    assert req["retries_exhausted"]
    assert {"SD204", "SD208"} <= codes(doc)


def test_legacy_single_attempt_read_timeout_is_no_unanswered_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """max_attempts=1 in legacy mode: the read timeout is re-raised by the retry handler
    without a log line and caught by the program; botocore's `needs-retry` event shows each
    of the two threads' attempts ended (ReadTimeoutError), so this is no SD210 'still
    waiting'."""
    doc = report("legacy-one-attempt-read-timeout.log", capsys)
    assert [kinds(r) for r in doc["requests"]] == [["read-timeout"], ["read-timeout"]]
    assert "SD204" in codes(doc)
    assert "SD210" not in codes(doc)


def test_max_attempts_line_after_a_success_is_no_exhaustion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard aws sts get-caller-identity`: the
    standard handler logs `Max attempts of 1 reached.` after the 200 too."""
    doc = report("standard-one-attempt-ok-cli.log", capsys)
    (req,) = doc["requests"]
    assert req["http_status"] == 200
    assert not req["retries_exhausted"]
    assert "SD208" not in codes(doc)


def test_concurrent_assume_role_without_thread_names_is_no_provider_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two threads call AssumeRole at once (set_stream_logger: no thread names): the second
    `Making request` is another thread's call, not a credential provider's inside the first
    (no provider said it assumes a role). botocore: one attempt each, both signed for
    eu-west-1, both failing DNS (Python 2 hides the cause)."""
    doc = report("concurrent-assume-role-no-threads.log", capsys)
    reqs = doc["requests"]
    assert [len(r["attempts"]) for r in reqs] == [1, 1]
    assert [r["signing_region"] for r in reqs] == ["eu-west-1", "eu-west-1"]
    assert not any(r["by_credential_provider"] for r in reqs)


def test_two_status_lines_before_their_headers(capsys: pytest.CaptureFixture[str]) -> None:
    """Two threads' 403 status lines come before either's response headers: each answer's
    headers and body go to its own request (both SignatureDoesNotMatch)."""
    doc = report("concurrent-403-no-threads.log", capsys)
    reqs = doc["requests"]
    assert [r["http_status"] for r in reqs] == [403, 403]
    assert [r["error_code"] for r in reqs] == ["SignatureDoesNotMatch"] * 2


def test_retries_of_concurrent_requests_follow_their_delays(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two threads, no thread names, 3 attempts each (legacy mode): a request that failed
    stays open for its retry (it was closed at the other thread's `Making request`), and
    each `Sending` goes to the request whose retry delay (`Retry needed, action of: X`)
    ends then. botocore: 3 attempts each; the old reading gave 5 and 1."""
    doc = report("concurrent-retries-no-threads.log", capsys)
    assert [len(r["attempts"]) for r in doc["requests"]] == [3, 3]


def test_adaptive_mode_rate_limiter_event_is_no_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Adaptive mode calls two `needs-retry` handlers per attempt (the retry handler and the
    client rate limiter); the second is no silent read timeout of another request. (A guard
    for the needs-retry reading; the code before it passes too.)"""
    doc = report("adaptive-concurrent-dns-no-threads.log", capsys)
    reqs = doc["requests"]
    assert sum(len(r["attempts"]) for r in reqs) == 9
    assert all(k == "dns" for r in reqs for k in kinds(r))
    assert "SD204" not in codes(doc)


def test_headers_of_an_answer_already_complete(capsys: pytest.CaptureFixture[str]) -> None:
    """botocore 1.10 (vendored urllib3: status lines without host), three threads, no thread
    names, all answered 200: the first answer's headers still belong to it after its status
    line completed it, not to the next request in flight. (A guard: the code before the
    fixes reads this right.)"""
    doc = report("concurrent-ok-old-urllib3-no-threads.log", capsys)
    assert [r["http_status"] for r in doc["requests"]] == [200, 200, 200]


def test_two_answers_before_either_retry_decision(capsys: pytest.CaptureFixture[str]) -> None:
    """Two threads fail TLS at once (legacy mode, 5 attempts each): both exceptions come
    before either's retry decision; the decisions (and their delays) are matched to the
    answers in order. botocore: 5 attempts each; the old reading gave 9 and 1."""
    doc = report("concurrent-tls-retries-no-threads.log", capsys)
    assert [len(r["attempts"]) for r in doc["requests"]] == [5, 5]


def test_an_answer_logged_twice_is_one_answer(capsys: pytest.CaptureFixture[str]) -> None:
    """botocore logs an error answer's headers and body twice (here 1.31); three threads,
    no thread names, all answered 403 RegionDisabledException: the second copy (same request
    id) is no answer of another request still in flight."""
    doc = report("concurrent-403-twice-logged-no-threads.log", capsys)
    reqs = doc["requests"]
    assert [r["http_status"] for r in reqs] == [403, 403, 403]
    assert [r["error_code"] for r in reqs] == ["RegionDisabledException"] * 3
