"""A proxy setting urllib3 cannot parse (`HTTPS_PROXY=http://proxy:port`): botocore fails every
call with HTTPClientError ("Failed to parse: 'proxy:port' is not a valid host or port").
parse-log reads the real AWS CLI's debug log and its one-line error as SD301 naming the bad
URL; the probe reports it as a proxy failure instead of ending with an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stsdiag.models import ErrorKind
from stsdiag.probes import proxy_label, tcp
from tests.helpers import codes, finding, parse, refused

AWS = Path(sys.executable).parent / "aws"


def _aws_debug(proxy: str) -> str:
    """The real AWS CLI's --debug output for a call through `proxy`, to a loopback endpoint
    (the proxy is never contacted: its URL does not parse)."""
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(
        HTTPS_PROXY=proxy,
        AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_MAX_ATTEMPTS="1",
    )
    p = subprocess.run(
        [str(AWS), "sts", "get-caller-identity", "--region", "us-east-1", "--debug",
         "--endpoint-url", "https://127.0.0.1:9", "--cli-connect-timeout", "2"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert p.returncode != 0
    return p.stderr


@pytest.mark.parametrize("proxy", ["http://proxy:port", "http://[proxy.example:3128"])
def test_real_cli_log_names_the_proxy_setting(
    proxy: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _aws_debug(proxy)
    assert "An HTTP Client raised an unhandled exception" in log
    doc = parse(tmp_path, log, capsys)
    assert "SD301" in codes(doc)
    sd301 = finding(doc, "SD301")
    assert "not a valid URL" in sd301["message"] and "http://HOST:PORT" in sd301["fix"]


def test_the_cli_line_pasted_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = (
        "An HTTP Client raised an unhandled exception: Failed to parse: 'proxy:port' is not a "
        "valid host or port\n"
    )
    doc = parse(tmp_path, "$ aws sts get-caller-identity\n\n" + line, capsys)
    assert codes(doc) == ["SD301"]


def test_an_endpoint_url_that_does_not_parse_is_no_proxy_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Near miss (hand-made from aws-mfa#88's shape): the URL that failed to parse is the
    endpoint's botocore built (a region with a blank), not a proxy setting."""
    text = (
        "botocore.exceptions.HTTPClientError: An HTTP Client raised an unhandled exception: "
        "Failed to parse: https://sts.us-east-1 .amazonaws.com/ is not a valid host\n"
    )
    paste = "$ aws sts get-caller-identity\n" + text
    assert refused(tmp_path, paste) or "SD301" not in codes(parse(tmp_path, paste, capsys))


def test_probe_reports_a_bad_proxy_url_as_a_proxy_failure() -> None:
    """Before, the probe ended with 'internal error: ValueError: Port could not be cast to
    integer value' (exit 3). No traffic: the URL is refused before any connection."""
    r = tcp.probe("127.0.0.1", 9, timeout=1.0, proxy="http://user:secret@proxy:port")
    assert r.error is ErrorKind.PROXY and "not a valid URL" in r.detail
    assert "secret" not in r.detail and "secret" not in proxy_label("http://user:secret@proxy:port")
