"""Options shared by `probe` and `check` (and their help texts), defined once. Each is
None when not given, so `check` can tell a command-line value from its expectations file;
the defaults live in `ProbeOptions`.

No `from __future__ import annotations`: typer reads these annotations at run time."""

from typing import Annotated

import typer

RegionOpt = Annotated[
    list[str] | None,
    typer.Option("--region", "-r", metavar="REGION", help="Region to probe (repeatable or comma-separated); the first one also acts as "
                 "`aws --region` for the SDK's own choice."),
]  # fmt: skip
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", metavar="NAME", help="AWS profile (as `aws --profile`).")
]
EndpointUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url", metavar="URL", help="STS endpoint override (as `aws --endpoint-url`)."
    ),
]
VpceDnsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--vpce-dns",
        metavar="NAME",
        help="A VPC endpoint's own DNS name to probe too (repeatable or comma-separated).",
    ),
]
VariantsOpt = Annotated[
    bool | None,
    typer.Option("--variants/--no-variants", help="Also probe FIPS and dual-stack endpoints."),
]
NameserverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--nameserver",
        metavar="ADDR",
        help="Also resolve through this nameserver (repeatable or comma-separated; ADDR[:PORT]).",
    ),
]
CaBundleOpt = Annotated[
    str | None,
    typer.Option("--ca-bundle", metavar="FILE", help="CA bundle to verify TLS (as AWS_CA_BUNDLE)."),
]
ExternalIdOpt = Annotated[
    str | None, typer.Option("--external-id", metavar="ID", help="ExternalId for --role-arn.")
]
RoleSessionNameOpt = Annotated[
    str | None,
    typer.Option(
        "--role-session-name", metavar="NAME", help="Session name for --role-arn (default stsdiag)."
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", metavar="SECONDS", help="Seconds per layer (default 3)."),
]
TotalTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--total-timeout",
        metavar="SECONDS",
        help="Seconds for the whole probe (default 3 × --timeout).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only failures.")]
