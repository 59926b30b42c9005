"""typer command `check`: the probe's options plus expectations, an expectations file,
retries and CI outputs. Heavy modules are imported inside the command.

No `from __future__ import annotations` here: typer reads the option annotations of the
command defined inside `register`, which refer to names local to it."""

import sys
from pathlib import Path
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
    VariantsOpt,
    VpceDnsOpt,
)
from stsdiag.enums import FailOn, OutputFormat

if TYPE_CHECKING:
    from stsdiag.check import CheckSettings

CONFIG_NAMES = ("stsdiag.toml", "pyproject.toml")


def register(app: typer.Typer) -> None:
    from stsdiag.cli import IgnoreOpt, OutputFileOpt, OutputOpt, SelectOpt, finish

    @app.command("check")
    def check(
        expect_account: Annotated[
            str | None,
            typer.Option("--expect-account", metavar="ID", help="The caller's account must be ID."),
        ] = None,
        expect_arn: Annotated[
            str | None,
            typer.Option(
                "--expect-arn",
                metavar="PATTERN",
                help="The caller's ARN must match this glob (arn:aws:sts::*:assumed-role/ci/*).",
            ),
        ] = None,
        expect_region: Annotated[
            str | None,
            typer.Option(
                "--expect-region",
                metavar="REGION",
                help="The SDK's configured region must be REGION.",
            ),
        ] = None,
        expect_endpoint: Annotated[
            str | None,
            typer.Option(
                "--expect-endpoint",
                metavar="KIND|URL",
                help="The endpoint the SDK would use now must be regional, vpce, global or "
                "this URL, and must work.",
            ),
        ] = None,
        require_private: Annotated[
            bool | None,
            typer.Option(
                "--require-private/--no-require-private",
                help="STS must be reached through a VPC endpoint (private addresses only).",
            ),
        ] = None,
        max_latency_ms: Annotated[
            float | None,
            typer.Option(
                "--max-latency-ms",
                metavar="N",
                help="The signed call through the recommended endpoint must answer within N ms.",
            ),
        ] = None,
        max_clock_skew_s: Annotated[
            float | None,
            typer.Option(
                "--max-clock-skew-s",
                metavar="N",
                help="The local clock must be within N s of STS's (default 60).",
            ),
        ] = None,
        role_arn: Annotated[
            str | None,
            typer.Option(
                "--role-arn",
                metavar="ARN",
                help="AssumeRole must succeed through the recommended endpoint.",
            ),
        ] = None,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                metavar="FILE",
                help="Expectations file (default ./stsdiag.toml, else [tool.stsdiag] in "
                "./pyproject.toml); options given here override it.",
            ),
        ] = None,
        retries: Annotated[
            int | None,
            typer.Option(
                "--retries",
                metavar="N",
                help="Try again up to N times after a failure (back-off 1, 2, 4, 8 s).",
            ),
        ] = None,
        quiet: QuietOpt = False,
        region: RegionOpt = None,
        profile: ProfileOpt = None,
        endpoint_url: EndpointUrlOpt = None,
        vpce_dns: VpceDnsOpt = None,
        variants: VariantsOpt = None,
        nameserver: NameserverOpt = None,
        ca_bundle: CaBundleOpt = None,
        external_id: ExternalIdOpt = None,
        role_session_name: RoleSessionNameOpt = None,
        timeout: TimeoutOpt = None,
        total_timeout: Annotated[
            float | None,
            typer.Option(
                "--total-timeout",
                metavar="SECONDS",
                help="Seconds for each attempt (default 3 × --timeout).",
            ),
        ] = None,
        output: OutputOpt = OutputFormat.TABLE,
        fail_on: Annotated[
            FailOn | None,
            typer.Option(
                "--fail-on",
                case_sensitive=False,
                help="Exit 1 when a finding has at least this severity (default error).",
            ),
        ] = None,
        select: SelectOpt = None,
        ignore: IgnoreOpt = None,
        output_file: OutputFileOpt = None,
    ) -> int:
        """Health check for CI, cron and Kubernetes: run the probe, then assert expectations
        (each reported as its own pass/fail line). Exit 0 when every expectation holds and no
        finding reaches --fail-on; 1 otherwise; 2 usage error; 3 internal error."""
        import time

        from stsdiag import check as core
        from stsdiag.cli_probe import probe_with_progress
        from stsdiag.models import Report

        given = core.CheckSettings(
            expect_account=expect_account,
            expect_arn=expect_arn,
            expect_region=expect_region,
            expect_endpoint=expect_endpoint,
            require_private=require_private,
            max_latency_ms=max_latency_ms,
            max_clock_skew_s=max_clock_skew_s,
            role_arn=role_arn,
            retries=retries,
            fail_on=fail_on,
            region=core.listed(region),
            profile=profile,
            endpoint_url=endpoint_url,
            vpce_dns=core.listed(vpce_dns),
            variants=variants,
            nameserver=core.listed(nameserver),
            ca_bundle=ca_bundle,
            external_id=external_id,
            role_session_name=role_session_name,
            timeout=timeout,
            total_timeout=total_timeout,
            select=core.listed(select),
            ignore=core.listed(ignore),
        )
        core.validate(given)
        settings = _from_file(config).merged(given)
        show = sys.stderr.isatty() and not quiet

        def probe_once() -> Report:
            return probe_with_progress(core.probe_options(settings), "check", show=show)

        def on_attempt(outcome: core.AttemptOutcome) -> None:
            if outcome.of > 1 and not (quiet and outcome.passed):
                typer.echo(f"stsdiag check: {outcome.line()}", err=True)

        report = core.run_checks(probe_once, settings.expectations,
                                 retries=settings.retries or 0, sleep=time.sleep,
                                 on_attempt=on_attempt)  # fmt: skip
        return finish(report, output, output_file, quiet=quiet)


def _from_file(path: Path | None) -> "CheckSettings":
    """The expectations file: --config FILE, else ./stsdiag.toml, else ./pyproject.toml's
    [tool.stsdiag] table; none → no settings."""
    from stsdiag.check import CheckSettings, parse_toml
    from stsdiag.errors import UsageError

    explicit = path is not None
    candidates = [path] if path is not None else [Path(n) for n in CONFIG_NAMES]
    for p in candidates:
        if not explicit and not p.is_file():
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise UsageError(f"--config {p}: {why}") from None
        is_pyproject = p.name == "pyproject.toml"
        return parse_toml(text, str(p), pyproject=is_pyproject, required=explicit)
    return CheckSettings()
