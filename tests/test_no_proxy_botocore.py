"""Proxy variables as botocore reads them (urllib): lower-case wins, NO_PROXY matches names and
`.suffixes` only. Entries that curl/requests honour but botocore ignores are called out."""

from __future__ import annotations

from stsdiag.context import _proxy_var
from stsdiag.models import AddressClass, TargetKind
from stsdiag.plan import ignored_no_proxy_entries, proxy_for
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, codes, ep, healthy, target


def test_lower_case_proxy_variables_win_as_in_urllib() -> None:
    """Old code: HTTPS_PROXY won over https_proxy (urllib, so botocore, does the opposite)."""
    env = {"HTTPS_PROXY": "http://upper:3128", "https_proxy": "http://lower:3128"}
    assert _proxy_var(env, "https") == "http://lower:3128"
    assert _proxy_var({"HTTPS_PROXY": "http://upper:3128", "https_proxy": ""}, "https") is None
    assert _proxy_var({"NO_PROXY": ".amazonaws.com"}, "no") == ".amazonaws.com"


def test_wildcard_no_proxy_entry_does_not_bypass_for_botocore() -> None:
    """Old code: `*.amazonaws.com` counted as a bypass, so the probe went direct while botocore
    went through the (intercepting) proxy: a false all-clear."""
    c = ctx(https_proxy="http://10.0.0.50:3128", no_proxy="169.254.169.254,*.amazonaws.com")
    assert proxy_for("https://sts.ap-northeast-1.amazonaws.com", c) == "http://10.0.0.50:3128"
    assert ignored_no_proxy_entries(c.no_proxy) == ("*.amazonaws.com",)
    results = (ep(target("https://sts.ap-northeast-1.amazonaws.com", TargetKind.REGIONAL, "ap-northeast-1",
                         sdk=True, proxy="http://10.0.0.50:3128"), healthy("10.0.0.50", AddressClass.OTHER)),)  # fmt: skip
    sd302 = codes(evaluate(ProbeFacts(c, CREDS, results)))["SD302"]
    assert (
        "*.amazonaws.com" in sd302.message
        and sd302.fix == "export NO_PROXY=169.254.169.254,.amazonaws.com"
    )


def test_cidr_no_proxy_does_not_cover_imds_for_botocore() -> None:
    c = ctx(https_proxy="http://10.0.0.50:3128", http_proxy="http://10.0.0.50:3128",
            no_proxy="169.254.0.0/16")  # fmt: skip
    sd302 = codes(evaluate(ProbeFacts(c, CREDS, ())))["SD302"]
    assert "169.254.169.254" in sd302.message and "169.254.0.0/16" in sd302.message


def test_imds_is_only_proxied_by_http_proxy() -> None:
    """botocore's IMDS client uses the proxy for the IMDS URL's scheme (http): with only
    HTTPS_PROXY set IMDS goes direct. Old code: SD302 'NO_PROXY lacks 169.254.169.254'."""
    c = ctx(https_proxy="http://10.0.0.50:3128", no_proxy=None)
    assert "SD302" not in codes(evaluate(ProbeFacts(c, CREDS, ())))
    c = ctx(https_proxy="http://10.0.0.50:3128", http_proxy="http://10.0.0.50:3128", no_proxy=None)
    assert "169.254.169.254" in codes(evaluate(ProbeFacts(c, CREDS, ())))["SD302"].message
