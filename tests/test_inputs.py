"""What a ticket's attachment can be: gzip, bzip2, xz and one-file zip archives are read as
the log inside; a cut-off compressed file (a partial download) is read up to the cut; other
formats (zstd, 7-Zip, PDF, a screenshot, several files in a zip) get one line and exit 2."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from stsdiag.cli import run
from tests.helpers import LOGS

LOG = LOGS / "glatest-cli-noregion-global-timeout.log"


def report(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = run(["parse-log", str(path), "--output", "json", "--fail-on", "never"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else {}), err


def same_except_source(a: dict[str, Any], b: dict[str, Any]) -> bool:
    a, b = dict(a), dict(b)
    a["log"] = {k: v for k, v in a["log"].items() if k != "source"}
    b["log"] = {k: v for k, v in b["log"].items() if k != "source"}
    return a == b


def _zip(data: bytes, *names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            z.writestr(name, data)
    return buf.getvalue()


def _encrypted_zip() -> bytes:
    """A zip whose file is flagged encrypted (the stdlib cannot write one; the flag bit is
    what `zipfile` checks before asking for a password)."""
    data = bytearray(_zip(b"a log", "debug.txt"))
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        data[i + at] |= 1
    return bytes(data)


@pytest.mark.parametrize(
    ("suffix", "pack"),
    [
        (".gz", gzip.compress),
        (".bz2", bz2.compress),
        (".xz", lzma.compress),
        (".zip", lambda d: _zip(d, "debug.txt")),
    ],
)
def test_compressed_log_reads_as_the_plain_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, pack: Any
) -> None:
    plain = report(LOG, capsys)
    packed = tmp_path / ("debug" + suffix)
    packed.write_bytes(pack(LOG.read_bytes()))
    code, doc, err = report(packed, capsys)
    assert code == 0, err
    assert doc["log"]["sdk_records"] > 100
    assert same_except_source(doc, plain[1])


@pytest.mark.parametrize(("suffix", "pack"), [(".gz", gzip.compress), (".xz", lzma.compress)])
def test_cut_compressed_file_is_read_up_to_the_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, pack: Any
) -> None:
    """A partial download: the compressed bytes end early. Everything before the cut is
    read (the first request and its connect timeouts), and the report says it was cut."""
    data = LOG.read_bytes()
    whole = pack(data)
    cut = tmp_path / ("cut" + suffix)
    cut.write_bytes(whole[: len(whole) * 3 // 4])
    code, doc, err = report(cut, capsys)
    assert code == 0, err
    assert doc["log"]["truncated"] is True
    assert 0 < doc["log"]["lines"] < data.count(b"\n")
    assert {"SD102", "SD202"} <= {f["code"] for f in doc["findings"]}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\x28\xb5\x2f\xfd" + b"\0" * 40, "zstd-compressed"),
        (b"7z\xbc\xaf\x27\x1c" + b"\0" * 40, "7-Zip archive"),
        (b"%PDF-1.7\n" + b"\0" * 40, "PDF document"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "screenshot"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 40, "screenshot"),
        (_zip(b"a log", "one.log", "two.log"), "zip archive with 2 files (one.log, two.log)"),
        (_zip(b"<xml/>", "word/document.xml"), "Office document"),
        (b"PK\x03\x04" + b"\0" * 40, "zip archive that cannot be read"),
        (_encrypted_zip(), "is encrypted"),
    ],
)
def test_other_formats_are_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, needle: str
) -> None:
    f = tmp_path / "attachment"
    f.write_bytes(content)
    code, doc, err = report(f, capsys)
    assert code == 2 and doc["exit_status"] == 2  # the JSON error document
    assert len(err.strip().splitlines()) == 1 and needle in err, err


def test_zip_on_stdin_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "stsdiag", "parse-log", "-"],
        input=_zip(LOG.read_bytes(), "debug.txt"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert len(err.strip().splitlines()) == 1 and "unzip" in err, err


@pytest.mark.parametrize("device", ["/dev/urandom", "/dev/zero"])
def test_endless_binary_stream_is_refused_not_read_forever(device: str) -> None:
    """Both were read until killed (no newline ever, or nothing that is a record)."""
    proc = subprocess.run(
        [sys.executable, "-m", "stsdiag", "parse-log", device],
        capture_output=True,
        timeout=60,
        check=False,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "binary data" in err and len(err.strip().splitlines()) == 1


def test_log_with_some_garbage_is_still_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid UTF-8 and a few stray control bytes in a real log: text, read as before."""
    lines = LOG.read_bytes().split(b"\n")
    for i in range(0, len(lines), 7):
        lines[i] += b" \xff\xfe\x01"
    f = tmp_path / "garbled.log"
    f.write_bytes(b"\n".join(lines))
    code, doc, err = report(f, capsys)
    assert code == 0, err
    assert {"SD102", "SD202"} <= {x["code"] for x in doc["findings"]}


def test_compressed_file_cut_before_anything_is_a_cut_file_not_sd001(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bzip2 decompresses in 900 KB blocks: cut inside the first, nothing can be read. That
    is a damaged file (exit 2, one line saying so), not 'not a botocore log' (SD001)."""
    cut = tmp_path / "cut.bz2"
    cut.write_bytes(bz2.compress(LOG.read_bytes())[:2500])
    code, doc, err = report(cut, capsys)
    assert code == 2 and doc["exit_status"] == 2
    assert "cut or damaged" in err and "SD001" not in err and len(err.strip().splitlines()) == 1


def test_nothing_read_is_sd001_not_no_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real Lambda-format log folded at 72 columns breaks every header after its time stamp
    (a wrap stsdiag cannot undo): nothing is read, and that is SD001 (exit 2), not "No
    findings" with exit 0 as before, which told the user all was well."""
    lines = (LOGS / "glatest-boto3-lambda-ok.log").read_text().splitlines()
    folded = [part for line in lines for part in textwrap.wrap(line, 72) or [""]]
    f = tmp_path / "folded.log"
    f.write_text("\n".join(folded) + "\n")
    code, doc, err = report(f, capsys)
    assert code == 2 and doc["exit_status"] == 2
    assert "SD001" in err and "name botocore" in err


@pytest.mark.parametrize(("text", "says"), [("a line\n", "(1 line,"), ("a\nb\n", "(2 lines,")])
def test_sd001_counts_lines_in_words(
    text: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another SDK's one-line paste (a CloudTrail event, a Java SDK line) is '1 line'."""
    f = tmp_path / "other.log"
    f.write_text(text)
    code, _, err = report(f, capsys)
    assert code == 2 and says in err
