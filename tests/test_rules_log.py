"""Log rules: every log finding is triggered by some real log and absent from another
(its near miss); the pure rules that no real log here can trigger are tested on records."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from stsdiag.models import Attempt, Hit, LogFacts, LogRequest
from stsdiag.parselog import ParseOptions, parse_path
from stsdiag.rules import log as log_rules
from stsdiag.rules.registry import RULES, Where
from tests.helpers import SEED, cases

# findings that a botocore log cannot show (NO_PROXY is not logged), or that need a crash
NOT_FROM_REAL_LOGS = {"SD001", "SD002", "SD302", "SD601"}


# the real logs of the differential test (tests/data/differential/README.md) count too
DIFFERENTIAL = sorted((Path(__file__).parent / "data" / "differential").glob("*.log"))


def _codes() -> dict[str, set[str]]:
    logs = {c.name: c.log for c in cases()} | {p.name: p for p in DIFFERENTIAL}
    return {
        n: {f.code for f in parse_path(str(p), ParseOptions()).findings} for n, p in logs.items()
    }


def test_every_log_finding_has_a_trigger_and_a_near_miss() -> None:
    found = _codes()
    for info in RULES:
        if info.where is Where.PROBE or info.code in NOT_FROM_REAL_LOGS:
            continue
        hits = [n for n, codes in found.items() if info.code in codes]
        misses = [n for n, codes in found.items() if info.code not in codes]
        assert hits, f"{info.code} {info.name}: no real fixture triggers it"
        assert misses, f"{info.code} {info.name}: fires on every fixture"


def test_healthy_logs_cry_no_wolf() -> None:
    for c in cases():
        if c.name.endswith(("-ok", "regional-ok", "seed-routine")) and "assume-role" not in c.name:
            rep = parse_path(str(c.log), ParseOptions())
            bad = [
                f.code
                for f in rep.findings
                if f.severity.value != "info" and f.code not in ("SD101", "SD102")
            ]
            assert not bad, (c.name, bad)


def test_crashing_rule_becomes_sd002(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(r: LogRequest) -> Iterable[Hit]:
        raise ZeroDivisionError("rule bug")

    monkeypatch.setattr(log_rules, "REQUEST_RULES", (("SD104", boom), *log_rules.REQUEST_RULES[:2]))
    import stsdiag.parselog as pl

    monkeypatch.setattr(pl, "REQUEST_RULES", log_rules.REQUEST_RULES)
    rep = parse_path(str(SEED), ParseOptions())
    sd002 = [f for f in rep.findings if f.code == "SD002"]
    assert sd002 and "ZeroDivisionError" in sd002[0].message and "SD104" in sd002[0].message
    assert rep.recommendation is not None and rep.recommendation.region == "ap-northeast-1"


def _req(i: int, host: str, took: float) -> LogRequest:
    return LogRequest(
        index=i, first_line=i, last_line=i, service="sts", operation="GetCallerIdentity",
        host=host, http_status=200, started=100.0, ended=100.0 + took,
        attempts=(Attempt(1, i, host=host, status=200),),
    )  # fmt: skip


def test_slow_endpoint_from_latencies() -> None:
    s = log_rules.Summary()
    for i in range(5):
        log_rules.observe(s, _req(i, "sts.amazonaws.com", 1.8))
        log_rules.observe(s, _req(10 + i, "sts.ap-northeast-1.amazonaws.com", 0.05))
    facts = LogFacts(source="x", lines=1, records=1, sdk_records=1)
    hits = list(log_rules.slow_endpoint(facts, s))
    assert [h.code for h in hits] == ["SD601"] and "sts.amazonaws.com" in hits[0].message
    # near miss: both fast
    s2 = log_rules.Summary()
    for i in range(5):
        log_rules.observe(s2, _req(i, "sts.amazonaws.com", 0.06))
        log_rules.observe(s2, _req(10 + i, "sts.ap-northeast-1.amazonaws.com", 0.05))
    assert list(log_rules.slow_endpoint(facts, s2)) == []


def test_s3_redirect_message_is_a_client_region_mismatch() -> None:
    """Hand-typed (marked): botocore.utils' redirect warning (text from botocore's source);
    the fixture generator has no S3 stub that answers 301 with x-amz-bucket-region."""
    import io

    from stsdiag.parselog import analyze

    log = (
        b"2024-05-01 10:00:00,001 - MainThread - botocore.endpoint - DEBUG - Making request for "
        b"OperationModel(name=ListObjectsV2) with params: {'url': 'https://mybucket.s3.amazonaws.com/', "
        b"'context': {'client_region': 'us-east-1', 'signing': {'bucket': 'mybucket'}}}\n"
        b"2024-05-01 10:00:00,200 - MainThread - botocore.utils - DEBUG - S3 client configured for "
        b"region us-east-1 but the bucket mybucket is in region eu-west-1; Please configure the proper "
        b"region to avoid multiple unnecessary redirects and signing attempts.\n"
    )
    rep = analyze(io.BufferedReader(io.BytesIO(log)), "x", ParseOptions())  # type: ignore[arg-type]
    f = [f for f in rep.findings if f.code == "SD104"]
    assert f and "eu-west-1" in f[0].message and f[0].evidence[0].line == 2
    assert rep.recommendation is not None and rep.recommendation.region == "eu-west-1"


def _sd210(path: object, data: bytes | None = None) -> list[object]:
    import io

    from stsdiag.parselog import analyze

    if data is None:
        rep = parse_path(str(path), ParseOptions())
    else:
        rep = analyze(io.BufferedReader(io.BytesIO(data)), "x", ParseOptions())  # type: ignore[arg-type]
    return [f for f in rep.findings if f.code == "SD210"]


def test_no_answer_says_what_stopped_the_wait() -> None:
    by_name = {c.name: c.log for c in cases()}
    # real: Ctrl-C in a boto3 script (the KeyboardInterrupt traceback is in the log)
    (f,) = _sd210(by_name["glatest-boto3-regional-interrupted"])
    assert f.severity.value == "error" and "interrupted (KeyboardInterrupt)" in f.message
    assert f.evidence[-1].excerpt == "KeyboardInterrupt"
    # real: Ctrl-C in the AWS CLI, which logs nothing more: only the log's end is known
    (g,) = _sd210(by_name["glatest-cli-noregion-global-interrupted"])
    assert g.severity.value == "warning" and "when the log ends" in g.message
    assert "global endpoint cannot be reached" in g.message


def test_no_answer_in_a_lambda_that_timed_out() -> None:
    """A real Lambda-format log cut after its first connection attempt, followed by the
    Lambda platform's timeout lines. Hand-typed (marked): those lines come from the Lambda
    service, which cannot run here."""
    log = next(c.log for c in cases() if c.name == "glatest-boto3-lambda-vpc-timeout")
    lines = log.read_bytes().split(b"\n")
    cut = next(i for i, ln in enumerate(lines) if b"Starting new HTTPS connection" in ln)
    rid = b"8f5e2b1c-3d4a-4b6e-9f70-1a2b3c4d5e6f"
    platform = [
        b"2026-11-28T09:00:38.320Z " + rid + b" Task timed out after 3.00 seconds",
        b"END RequestId: " + rid,
        b"REPORT RequestId: " + rid + b"\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
        b"Memory Size: 128 MB\tMax Memory Used: 80 MB\tStatus: timeout",
    ]
    data = b"\n".join(lines[: cut + 1] + platform) + b"\n"
    (f,) = _sd210(None, data)
    assert f.severity.value == "error" and "Lambda function timed out" in f.message
    assert f.evidence[-1].line == cut + 2
    # near miss: the same log uncut has the SDK's own timeout, not a missing answer
    assert _sd210(log) == []
