"""What botocore knows about regions, partitions and endpoint URLs.

Every URL here is computed by botocore itself (a client is built for the region and asked
for its endpoint), so stsdiag stays right when AWS adds regions or changes rules. botocore
is imported lazily: `stsdiag --help` must not pay for it.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import os
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
    """The endpoint URL botocore computes for the client `service` (a botocore client name:
    `sts`, `logs`, `elb`) in `region`: a client is built and its endpoint ruleset evaluated,
    ignoring the caller's own overrides (environment, config files). S3 in us-east-1 gets
    its regional endpoint, as STS does (`sts_regional`)."""
    import botocore.config

    s = _isolated_session(sts_regional, fips, dualstack)
    cfg = botocore.config.Config(
        use_fips_endpoint=fips,
        use_dualstack_endpoint=dualstack,
        s3={"us_east_1_regional_endpoint": "regional"} if service == "s3" else None,
    )
    client = s.create_client(
        service,
        region_name=region,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="example",
        config=cfg,
        # nothing is sent: no CA bundle, so that an empty REQUESTS_CA_BUNDLE / AWS_CA_BUNDLE,
        # which recent botocore refuses at client creation, cannot fail an endpoint's name
        verify=True,
    )
    return str(client.meta.endpoint_url)


@functools.lru_cache(maxsize=1)
def _client_names() -> tuple[frozenset[str], dict[str, str]]:
    """botocore's client names, and its names for them that differ: hyphenized service ids
    (`cloudwatch-logs` is the client `logs`) and the legacy names and endpoint prefixes
    event names once used (`monitoring` is `cloudwatch`), both from `botocore.utils`."""
    from botocore import utils

    names = frozenset(_session().get_available_services())
    overrides: dict[str, str] = getattr(utils, "CLIENT_NAME_TO_HYPHENIZED_SERVICE_ID_OVERRIDES", {})
    aliases: dict[str, str] = getattr(utils, "EVENT_ALIASES", {})
    by_id = {sid: name for name, sid in overrides.items() if name in names}
    other: dict[str, str] = dict(by_id)
    for old, sid in aliases.items():
        target = by_id.get(sid, sid)
        if target in names:
            other.setdefault(old, target)
    return names, other


def client_name(service: str) -> str | None:
    """The botocore client for a service as a log names it: a client name (`logs`), the
    hyphenized service id of botocore's event names (`cloudwatch-logs`), or a legacy name or
    endpoint prefix botocore aliases (`elasticloadbalancing`); None when botocore knows no
    such service (a host label such as a bucket name)."""
    n = service.strip().lower()
    names, other = _client_names()
    if n in names:
        return n
    return other.get(n)


@functools.lru_cache(maxsize=1)
def _sts_model() -> tuple[str, frozenset[str]]:
    """STS's API version and operation names, from botocore's service model."""
    model = _session().get_service_model("sts")
    return str(model.api_version), frozenset(model.operation_names)


def is_sts_call(operation: str, api_version: str | None) -> bool:
    """A Query-protocol call is STS's when its `Version` is STS's API version and STS has
    an operation of its name (`AssumeRoleWithWebIdentity`, `2011-06-15`)."""
    version, ops = _sts_model()
    return api_version == version and operation in ops


@functools.lru_cache(maxsize=64)
def cli_operation(command: str, subcommand: str) -> tuple[str, str] | None:
    """(client, operation) of an AWS CLI command line's service and subcommand
    (`sts get-caller-identity` → sts, GetCallerIdentity), when botocore's model of that
    service has the operation; None for the CLI's own commands (`s3 ls`, `eks get-token`)."""
    client = client_name({"s3api": "s3", "configservice": "config"}.get(command, command))
    if client is None or not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", subcommand):
        return None
    try:
        ops = _session().get_service_model(client).operation_names
    except Exception:  # (a model botocore cannot load)
        return None
    # the CLI's subcommands are botocore's operation names, hyphenated
    by_cli = {re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", op).lower(): op
              for op in ops}  # fmt: skip
    op = by_cli.get(subcommand)
    return (client, op) if op else None


_PREFIX = re.compile(rb'"endpointPrefix"\s*:\s*"([^"]+)"')


