"""World files: ``tests/lab/worlds/<name>.toml`` parsed into typed specs.

A world file declares what the world *is* (instance metadata, AWS config,
environment, addresses and what drops, DNS records, servers), what clients
inside it observe (``[[check]]``: the lab's own proof, run by the lab tests and
by ``python -m tests.lab check``) and what a correct stsdiag diagnosis is
(``[expect]``, finding codes/names from the findings catalogue).  The format
is documented in ``tests/lab/README.md``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


WORLDS_DIR = Path(__file__).resolve().parent / "worlds"

EXAMPLE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Session tokens: v1 tokens (global endpoint, default) start "FQoGZXIvYXdz",
# v2 tokens (regional endpoints, valid in opt-in regions) start "IQoJb3JpZ2lu".
EXAMPLE_SESSION_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE"
EXAMPLE_V1_SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLEv1GlobalEndpointSessionTokenForTheLabOnly0000"
EXAMPLE_V2_SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEv2RegionalSessionTokenForTheLabOnly00000"

IMDS_ADDRESS = "169.254.169.254"

SERVER_KINDS = {
    "sts": 443,  # moto behind TLS from "Amazon RSA 2048 M02"; optional skew / errors
    "tls-other-ca": 443,  # TLS from another CA (interception box), STS behind it
    "captive-portal": 80,  # HTTP login page (and TLS with the portal's own cert on 443)
    "slow-drip": 443,  # TLS ok, then the HTTP answer drips one byte per interval
    "connect-proxy": 3128,  # HTTP proxy: CONNECT tunnel, TLS interception, hang, dead tunnel
    "tls-stall": 443,  # accepts TCP, reads the ClientHello, never answers (DPI / MTU black hole)
    "syn-drop": 443,  # a full accept queue: SYNs dropped, connects time out (IPv6 too)
}
OUTCOMES = {
    "ok",
    "connect-timeout",
    "read-timeout",
    "refused",
    "unreachable",
    "dns-failure",
    "tls-untrusted",
    "proxy-error",
    "token-timeout",
    "answer",
    "NXDOMAIN",
    "SERVFAIL",
    "timeout",
    "open",
    "connect-failed",
}


class SpecError(ValueError):
    """A world file is malformed."""


@dataclass(frozen=True)
class DnsRule:
    name: str  # lower case, no trailing dot; "*.zone" matches any name below zone
    a: tuple[str, ...] = ()
    aaaa: tuple[str, ...] = ()
    cname: str | None = None
    rcode: str | None = None  # NXDOMAIN | SERVFAIL | REFUSED
    silent: bool = False

    @property
    def kind(self) -> str:
        if self.silent:
            return "silent"
        if self.rcode:
            return self.rcode
        if self.cname:
            return "CNAME"
        return "records"


@dataclass(frozen=True)
class Dns:
    default: str = "NXDOMAIN"  # for names no rule covers: NXDOMAIN | SERVFAIL | silent
    ttl: int = 60
    rules: tuple[DnsRule, ...] = ()

    def rule_for(self, name: str) -> DnsRule | None:
        name = name.lower().rstrip(".")
        best: DnsRule | None = None
        for rule in self.rules:
            if rule.name == name:
                return rule
            if rule.name.startswith("*."):
                zone = rule.name[2:]
                if name.endswith("." + zone) and (best is None or len(rule.name) > len(best.name)):
                    best = rule
        return best


@dataclass(frozen=True)
class Server:
    kind: str
    addresses: tuple[str, ...]
    port: int
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.kind}@{','.join(self.addresses)}:{self.port}"


@dataclass(frozen=True)
class Instance:
    """What IMDS (169.254.169.254:80) says about the instance."""

    region: str
    availability_zone: str
    availability_zone_id: str
    instance_id: str
    account_id: str
    vpc_id: str
    vpc_cidr: str
    subnet_id: str
    subnet_cidr: str
    local_ipv4: str
    mac: str
    role: str | None  # instance profile role (credentials served by IMDS)
    imds: str  # "v2" (token PUT answers) | "hop-limit" (never answers) | "v1-only" (token_status)
    imdsv1: bool  # GETs without a token answer
    token_status: int = 405  # v1-only: the token PUT's answer (403, 404 or 405: no IMDSv2)
    vpc_ipv6_cidr: str | None = None  # a dual-stack VPC's IPv6 block (IMDS vpc-ipv6-cidr-blocks)
    # where the IMDS server listens: another address means only a relay reaches it (a proxy's
    # `rewrite`); put 169.254.169.254/32 in `drop` so that direct requests time out
    imds_address: str = IMDS_ADDRESS
    # the role is listed, but EC2 cannot get its credentials: iam/security-credentials/<role>
    # answers this error Code (AssumeRoleUnauthorizedAccess: the role's trust policy does not
    # allow ec2.amazonaws.com) with its Message, and no keys
    role_error: str | None = None
    # every IMDS answer (token PUT and GETs) waits this many seconds: a slow metadata service
    # (botocore's default metadata_service_timeout is 1 s, one attempt)
    imds_delay: float = 0.0


@dataclass(frozen=True)
class AwsConfig:
    region: str | None
    sts_regional_endpoints: str | None
    credentials: str  # static | session-token-v1 | session-token-v2 | imds | none | web-identity
    profile_extra: dict[str, str]


@dataclass(frozen=True)
class Eni:
    address: str
    availability_zone: str
    state: str  # ok | drop


@dataclass(frozen=True)
class VpcEndpoint:
    id: str
    service: str
    private_dns: bool
    dns_names: tuple[str, ...]
    enis: tuple[Eni, ...]


@dataclass(frozen=True)
class Check:
    about: str
    client: str  # dns | resolve | tcp | tls | requests | boto3 | aws-cli | imds
    expect: str  # an outcome (see OUTCOMES) or "error:<Code>"
    params: dict[str, Any]
    expect_fields: dict[str, Any]


@dataclass(frozen=True)
class Network:
    resolver: str
    resolv_options: str
    search: tuple[str, ...]
    local: tuple[str, ...]  # addresses on lo with no server (ports refuse)
    drop: tuple[str, ...]  # prefixes routed via lo with no local address
    # resolver = a loopback stub (systemd-resolved's 127.0.0.53): the upstreams it lists in
    # /run/systemd/resolve/resolv.conf (the stub itself answers as the world's DNS server)
    stub_upstreams: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorldSpec:
    name: str
    description: str
    story: str
    path: Path
    instance: Instance | None
    aws: AwsConfig
    env: dict[str, str]
    network: Network
    dns: Dns
    hosts: tuple[tuple[str, tuple[str, ...]], ...]  # /etc/hosts entries: (name, addresses)
    servers: tuple[Server, ...]
    vpc_endpoints: tuple[VpcEndpoint, ...]
    checks: tuple[Check, ...]
    expect: dict[str, Any]
    raw: dict[str, Any]
    # variables the lab sets that this world removes (e.g. AWS_CA_BUNDLE: botocore's own bundle,
    # so that REQUESTS_CA_BUNDLE, which botocore reads only without it, takes effect)
    unset_env: tuple[str, ...] = ()

    @property
    def local_addresses(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        seen[self.network.resolver] = None
        if self.instance:
            seen[self.instance.imds_address] = None
            seen[self.instance.local_ipv4] = None
        for address in self.network.local:
            seen[address] = None
        for server in self.servers:
            for address in server.addresses:
                seen[address] = None
        return tuple(seen)

    def is_dropped(self, address: str) -> bool:
        if address in self.local_addresses:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(p) for p in self.network.drop)

    def servers_at(self, address: str) -> list[Server]:
        return [s for s in self.servers if address in s.addresses]

    def tls_names(self) -> list[str]:
        """Every DNS name of the world that has records (what STS certs cover)."""
        names = [
            r.name
            for r in self.dns.rules
            if not r.name.startswith("*.") and (r.a or r.aaaa or r.cname)
        ] + [name for name, _ in self.hosts]
        extra = [
            f"*.{vpce.service}.{region}.vpce.amazonaws.com"
            for vpce in self.vpc_endpoints
            for region in {
                n.split(".")[-4] for n in vpce.dns_names if n.endswith(".vpce.amazonaws.com")
            }
        ]
        out: dict[str, None] = {}
        for name in ["sts.amazonaws.com", *names, *extra]:
            out[name] = None
        return list(out)

    def describe(self) -> str:
        """A human summary of the world (printed by ``python -m tests.lab run``)."""
        lines = [f"world {self.name}: {self.description}"]
        if self.story:
            lines += ["", *("  " + line for line in self.story.strip().splitlines())]
        lines.append("")
        if self.instance:
            i = self.instance
            lines.append(
                f"  instance  {i.instance_id} in {i.availability_zone} ({i.region}), {i.vpc_id} {i.vpc_cidr},"
                f" IMDS {i.imds_address} mode={i.imds}{' +v1' if i.imdsv1 else ''}"
            )
        else:
            lines.append("  instance  none (no IMDS)")
        a = self.aws
        cfg = ", ".join(
            f"{k}={v}"
            for k, v in (("region", a.region), ("sts_regional_endpoints", a.sts_regional_endpoints))
            if v
        )
        lines.append(f"  config    [default] {cfg or '(no region)'}; credentials: {a.credentials}")
        for k, v in self.env.items():
            lines.append(f"  env       {k}={v}")
        lines.append(f"  resolver  {self.network.resolver} (options {self.network.resolv_options})")
        for rule in self.dns.rules:
            if rule.kind == "records":
                what = " ".join([*rule.a, *rule.aaaa])
            elif rule.kind == "CNAME":
                what = f"CNAME {rule.cname}"
            else:
                what = rule.kind
            lines.append(f"  dns       {rule.name:<62} {what}")
        lines.append(f"  dns       {'(anything else)':<62} {self.dns.default}")
        for name, addresses in self.hosts:
            lines.append(f"  hosts     {name:<62} {' '.join(addresses)} (/etc/hosts)")
        for server in self.servers:
            opts = " ".join(f"{k}={v}" for k, v in server.options.items())
            lines.append(
                f"  server    {server.kind:<15} {','.join(server.addresses)}:{server.port} {opts}".rstrip()
            )
        for address in self.network.local:
            lines.append(f"  refuse    {address} (address up, nothing listening)")
        for prefix in self.network.drop:
            lines.append(f"  drop      {prefix} (routed nowhere: connects time out)")
        exp = self.expect
        if exp:
            codes = ", ".join(
                f"{f['code']} {f.get('name', '')}".strip() for f in exp.get("finding", [])
            )
            lines.append(f"  expect    {codes or 'no errors or warnings'}")
            rec = exp.get("recommendation")
            if rec:
                lines.append(
                    f"  expect    recommendation {rec.get('endpoint_url')} region {rec.get('region')} via {rec.get('via')}"
                )
        return "\n".join(lines)


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where}: expected a list of strings")
    return tuple(value)


def _parse_dns(raw: dict[str, Any], where: str) -> Dns:
    default = raw.get("default", "NXDOMAIN")
    if default not in ("NXDOMAIN", "SERVFAIL", "silent"):
        raise SpecError(f"{where}: dns.default must be NXDOMAIN, SERVFAIL or silent")
    rules = []
    for name, rec in (raw.get("records") or {}).items():
        if not isinstance(rec, dict):
            raise SpecError(f"{where}: dns.records.{name} must be a table")
        unknown = set(rec) - {"A", "AAAA", "CNAME", "rcode", "silent"}
        if unknown:
            raise SpecError(f"{where}: dns.records.{name}: unknown keys {sorted(unknown)}")
        rule = DnsRule(
            name=name.lower().rstrip("."),
            a=_str_tuple(rec.get("A"), f"{where}: {name}.A"),
            aaaa=_str_tuple(rec.get("AAAA"), f"{where}: {name}.AAAA"),
            cname=rec.get("CNAME"),
            rcode=rec.get("rcode"),
            silent=bool(rec.get("silent", False)),
        )
        if rule.rcode not in (None, "NXDOMAIN", "SERVFAIL", "REFUSED"):
            raise SpecError(f"{where}: {name}: rcode must be NXDOMAIN, SERVFAIL or REFUSED")
        for address in rule.a:
            if ipaddress.ip_address(address).version != 4:
                raise SpecError(f"{where}: {name}: A {address} is not IPv4")
        for address in rule.aaaa:
            if ipaddress.ip_address(address).version != 6:
                raise SpecError(f"{where}: {name}: AAAA {address} is not IPv6")
        rules.append(rule)
    return Dns(default=default, ttl=int(raw.get("ttl", 60)), rules=tuple(rules))


def _parse_hosts(raw: dict[str, Any], where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`[hosts]`: name = [addresses], written to the world's /etc/hosts."""
    out = []
    for name, addresses in raw.items():
        addrs = _str_tuple(addresses, f"{where}: hosts.{name}")
        for address in addrs:
            ipaddress.ip_address(address)
        out.append((name.lower().rstrip("."), addrs))
    return tuple(out)


