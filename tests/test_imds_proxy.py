"""stsdiag reaches IMDS as botocore's IMDS client does: `IMDSFetcher` builds its session with
`get_environ_proxies(base_url)`, so HTTP_PROXY applies to http://169.254.169.254 unless NO_PROXY
covers it (urllib's rules). Old code: IMDS was always read directly."""

from __future__ import annotations

import pytest

from stsdiag.context import imds_proxy

CASES = [
    {},
    {"HTTP_PROXY": "http://proxy.example:3128"},
    {"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "169.254.169.254"},
    {"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "localhost,.internal"},
    {"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "169.254.0.0/16"},  # no CIDR in urllib
    {"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "*"},
    {"HTTPS_PROXY": "http://proxy.example:3128"},  # http:// IMDS takes HTTP_PROXY only
    {"http_proxy": "http://lower.example:3128", "HTTP_PROXY": "http://upper.example:3128"},
    {"HTTP_PROXY": "http://proxy.example:3128", "no_proxy": "169.254.169.254"},
]


@pytest.mark.parametrize("env", CASES)
@pytest.mark.parametrize("url", ["http://169.254.169.254", "http://[fd00:ec2::254]"])
def test_imds_proxy_is_botocores(
    env: dict[str, str], url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.utils import get_environ_proxies

    for k in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
              "ALL_PROXY", "all_proxy", "REQUEST_METHOD"):  # fmt: skip
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    want = get_environ_proxies(url).get("http")
    assert imds_proxy(url, env) == want, (env, want)
