"""What botocore knows about regions, partitions and endpoint URLs.

Every URL here is computed by botocore itself (a client is built for the region and asked
for its endpoint), so stsdiag stays right when AWS adds regions or changes rules. botocore
is imported lazily: `stsdiag --help` must not pay for it.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

# Regions enabled by default in every account: the regions launched before 2019-03-20
# (plus Osaka, a local region since 2018). AWS made every later region opt-in. This is a
# closed historical set, not an endpoint table: it never changes when regions are added.
_DEFAULT_ENABLED = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
        "ap-southeast-2", "ap-south-1",
    }
)  # fmt: skip

_AZ_SUFFIX = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.Session()


def botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


@functools.lru_cache(maxsize=1)
def partitions() -> tuple[str, ...]:
    return tuple(_session().get_available_partitions())


@functools.lru_cache(maxsize=16)
def regions(partition: str | None = None) -> tuple[str, ...]:
    """Regions of a partition (all partitions when None), from botocore's endpoint data."""
    data = _session().get_data("endpoints")
    out: set[str] = set()
    for p in data.get("partitions", []):
        if partition is None or p.get("partition") == partition:
            out.update(p.get("regions", {}))
    return tuple(sorted(out))


@functools.lru_cache(maxsize=1)
def _region_to_partition() -> dict[str, str]:
    return {r: p for p in partitions() for r in regions(p)}


def partition_of(region: str) -> str | None:
    """The partition of a known region; None when botocore does not know the region."""
    return _region_to_partition().get(region)


def is_known_region(region: str) -> bool:
    return region in _region_to_partition()


def region_problem(region: str) -> str | None:
    """Why `region` is not usable (unknown to botocore, with the closest guess), or None."""
    if is_known_region(region):
        return None
    guess = closest_region(region)
    return f"unknown region {region!r}" + (f"; did you mean {guess}?" if guess else "")


def is_opt_in(region: str) -> bool:
    return partition_of(region) == "aws" and region not in _DEFAULT_ENABLED


@functools.lru_cache(maxsize=256)
def closest_region(name: str) -> str | None:
    """Best guess for a mistyped region: AZ names lose their letter, then fuzzy match."""
    n = name.strip().lower()
    m = _AZ_SUFFIX.match(n)
    if m and is_known_region(m.group(1)):
        return m.group(1)
    hits = difflib.get_close_matches(n, list(_region_to_partition()), n=1, cutoff=0.6)
    return hits[0] if hits else None


@functools.lru_cache(maxsize=8)
def _isolated_session(sts_regional: bool, fips: bool, dualstack: bool) -> Any:
    import botocore.session

    s = botocore.session.Session()
    # one data loader for every session: botocore's JSON data is loaded (and held) once
    s.register_component("data_loader", _session().get_component("data_loader"))
    s.set_config_variable("sts_regional_endpoints", "regional" if sts_regional else "legacy")
    s.set_config_variable("use_fips_endpoint", fips)
    s.set_config_variable("use_dualstack_endpoint", dualstack)
    s.set_config_variable("ignore_configured_endpoint_urls", True)
    return s


@functools.lru_cache(maxsize=256)
def service_url(
    service: str,
    region: str,
    *,
    sts_regional: bool = True,
    fips: bool = False,
    dualstack: bool = False,
) -> str:
    """The endpoint URL botocore computes for `service` in `region`, ignoring the
    caller's own overrides (environment, config files)."""
    if service != "sts" and not (fips or dualstack):
        # other services (the S3 endpoint next to STS): botocore's endpoint data, without
        # loading the service model (S3's alone costs tens of MB)
        from botocore.regions import EndpointResolver

        data = _session().get_data("endpoints")
        ep = EndpointResolver(data).construct_endpoint(service, region)
        if ep and ep.get("hostname"):
            return f"https://{ep['hostname']}"
    import botocore.config

    s = _isolated_session(sts_regional, fips, dualstack)
    cfg = botocore.config.Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack)
    client = s.create_client(
        service,
        region_name=region,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="example",
        config=cfg,
    )
    return str(client.meta.endpoint_url)


def preload() -> None:
    """Load botocore's partition and endpoint data now (e.g. before forking workers, so
    that they share it instead of each loading a copy)."""
    is_known_region("us-east-1")
    sts_url("us-east-1")


def sts_url(region: str, *, fips: bool = False, dualstack: bool = False) -> str:
    return service_url("sts", region, fips=fips, dualstack=dualstack)


def global_sts_url() -> str:
    """The global endpoint, as botocore's legacy mode computes it for us-east-1."""
    return service_url("sts", "us-east-1", sts_regional=False)


@functools.lru_cache(maxsize=1024)
def host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


_STS_HOST = re.compile(
    r"^sts(?:-fips)?\.(?:(?P<region>[a-z]{2}-[a-z0-9-]+)\.)?(?:api\.aws|amazonaws\.com(?:\.cn)?|"
    r"c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$"
)
_VPCE_HOST = re.compile(
    r"^(?:[a-z0-9-]+\.)*vpce-[0-9a-z-]+\.sts(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.vpce\.amazonaws\.com(?:\.cn)?$"
)


def region_of_sts_host(host: str) -> tuple[bool, str | None]:
    """(is an STS host, its region; None = global) for a host name."""
    h = host.lower().rstrip(".")
    m = _VPCE_HOST.match(h)
    if m:
        return True, m.group("region")
    m = _STS_HOST.match(h)
    if m:
        return True, m.group("region")
    return False, None


def region_of_host(host: str) -> str | None:
    """The region named in any AWS host (`s3.ap-northeast-1.amazonaws.com`,
    `bucket.s3-accesspoint.eu-west-1.amazonaws.com`, vpce names), if it is a known region."""
    for label in host.lower().split("."):
        if label.startswith("s3-") and is_known_region(label[3:]):
            return label[3:]
        if is_known_region(label):
            return label
    return None