def _parse_instance(raw: dict[str, Any] | None, where: str) -> Instance | None:
    if not raw:
        return None
    try:
        region = raw["region"]
        az = raw.get("availability_zone", region + "a")
        return Instance(
            region=region,
            availability_zone=az,
            availability_zone_id=raw.get("availability_zone_id", ""),
            instance_id=raw.get("instance_id", "i-0a1b2c3d4e5f60001"),
            account_id=str(raw.get("account_id", "123456789012")),
            vpc_id=raw.get("vpc_id", "vpc-0a1b2c3d4e5f60001"),
            vpc_cidr=raw.get("vpc_cidr", "10.0.0.0/16"),
            subnet_id=raw.get("subnet_id", "subnet-0a1b2c3d4e5f60001"),
            subnet_cidr=raw.get("subnet_cidr", "10.0.1.0/24"),
            local_ipv4=raw.get("local_ipv4", "10.0.1.25"),
            mac=raw.get("mac", "06:1a:2b:3c:4d:5e"),
            role=raw.get("role"),
            imds=raw.get("imds", "v2"),
            imdsv1=bool(raw.get("imdsv1", True)),
            token_status=int(raw.get("token_status", 405)),
            vpc_ipv6_cidr=raw.get("vpc_ipv6_cidr"),
            imds_address=raw.get("imds_address", IMDS_ADDRESS),
            role_error=raw.get("role_error"),
            imds_delay=float(raw.get("imds_delay", 0.0)),
        )
    except KeyError as exc:
        raise SpecError(f"{where}: instance.{exc.args[0]} is required") from None


