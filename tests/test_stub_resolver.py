"""A loopback resolver (systemd-resolved's 127.0.0.53 on Ubuntu EC2 images, dnsmasq, …) is a
local forwarder: it is judged by the servers it forwards to, not taken for a non-Amazon
resolver."""

from __future__ import annotations

from pathlib import Path

from stsdiag.context import Imds, ImdsState, resolver_upstreams
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, codes

IMDS = Imds(ImdsState.OK, "http://169.254.169.254", region="eu-west-1", vpc_cidrs=("10.0.0.0/16",))


def test_systemd_resolved_stub_forwarding_to_the_vpc_resolver_is_amazon() -> None:
    """Old code: SD207 'not the Amazon VPC resolver' for 127.0.0.53 on every Ubuntu instance."""
    c = ctx(imds=IMDS, resolvers=("127.0.0.53",), resolver_upstreams=("10.0.0.2",))
    assert "SD207" not in codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert any(
        "forwarding to 10.0.0.2" in n and "Amazon VPC resolver" in n for n in c.host_context().notes
    )


def test_stub_forwarding_elsewhere_is_sd207_and_unknown_upstream_is_not_judged() -> None:
    c = ctx(imds=IMDS, resolvers=("127.0.0.53",), resolver_upstreams=("192.168.1.1",))
    sd207 = codes(evaluate(ProbeFacts(c, CREDS, ())))["SD207"]
    assert "192.168.1.1" in sd207.message
    c = ctx(imds=IMDS, resolvers=("127.0.0.1",), resolver_upstreams=())
    assert "SD207" not in codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert any("upstream is not known" in n for n in c.host_context().notes)


def test_upstreams_are_read_from_systemd_resolved_only_behind_a_loopback_stub(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# systemd-resolved\nnameserver 10.0.0.2\nnameserver 127.0.0.1\nsearch ec2.internal\n"
    )
    assert resolver_upstreams(("127.0.0.53",), conf) == ("10.0.0.2",)
    assert resolver_upstreams(("10.0.0.2",), conf) == ()
    assert resolver_upstreams(("127.0.0.53",), tmp_path / "missing") == ()


def test_resolver_is_not_judged_when_imds_gives_no_vpc_cidr() -> None:
    """A minimal IMDS (region, no network/interfaces): VPC+2 cannot be checked. Old code:
    SD207 'not the Amazon VPC resolver' for 10.0.0.2."""
    bare = Imds(ImdsState.OK, "http://169.254.169.254", region="eu-west-1")
    c = ctx(imds=bare, resolvers=("10.0.0.2",))
    assert "SD207" not in codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert any("not judged" in n for n in c.host_context().notes)
    c = ctx(imds=bare, resolvers=("169.254.169.253",))
    assert any("is the Amazon VPC resolver" in n for n in c.host_context().notes)
    c = ctx(imds=IMDS, resolvers=("10.9.0.53",))
    assert "SD207" in codes(evaluate(ProbeFacts(c, CREDS, ())))
