"""A recommendation of the global endpoint must make botocore sign for us-east-1, the only
scope the global endpoint takes: checked by building the recommended client with botocore
and catching its signed request before it is sent (no network)."""

from __future__ import annotations

import botocore.awsrequest
import botocore.session
import pytest

from stsdiag import endpoints
from stsdiag.recommend import settings_for

GLOBAL = "https://sts.amazonaws.com"


def signed(region: str, mode: str, endpoint_url: str | None) -> tuple[str, str]:
    """(URL, signing region) of botocore's GetCallerIdentity with these settings."""
    s = botocore.session.Session()
    s.set_config_variable("sts_regional_endpoints", mode)
    c = s.create_client(
        "sts",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    seen: dict[str, str] = {}

    def catch(request: botocore.awsrequest.AWSPreparedRequest, **_: object) -> object:
        seen["url"] = request.url
        seen["scope"] = request.headers["Authorization"].decode().split("/")[2]
        return botocore.awsrequest.AWSResponse(request.url, 500, {}, None)

    c.meta.events.register("before-send.sts.*", catch)
    with pytest.raises(Exception):  # noqa: B017 (the caught request is the point)
        c.get_caller_identity()
    return seen["url"], seen["scope"]


def applied(rec_settings: tuple[str, ...]) -> tuple[str, str | None]:
    env = dict(x.removeprefix("export ").split("=", 1) for x in rec_settings)
    return env["AWS_STS_REGIONAL_ENDPOINTS"], env.get("AWS_ENDPOINT_URL_STS")


def test_global_endpoint_for_a_legacy_region_goes_through_legacy_mode() -> None:
    rec = settings_for("eu-west-1", GLOBAL, None, ())
    mode, url = applied(rec.settings)
    assert (mode, url) == ("legacy", None)
    assert "sts_regional_endpoints = legacy" in (rec.config_snippet or "")
    assert signed("eu-west-1", mode, url) == (f"{GLOBAL}/", "us-east-1")
    # what the old settings did: the override is signed for eu-west-1, which the endpoint refuses
    assert signed("eu-west-1", "regional", GLOBAL)[1] == "eu-west-1"


def test_global_endpoint_for_another_region_says_to_sign_for_us_east_1() -> None:
    region = next(
        r
        for r in endpoints.regions("aws")
        if endpoints.service_url("sts", r, sts_regional=False) != endpoints.global_sts_url()
    )
    rec = settings_for(region, GLOBAL, None, ())
    assert applied(rec.settings) == ("regional", GLOBAL)
    assert rec.cli is not None and "--region us-east-1 --endpoint-url" in rec.cli
    assert "signed for us-east-1" in rec.note
    assert signed("us-east-1", "regional", GLOBAL) == (f"{GLOBAL}/", "us-east-1")


def test_regional_endpoint_is_unchanged() -> None:
    url = endpoints.sts_url("eu-west-1")
    rec = settings_for("eu-west-1", url, None, ())
    assert applied(rec.settings) == ("regional", None)
    assert signed("eu-west-1", "regional", None) == (f"{url.rstrip('/')}/", "eu-west-1")
