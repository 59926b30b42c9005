"""glibc's resolver timing as getaddrinfo (the SDK's resolver) applies it: resolv.conf
`options timeout:N attempts:M`, then RES_OPTIONS; defaults 5 s and 2 attempts."""

from __future__ import annotations

from pathlib import Path

from stsdiag.context import resolver_timing


def test_defaults_options_and_res_options(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    assert resolver_timing(tmp_path / "missing", {}) == (5.0, 2)
    conf.write_text("nameserver 10.0.0.2\noptions ndots:1 timeout:1 attempts:3\n")
    assert resolver_timing(conf, {}) == (1.0, 3)
    assert resolver_timing(conf, {"RES_OPTIONS": "attempts:1"}) == (1.0, 1)
    conf.write_text("options timeout:0 attempts:9 timeout:x\n")  # glibc's bounds
    assert resolver_timing(conf, {}) == (1.0, 5)
