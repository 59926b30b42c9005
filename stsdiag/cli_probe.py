"""typer commands `probe` and `endpoints`. Options are parsed here; heavy modules (botocore,
dnspython, requests) are imported inside the command functions only.

No `from __future__ import annotations` here: typer reads the option annotations of the
commands defined inside `register`, which refer to names local to it."""

import sys
from enum import Enum
from typing import Annotated

import typer

from stsdiag.enums import FailOn, OutputFormat

RegionOpt = Annotated[
    list[str] | None,
    typer.Option("--region", "-r", metavar="REGION", help="Region to probe (repeatable); the first one also acts as "
                 "`aws --region` for the SDK's own choice."),
]  # fmt: skip


def _progress(done: int, total: int, label: str) -> None:
    sys.stderr.write(f"\r\033[Kstsdiag probe: {done}/{total} done, {label[:60]}")
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
        profile: Annotated[
            str | None,
            typer.Option("--profile", metavar="NAME", help="AWS profile (as `aws --profile`)."),
        ] = None,
        endpoint_url: Annotated[
            str | None,
            typer.Option(
                "--endpoint-url",
                metavar="URL",
                help="STS endpoint override (as `aws --endpoint-url`).",
            ),
        ] = None,
        vpce_dns: Annotated[
            list[str] | None,
            typer.Option(
                "--vpce-dns",
                metavar="NAME",
                help="A VPC endpoint's own DNS name to probe too (repeatable).",
            ),
        ] = None,
        variants: Annotated[
            bool, typer.Option("--variants", help="Also probe FIPS and dual-stack endpoints.")
        ] = False,
        nameserver: Annotated[
            list[str] | None,
            typer.Option(
                "--nameserver",
                metavar="ADDR",
                help="Also resolve through this nameserver (repeatable; ADDR[:PORT]).",
            ),
        ] = None,
        ca_bundle: Annotated[
            str | None,
            typer.Option(
                "--ca-bundle", metavar="FILE", help="CA bundle to verify TLS (as AWS_CA_BUNDLE)."
            ),
        ] = None,
        role_arn: Annotated[
            str | None,
            typer.Option("--role-arn", metavar="ARN", help="Also try AssumeRole at each endpoint."),
        ] = None,
        external_id: Annotated[
            str | None,
            typer.Option("--external-id", metavar="ID", help="ExternalId for --role-arn."),
        ] = None,
        role_session_name: Annotated[
            str,
            typer.Option(
                "--role-session-name", metavar="NAME", help="Session name for --role-arn."
            ),
        ] = "stsdiag",
        timeout: Annotated[
            float, typer.Option("--timeout", metavar="SECONDS", help="Seconds per layer.")
        ] = 3.0,
        total_timeout: Annotated[
            float | None,
            typer.Option(
                "--total-timeout",
                metavar="SECONDS",
                help="Seconds for the whole probe (default 3 × --timeout).",
            ),
        ] = None,
        output: OutputOpt = OutputFormat.TABLE,
        fail_on: FailOnOpt = FailOn.ERROR,
        select: SelectOpt = None,
        ignore: IgnoreOpt = None,
        output_file: OutputFileOpt = None,
    ) -> int:
        """Probe STS from this host: context, DNS, TCP, TLS, HTTPS and signed calls per
        endpoint and address; findings; the endpoint and region to use."""
        from stsdiag.probe import ProbeOptions, run_probe

        opts = ProbeOptions(
            regions=tuple(region or ()),
            profile=profile,
            endpoint_url=endpoint_url,
            vpce_names=tuple(vpce_dns or ()),
            variants=variants,
            nameservers=tuple(nameserver or ()),
            ca_bundle=ca_bundle,
            role_arn=role_arn,
            external_id=external_id,
            role_session_name=role_session_name,
            timeout=timeout,
            total=total_timeout,
            fail_on=fail_on,
            select=split_patterns(select),
            ignore=split_patterns(ignore),
        )
        tty = sys.stderr.isatty()
        if tty:
            sys.stderr.write("stsdiag probe: reading the configuration and instance metadata…")
            sys.stderr.flush()
        try:
            report = run_probe(opts, on_progress=_progress if tty else None)
        finally:
            if tty:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
        return finish(report, output, output_file)

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
        if region is not None and not endpoints.is_known_region(region):
            guess = endpoints.closest_region(region)
            raise UsageError(
                f"unknown region {region!r}" + (f"; did you mean {guess}?" if guess else "")
            )
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
