"""What this host and its configuration say, each value with its source.

Values come from botocore's own config chain (`session_var_map` names the environment
variable and config key behind each setting), the endpoint the SDK would use is asked from
botocore itself (a client is built with placeholder keys and its first request is stopped in
`before-send`), IMDSv2 is asked with a hard total budget, and credentials are resolved by
botocore's provider chain in the background (only the provider's name and a masked key id
are kept). This module reads the process environment and files: it is an edge.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stsdiag.errors import UsageError
from stsdiag.models import HostContext, Setting
from stsdiag.probes import proxy_label
from stsdiag.redact import mask_key_id, redact

IMDS_DEFAULT = "http://169.254.169.254"
IMDS_DEFAULT_V6 = "http://[fd00:ec2::254]"
# botocore's ContainerProvider: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on the ECS
# agent's credential endpoint (it wins over AWS_CONTAINER_CREDENTIALS_FULL_URI)
CONTAINER_CREDENTIALS_HOST = "169.254.170.2"
AMAZON_RESOLVERS = ("169.254.169.253", "fd00:ec2::253")
IMDS_BUDGET_S = 1.0
SLOW_IMDS_WAIT_S = 4.0  # how long a connected but silent IMDS is given to show it is only slow
BOTOCORE_IMDS_TIMEOUT_S = 1.0  # botocore's metadata_service_timeout default (one attempt)


class ImdsState(str, Enum):
    OK = "ok"
    DISABLED = "disabled"
    UNREACHABLE = "unreachable"
    # the IMDSv1 GET answers but the IMDSv2 token PUT does not: hop limit 1 in a container
    TOKEN_FAILED = "token-failed"


@dataclass(frozen=True, slots=True)
class Imds:
    state: ImdsState
    endpoint: str
    ms: float | None = None
    region: str | None = None
    az: str | None = None
    instance_id: str | None = None
    vpc_id: str | None = None
    vpc_cidrs: tuple[str, ...] = ()
    detail: str = ""
    endpoint_source: str = "default"
    version: str = (
        "IMDSv2"  # what answered the facts: IMDSv2, or IMDSv1 (no token, as botocore falls back)
    )
    proxy: str = ""  # the proxy botocore's IMDS client goes through ("proxy HOST:PORT"), if any
    direct_ok: bool | None = None  # with a proxy: does IMDS answer without it (None: not asked)
    # iam/security-credentials/ (the listing only, never the keys): the instance role's name;
    # role_status is that GET's HTTP status (404: no instance profile attached; None: no answer)
    role: str | None = None
    role_status: int | None = None
    # asked only when botocore found no credentials and a role is listed: the role document's
    # error ("AssumeRoleUnauthorizedAccess: EC2 cannot assume the role ..."); never its keys
    role_error: str = ""
    # unreachable, yet TCP to IMDS connected: something listens but did not answer in the
    # budget; slow_ms is when a token PUT given longer then answered (a slow metadata service)
    connected: bool = False
    slow_ms: float | None = None


@dataclass(frozen=True, slots=True)
class SdkEndpoint:
    """What botocore itself would do for `sts.get_caller_identity()` right now."""

    url: str | None
    client_region: str | None = None
    signing_region: str | None = None
    error: str = ""


class CredState(str, Enum):
    FOUND = "found"
    NONE = "none"
    ERROR = "error"
    PENDING = "pending"  # the provider chain did not finish in time


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    state: CredState
    method: str | None = None
    access_key: str | None = None  # masked
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    settings: tuple[Setting, ...]
    region: str | None
    region_source: str
    profile: str | None
    sts_regional_endpoints: str
    endpoint_override: str | None
    endpoint_override_source: str
    use_fips: bool
    use_dualstack: bool
    https_proxy: str | None
    http_proxy: str | None
    no_proxy: str | None
    ca_bundle: str  # the file the SDK verifies against
    ca_bundle_source: str
    aws_region_env: str | None
    aws_default_region_env: str | None
    profile_region: str | None
    web_identity_role_arn: str | None
    web_identity_token_file: str | None
    sdk: SdkEndpoint
    imds: Imds
    resolvers: tuple[str, ...]
    botocore_version: str
    looks_like_ec2: bool = False
    notes: tuple[str, ...] = ()
    # glibc's stub resolver: (timeout s, attempts) from resolv.conf `options` / RES_OPTIONS
    resolver_timing: tuple[float, int] = (5.0, 2)
    # the upstream servers of a local stub resolver (systemd-resolved's 127.0.0.53)
    resolver_upstreams: tuple[str, ...] = ()
    # retry_mode and max_attempts as botocore's chain gives them; None: not configured (then
    # each SDK has its own default: see rules.probe.sdk_wait)
    retry_mode: str | None = None
    max_attempts: int | None = None
    # the SDK's connect timeout (s) and where it comes from ('by default': botocore's 60 s)
    connect_timeout: tuple[float, str] = (60.0, "by default")
    # the container credential endpoint botocore's ContainerProvider asks (ECS task role, EKS
    # Pod Identity), its id masked, and the variable that names it; None: not configured
    container_credentials: str | None = None
    container_credentials_source: str = "unset"

    def resolver_verdicts(self) -> tuple[tuple[str, bool | None, str], ...]:
        """(resolver, is it the Amazon VPC resolver (None: cannot tell), how it was judged).
        A loopback resolver is a local forwarder: it is judged by its upstreams when known."""
        out: list[tuple[str, bool | None, str]] = []
        v4_known = any(":" not in c for c in self.imds.vpc_cidrs)
        for r in self.resolvers:
            if not _is_loopback(r):
                amazon = is_amazon_resolver(r, self.imds.vpc_cidrs)
                if amazon or v4_known or ":" in r:
                    out.append((r, amazon, ""))
                else:  # VPC+2 cannot be checked: IMDS did not give the VPC's CIDR
                    out.append((r, None, "not judged: IMDS did not give the VPC's CIDR"))
            elif self.resolver_upstreams:
                ups = " ".join(self.resolver_upstreams)
                amazon = any(
                    is_amazon_resolver(u, self.imds.vpc_cidrs) for u in self.resolver_upstreams
                )
                out.append(
                    (r, amazon, f"a local stub forwarding to {ups} ({SYSTEMD_RESOLVED_CONF})")
                )
            else:
                out.append((r, None, "a local forwarder whose upstream is not known"))
        return tuple(out)

    def setting(self, name: str) -> Setting | None:
        for s in self.settings:
            if s.name == name:
                return s
        return None

    def host_context(self, creds: CredentialInfo | None = None) -> HostContext:
        settings = list(self.settings)
        if creds is not None:
            value = creds.method if creds.state is CredState.FOUND else None
            src = f"botocore credential chain ({creds.state.value})"
            if creds.access_key:
                src += f", key {creds.access_key}"
            if creds.detail:
                src += f": {creds.detail}"
            settings.append(Setting("credentials", value, src))
        i = self.imds
        via = f" via {i.proxy} (HTTP_PROXY, as botocore's IMDS client)" if i.proxy else ""
        imds = [Setting("imds", i.state.value, f"{i.endpoint} ({i.endpoint_source}){via}")]
        for name, val in (("instance_region", i.region), ("availability_zone", i.az),
                          ("instance_id", i.instance_id), ("vpc_id", i.vpc_id)):  # fmt: skip
            if val:
                imds.append(Setting(name, val, i.version))
        if i.vpc_cidrs:
            imds.append(Setting("vpc_cidrs", " ".join(i.vpc_cidrs), i.version))
        if i.role:
            imds.append(
                Setting(
                    "instance_role",
                    i.role,
                    i.version + (f"; {i.role_error}" if i.role_error else ""),
                )
            )
        elif i.role_status == 404:
            imds.append(Setting("instance_role", "none attached",
                                f"{i.version}: {ROLE_PATH} HTTP 404"))  # fmt: skip
        if i.detail:
            imds.append(Setting("imds_detail", i.detail, "stsdiag"))
        if i.slow_ms is not None:
            imds.append(Setting("imds_answer", f"after {i.slow_ms / 1000:.1f} s",
                                f"stsdiag: a token PUT given {SLOW_IMDS_WAIT_S:g} s"))  # fmt: skip
        notes = list(self.notes)
        for r, amazon, how in self.resolver_verdicts():
            via = f" ({how})" if how else ""
            if amazon:
                notes.append(f"resolver {r} is {how}: the Amazon VPC resolver" if how
                             else f"resolver {r} is the Amazon VPC resolver")  # fmt: skip
            elif amazon is None:
                notes.append(
                    f"resolver {r}: {how}"
                    if how.startswith("not judged")
                    else f"resolver {r} is {how}"
                )
            elif i.state is ImdsState.OK:
                notes.append(
                    f"resolver {r}{via} is not the Amazon VPC resolver (VPC+2, 169.254.169.253)"
                )
        return HostContext(
            settings=tuple(settings),
            botocore_version=self.botocore_version,
            sdk_endpoint=self.sdk.url,
            imds=tuple(imds),
            resolvers=self.resolvers,
            notes=tuple(notes),
        )


@dataclass(frozen=True, slots=True)
class Overrides:
    """Command-line values that take part in the config chain (like `aws --region`)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    ca_bundle: str | None = None
    imds_budget_s: float = IMDS_BUDGET_S
    timeout: float = 3.0


