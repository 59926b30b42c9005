"""SD409 sts-server-error in a log: STS answered HTTP 5xx (InternalFailure) on every try.
Before, parse-log gave only SD208 (a warning), so `--fail-on error` passed a run in which
STS itself failed. The logs are real runs of the differential harness
(tests/data/differential/README.md): the AWS CLI 1.46.3 and boto3 1.9.190 on Python 2.7."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stsdiag.cli import run
from tests.helpers import LOGS

DATA = Path(__file__).parent / "data" / "differential"


def report(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = run(["parse-log", str(path), "--output", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", ["sts-internal-failure-cli.log", "sts-internal-failure-py27.log"])
def test_sts_500_on_every_try_is_an_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = report(DATA / name, capsys)
    found = {f["code"]: f for f in doc["findings"]}  # type: ignore[attr-defined]
    assert code == 1
    assert found["SD409"]["severity"] == "error"
    assert "InternalFailure" in found["SD409"]["message"]
    line = found["SD409"]["evidence"][0]["line"]
    text = (DATA / name).read_text().splitlines()
    assert "InternalFailure" in text[line - 1]  # the evidence points at the answer
    assert "SD208" in found  # and the retries it cost


@pytest.mark.parametrize(
    "name", ["g2023-cli-throttled.log", "glatest-cli-region-ok.log", "g2020-cli-proxy-dead.log"]
)
def test_no_sd409_without_a_server_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = report(LOGS / name, capsys)
    assert "SD409" not in {f["code"] for f in doc["findings"]}  # type: ignore[attr-defined]


def test_a_test_servers_5xx_is_no_sts_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """A real boto3 log whose STS endpoint was a local HTTPS server that answered 501 (it
    takes no POST): not an AWS host, and no status botocore retries."""
    log = Path(__file__).parent / "data" / "strict-tls" / "boto3-py313-no-key-ids-accepted.log"
    assert '"POST / HTTP/1.1" 501' in log.read_text()
    _, doc = report(log, capsys)
    assert "SD409" not in {f["code"] for f in doc["findings"]}  # type: ignore[attr-defined]