@functools.lru_cache(maxsize=256)
def endpoint_prefix(client: str) -> str | None:
    """The `endpointPrefix` of a botocore client's service model (`logs`, `monitoring`,
    `elasticloadbalancing`, `oidc`): read from the head of its `service-2.json`, where the
    metadata comes first, instead of loading the whole model (EC2's costs 20+ MB)."""
    import gzip

    from botocore.exceptions import DataNotFoundError

    loader = _session().get_component("data_loader")
    try:
        version = loader.determine_latest_version(client, "service-2")
    except DataNotFoundError:  # UnknownServiceError included
        return None
    for base in loader.search_paths:
        stem = os.path.join(base, client, version, "service-2")
        for ext, opener in ((".json", open), (".json.gz", gzip.open)):
            if os.path.isfile(stem + ext):
                with opener(stem + ext, "rb") as f:
                    m = _PREFIX.search(f.read(8192))
                if m:
                    return m.group(1).decode()
                # an unusual layout: the model's own metadata (loads the whole model)
                meta = loader.load_service_model(client, "service-2").get("metadata", {})
                prefix = meta.get("endpointPrefix")
                return str(prefix) if prefix else None
    return None


@functools.lru_cache(maxsize=1)
def _clients_by_prefix() -> dict[str, tuple[str, ...]]:
    """botocore's clients by their service models' endpoint prefixes."""
    out: dict[str, list[str]] = {}
    for name in sorted(_client_names()[0]):
        prefix = endpoint_prefix(name)
        if prefix:
            out.setdefault(prefix, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


@functools.lru_cache(maxsize=256)
def client_of_prefix(prefix: str) -> str | None:
    """The botocore client whose service model has this endpoint prefix, as a host names
    it (`oidc` is sso-oidc, `portal.sso` sso, `api.ecr` ecr); when several share it, the one
    named so, else None (`elasticloadbalancing`: elb and elbv2)."""
    names = _client_names()[0]
    if prefix in names and endpoint_prefix(prefix) == prefix:
        return prefix  # (most services)
    # a client named by it (`monitoring` is cloudwatch) or by its words (`api.ecr`: ecr),
    # before reading every model's head (slow: hundreds of files)
    words = set(re.split(r"[.-]", prefix))
    near = [c for c in (client_name(prefix),) if c] + sorted(
        c for c in names if words & set(c.split("-"))
    )
    clients = tuple(dict.fromkeys(c for c in near if endpoint_prefix(c) == prefix))
    if not clients:
        clients = _clients_by_prefix().get(prefix, ())
    return clients[0] if len(clients) == 1 else None


@functools.lru_cache(maxsize=256)
def service_endpoint(service: str, region: str) -> str | None:
    """The endpoint URL of a service named as in a log (see `client_name`) in `region`:
    botocore's endpoint resolver for the service's endpoint prefix (CloudWatch Logs is
    `logs.<region>`, not `cloudwatch-logs.<region>`; S3 in us-east-1 its regional name). For
    every service botocore knows this is the URL its endpoint ruleset gives a client (with
    regional S3; checked for every service of botocore 1.44 in five regions of four
    partitions), without loading the service model. None when botocore does not know the
    service or has no endpoint for it there."""
    name = client_name(service)
    prefix = endpoint_prefix(name) if name else None
    if prefix is None:
        return None
    ep = _endpoint_resolver().construct_endpoint(prefix, region)
    host = ep.get("hostname") if ep else None
    return f"https://{host}" if host else None


@functools.lru_cache(maxsize=1)
def _endpoint_resolver() -> Any:
    from botocore.regions import EndpointResolver

    return EndpointResolver(_session().get_data("endpoints"))


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


def legacy_goes_global(region: str) -> bool:
    """botocore's legacy STS mode sends `region` to the global endpoint (the 16 original
    regions; botocore is asked, not a list)."""
    return service_url("sts", region, sts_regional=False) == global_sts_url()


@functools.lru_cache(maxsize=1024)
def host_of(url: str) -> str:
    """The URL's host, lowercase; "" when it has none or is malformed (a log line with the
    next one glued to it: `https://sts.amazonaws.com1970-01-01 ... [DEBUG] ...`, which
    urlsplit refuses as a bracketed host)."""
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # a mangled URL ('https://sts[.amazonaws.com': "Invalid IPv6 URL")
        return ""


_REGION = r"[a-z]{2,}-[a-z0-9-]+"


@functools.lru_cache(maxsize=1)
def _sts_host_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(STS host, STS VPC-endpoint host) over every partition's DNS suffixes from botocore's
    data (amazonaws.com, amazonaws.com.cn, api.aws, amazonaws.eu, c2s.ic.gov, …)."""
    sfx = "|".join(re.escape(x) for x in dns_suffixes())
    sts = re.compile(rf"^sts(?:-fips)?\.(?:(?P<region>{_REGION})\.)?(?:{sfx})$")
    vpce = re.compile(
        rf"^(?:[a-z0-9-]+\.)*vpce-[0-9a-z-]+\.sts(?:-fips)?\.(?P<region>{_REGION})\.vpce\.(?:{sfx})$"
    )
    return sts, vpce


@functools.lru_cache(maxsize=1)
def _sts_label_pattern() -> re.Pattern[str]:
    sfx = "|".join(re.escape(x) for x in dns_suffixes())
    return re.compile(rf"^sts(?:-fips)?\.(?P<label>[a-z][a-z0-9]{{0,39}})\.(?:{sfx})$")


def sts_host_label(host: str) -> str | None:
    """The one word without a hyphen between `sts.` and an AWS DNS suffix
    (`sts.default.amazonaws.com`): botocore builds `sts.<region>.<suffix>` from whatever
    region it is given, so such a host is the word given as the region (no region has it)."""
    m = _sts_label_pattern().match(host.lower().rstrip("."))
    return m.group("label") if m else None


def region_of_sts_host(host: str) -> tuple[bool, str | None]:
    """(is an STS host, its region; None = global) for a host name."""
    h = host.lower().rstrip(".")
    sts, vpce = _sts_host_patterns()
    m = vpce.match(h) or sts.match(h)
    if m:
        return True, m.group("region")
    return False, None


@functools.lru_cache(maxsize=1)
def _suffix_partitions() -> tuple[tuple[str, str], ...]:
    """(DNS suffix, partition) from botocore's endpoint and partition data, longest first."""
    s = _session()
    out: dict[str, str] = {}
    for p in s.get_data("endpoints").get("partitions", []):
        for sfx in [p.get("dnsSuffix")] + [
            v.get("dnsSuffix") for v in p.get("defaults", {}).get("variants", [])
        ]:
            if sfx:
                out.setdefault(sfx, p.get("partition"))
    try:
        parts = s.get_data("partitions").get("partitions", [])
    except Exception:  # pragma: no cover - botocore before partitions.json
        parts = []
    for p in parts:
        o = p.get("outputs", {})
        for sfx in (o.get("dnsSuffix"), o.get("dualStackDnsSuffix")):
            if sfx and o.get("name"):
                out.setdefault(sfx, o["name"])
    return tuple(sorted(out.items(), key=lambda kv: (-len(kv[0]), kv[0])))


def partition_of_host(host: str) -> str | None:
    """The partition an AWS host belongs to: its region's, else its DNS suffix's
    (`sts.amazonaws.com` → aws, `….amazonaws.com.cn` → aws-cn); None for other hosts."""
    h = host.lower().rstrip(".")
    _, region = region_of_sts_host(h)
    region = region or region_of_host(h)
    if region:
        return partition_of(region)
    for sfx, part in _suffix_partitions():
        if h == sfx or h.endswith("." + sfx):
            return part
    return None


def region_of_host(host: str) -> str | None:
    """The region named in any AWS host (`s3.ap-northeast-1.amazonaws.com`,
    `bucket.s3-accesspoint.eu-west-1.amazonaws.com`, vpce names), if it is a known region."""
    for label in host.lower().split("."):
        if label.startswith("s3-") and is_known_region(label[3:]):
            return label[3:]
        if is_known_region(label):
            return label
    return None


@functools.lru_cache(maxsize=1)
def dns_suffixes() -> tuple[str, ...]:
    """The DNS suffixes of every partition botocore knows (amazonaws.com, api.aws,
    amazonaws.com.cn, c2s.ic.gov, …), from its endpoint and partition data; longest first."""
    return tuple(sfx for sfx, _ in _suffix_partitions())


@functools.lru_cache(maxsize=1024)
def is_aws_host(host: str) -> bool:
    """A host in one of AWS's partitions' DNS domains (not a custom endpoint such as an
    S3-compatible store, LocalStack or a proxy's name)."""
    h = host.lower().rstrip(".")
    return any(h == sfx or h.endswith("." + sfx) for sfx in dns_suffixes())


def is_loopback_host(host: str) -> bool:
    """localhost names (RFC 6761) and loopback addresses: a local emulator's endpoint."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