# --------------------------------------------------------------------------- botocore session


def bare_session(ov: Overrides) -> Any:
    """A botocore session with the caller's profile and overrides, and no client config of
    stsdiag's: its clients are configured as the SDK's would be."""
    import botocore.session

    s = botocore.session.Session(profile=ov.profile)
    if ov.region:
        s.set_config_variable("region", ov.region)
    if ov.ca_bundle:
        s.set_config_variable("ca_bundle", ov.ca_bundle)
    return s


def placeholder_sts_client(session: Any, **kw: Any) -> Any:
    """An STS client of `session` with AWS's documented example key id and a placeholder
    secret: to ask botocore what it would do, never to send a signed request anywhere."""
    return session.create_client(
        "sts",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="placeholder-not-a-secret",
        **kw,
    )


def sdk_client_config(ov: Overrides) -> tuple[float | None, str | None]:
    """(connect timeout, retry mode) of an STS client botocore builds with the caller's
    configuration, defaults_mode included (sdk-default-configuration.json: standard sets
    3.1 s). Nothing is sent; a configuration botocore refuses gives (None, None)."""
    try:
        client = placeholder_sts_client(bare_session(ov))
    except Exception:  # botocore refuses the configuration: sdk_endpoint reports it
        return None, None
    cfg = client.meta.config
    timeout = cfg.connect_timeout
    mode = (cfg.retries or {}).get("mode")
    return (float(timeout) if isinstance(timeout, int | float) else None), mode


