"""parse-log's known limits, sixth round: evidence lines inside CI / collector wrappers,
(more below as they are fixed)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from stsdiag.models import Report
from stsdiag.parselog import ParseOptions, analyze, parse_path
from tests.test_collector_formats import FIXTURES, WRAPPERS, _go_json, _iso, _lines, _read

# ------------------------------------------------ 1. evidence lines inside wrappers


def _report(data: bytes) -> Report:
    return analyze(io.BufferedReader(io.BytesIO(data)), "x", ParseOptions())  # type: ignore[arg-type]


def _texts(line: str) -> list[str]:
    """A wrapped file's line and, for a JSON export's, the strings it holds (decoded)."""
    out = [line]
    if line.lstrip().startswith("{"):
        try:
            d = json.loads(line)
        except ValueError:
            return out
        todo: list[object] = [d]
        while todo:
            v = todo.pop()
            if isinstance(v, dict):
                todo.extend(v.values())
            elif isinstance(v, str):
                out.append(v)
    return out


def _misplaced(bare: bytes, wrapped: bytes) -> list[tuple[str, int, str]]:
    """The evidence of the wrapped log's findings whose line, in the wrapped file as the
    user has it, holds none of the bare log's lines that the same evidence names there
    (an excerpt may be made up: 'attempt 3: ...' names the attempt's line)."""
    data = _read(wrapped)
    want: dict[tuple[str, str], list[str]] = {}
    blines = bare.decode("utf-8", "replace").split("\n")
    for f in _report(bare).findings:
        for e in f.evidence:
            if e.line is not None:
                want.setdefault((f.code, e.excerpt), []).append(blines[e.line - 1].strip()[:40])
    wlines = data.decode("utf-8", "replace").split("\n")
    bad = []
    for f in _report(data).findings:
        for e in f.evidence:
            if e.line is None or (f.code, e.excerpt) not in want:
                continue
            got = wlines[e.line - 1] if 0 < e.line <= len(wlines) else ""
            if not any(w in t for w in want[(f.code, e.excerpt)] for t in _texts(got)):
                bad.append((f.code, e.line, got[:80]))
    return bad


def docker_partial(data: bytes, split: int = 100) -> bytes:
    """Docker's json-file driver with a line longer than its buffer (16 KiB; `split` here):
    the line's pieces in events of their own, only the last with the newline
    (moby/moby daemon/logger/copier.go, 'partial' messages)."""
    out = []
    for i, ln in enumerate(_lines(data)):
        text = ln.decode("utf-8", "replace") + "\n"
        parts = [text[j : j + split] for j in range(0, len(text), split)]
        for part in parts:
            out.append(
                f'{{"log":{_go_json(part)},"stream":"stderr","time":"{_iso(i, 9).decode()}"}}'
            )
    return ("\n".join(out) + "\n").encode()


SHAPES: dict[str, Callable[[bytes], bytes]] = {**WRAPPERS, "docker-partial-real": docker_partial}


@pytest.mark.parametrize("wrapper", list(SHAPES))
@pytest.mark.parametrize("log", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_evidence_lines_name_the_wrapped_files_lines(wrapper: str, log: Path) -> None:
    """Pieces joined (CRI `P`, GitLab `+`, Docker's partial events), a multi-line event
    split into its lines, an export turned round (newest first): every evidence line is
    the line of the file the user opens that holds it (the old code counted the lines
    after unwrapping: off by the pieces joined, or counted from the wrong end)."""
    bare = log.read_bytes()
    assert _misplaced(bare, SHAPES[wrapper](bare)) == []


@pytest.mark.parametrize(
    "wrapper", ["kubectl-timestamps", "cloudwatch-console", "cri", "loki-jsonl"]
)
def test_one_line_per_line_wrappers_keep_the_bare_line_numbers(wrapper: str) -> None:
    """Near miss: a wrapper that puts each line in one line of its own (no header lines
    of its own) names the very line numbers the bare log does; the bare log as before."""
    bare = FIXTURES[0].read_bytes()
    lines = [(f.code, e.line) for f in _report(bare).findings for e in f.evidence]
    wrapped = _report(_read(SHAPES[wrapper](bare)))
    assert [(f.code, e.line) for f in wrapped.findings for e in f.evidence] == lines
    assert wrapped.log is not None and wrapped.log.lines == len(_lines(bare))


def test_wrapped_requests_and_line_count_are_the_files() -> None:
    """The requests' lines and the log's line count are the wrapped file's too (a CRI log
    with every line cut in 120-byte pieces has more lines than the bare one)."""
    bare = FIXTURES[0].read_bytes()
    wrapped = SHAPES["cri-partial"](bare)
    rep = _report(wrapped)
    wl = wrapped.decode().split("\n")
    assert rep.log is not None and rep.log.lines == len(_lines(wrapped))
    for r in rep.requests:
        for a in r.attempts:
            assert "Sending http request" in wl[a.line - 1] or "Starting new" in wl[a.line - 1]


def test_a_split_wrapped_log_names_the_files_lines(tmp_path: Path) -> None:
    """A CRI log of two AWS CLI runs read in parts (--jobs): each part's lines are mapped
    and shifted by the lines of the file before it, as one pass gives."""
    bare = FIXTURES[0].read_bytes()
    p = tmp_path / "two.log"
    p.write_bytes(SHAPES["cri-partial"](bare + bare))
    one = parse_path(str(p), ParseOptions())
    two = parse_path(str(p), ParseOptions(jobs=2, min_chunk=1))
    ev = [[(f.code, e.line) for f in r.findings for e in f.evidence] for r in (one, two)]
    assert ev[0] == ev[1]
    assert _misplaced(bare + bare, SHAPES["cri-partial"](bare + bare)) == []


def test_line_map_runs() -> None:
    from stsdiag.logparse.records import LineMap

    m = LineMap()
    for at in (1, 2, 3, 5, 5, 5, 9, 8, 7):
        m.add(at)
    assert [m(i) for i in range(1, 10)] == [1, 2, 3, 5, 5, 5, 9, 8, 7]
    assert len(m.starts) == 3  # 1-3 on, 5 5 5, 9-7 back


# ------------------------------------------------ 2. a second call's traceback

DATA = Path(__file__).parent / "data" / "limits6"


def _file_report(name: str) -> Report:
    return parse_path(str(DATA / name), ParseOptions())


def test_a_second_caught_read_timeout_is_a_second_failed_call() -> None:
    """A program (real boto3, gen_tracebacks.py `two`) makes two calls, catches each
    ReadTimeoutError and logs it with its traceback; botocore logs nothing, urllib3 its
    connections. The second connection comes after the first call's final error: it is
    the second call, and it failed too (the old code read one request: the second
    connection and traceback went to the first, already failed one)."""
    rep = _file_report("two-calls-caught-urllib3.log")
    assert rep.requests_total == 2
    assert [(r.first_line, [(a.line, a.error and a.error.value) for a in r.attempts])
            for r in rep.requests] == [(1, [(1, "read-timeout")]), (83, [(83, "read-timeout")])]  # fmt: skip
    sd204 = next(f for f in rep.findings if f.code == "SD204")
    assert [e.line for e in sd204.evidence] == [82, 164]


@pytest.mark.parametrize(
    "name", ["one-call-logged-and-reraised.log", "one-call-three-connections.log"]
)
def test_one_call_stays_one(name: str) -> None:
    """Near misses: one call whose error the program logs and raises again (two
    tracebacks, no connection between), and one call that botocore retried silently
    (three connections, then the one traceback): one request each, as before."""
    rep = _file_report(name)
    assert rep.requests_total == 1
    assert [f.code for f in rep.findings] == ["SD204"]


# ------------------------------------------------ 3. AWS's clock message, wrapped

SKEW_LOG = Path(__file__).parent.parent / "fixtures" / "logs" / "g2020-cli-clock-skew.log"
WILD_SKEW = DATA.parent / "wild-4" / "02-bootcamp-101-assumerole-signature-expired-15min.log"
EXPIRED = (
    "Signature expired: 20210729T082946Z is now earlier than 20261128T062909Z "
    "(20261128T064409Z - 15 min.)"
)


def _cli_error_line() -> str:
    """The AWS CLI's last line in a real log (fixtures' g2020 CLI against the stub whose
    clock is five years ahead)."""
    line = next(x for x in SKEW_LOG.read_text().splitlines() if x.startswith("An error occurred"))
    assert line.endswith(EXPIRED)
    return line


def _wrapped(line: str, width: int, soft: bool) -> str:
    """`line` as a paste wraps it (hand-made from the real line): at word boundaries
    keeping the blank at the line's end (`fold -s`), or hard at the width (a terminal)."""
    import textwrap

    if soft:
        return "\n".join(textwrap.wrap(line, width, drop_whitespace=False)) + "\n"
    return "\n".join(line[i : i + width] for i in range(0, len(line), width)) + "\n"


def _sd4(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    p = tmp_path / "paste.txt"
    p.write_text(text)
    rep = parse_path(str(p), ParseOptions())
    return [(f.code, f.message) for f in rep.findings if f.code.startswith("SD4")]


# (a hard wrap at 80 columns cuts 'ope|ration': the SDK's line is then not known at all,
# a limit left as it is)
@pytest.mark.parametrize(
    ("width", "soft"),
    [(w, True) for w in (80, 100, 120, 140, 160, 180)]
    + [(w, False) for w in (100, 120, 140, 160, 180)],
)
def test_a_wrapped_clock_message_is_quoted_whole(tmp_path: Path, width: int, soft: bool) -> None:
    """The CLI's error line wrapped anywhere in AWS's message (the old code: the message
    cut at the wrap, 'Signature' alone read as SD404, or at 80 columns no SDK line at
    all): SD401 quotes the whole message and still works out the clock's offset."""
    text = _wrapped(_cli_error_line(), width, soft)
    want = f"GetCallerIdentity: SignatureDoesNotMatch: {EXPIRED} The local clock was 168300863 s behind AWS."
    assert _sd4(tmp_path, text) == [("SD401", want)]


def test_a_wrapped_real_paste_and_response_dict(tmp_path: Path) -> None:
    """A real user's paste (old CLI, 'A client error ... occurred') and botocore's parsed
    response (`print(e.response)`, hand-made from the same message) wrapped at 80 and 100
    columns by a text tool that drops the blank at the break."""
    import textwrap

    real = WILD_SKEW.read_text().strip()
    for w in (80, 100):
        got = _sd4(tmp_path, "\n".join(textwrap.wrap(real, w)) + "\n")
        assert (
            got
            and got[0][0] == "SD401"
            and got[0][1].endswith(
                "(20160610T014508Z - 15 min.) The local clock was 25196 s behind AWS."
            )
        ), got
    d = (
        "{'Error': {'Type': 'Sender', 'Code': 'SignatureDoesNotMatch', 'Message': '"
        + EXPIRED
        + "'}, 'ResponseMetadata': {'RequestId': '121834d9-4a5c-46c4-82e1-7273ca1cb1b0', "
        "'HTTPStatusCode': 403, 'RetryAttempts': 0}}"
    )
    got = _sd4(tmp_path, "\n".join(textwrap.wrap(d, 100)) + "\n")
    assert got == [
        (
            "SD401",
            f"the call: SignatureDoesNotMatch: {EXPIRED} The local clock was 168300863 s behind AWS.",
        )
    ]


def test_clock_messages_on_one_line_and_other_wrapped_errors_read_as_before(
    tmp_path: Path,
) -> None:
    """Near misses: the line unwrapped (the same message); another SignatureDoesNotMatch
    (a wrong secret: SD404) wrapped after 'Signature': still SD404; an AccessDenied line
    followed by the user's next prompt: that line is no part of its message."""
    line = _cli_error_line()
    assert _sd4(tmp_path, line + "\n")[0][1].startswith(
        f"GetCallerIdentity: SignatureDoesNotMatch: {EXPIRED}"
    )
    wrong = (
        "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: "
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )
    assert [c for c, _ in _sd4(tmp_path, _wrapped(wrong, 100, True))] == ["SD404"]
    denied = (
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
        "arn:aws:iam::123456789012:user/dev is not authorized to perform: sts:AssumeRole on "
        "resource: arn:aws:iam::123456789012:role/deploy\n$ aws sts get-caller-identity\n"
    )
    msgs = [m for _, m in _sd4(tmp_path, denied)]
    assert msgs and all("$ aws" not in m for m in msgs)


# ------------------------------------------------ 4. a presigned URL's credential scope

PRESIGNED = DATA / "presigned-get-urllib3.log"


def _region_of(tmp_path: Path, text: str) -> tuple[str | None, list[str | None]]:
    p = tmp_path / "presigned.log"
    p.write_text(text)
    rep = parse_path(str(p), ParseOptions())
    return (
        rep.recommendation.region if rep.recommendation else None,
        [r.signing_region for r in rep.requests],
    )


def test_a_presigned_urls_scope_is_region_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A program fetches an S3 object by a presigned URL (real: boto3's
    generate_presigned_url with SigV4 for eu-west-1, fetched with urllib3 from a loopback
    stub that answers 403; botocore silent; the signature replaced by a fake). The host,
    examplebucket.s3.amazonaws.com, names no region; the URL's X-Amz-Credential scope
    does: eu-west-1 (the old code: no region, 'cannot tell'). Neither the key id nor the
    signature is printed."""
    from stsdiag.cli import run

    assert _region_of(tmp_path, PRESIGNED.read_text()) == ("eu-west-1", ["eu-west-1"])
    for output in ("json", "table"):
        run(["parse-log", str(PRESIGNED), "--output", output, "--fail-on", "never"])
        out = capsys.readouterr().out
        assert "AKIAIOSFODNN7EXAMPLE" not in out and "EXAMPLESIGNATURE" not in out
        assert "eu-west-1" in out
    run(["parse-log", str(PRESIGNED), "--output", "json", "--fail-on", "never"])
    doc = json.loads(capsys.readouterr().out)
    refs = [x for r in doc["requests"] for x in r.get("refs", [])]
    assert doc["requests"][0]["access_key"] == "AKIA…MPLE"
    assert not refs or all("EXAMPLESIGNATURE" not in x["excerpt"] for x in refs)


def test_presigned_urls_that_name_no_other_region_read_as_before(tmp_path: Path) -> None:
    """Near misses (hand-made from the real log): the scope's region us-east-1 (botocore's
    default: no evidence, as a signing region never is), and a SigV2 presigned URL
    (`AWSAccessKeyId=...&Signature=...&Expires=...`: no scope): no region."""
    real = PRESIGNED.read_text()
    assert _region_of(tmp_path, real.replace("eu-west-1", "us-east-1"))[0] is None
    v2 = real.replace(
        real[real.index("/report.csv?") : real.index(" HTTP/1.1")],
        "/report.csv?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=EXAMPLESIGV2%3D&Expires=1795915121",
    )
    assert _region_of(tmp_path, v2) == (None, [None])


# ------------------------------------------------ 5. a log spliced from two runs

LOGS6 = Path(__file__).parent.parent / "fixtures" / "logs"


def _requests(data: bytes) -> list[tuple[object, ...]]:
    rep = _report(data)
    return [
        (r.first_line, r.operation, r.host, len(r.attempts), r.duration_s) for r in rep.requests
    ]


def _shifted(reqs: list[tuple[object, ...]], lines: int) -> list[tuple[object, ...]]:
    return [(first + lines, *rest) for first, *rest in reqs]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # the second run hours later: the first run's request, never sent (no
        # credentials), took the second run's attempts and 'took' 11211 s
        ("g2020-cli-imds-no-role.log", "gaio2021-threads-concurrent-dns.log"),
        ("glatest-boto3-imds-no-role.log", "gaiolatest-standard-concurrent-read-timeout.log"),
    ],
)
def test_a_spliced_log_reads_as_its_two_runs(first: str, second: str) -> None:
    """Two real logs put together (hand-made splice): each request and its 'took' are
    those of its own run, as when each log is read alone."""
    a, b = (LOGS6 / first).read_bytes(), (LOGS6 / second).read_bytes()
    alone = _requests(a) + _shifted(_requests(b), a.count(b"\n"))
    assert _requests(a + b) == alone


def test_a_second_run_from_earlier_times_is_its_own() -> None:
    """The second run's times two days before the first's (files put together in the
    wrong order; hand-made: a real boto3 log cut while its request waited, then the real
    urllib3-only log of tests/data/limits6 two days earlier). Its first call's connection
    went on with the cut request (the old code: 2 requests of 3, 'took' 0.0 s)."""
    a = (LOGS6 / "g2023-boto3-setstream-global-timeout.log").read_bytes()
    lines = a.split(b"\n")
    a = b"\n".join(lines[: int(len(lines) * 0.6)]) + b"\n"
    b = _later((DATA / "two-calls-caught-urllib3.log").read_bytes(), 0, -2 * 86400)
    alone = _requests(a) + _shifted(_requests(b), a.count(b"\n"))
    assert len(alone) == 3
    assert _requests(a + b) == alone


def _later(data: bytes, after: int, seconds: int) -> bytes:
    """`data` with the times of the lines from line `after` on `seconds` later (hand-made:
    as if the process had waited that long there)."""
    import datetime as dt
    import re

    out = []
    for i, ln in enumerate(data.split(b"\n")):
        if i >= after:
            ln = re.sub(
                rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)",
                lambda m: (
                    (
                        dt.datetime.strptime(m.group(1).decode(), "%Y-%m-%d %H:%M:%S")
                        + dt.timedelta(seconds=seconds)
                    )
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .encode()
                ),
                ln,
            )
        out.append(ln)
    return b"\n".join(out)


def test_a_long_wait_inside_one_run_is_no_splice() -> None:
    """Near miss: a request that waited 15 minutes (a long read timeout) inside one run
    keeps its 'took' (hand-made: the real log's later half 900 s later), as before."""
    log = (LOGS6 / "g2024-boto3-threads-read-timeout.log").read_bytes()
    n = log.count(b"\n") // 2
    before = _requests(log)
    after = _requests(_later(log, n, 900))
    assert [r[:4] for r in after] == [r[:4] for r in before]
    assert max(r[4] or 0 for r in after) > 900  # type: ignore[operator]


def test_splice_thresholds() -> None:
    """Minutes back or an hour on is another run; a time of day passing midnight (formats
    without a date) and a few seconds' disorder between threads are not."""
    from stsdiag.logparse.requests import _spliced

    t = 1_764_300_000.0
    assert _spliced(t, t - 301) and _spliced(t, t + 3601)
    assert not _spliced(t, t - 2) and not _spliced(t, t + 900)
    assert not _spliced(86_399.5, 0.2)


# ------------------------------------------------ no crash: a malformed URL in the log


@pytest.mark.parametrize(
    "glued", [b"1970-01-01 00:00:00,000 botocore.x [DEBUG] y", b"[::1", b"]:x[DEBUG]"]
)
def test_a_glued_endpoint_line_is_no_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], glued: bytes
) -> None:
    """botocore's 'Endpoint provider result: <URL>' with the next record glued to it (a
    lost newline: hand-made from a real log) made a URL that urlsplit refuses (a bracketed
    host that is no address, an unclosed '['): parse-log stopped with 'internal error:
    ValueError' (found by fuzzing; on main too). Its host is now none, the log read."""
    from stsdiag.cli import run

    data = (LOGS6 / "glatest-boto3-threads-ok.log").read_bytes()
    i = data.index(b"Endpoint provider result: https://")
    j = data.index(b"\n", i)
    p = tmp_path / "glued.log"
    p.write_bytes(data[:j] + glued + data[j:])
    code = run(["parse-log", str(p), "--output", "json", "--fail-on", "never"])
    out, err = capsys.readouterr()
    assert code == 0 and "internal error" not in err
    assert json.loads(out)["requests_total"] >= 1
