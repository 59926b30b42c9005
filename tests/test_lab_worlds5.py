"""Wave 5 of lab worlds from real reports: what the probe says in them.

Unit tests (pure rules over hand-made facts, the context over temp config files, the TLS layer
against loopback servers) run everywhere; the tests marked `lab` start the worlds
(tests/lab/worlds/*.toml) and run stsdiag inside.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stsdiag import context
from stsdiag.context import Overrides

# --------------------------------------------------------------------------- crash: an empty CA bundle variable


@pytest.mark.parametrize("var", ["AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_an_empty_ca_bundle_variable_is_reported_not_a_crash(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    """Before: AWS_CA_BUNDLE= (empty) made `stsdiag probe` exit 3 'internal error:
    InvalidConfigError: Invalid CA bundle ...': recent botocore refuses an empty bundle when a
    client is created, and the endpoint-name lookup (endpoints.service_url) built one. Now the
    names resolve; the SDK's own client still reports botocore's refusal (SD112's fact)."""
    from stsdiag import endpoints

    monkeypatch.setenv(var, " " if var == "REQUESTS_CA_BUNDLE" else "")
    endpoints.service_url.cache_clear()
    try:
        assert endpoints.service_url("sts", "eu-west-1") == "https://sts.eu-west-1.amazonaws.com"
        assert endpoints.global_sts_url() == "https://sts.amazonaws.com"
    finally:
        endpoints.service_url.cache_clear()
    c = context.gather(Overrides(timeout=1.0)).context
    assert c.sdk.url is None and "InvalidConfigError: Invalid CA bundle" in (c.sdk.error or "")