def make_session(ov: Overrides) -> Any:
    """A botocore session with the caller's profile and overrides, and bounded timeouts for
    every client it creates (including credential providers' own STS clients)."""
    import botocore.config
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    s = bare_session(ov)
    s.set_default_client_config(
        botocore.config.Config(
            connect_timeout=ov.timeout,
            read_timeout=ov.timeout,
            retries={"total_max_attempts": 1},
        )
    )
    try:
        s.get_scoped_config()
    except ProfileNotFound as e:
        raise UsageError(
            f"profile {e.kwargs.get('profile')!r} is not in the AWS config files"
        ) from None
    return s


def _env_source(env: Mapping[str, str], names: object) -> tuple[str, str] | None:
    seq = (
        [names]
        if isinstance(names, str)
        else list(names)
        if isinstance(names, list | tuple)
        else []
    )
    for n in seq:
        if env.get(n):
            return n, env[n]
    return None


def _setting(
    session: Any,
    name: str,
    env: Mapping[str, str],
    flag: tuple[str, str | None] | None = None,
    label: str | None = None,
) -> Setting:
    """One config value with its source, walking botocore's own order: instance variable
    (our command-line flag), environment, config file, default."""
    label = label or name
    if flag and flag[1] is not None:
        return Setting(label, str(flag[1]), flag[0])
    cfg_key, env_names, default, _conv = session.session_var_map.get(name, (None, None, None, None))
    hit = _env_source(env, env_names)
    if hit:
        return Setting(label, hit[1], f"env {hit[0]}")
    if cfg_key:
        scoped = session.get_scoped_config()
        if scoped.get(cfg_key) is not None:
            return Setting(label, str(scoped[cfg_key]), f"config file {_profile_label(session)}")
    if default is not None:
        return Setting(label, str(default), "botocore default")
    return Setting(label, None, "unset")


def _blank_ca_variable(env: Mapping[str, str], ca: Setting) -> str | None:
    """The CA bundle variable that is set but blank, as botocore reads it: AWS_CA_BUNDLE
    (before the config file's ca_bundle), else REQUESTS_CA_BUNDLE when nothing else names a
    bundle. botocore then refuses to create any client ('Invalid CA bundle')."""
    if ca.source.startswith("--"):
        return None
    if "AWS_CA_BUNDLE" in env and not env["AWS_CA_BUNDLE"].strip():
        return "AWS_CA_BUNDLE"
    if ca.value is None and "REQUESTS_CA_BUNDLE" in env and not env["REQUESTS_CA_BUNDLE"].strip():
        return "REQUESTS_CA_BUNDLE"
    return None


def _profile_label(session: Any) -> str:
    path = os.path.expanduser(str(session.get_config_variable("config_file")))
    prof = session.profile or "default"
    return f"{path} [{'default' if prof == 'default' else 'profile ' + prof}]"


def _proxy_var(env: Mapping[str, str], scheme: str) -> str | None:
    """`<scheme>_proxy` as botocore reads it (`urllib.request.getproxies_environment`): the
    lower-case variable wins over the upper-case one, and an empty one unsets it."""
    lower = f"{scheme}_proxy"
    if lower in env:
        return env[lower] or None
    return env.get(lower.upper()) or None


def _defaults_mode_set(defaults_mode: Setting, configured: list[Setting]) -> bool:
    """defaults_mode (botocore >= 1.23) configured to something other than legacy: it sets
    the retry mode and the connect timeout of every client (sdk-default-configuration.json)."""
    return defaults_mode in configured and (defaults_mode.value or "").lower() != "legacy"


def _retry_config(
    ov: Overrides, retry_mode: Setting, defaults_mode: Setting, configured: list[Setting]
) -> tuple[str | None, tuple[float, str]]:
    """The retry mode when the chain says which (retry_mode, or a defaults_mode that implies
    one; None: each SDK's own default applies), and (seconds, where from) of the connect
    timeout: botocore's 60 s unless a defaults_mode sets another. With a defaults_mode, the
    client botocore builds says which."""
    mode = retry_mode.value.lower() if retry_mode in configured and retry_mode.value else None
    if not _defaults_mode_set(defaults_mode, configured):
        return mode, (60.0, "by default")
    timeout, client_mode = sdk_client_config(ov)
    connect = (timeout, f"defaults_mode {defaults_mode.value}") if timeout else (60.0, "by default")
    return mode or client_mode, connect


def _int(v: str | None) -> int | None:
    """A configured count as botocore takes it (int()), None when it is not one."""
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def _bool(v: str | None) -> bool:
    return (v or "").strip().lower() == "true"


def _endpoint_override(
    session: Any, env: Mapping[str, str], flag: str | None
) -> tuple[str | None, str, list[Setting]]:
    """The endpoint URL override the SDK applies to STS, with every source found."""
    found: list[Setting] = []
    if flag:
        found.append(Setting("endpoint_url", flag, "--endpoint-url"))
    ignore = _bool(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) or _bool(
        str(session.get_scoped_config().get("ignore_configured_endpoint_urls", ""))
    )
    for var in ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"):
        if env.get(var):
            found.append(Setting("endpoint_url", env[var], f"env {var}"))
    scoped = session.get_scoped_config()
    svc_name = scoped.get("services")
    if svc_name:
        sect = session.full_config.get("services", {}).get(svc_name, {}).get("sts", {})
        if isinstance(sect, dict) and sect.get("endpoint_url"):
            found.append(
                Setting(
                    "endpoint_url",
                    str(sect["endpoint_url"]),
                    f"config file [services {svc_name}] sts",
                )
            )
    if scoped.get("endpoint_url"):
        found.append(
            Setting(
                "endpoint_url",
                str(scoped["endpoint_url"]),
                f"config file {_profile_label(session)}",
            )
        )
    if ignore:
        found = [s for s in found if s.source == "--endpoint-url"]
    if not found:
        return None, "unset", [Setting("endpoint_url", None, "unset")]
    return found[0].value, found[0].source, found


