"""typer commands `probe` and `endpoints`. Options are parsed here; heavy modules (botocore,
dnspython, requests) are imported inside the command functions only.

No `from __future__ import annotations` here: typer reads the option annotations of the
commands defined inside `register`, which refer to names local to it."""

import sys
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from stsdiag.cli_options import (
    CaBundleOpt,
    EndpointUrlOpt,
    ExternalIdOpt,
    NameserverOpt,
    ProfileOpt,
    QuietOpt,
    RegionOpt,
    RoleSessionNameOpt,
    TimeoutOpt,
    TotalTimeoutOpt,
    VariantsOpt,
    VpceDnsOpt,
)
from stsdiag.enums import FailOn, OutputFormat

if TYPE_CHECKING:
    from stsdiag.models import Report
    from stsdiag.probe import ProbeOptions


def probe_with_progress(opts: "ProbeOptions", command: str, *, show: bool) -> "Report":
    """Run the probe; with `show` (stderr is a terminal) keep one progress line on stderr,
    erased when the probe ends. Shared by `probe` and `check`."""
    from stsdiag.probe import run_probe

    def progress(done: int, total: int, label: str) -> None:
        sys.stderr.write(f"\r\033[Kstsdiag {command}: {done}/{total} done, {label[:60]}")
        sys.stderr.flush()

    if show:
        sys.stderr.write(f"stsdiag {command}: reading the configuration and instance metadata…")
        sys.stderr.flush()
    try:
        return run_probe(opts, on_progress=progress if show else None)
    finally:
        if show:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class _MapFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


def register(app: typer.Typer) -> None:
    from stsdiag.cli import (
        FailOnOpt,
        IgnoreOpt,
        OutputFileOpt,
        OutputOpt,
        SelectOpt,
        finish,
        split_patterns,
    )

    @app.command("probe")
    def probe(
        region: RegionOpt = None,
        profile: ProfileOpt = None,
        endpoint_url: EndpointUrlOpt = None,
        vpce_dns: VpceDnsOpt = None,
        variants: VariantsOpt = None,
        nameserver: NameserverOpt = None,
        ca_bundle: CaBundleOpt = None,
        role_arn: Annotated[
            str | None,
            typer.Option("--role-arn", metavar="ARN", help="Also try AssumeRole at each endpoint."),
        ] = None,
        external_id: ExternalIdOpt = None,
        role_session_name: RoleSessionNameOpt = None,
        timeout: TimeoutOpt = None,
        total_timeout: TotalTimeoutOpt = None,
        output: OutputOpt = OutputFormat.TABLE,
        fail_on: FailOnOpt = FailOn.ERROR,
        select: SelectOpt = None,
        ignore: IgnoreOpt = None,
        output_file: OutputFileOpt = None,
        quiet: QuietOpt = False,
    ) -> int:
        """Probe STS from this host: context, DNS, TCP, TLS, HTTPS and signed calls per
        endpoint and address; findings; the endpoint and region to use."""
        from stsdiag.check import listed
        from stsdiag.probe import ProbeOptions

        opts = ProbeOptions(
            regions=listed(region),
            profile=profile,
            endpoint_url=endpoint_url,
            vpce_names=listed(vpce_dns),
            variants=bool(variants),
            nameservers=listed(nameserver),
            ca_bundle=ca_bundle,
            role_arn=role_arn,
            external_id=external_id,
            role_session_name=role_session_name or "stsdiag",
            timeout=3.0 if timeout is None else timeout,
            total=total_timeout,
            fail_on=fail_on,
            select=split_patterns(select),
            ignore=split_patterns(ignore),
        )
        report = probe_with_progress(opts, "probe", show=sys.stderr.isatty())
        return finish(report, output, output_file, quiet=quiet)

    @app.command("endpoints")
    def endpoints_cmd(
        partition: Annotated[
            str | None,
            typer.Option(
                "--partition", metavar="PARTITION", help="Only this partition (aws, aws-cn, …)."
            ),
        ] = None,
        region: Annotated[
            str | None, typer.Option("--region", metavar="REGION", help="Only this region.")
        ] = None,
        output: Annotated[
            _MapFormat, typer.Option("--output", "-o", case_sensitive=False)
        ] = _MapFormat.TABLE,
    ) -> int:
        """Print the STS endpoint map from botocore's data (global, regional with opt-in status,
        FIPS, dual-stack; every partition) and mark the one the SDK would use now (`*`)."""
        import json

        from stsdiag import endpoints
        from stsdiag.context import Overrides, make_session, sdk_endpoint
        from stsdiag.errors import UsageError
        from stsdiag.plan import endpoint_map
        from stsdiag.render.probe_table import endpoint_map_table

        if partition is not None and partition not in endpoints.partitions():
            raise UsageError(
                f"unknown partition {partition!r}; known: {', '.join(endpoints.partitions())}"
            )
        if region is not None and (why := endpoints.region_problem(region)):
            raise UsageError(why)
        sdk = sdk_endpoint(make_session(Overrides()), None)
        rows = endpoint_map(partition, region, sdk.url)
        if output is _MapFormat.JSON:
            doc = {
                "sdk_endpoint": sdk.url,
                "endpoints": [
                    {
                        "partition": r.partition,
                        "region": r.region,
                        "kind": r.kind.value,
                        "url": r.url,
                        "opt_in": r.opt_in,
                        "sdk_would_use": r.sdk_would_use,
                    }
                    for r in rows
                ],
            }
            typer.echo(json.dumps(doc, indent=2))
            return 0
        typer.echo(endpoint_map_table(rows))
        typer.echo(
            f"\nThe SDK would use now: {sdk.url or sdk.error} (botocore, current configuration)"
        )
        return 0
