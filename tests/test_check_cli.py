"""`stsdiag check` in process, with the probe replaced by canned reports: exit statuses,
the expectations file (found, overridden, broken), --quiet, --output-file, --retries and
GitHub annotations (also for parse-log), and the stdout/stderr split of each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stsdiag import probe as probe_mod
from stsdiag.cli import run
from stsdiag.models import Report
from tests.helpers import SEED
from tests.test_check import healthy, no_region_global_times_out


class FakeProbe:
    def __init__(self, *reports: Report) -> None:
        self.reports = list(reports)
        self.calls: list[Any] = []

    def __call__(self, opts: Any, *, on_progress: Any = None, layers: Any = None) -> Report:
        self.calls.append(opts)
        return self.reports[min(len(self.calls), len(self.reports)) - 1]


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(tmp_path)  # no expectations file unless a test writes one
    yield


def fake(monkeypatch: pytest.MonkeyPatch, *reports: Report) -> FakeProbe:
    f = FakeProbe(*reports)
    monkeypatch.setattr(probe_mod, "run_probe", f)
    return f


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_passing_check_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = fake(monkeypatch, healthy())
    code, out, err = cli(capsys, "check", "--expect-endpoint", "regional", "--region",
                         "ap-northeast-1", "--role-session-name", "ci", "-o", "json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["command"] == "check" and doc["exit_status"] == 0
    assert [(e["name"], e["passed"]) for e in doc["expectations"]] == [
        ("expect-endpoint", True),
        ("max-clock-skew-s", True),
    ]
    (opts,) = probe.calls
    assert opts.regions == ("ap-northeast-1",) and opts.role_session_name == "ci"


def test_failed_expectation_exits_1_with_its_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake(monkeypatch, no_region_global_times_out())
    code, out, _ = cli(capsys, "check", "--expect-endpoint", "regional")
    assert code == 1
    fail = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(fail) == 1 and "expect-endpoint" in fail[0] and "global" in fail[0]
    assert any(line.startswith("PASS  max-clock-skew-s") for line in out.splitlines())


def test_internal_error_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_: Any, **__: Any) -> Report:
        raise RuntimeError("bug")

    monkeypatch.setattr(probe_mod, "run_probe", boom)
    code, out, err = cli(capsys, "check")
    assert code == 3 and out == "" and "internal error: RuntimeError: bug" in err


@pytest.mark.parametrize(
    ("files", "args", "needle"),
    [
        ({}, ["--expect-region", "ap-northeast1"], "--expect-region: unknown region 'ap-northeast1'; did you mean ap-northeast-1?"),
        ({}, ["--expect-endpoint", "regionl"], "--expect-endpoint: must be regional, vpce, global"),
        ({}, ["--timeout", "0"], "--timeout: must be between 0 and 120 seconds"),
        ({}, ["--retries", "many"], "Invalid value for '--retries'"),
        ({}, ["--config", "missing.toml"], "--config missing.toml: No such file or directory"),
        ({"stsdiag.toml": 'expect-acount = "1"\n'}, [], "stsdiag.toml: expect-acount: unknown key; did you mean 'expect-account'?"),
        ({"stsdiag.toml": "max-latency-ms = -5\n"}, [], "stsdiag.toml: max-latency-ms: must be a positive number"),
        ({"pyproject.toml": "[tool.stsdiag]\nrequire-private = 1\n"}, [], "pyproject.toml: require-private: must be true or false, not 1"),
        ({"ci.toml": "expect-arn = [\n"}, ["--config", "ci.toml"], "ci.toml: expect-arn: invalid TOML"),
        ({"pyproject.toml": "[project]\n"}, ["--config", "pyproject.toml"], "pyproject.toml: no [tool.stsdiag] table"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line_and_exit_2(
    files: dict[str, str],
    args: list[str],
    needle: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    probe = fake(monkeypatch, healthy())
    for name, text in files.items():
        Path(name).write_text(text)
    code, out, err = cli(capsys, "check", *args)
    assert code == 2, err
    assert out == "" and len(err.strip().splitlines()) == 1 and needle in err, err
    assert probe.calls == []


def test_the_file_is_found_and_the_command_line_wins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = fake(monkeypatch, healthy())
    Path("pyproject.toml").write_text('[tool.stsdiag]\nexpect-region = "us-west-2"\n')
    code, out, _ = cli(capsys, "check", "-o", "json")
    assert code == 1
    assert json.loads(out)["expectations"][0]["expected"] == "us-west-2"  # from pyproject
    Path("stsdiag.toml").write_text(
        'expect-region = "eu-west-1"\nregion = "eu-west-1"\ntimeout = 1.5\nretries = 0\n'
    )
    code, out, _ = cli(capsys, "check", "-o", "json")
    assert code == 1
    exp = json.loads(out)["expectations"][0]
    assert (exp["name"], exp["expected"], exp["actual"]) == (
        "expect-region",
        "eu-west-1",
        "ap-northeast-1",
    )
    assert probe.calls[-1].regions == ("eu-west-1",) and probe.calls[-1].timeout == 1.5
    code, out, _ = cli(capsys, "check", "-o", "json", "--expect-region", "ap-northeast-1",
                       "--region", "ap-northeast-1")  # fmt: skip
    assert code == 0 and json.loads(out)["expectations"][0]["passed"]
    assert probe.calls[-1].regions == ("ap-northeast-1",) and probe.calls[-1].timeout == 1.5


def test_quiet(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake(monkeypatch, healthy())
    assert cli(capsys, "check", "--quiet", "--expect-endpoint", "regional") == (0, "", "")
    fake(monkeypatch, no_region_global_times_out())
    code, out, err = cli(capsys, "check", "-q", "--expect-endpoint", "regional", "--expect-account",
                         "123456789012")  # fmt: skip
    assert code == 1 and err == ""
    assert out.splitlines()[0].startswith("FAIL  expect-endpoint: expected regional, got global")
    assert "expect-account" not in out and "setting" not in out  # no passes, no table


def test_output_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake(monkeypatch, no_region_global_times_out())
    target = tmp_path / "report.xml"
    code, out, err = cli(capsys, "check", "--expect-endpoint", "regional", "-o", "junit",
                         "--output-file", str(target))  # fmt: skip
    assert code == 1 and out == ""
    assert err.startswith("stsdiag check: ") and err.endswith("exit 1\n") and err.count("\n") == 1
    assert "expect-endpoint regional" in target.read_text()
    fake(monkeypatch, healthy())
    assert cli(capsys, "check", "-q", "-o", "json", "--output-file", str(target)) == (0, "", "")
    assert json.loads(target.read_text())["exit_status"] == 0


def test_retries_report_each_attempt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    probe = fake(monkeypatch, no_region_global_times_out(), healthy())
    code, out, err = cli(
        capsys, "check", "--expect-endpoint", "regional", "--retries", "3", "-o", "json"
    )
    assert code == 0 and len(probe.calls) == 2 and slept == [1.0]
    assert err.splitlines() == [
        "stsdiag check: attempt 1 of 4: failed (expect-endpoint); retrying in 1 s",
        "stsdiag check: attempt 2 of 4: passed",
    ]
    assert json.loads(out)["attempts"].startswith("attempt 1 of 4: failed")


def test_github_annotations_follow_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake(monkeypatch, no_region_global_times_out())
    code, out, err = cli(capsys, "check", "--expect-endpoint", "regional")
    assert code == 1  # not on GitHub: no workflow commands
    assert not any(line.startswith("::") for line in (out + err).splitlines())
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = cli(capsys, "check", "--expect-endpoint", "regional")
    notes = [line for line in out.splitlines() if line.startswith("::")]
    assert notes == [out.splitlines()[-1]]  # after the table, on stdout
    assert notes[0].startswith("::error title=stsdiag check%3A expect-endpoint::expected regional")
    code, out, err = cli(capsys, "check", "--expect-endpoint", "regional", "-o", "json")
    assert json.loads(out)["exit_status"] == 1  # stdout stays pure JSON
    assert err.splitlines()[0].startswith("::error title=stsdiag check%3A expect-endpoint::")


def test_parse_log_gets_the_same_annotations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = cli(capsys, "parse-log", str(SEED))
    assert code == 1
    notes = [line for line in out.splitlines() if line.startswith("::error ")]
    assert notes and notes[0].startswith(
        "::error title=stsdiag parse-log%3A SD104 client-region-mismatch::"
    )
    code, out, err = cli(capsys, "parse-log", str(SEED), "-o", "junit")
    assert out.startswith("<?xml") and not any(line.startswith("::") for line in out.splitlines())
    assert any(
        line.startswith("::error title=stsdiag parse-log%3A SD104") for line in err.splitlines()
    )