_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/")


def sdk_endpoint(session: Any, endpoint_url: str | None) -> SdkEndpoint:
    """Ask botocore which URL and signing region `sts.get_caller_identity()` would use now.

    A client is built with placeholder keys and the request is stopped in `before-send`,
    after endpoint resolution and signing: nothing leaves the host."""
    import botocore.config

    class _Stop(Exception):
        pass

    seen: dict[str, str] = {}

    def _capture(request: Any, **_: Any) -> None:
        seen["url"] = str(request.url)
        auth = request.headers.get("Authorization", b"")
        text = auth.decode("ascii", "replace") if isinstance(auth, bytes) else str(auth)
        m = _SCOPE.search(text)
        if m:
            seen["signing_region"] = m.group(1)
        raise _Stop

    try:
        client = placeholder_sts_client(
            session,
            endpoint_url=endpoint_url,
            config=botocore.config.Config(retries={"total_max_attempts": 1}),
        )
        client.meta.events.register("before-send.sts.GetCallerIdentity", _capture)
        with contextlib.suppress(_Stop):
            client.get_caller_identity()
        url = seen.get("url", str(client.meta.endpoint_url))
        return SdkEndpoint(
            url=url.rstrip("/") if url.endswith("/") and url.count("/") == 3 else url,
            client_region=client.meta.region_name,
            signing_region=seen.get("signing_region"),
        )
    except Exception as e:  # botocore refuses the configuration: that is a fact to report
        return SdkEndpoint(url=None, error=f"{type(e).__name__}: {redact(str(e))}")


def default_ca_bundle() -> str:
    from botocore.httpsession import get_cert_path

    return str(get_cert_path(True))


# --------------------------------------------------------------------------- IMDS


def imds_endpoint(session: Any, env: Mapping[str, str]) -> tuple[str, str]:
    s = _setting(session, "ec2_metadata_service_endpoint", env)
    if s.value:
        return s.value.rstrip("/"), s.source
    mode = _setting(session, "ec2_metadata_service_endpoint_mode", env)
    if (mode.value or "").lower() == "ipv6":
        return IMDS_DEFAULT_V6, mode.source
    return IMDS_DEFAULT, "default"


def imds_proxy(url: str, env: Mapping[str, str]) -> str | None:
    """The proxy botocore's IMDS client goes through. `IMDSFetcher` builds its HTTP session
    with `proxies=get_environ_proxies(base_url)`: urllib's `getproxies()` unless
    `proxy_bypass()` (NO_PROXY) covers the host; urllib3 then takes the proxy of the URL's
    scheme -- for http://169.254.169.254, HTTP_PROXY."""
    from stsdiag.plan import scheme_proxy

    parts = urlsplit(url)
    return scheme_proxy(
        parts.scheme or "http",
        parts.netloc,
        _proxy_var(env, "https"),
        _proxy_var(env, "http"),
        _proxy_var(env, "no"),
    )


ROLE_PATH = "iam/security-credentials/"


