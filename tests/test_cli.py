"""The CLI in-process: exit statuses, stdout/stderr split, options."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from stsdiag.cli import run
from tests.helpers import LOGS, SEED


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_log_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "parse-log", str(SEED), "--output", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    codes = [f["code"] for f in doc["findings"]]
    assert "SD104" in codes
    f = next(f for f in doc["findings"] if f["code"] == "SD104")
    assert f["name"] == "client-region-mismatch"
    assert "us-east-1" in f["message"] and "ap-northeast-1" in f["message"]
    assert f["evidence"][0]["line"] == 1
    rec = doc["recommendation"]
    assert rec["region"] == "ap-northeast-1"
    assert rec["endpoint_url"] == "https://sts.ap-northeast-1.amazonaws.com"
    assert {
        "service": "s3",
        "region": "ap-northeast-1",
        "url": "https://s3.ap-northeast-1.amazonaws.com",
    } in rec["other_endpoints"]
    assert any("AWS_DEFAULT_REGION=ap-northeast-1" in s for s in rec["settings"])
    assert "--region ap-northeast-1" in rec["cli"]


def test_table_header_counts_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    """The first line a newcomer sees in `make demo`: the seed is one line, one record, one
    request ('1 lines, 1 SDK records, 1 requests' before)."""
    _, out, _ = cli(capsys, "parse-log", str(SEED))
    assert out.splitlines()[0].startswith(f"{SEED}: 1 line, 1 SDK record, 1 request (")
    _, out, _ = cli(capsys, "parse-log", str(LOGS / "g2020-cli-noregion-global-timeout.log"))
    assert ": 289 lines, 95 SDK records, 1 request (" in out.splitlines()[0]


def test_fail_on_never_and_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "parse-log", str(SEED), "--fail-on", "never")[0] == 0
    code, out, _ = cli(capsys, "parse-log", str(SEED), "--ignore", "SD104", "-o", "json")
    assert code == 0
    assert json.loads(out)["findings"] == []
    code, out, _ = cli(
        capsys, "parse-log", str(SEED), "--select", "client-region-mismatch", "-o", "json"
    )
    assert code == 1 and [f["code"] for f in json.loads(out)["findings"]] == ["SD104"]


def test_region_hint_wins(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(capsys, "parse-log", str(SEED), "--region-hint", "eu-west-1", "-o", "json")
    assert (
        json.loads(out)["recommendation"]["endpoint_url"] == "https://sts.eu-west-1.amazonaws.com"
    )


@pytest.mark.parametrize(
    "args,needle",
    [
        (["parse-log", "/nonexistent/debug.txt"], "cannot read"),
        (["parse-log", "."], "is a directory"),
        (["parse-log", "SEED", "--region-hint", "us-east-1a"], "did you mean us-east-1"),
        (["parse-log", "SEED", "--select", "SD999"], "matches no finding"),
        (["parse-log", "SEED", "--output", "xml"], "usage error"),
        (["explain", "SD999"], "unknown finding"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    args = [str(SEED) if a == "SEED" else a for a in args]
    code, _, err = cli(capsys, *args)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_not_a_log_is_sd001_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_text("hello\nworld\n")
    code, out, err = cli(capsys, "parse-log", str(p))
    assert code == 2 and "SD001" in err and out == ""


def test_gzip_and_stdin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gz = tmp_path / "debug.txt.gz"
    gz.write_bytes(gzip.compress(SEED.read_bytes()))
    code, out, _ = cli(capsys, "parse-log", str(gz), "-o", "json")
    assert code == 1 and json.loads(out)["recommendation"]["region"] == "ap-northeast-1"
    import io
    import sys

    class _Stdin:
        buffer = io.BufferedReader(io.BytesIO(SEED.read_bytes()))  # type: ignore[arg-type]

    monkeypatch.setattr(sys, "stdin", _Stdin)
    code, out, _ = cli(capsys, "parse-log", "-", "-o", "json")
    assert code == 1 and json.loads(out)["log"]["source"] == "<stdin>"


def test_output_file_writes_report_and_summary_to_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dest = tmp_path / "report.xml"
    code, out, err = cli(capsys, "parse-log", str(SEED), "-o", "junit", "--output-file", str(dest))
    assert code == 1 and out == ""
    assert "1 error(s)" in err and "sts.ap-northeast-1.amazonaws.com" in err
    assert dest.read_text().startswith("<?xml")


def test_explain_and_listing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "explain", "SD104")
    assert code == 0 and out.startswith("SD104 client-region-mismatch (error")
    code, out, _ = cli(capsys, "explain", "region-not-configured")
    assert out.startswith("SD101")
    code, out, _ = cli(capsys, "explain", "--format", "markdown")
    assert out.count("\n| SD") >= 35


def test_internal_error_is_exit_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import stsdiag.parselog

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(stsdiag.parselog, "parse_path", boom)
    code, _, err = cli(capsys, "parse-log", str(SEED))
    assert code == 3 and "internal error" in err and "kaboom" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        run(["--debug", "parse-log", str(SEED)])


def test_keyboard_interrupt_is_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import stsdiag.parselog

    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(stsdiag.parselog, "parse_path", interrupted)
    assert cli(capsys, "parse-log", str(SEED))[0] == 130


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.startswith("stsdiag ")
    code, out, _ = cli(capsys, "--help")
    assert code == 0 and "parse-log" in out


def test_readme_and_docs_findings_table_match_the_registry() -> None:
    from stsdiag.rules.registry import markdown_table
    from tests.helpers import ROOT

    table = markdown_table()
    assert table in (ROOT / "README.md").read_text()
    assert (ROOT / "docs" / "findings.md").read_text() == table