def _parse_check(raw: dict[str, Any], where: str) -> Check:
    client = raw.get("client")
    if client not in ("dns", "resolve", "tcp", "tls", "requests", "boto3", "aws-cli", "imds"):
        raise SpecError(f"{where}: check.client {client!r} unknown")
    expect = raw.get("expect")
    if not isinstance(expect, str) or not (expect in OUTCOMES or expect.startswith("error:")):
        raise SpecError(f"{where}: check.expect {expect!r} unknown")
    if client != "aws-cli" and ("env" in raw or "unset_env" in raw):
        # the other clients run as threads of one process: a per-check environment would be
        # silently ignored (the check then proves nothing)
        raise SpecError(f"{where}: check.env / unset_env work with client 'aws-cli' only")
    params = {
        k: v
        for k, v in raw.items()
        if k not in ("about", "client", "expect") and not k.startswith("expect_")
    }
    fields = {k[len("expect_") :]: v for k, v in raw.items() if k.startswith("expect_")}
    return Check(
        about=raw.get("about", ""),
        client=client,
        expect=expect,
        params=params,
        expect_fields=fields,
    )


def load_spec(name_or_path: str | Path) -> WorldSpec:
    path = Path(name_or_path)
    if not path.suffix:
        path = WORLDS_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise SpecError(f"no world {name_or_path!r} (worlds: {', '.join(world_names())})")
    where = path.name
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    name = raw.get("name", path.stem)
    if name != path.stem:
        raise SpecError(f"{where}: name {name!r} differs from the file name")
    aws_raw = dict(raw.get("aws_config") or {})
    aws = AwsConfig(
        region=aws_raw.pop("region", None) or None,
        sts_regional_endpoints=aws_raw.pop("sts_regional_endpoints", None),
        credentials=aws_raw.pop("credentials", "static"),
        profile_extra={k: str(v) for k, v in aws_raw.items()},
    )
    if aws.credentials not in (
        "static",
        "session-token-v1",
        "session-token-v2",
        "imds",
        "none",
        "web-identity",
    ):
        raise SpecError(f"{where}: aws_config.credentials {aws.credentials!r} unknown")
    net_raw = raw.get("network") or {}
    network = Network(
        resolver=net_raw.get("resolver", "10.0.0.2"),
        resolv_options=net_raw.get("resolv_options", "timeout:1 attempts:1"),
        search=_str_tuple(net_raw.get("search"), f"{where}: network.search"),
        local=_str_tuple(net_raw.get("local"), f"{where}: network.local"),
        drop=_str_tuple(net_raw.get("drop"), f"{where}: network.drop"),
        stub_upstreams=_str_tuple(
            net_raw.get("stub_upstreams"), f"{where}: network.stub_upstreams"
        ),
    )
    servers = []
    for srv in raw.get("server") or []:
        srv = dict(srv)
        kind = srv.pop("kind", None)
        if kind not in SERVER_KINDS:
            raise SpecError(f"{where}: server kind {kind!r} unknown ({', '.join(SERVER_KINDS)})")
        addresses = _str_tuple(srv.pop("addresses", None), f"{where}: server.addresses")
        if not addresses:
            raise SpecError(f"{where}: server {kind} has no addresses")
        port = int(srv.pop("port", SERVER_KINDS[kind]))
        servers.append(Server(kind=kind, addresses=addresses, port=port, options=srv))
    vpces = []
    for v in raw.get("vpc_endpoint") or []:
        vpces.append(
            VpcEndpoint(
                id=v["id"],
                service=v.get("service", "sts"),
                private_dns=bool(v.get("private_dns", True)),
                dns_names=_str_tuple(v.get("dns_names"), f"{where}: vpc_endpoint.dns_names"),
                enis=tuple(
                    Eni(
                        address=e["address"],
                        availability_zone=e["availability_zone"],
                        state=e.get("state", "ok"),
                    )
                    for e in v.get("eni", [])
                ),
            )
        )
    spec = WorldSpec(
        name=name,
        description=raw.get("description", ""),
        story=raw.get("story", ""),
        path=path,
        instance=_parse_instance(raw.get("instance"), where),
        aws=aws,
        env={k: str(v) for k, v in (raw.get("env") or {}).items()},
        network=network,
        dns=_parse_dns(raw.get("dns") or {}, where),
        hosts=_parse_hosts(raw.get("hosts") or {}, where),
        servers=tuple(servers),
        vpc_endpoints=tuple(vpces),
        checks=tuple(_parse_check(c, where) for c in raw.get("check") or []),
        expect=raw.get("expect") or {},
        raw=raw,
        unset_env=_str_tuple(raw.get("unset_env"), f"{where}: unset_env"),
    )
    validate(spec)
    return spec