def fetch_imds(
    endpoint: str,
    *,
    budget_s: float = IMDS_BUDGET_S,
    endpoint_source: str = "default",
    session_factory: Callable[[], Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    proxy: str | None = None,
) -> Imds:
    """IMDSv2 facts, all within `budget_s` seconds in total (off EC2 it gives up in time).

    The token PUT and an IMDSv1 GET go out together: when only the GET answers, the PUT's
    response was dropped on the way back (a hop limit of 1 seen from a container). As
    botocore does, a PUT refused with 403/404/405 (no IMDSv2) or unanswered falls back to
    IMDSv1: the facts then come from token-less GETs (`version` says which)."""
    import requests

    start = clock()
    deadline = start + budget_s

    def left() -> float:
        return max(0.01, deadline - clock())

    def new_session() -> Any:
        if session_factory is not None:
            return session_factory()
        s = requests.Session()
        s.trust_env = False
        if proxy:  # the proxy botocore's IMDS client uses (`imds_proxy`), else none
            s.proxies = {"http": proxy, "https": proxy}
        return s

    statuses: dict[tuple[str, bool], int] = {}  # (path, with a token): HTTP status

    def md(path: str, token: str | None) -> str | None:
        if deadline - clock() <= 0:
            return None
        try:
            r = new_session().get(
                endpoint + "/latest/meta-data/" + path,
                headers={"X-aws-ec2-metadata-token": token} if token is not None else {},
                timeout=(left(), left()),
            )
        except Exception:
            return None
        if isinstance(r.status_code, int):
            statuses[(path, token is not None)] = r.status_code
        return str(r.text).strip() if r.status_code == 200 and r.text else None

    def many(*paths: str, token: str | None) -> list[str | None]:
        """GETs in parallel (two round trips in all instead of six)."""
        got: dict[str, str | None] = {}
        workers = [
            threading.Thread(target=lambda p=p: got.__setitem__(p, md(p, token)), daemon=True)
            for p in paths
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(left())
        return [got.get(p) for p in paths]

    # the role listing answers 404 on an instance without an instance profile: botocore's
    # instance-role provider then finds no credentials
    first = ("placement/region", "placement/availability-zone", "instance-id", "mac", ROLE_PATH)
    outcome: dict[str, object] = {}
    v1: dict[str, str | None] = {}

    def put() -> None:
        try:
            r = new_session().put(
                endpoint + "/latest/api/token",
                headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
                timeout=(budget_s, budget_s),
            )
            outcome["put"] = r
        except Exception as e:
            outcome["put_error"] = e

    def get() -> None:
        try:
            r = new_session().get(endpoint + "/latest/meta-data/", timeout=(budget_s, budget_s))
        except Exception as e:
            outcome["get_error"] = e
            return
        outcome["get"] = r
        if getattr(r, "status_code", 0) not in (401, 403):
            # IMDSv1 answers (a stub may lack the listing itself: 404): what botocore reads when
            # it gets no token (it falls back to v1)
            v1.update(zip(first, many(*first, token=None), strict=True))

    def tcp() -> None:  # does anything accept on IMDS's port (a slow service vs. nothing)?
        u = urlsplit(endpoint)
        if proxy or session_factory is not None or not u.hostname:
            return
        with contextlib.suppress(OSError, ValueError):
            socket.create_connection((u.hostname, u.port or 80), timeout=budget_s).close()
            outcome["connected"] = True

    threads = [threading.Thread(target=put, daemon=True), threading.Thread(target=get, daemon=True),
               threading.Thread(target=tcp, daemon=True)]  # fmt: skip
    for t in threads:
        t.start()
    threads[0].join(left())
    put_resp = outcome.get("put")
    token: str | None = None
    put_status = int(getattr(put_resp, "status_code", 0) or 0)
    if put_resp is None or put_status != 200:
        threads[1].join(left())
        ms = (clock() - start) * 1000
        got = outcome.get("get")
        get_status = getattr(got, "status_code", "?")
        why = _imds_error_text(outcome.get("put_error"), put_resp)
        region_v1, az_v1 = v1.get("placement/region"), v1.get("placement/availability-zone")
        if region_v1 is None and az_v1 and az_v1[-1:].isalpha():
            region_v1 = az_v1[:-1]
        if got is not None and put_resp is None:
            return Imds(ImdsState.TOKEN_FAILED, endpoint, ms, region_v1, az_v1, v1.get("instance-id"),
                        detail=f"token PUT: {why}; GET answered HTTP {get_status}",
                        endpoint_source=endpoint_source, version="IMDSv1")  # fmt: skip
        if put_status not in (403, 404, 405) or not any(v1.values()):
            threads[2].join(0)
            connected = put_resp is None and got is None and bool(outcome.get("connected"))
            return Imds(ImdsState.UNREACHABLE, endpoint, ms,
                        detail=f"token PUT: {why}" + ("; TCP connects" if connected else ""),
                        endpoint_source=endpoint_source, connected=connected)  # fmt: skip
        # no IMDSv2 here (the PUT is refused, as botocore reads 403/404/405): IMDSv1 answers
        region, az, instance_id, mac, roles = (v1.get(p) for p in first)
        mode = f"IMDSv1 only: token PUT answered HTTP {put_status}; GETs without a token answer"
    else:
        token = str(getattr(put_resp, "text", "")).strip()
        region, az, instance_id, mac, roles = many(*first, token=token)
        mode = ""
    if region is None and az and az[-1:].isalpha():
        region = az[:-1]
    vpc_id = cidrs_txt = None
    if mac:
        net = f"network/interfaces/macs/{mac}/"
        vpc_id, cidrs_txt, one, v6 = many(
            net + "vpc-id", net + "vpc-ipv4-cidr-blocks", net + "vpc-ipv4-cidr-block",
            net + "vpc-ipv6-cidr-blocks", token=token,
        )  # fmt: skip
        # a dual-stack VPC's IPv6 blocks are global addresses: only IMDS says they are the VPC's
        cidrs_txt = " ".join(x for x in (cidrs_txt or one, v6) if x)
    cidrs = tuple(c for c in (cidrs_txt or "").split() if _is_cidr(c))
    ms = (clock() - start) * 1000
    partial = "" if region and instance_id else "some metadata did not answer within the budget"
    detail = "; ".join(x for x in (mode, partial) if x)
    role = (roles or "").split("\n")[0].strip() or None
    return Imds(ImdsState.OK, endpoint, ms, region, az, instance_id, vpc_id, cidrs, detail,
                endpoint_source, "IMDSv1" if token is None else "IMDSv2",
                role=role, role_status=statuses.get((ROLE_PATH, token is not None)))  # fmt: skip


def imds_role_error(
    imds: Imds,
    *,
    budget_s: float = IMDS_BUDGET_S,
    proxy: str | None = None,
    session_factory: Callable[[], Any] | None = None,
) -> str:
    """Why IMDS gives no credentials for the role it lists: iam/security-credentials/<role>
    answers an error document ({"Code": "AssumeRoleUnauthorizedAccess", "Message": "EC2 cannot
    assume the role ..."}, aws-cli#2060), which botocore's provider only logs at debug level.
    "Code: Message", or "" (no answer, or a document with keys: those are dropped unread).
    Ask it only when botocore found no credentials."""
    import json

    import requests

    if imds.state is not ImdsState.OK or not imds.role:
        return ""
    s = session_factory() if session_factory is not None else requests.Session()
    if session_factory is None:
        s.trust_env = False
        if proxy:
            s.proxies = {"http": proxy, "https": proxy}
    headers: dict[str, str] = {}
    try:
        if imds.version == "IMDSv2":
            r = s.put(imds.endpoint + "/latest/api/token",
                      headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
                      timeout=(budget_s, budget_s))  # fmt: skip
            if r.status_code != 200:
                return ""
            headers["X-aws-ec2-metadata-token"] = str(r.text).strip()
        r = s.get(f"{imds.endpoint}/latest/meta-data/{ROLE_PATH}{imds.role}", headers=headers,
                  timeout=(budget_s, budget_s))  # fmt: skip
        doc = json.loads(r.text) if r.status_code == 200 else None
    except Exception:
        return ""
    if not isinstance(doc, dict) or "AccessKeyId" in doc or "SecretAccessKey" in doc:
        return ""
    code, message = str(doc.get("Code") or ""), str(doc.get("Message") or "")
    message = message.split("Please see documentation", 1)[0].strip()  # then a docs URL
    if not code or code == "Success":
        return ""
    return redact(" ".join(f"{code}: {message}".split()))[:300]


def imds_answer_ms(imds: Imds, *, wait_s: float = SLOW_IMDS_WAIT_S) -> float | None:
    """How long IMDS takes to answer a token PUT when given `wait_s` seconds (any HTTP answer
    counts), or None. Asked only when it accepted TCP but did not answer within the budget."""
    import requests

    s = requests.Session()
    s.trust_env = False
    t0 = time.monotonic()
    try:
        s.put(imds.endpoint + "/latest/api/token",
              headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
              timeout=(IMDS_BUDGET_S, wait_s))  # fmt: skip
    except Exception:
        return None
    return (time.monotonic() - t0) * 1000


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _imds_error_text(err: object, resp: object) -> str:
    if resp is not None:
        return f"HTTP {getattr(resp, 'status_code', '?')}"
    if err is None:
        return f"no answer within {IMDS_BUDGET_S:g} s"
    name = type(err).__name__
    if "Timeout" in name:
        return f"timed out ({name})"
    return f"{name}"


def container_credentials(env: Mapping[str, str]) -> tuple[str | None, str]:
    """The URL botocore's ContainerProvider fetches credentials from, as it builds it (a set
    RELATIVE_URI wins, on http://169.254.170.2), with the credential id in the path masked,
    and the variable it comes from; (None, "unset") when neither variable is set."""
    for var in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        if var in env:
            value = env[var]
            url = (
                f"http://{CONTAINER_CREDENTIALS_HOST}{value}"
                if var.endswith("RELATIVE_URI")
                else value
            )
            head, sep, cred_id = url.partition("/credentials/")
            if len(cred_id) > 4:  # /v2/credentials/<id>: the id fetches the role's keys, a secret
                url = f"{head}{sep}{cred_id[:4]}…"
            return redact(url), f"env {var}"
    return None, "unset"


def looks_like_ec2(root: Path = Path("/sys")) -> bool:
    """Local hints only (no network): the DMI vendor or the Xen hypervisor uuid."""
    try:
        vendor = (root / "class/dmi/id/sys_vendor").read_text(errors="replace").strip()
        if vendor == "Amazon EC2":
            return True
    except OSError:
        pass
    try:
        return (
            (root / "hypervisor/uuid").read_text(errors="replace").strip().lower().startswith("ec2")
        )
    except OSError:
        return False


# --------------------------------------------------------------------------- resolvers


def resolver_timing(
    path: Path = Path("/etc/resolv.conf"), env: Mapping[str, str] | None = None
) -> tuple[float, int]:
    """(timeout in s, attempts) of glibc's stub resolver, which getaddrinfo (the SDK's
    resolver) uses: `options timeout:N attempts:M` in resolv.conf, then RES_OPTIONS; glibc's
    defaults are 5 s and 2 attempts."""
    timeout, attempts = 5.0, 2
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    words = [w for ln in lines if ln.split()[:1] == ["options"] for w in ln.split()[1:]]
    words += ((env if env is not None else os.environ).get("RES_OPTIONS") or "").split()
    for w in words:
        key, _, val = w.partition(":")
        try:
            if key == "timeout":
                timeout = float(min(max(int(val), 1), 30))  # glibc's bounds
            elif key == "attempts":
                attempts = min(max(int(val), 1), 5)
        except ValueError:
            continue
    return timeout, attempts


def system_resolvers() -> tuple[str, ...]:
    import dns.resolver

    try:
        r = dns.resolver.Resolver(configure=True)
    except Exception:
        return ()
    return tuple(str(ns) for ns in r.nameservers)


SYSTEMD_RESOLVED_CONF = Path("/run/systemd/resolve/resolv.conf")


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def resolver_upstreams(
    resolvers: tuple[str, ...], path: Path = SYSTEMD_RESOLVED_CONF
) -> tuple[str, ...]:
    """When the host resolves through a loopback stub (systemd-resolved's 127.0.0.53, as on
    Ubuntu EC2 images), the servers it forwards to, from systemd-resolved's own resolv.conf."""
    if not any(_is_loopback(r) for r in resolvers):
        return ()
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ()
    out = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[0] == "nameserver" and not _is_loopback(fields[1]):
            out.append(fields[1])
    return tuple(dict.fromkeys(out))


def is_amazon_resolver(address: str, vpc_cidrs: tuple[str, ...]) -> bool:
    if address in AMAZON_RESOLVERS:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for c in vpc_cidrs:
        net = ipaddress.ip_network(c, strict=False)
        # VPC+2 is an IPv4 rule; over IPv6 the Amazon resolver is fd00:ec2::253 only
        if net.version == ip.version == 4 and ip == net.network_address + 2:
            return True
    return False


# --------------------------------------------------------------------------- credentials


class PendingCredentials:
    """botocore's credential chain resolved in the background (it may call IMDS or STS).

    `wait` never returns secrets: only the provider's name and a masked key id. The
    botocore credentials object is available to the STS probe through `credentials()`."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._done = threading.Event()
        self._creds: Any = None
        self._error: str = ""
        self._thread = threading.Thread(target=self._resolve, daemon=True, name="stsdiag-creds")
        self._thread.start()

    def _resolve(self) -> None:
        try:
            creds = self._session.get_credentials()
            if creds is not None:
                # deferred providers (assume-role, web identity, SSO) fetch on first use
                creds.get_frozen_credentials()
            self._creds = creds
        except Exception as e:
            self._error = f"{type(e).__name__}: {redact(str(e))}"
        finally:
            self._done.set()

    def stuck_in(self) -> str | None:
        """The credential provider botocore's chain is in right now (its `METHOD`, as
        `credentials.method` later names it: `custom-process`, `iam-role`, `sso` ...), read
        from the resolving thread's stack, innermost first; None when none shows."""
        frame = sys._current_frames().get(self._thread.ident or -1)
        while frame is not None:
            owner = frame.f_locals.get("self")
            method = getattr(type(owner), "METHOD", None) or getattr(owner, "method", None)
            if isinstance(method, str) and method:
                return method
            frame = frame.f_back
        return None

    def credentials(self, timeout: float) -> Any:
        self._done.wait(max(0.0, timeout))
        return self._creds if self._done.is_set() else None

    def wait(self, timeout: float) -> CredentialInfo:
        if not self._done.wait(max(0.0, timeout)):
            stuck = self.stuck_in()
            return CredentialInfo(
                CredState.PENDING,
                method=stuck,
                detail="the credential chain did not finish in time"
                + (f": botocore was still in its `{stuck}` provider" if stuck else ""),
            )
        if self._error:
            return CredentialInfo(CredState.ERROR, detail=self._error)
        if self._creds is None:
            return CredentialInfo(
                CredState.NONE, detail="no provider in the chain supplied credentials"
            )
        key = getattr(self._creds, "access_key", None)
        return CredentialInfo(
            CredState.FOUND,
            method=str(getattr(self._creds, "method", None) or "unknown"),
            access_key=mask_key_id(str(key)) if key else None,
        )


# --------------------------------------------------------------------------- gather


@dataclass(frozen=True, slots=True)
class Gathered:
    context: Context
    session: Any = field(repr=False)
    credentials: PendingCredentials = field(repr=False)


def gather(ov: Overrides, env: Mapping[str, str] | None = None) -> Gathered:
    """Read the configuration, ask botocore for its endpoint, start credential resolution and
    ask IMDS (bounded by `ov.imds_budget_s`), concurrently."""
    import botocore

    env = os.environ if env is None else env
    session = make_session(ov)
    creds = PendingCredentials(session)

    disabled = _bool(env.get("AWS_EC2_METADATA_DISABLED"))
    imds_url, imds_src = imds_endpoint(session, env)
    imds_box: dict[str, Imds] = {}
    imds_thread: threading.Thread | None = None
    if disabled:
        imds_box["v"] = Imds(ImdsState.DISABLED, imds_url, detail="AWS_EC2_METADATA_DISABLED=true",
                             endpoint_source=imds_src)  # fmt: skip
    else:
        proxy = imds_proxy(imds_url, env)

        def _imds() -> None:
            direct: list[Imds] = []
            helper = None
            if proxy:  # what IMDS says without the proxy too, to tell whose fault it is
                helper = threading.Thread(
                    target=lambda: direct.append(fetch_imds(
                        imds_url, budget_s=ov.imds_budget_s, endpoint_source=imds_src)),
                    daemon=True, name="stsdiag-imds-direct")  # fmt: skip
                helper.start()
            got = fetch_imds(imds_url, budget_s=ov.imds_budget_s, endpoint_source=imds_src,
                             proxy=proxy)  # fmt: skip
            if proxy and helper is not None:
                helper.join(ov.imds_budget_s)
                direct_ok = bool(direct) and direct[0].state is ImdsState.OK
                got = replace(got, proxy=proxy_label(proxy), direct_ok=direct_ok)
                if got.state is ImdsState.OK and not direct_ok:
                    only = f"only through the {proxy_label(proxy)}: directly it does not answer"
                    got = replace(got, detail="; ".join(x for x in (got.detail, only) if x))
                if got.state is not ImdsState.OK:
                    seen = (f"directly (without the proxy) it answers: region {direct[0].region}"
                            if direct and direct[0].state is ImdsState.OK
                            else "directly it does not answer either")  # fmt: skip
                    got = replace(
                        got, detail=f"through the {proxy_label(proxy)}: {got.detail}; {seen}"
                    )
            imds_box["v"] = got

        imds_thread = threading.Thread(target=_imds, daemon=True, name="stsdiag-imds")
        imds_thread.start()

    settings: list[Setting] = []
    profile = _setting(session, "profile", env, ("--profile", ov.profile))
    if profile.value is None:
        profile = Setting("profile", "default", "botocore default")
    region = _setting(session, "region", env, ("--region", ov.region))
    regional = _setting(session, "sts_regional_endpoints", env)
    fips = _setting(session, "use_fips_endpoint", env)
    dual = _setting(session, "use_dualstack_endpoint", env)
    ca = _setting(session, "ca_bundle", env, ("--ca-bundle", ov.ca_bundle))
    blank = _blank_ca_variable(env, ca)
    if blank is not None:
        # botocore takes a set but empty variable as the bundle and refuses it (SD112)
        ca = Setting("ca_bundle", "", f"env {blank}")
    elif ca.value is None and env.get("REQUESTS_CA_BUNDLE"):
        # botocore's endpoint creator takes it as `verify` when neither AWS_CA_BUNDLE nor
        # ca_bundle is set (requests' variable, honoured since botocore#200)
        ca = Setting("ca_bundle", env["REQUESTS_CA_BUNDLE"], "env REQUESTS_CA_BUNDLE")
    ca_path = ca.value or default_ca_bundle()
    if ca.value is None:
        ca = Setting("ca_bundle", ca_path, "botocore default")
    override, override_src, override_settings = _endpoint_override(session, env, ov.endpoint_url)
    # shown when configured: unset, each SDK has its own default (botocore's is not the user's)
    retry_mode, max_attempts, defaults_mode = (
        _setting(session, n, env) for n in ("retry_mode", "max_attempts", "defaults_mode")
    )
    retry = [
        r
        for r in (defaults_mode, retry_mode, max_attempts)
        if r.source not in ("botocore default", "unset") and r.value
    ]
    mode, connect = _retry_config(ov, retry_mode, defaults_mode, retry)
    settings += [profile, region]
    aws_region = env.get("AWS_REGION") or None
    if aws_region:
        settings.append(Setting("AWS_REGION", aws_region, "env AWS_REGION (not read by botocore)"))
    settings += [regional, *override_settings, fips, dual, *retry]
    for name in ("metadata_service_timeout", "metadata_service_num_attempts"):
        md = _setting(session, name, env)  # shown when configured (botocore: 1 s, 1 attempt)
        if md.source not in ("botocore default", "unset") and md.value:
            settings.append(md)
    https_proxy = _proxy_var(env, "https")
    http_proxy = _proxy_var(env, "http")
    no_proxy = _proxy_var(env, "no")
    for name, val in (
        ("HTTPS_PROXY", https_proxy),
        ("HTTP_PROXY", http_proxy),
        ("NO_PROXY", no_proxy),
    ):
        settings.append(
            Setting(name, redact(val) if val else None, f"env {name}" if val else "unset")
        )
    settings.append(ca)
    scoped = session.get_scoped_config()
    wi_arn = env.get("AWS_ROLE_ARN") or (
        scoped.get("role_arn") if scoped.get("web_identity_token_file") else None
    )
    wi_file = env.get("AWS_WEB_IDENTITY_TOKEN_FILE") or scoped.get("web_identity_token_file")
    if wi_arn or wi_file:
        src = (
            "env"
            if env.get("AWS_WEB_IDENTITY_TOKEN_FILE")
            else f"config file {_profile_label(session)}"
        )
        settings.append(Setting("web_identity_role_arn", wi_arn, src))
        settings.append(Setting("web_identity_token_file", wi_file, src))
    container, container_src = container_credentials(env)
    if container:
        settings.append(Setting("container_credentials", container, container_src))
    sdk = sdk_endpoint(session, ov.endpoint_url)
    settings.append(Setting("sdk_endpoint", sdk.url, f"botocore {botocore.__version__}" +
                            (f" ({sdk.error})" if sdk.error else "")))  # fmt: skip
    resolvers = system_resolvers()

    if imds_thread is not None:
        imds_thread.join(ov.imds_budget_s + 0.2)
    imds = imds_box.get("v") or Imds(ImdsState.UNREACHABLE, imds_url, detail="no answer in time",
                                      endpoint_source=imds_src)  # fmt: skip
    notes: list[str] = []
    if ca.value and not os.path.isfile(ca_path):
        what = (
            "a directory, not a file botocore can load"
            if os.path.isdir(ca_path)
            else "not a readable file"
        )
        notes.append(f"CA bundle {ca_path} ({ca.source}) is {what}")
    ctx = Context(
        settings=tuple(settings),
        region=region.value,
        region_source=region.source,
        profile=profile.value,
        sts_regional_endpoints=(regional.value or "regional").lower(),
        endpoint_override=override,
        endpoint_override_source=override_src,
        use_fips=_bool(fips.value),
        use_dualstack=_bool(dual.value),
        https_proxy=https_proxy,
        http_proxy=http_proxy,
        no_proxy=no_proxy,
        ca_bundle=ca_path,
        ca_bundle_source=ca.source,
        aws_region_env=aws_region,
        aws_default_region_env=env.get("AWS_DEFAULT_REGION") or None,
        profile_region=scoped.get("region"),
        web_identity_role_arn=wi_arn,
        web_identity_token_file=wi_file,
        sdk=sdk,
        imds=imds,
        resolvers=resolvers,
        resolver_upstreams=resolver_upstreams(resolvers),
        resolver_timing=resolver_timing(env=env),
        retry_mode=mode,
        max_attempts=_int(max_attempts.value) if max_attempts in retry else None,
        connect_timeout=connect,
        container_credentials=container,
        container_credentials_source=container_src,
        botocore_version=str(botocore.__version__),
        looks_like_ec2=looks_like_ec2(),
        notes=tuple(notes),
    )
    return Gathered(ctx, session, creds)
