"""parse-log on a log of many AWS CLI runs, split at run starts and read in parallel,
gives exactly the report one pass gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from stsdiag.parselog import ParseOptions, parse_path, plan_chunks
from stsdiag.render import json as render_json
from tests.helpers import cases


def _multi_run_log(tmp_path: Path) -> Path:
    logs = [c.log for c in cases()]
    blob = b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in logs)
    path = tmp_path / "many-runs.log"
    path.write_bytes(blob * 3)
    return path


@pytest.mark.parametrize("jobs", [2, 3, 7])
def test_split_log_gives_the_one_pass_report(tmp_path: Path, jobs: int) -> None:
    path = _multi_run_log(tmp_path)
    one = parse_path(str(path), ParseOptions(jobs=1, keep_requests=10_000))
    opts = ParseOptions(jobs=jobs, min_chunk=64 << 10, keep_requests=10_000)
    with path.open("rb") as f:
        chunks = plan_chunks(f, jobs, opts.min_chunk)  # type: ignore[arg-type]
    assert len(chunks) == jobs  # really split
    data = path.read_bytes()
    for a, _ in chunks[1:]:
        assert data[a - 1 : a] == b"\n" and b"CLI version: " in data[a : data.find(b"\n", a)]
    split = parse_path(str(path), opts)
    assert split.requests_total == one.requests_total > 100
    assert render_json.render(split) == render_json.render(one)
    # the kept-requests cap applies to the whole log, not per part
    capped = parse_path(str(path), ParseOptions(jobs=jobs, min_chunk=64 << 10, keep_requests=50))
    assert capped.requests == one.requests[:50]


def test_logs_without_run_starts_are_not_split(tmp_path: Path) -> None:
    boto3_logs = [c.log for c in cases() if "boto3" in c.log.name]
    path = tmp_path / "one-process.log"
    path.write_bytes(b"".join(p.read_bytes() for p in boto3_logs) * 20)
    with path.open("rb") as f:
        assert len(plan_chunks(f, 4, 16 << 10)) < 2  # type: ignore[arg-type]
    assert len(plan_chunks(io.BytesIO(b"x" * 100), 4, 10)) < 2  # type: ignore[arg-type]


def test_no_fork_reads_in_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    path = _multi_run_log(tmp_path)
    one = parse_path(str(path), ParseOptions(jobs=1))
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    split = parse_path(str(path), ParseOptions(jobs=3, min_chunk=64 << 10))
    assert render_json.render(split) == render_json.render(one)


def test_cuts_only_at_real_run_starts(tmp_path: Path) -> None:
    """`CLI version:` inside a message or a continuation line is not a run start."""
    data = _multi_run_log(tmp_path).read_bytes()
    mid = data.find(b"\n", len(data) // 2) + 1
    decoys = (
        b"    CLI version: aws-cli/9.9.9 (a quoted line)\n"
        b"2021-07-29 17:29:45,221 - MainThread - myapp - DEBUG - CLI version: aws-cli/9\n"
        b"2021-07-29 17:29:45,221 - MainThread - botocore.hooks - DEBUG - x CLI version: y\n"
    )
    path = tmp_path / "decoys.log"
    path.write_bytes(data[:mid] + decoys + data[mid:])
    with path.open("rb") as f:
        chunks = plan_chunks(f, 2, 64 << 10)  # type: ignore[arg-type]
    assert len(chunks) == 2
    cut = chunks[1][0]
    line = path.read_bytes()[cut : path.read_bytes().find(b"\n", cut)]
    assert cut > mid + len(decoys) - 1
    assert b" - awscli.clidriver - DEBUG - CLI version: aws-cli/" in line
    one = parse_path(str(path), ParseOptions(jobs=1))
    two = parse_path(str(path), ParseOptions(jobs=2, min_chunk=64 << 10))
    assert render_json.render(two) == render_json.render(one)
