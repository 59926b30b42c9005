"""An asyncio program's own deadline (`asyncio.wait_for`, `asyncio.timeout`) cancels an
aiobotocore request that has no answer yet: botocore logs no exception for it, and the
program's traceback ends in TimeoutError after CancelledError. Real logs of aiobotocore 1.4
(Python 3.8: `asyncio.exceptions.TimeoutError`) and 2.25 (Python 3.12: `TimeoutError`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import LOGS, parse

CANCELLED = ["gaio2021-deadline-cancelled", "gaiolatest-deadline-cancelled"]


def _sd210(doc: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in doc["findings"] if f["code"] == "SD210")


@pytest.mark.parametrize("name", CANCELLED)
def test_a_request_cancelled_by_the_programs_deadline_says_so(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a warning that 'the SDK was still waiting when the log ends', which reads as
    a log cut short; the log ends with the program's TimeoutError, after the request."""
    text = (LOGS / f"{name}.log").read_text()
    doc = parse(tmp_path, text, capsys)
    f = _sd210(doc)
    assert f["severity"] == "error"
    assert "cancelled" in f["message"] and "when the log ends" not in f["message"]
    last = len(text.splitlines())
    assert last in [e["line"] for e in f["evidence"]]  # the TimeoutError line
    assert "timeouts below the deadline" in f["fix"]


def test_a_socket_timeout_is_no_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: the same log, its traceback ending in a socket's `TimeoutError: [Errno 110]`
    (no deadline of the program's): as before, the SDK was waiting when the log ends."""
    text = (LOGS / "gaiolatest-deadline-cancelled.log").read_text().rstrip("\n")
    text += ": [Errno 110] Connection timed out\n"
    f = _sd210(parse(tmp_path, text, capsys))
    assert "when the log ends" in f["message"] and "cancelled" not in f["message"]


def test_a_timeout_error_outside_asyncio_is_no_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss: a thread pool's `future.result(timeout=...)` deadline leaves the request
    running in its thread (nothing is cancelled): no asyncio frame, no cancel."""
    lines = (LOGS / "gaiolatest-deadline-cancelled.log").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Traceback"))
    text = "\n".join(lines[:start]) + (
        "\nTraceback (most recent call last):\n"
        '  File "/app/main.py", line 9, in <module>\n'
        "    fut.result(timeout=2)\n"
        '  File "/usr/lib/python3.9/concurrent/futures/_base.py", line 447, in result\n'
        "    raise TimeoutError()\n"
        "concurrent.futures._base.TimeoutError\n"
    )
    f = _sd210(parse(tmp_path, text, capsys))
    assert "when the log ends" in f["message"] and "cancelled" not in f["message"]
