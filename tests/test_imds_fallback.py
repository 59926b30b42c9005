"""IMDS as botocore reads it: a token PUT refused with 403/404/405 means "no IMDSv2" and
botocore falls back to token-less GETs; so does stsdiag (the instance's region is the hint
for SD101 and the recommendation). `responses` intercepts: nothing is sent."""

from __future__ import annotations

import pytest

from stsdiag import context
from stsdiag.context import ImdsState

BASE = "http://169.254.169.254"
MD = BASE + "/latest/meta-data/"
FACTS = {
    "placement/region": "eu-west-1",
    "placement/availability-zone": "eu-west-1b",
    "instance-id": "i-0a1b2c3d4e5f60013",
    "mac": "0e:00:00:00:00:02",
    "network/interfaces/macs/0e:00:00:00:00:02/vpc-id": "vpc-0a1b2c3d4e5f60013",
    "network/interfaces/macs/0e:00:00:00:00:02/vpc-ipv4-cidr-block": "172.31.0.0/16",
}


def _v1_only(rs: object, put_status: int) -> None:
    responses = pytest.importorskip("responses")
    rs.add(responses.PUT, BASE + "/latest/api/token", status=put_status)  # type: ignore[attr-defined]
    rs.add(responses.GET, MD, body="ami-id\nplacement/\n")  # type: ignore[attr-defined]
    for path, val in FACTS.items():
        rs.add(responses.GET, MD + path, body=val)  # type: ignore[attr-defined]


@pytest.mark.parametrize("put_status", [403, 404, 405])
def test_no_imdsv2_falls_back_to_imdsv1_as_botocore_does(put_status: int) -> None:
    """Old code: state unreachable, no region ("token PUT: HTTP 405")."""
    responses = pytest.importorskip("responses")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        _v1_only(rs, put_status)
        imds = context.fetch_imds(BASE)
    assert imds.state is ImdsState.OK, imds
    assert (imds.region, imds.az, imds.instance_id, imds.vpc_id) == (
        "eu-west-1", "eu-west-1b", "i-0a1b2c3d4e5f60013", "vpc-0a1b2c3d4e5f60013")  # fmt: skip
    assert imds.vpc_cidrs == ("172.31.0.0/16",) and imds.version == "IMDSv1"
    assert f"HTTP {put_status}" in imds.detail
    assert context.is_amazon_resolver("172.31.0.2", imds.vpc_cidrs)


def test_put_refused_and_gets_refused_is_unreachable() -> None:
    responses = pytest.importorskip("responses")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.PUT, BASE + "/latest/api/token", status=403)
        rs.add(responses.GET, MD, status=403)
        imds = context.fetch_imds(BASE)
    assert imds.state is ImdsState.UNREACHABLE and imds.region is None


def test_bad_request_put_is_not_a_v1_fallback() -> None:
    """botocore raises on 400 (BadIMDSRequestError): no fallback."""
    responses = pytest.importorskip("responses")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        _v1_only(rs, 400)
        imds = context.fetch_imds(BASE)
    assert imds.state is ImdsState.UNREACHABLE


def test_hop_limit_still_reads_the_region_through_imdsv1() -> None:
    """The PUT's answer is lost (hop limit); botocore times out and falls back to v1."""
    responses = pytest.importorskip("responses")
    import requests

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.PUT, BASE + "/latest/api/token",
               body=requests.exceptions.ReadTimeout("timed out"))  # fmt: skip
        rs.add(responses.GET, MD, body="ami-id\n")
        for path, val in FACTS.items():
            rs.add(responses.GET, MD + path, body=val)
        imds = context.fetch_imds(BASE)
    assert imds.state is ImdsState.TOKEN_FAILED
    assert imds.region == "eu-west-1" and imds.version == "IMDSv1"


def test_a_dual_stack_vpcs_ipv6_block_is_one_of_its_cidrs() -> None:
    """Old code read only vpc-ipv4-cidr-blocks: a dual-stack VPC endpoint's IPv6 ENI address
    (global unicast) was 'public' and the path 'public' instead of the VPC endpoint."""
    responses = pytest.importorskip("responses")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.PUT, BASE + "/latest/api/token", body="tok")
        rs.add(responses.GET, MD, body="ami-id\n")
        for path, val in {
            **FACTS,
            "network/interfaces/macs/0e:00:00:00:00:02/vpc-ipv6-cidr-blocks": "2001:db8:1200::/56",
        }.items():
            rs.add(responses.GET, MD + path, body=val)
        imds = context.fetch_imds(BASE)
    assert imds.vpc_cidrs == ("172.31.0.0/16", "2001:db8:1200::/56")
    from stsdiag.models import AddressClass
    from stsdiag.probes.dns import classify

    assert classify("2001:db8:1200:1::70", imds.vpc_cidrs) is AddressClass.VPC_PRIVATE


def test_v1_fallback_does_not_need_the_listing() -> None:
    """A metadata stub without /latest/meta-data/ itself (404) still gives its facts."""
    responses = pytest.importorskip("responses")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.PUT, BASE + "/latest/api/token", status=404)
        rs.add(responses.GET, MD, status=404)
        for path, val in FACTS.items():
            rs.add(responses.GET, MD + path, body=val)
        imds = context.fetch_imds(BASE)
    assert imds.state is ImdsState.OK and imds.region == "eu-west-1"