def validate(spec: WorldSpec) -> None:
    """Cross-checks: every address a name resolves to has declared behaviour."""
    where = spec.path.name
    for prefix in spec.network.drop:
        ipaddress.ip_network(prefix)
    for address in spec.local_addresses:
        ip = ipaddress.ip_address(address)
        stub = address == spec.network.resolver and spec.network.stub_upstreams
        if ip.version == 4 and ip.is_loopback and not stub:
            raise SpecError(f"{where}: {address} is loopback; use a world address")
    for rule in spec.dns.rules:
        for address in (*rule.a, *rule.aaaa):
            if address not in spec.local_addresses and not spec.is_dropped(address):
                raise SpecError(
                    f"{where}: {rule.name} -> {address}: neither served, refusing (network.local) nor dropped"
                )
    for name, addresses in spec.hosts:
        for address in addresses:
            if address not in spec.local_addresses and not spec.is_dropped(address):
                raise SpecError(
                    f"{where}: hosts {name} -> {address}: neither served, refusing (network.local) nor dropped"
                )
    for vpce in spec.vpc_endpoints:
        for eni in vpce.enis:
            dropped = spec.is_dropped(eni.address)
            if (eni.state == "drop") != dropped:
                raise SpecError(
                    f"{where}: ENI {eni.address} state {eni.state} but dropped={dropped}"
                )
    if spec.instance and spec.instance.imds not in ("v2", "hop-limit", "v1-only"):
        raise SpecError(f"{where}: instance.imds must be v2, hop-limit or v1-only")
    for f in spec.expect.get("finding", []):
        if "code" not in f:
            raise SpecError(f"{where}: expect.finding without code")


def world_names() -> list[str]:
    return sorted(p.stem for p in WORLDS_DIR.glob("*.toml"))
