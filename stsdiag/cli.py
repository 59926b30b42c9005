"""The typer CLI: options → core → render → exit status. The one exception boundary is
`run`; nothing else calls sys.exit. Heavy modules (boto3, dnspython) are imported inside
commands so `stsdiag --help` stays fast."""

from __future__ import annotations

import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stsdiag import __version__
from stsdiag.enums import ExitStatus, FailOn, OutputFormat
from stsdiag.errors import InputError, StsdiagError, UsageError

if TYPE_CHECKING:
    from stsdiag.models import Report

app = typer.Typer(
    name="stsdiag",
    help="Diagnose AWS STS endpoint, region and network problems.\n\n"
    "Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; "
    "2 usage error or unreadable input; 3 internal error; 130 interrupted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

OutputOpt = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Report format.", case_sensitive=False)
]
FailOnOpt = Annotated[
    FailOn,
    typer.Option(
        "--fail-on", help="Exit 1 when a finding has at least this severity.", case_sensitive=False
    ),
]
SelectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        help="Only these findings: code prefix (SD1, SD104) or name. Repeatable, comma-separated.",
    ),
]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore", help="Drop these findings: code prefix or name. Repeatable, comma-separated."
    ),
]
OutputFileOpt = Annotated[
    Path | None,
    typer.Option("--output-file", help="Write the report here; a one-line summary goes to stderr."),
]


def split_patterns(values: list[str] | None) -> tuple[str, ...]:
    from stsdiag.rules.registry import RULES, matches

    out: list[str] = []
    for v in values or []:
        for p in v.split(","):
            p = p.strip()
            if not p:
                continue
            if not any(matches(r, (p,)) for r in RULES):
                raise UsageError(f"--select/--ignore: {p!r} matches no finding code or name")
            out.append(p)
    return tuple(out)


def render(report: Report, output: OutputFormat) -> str:
    if output is OutputFormat.JSON:
        from stsdiag.render import json as r_json

        return r_json.render(report)
    if output is OutputFormat.JUNIT:
        from stsdiag.render import junit

        return junit.render(report)
    from stsdiag.render import table

    return table.render(report)


def summary_line(report: Report) -> str:
    n = {
        s: sum(1 for f in report.findings if f.severity.value == s)
        for s in ("error", "warning", "info")
    }
    rec = report.recommendation
    use = f"; use {rec.endpoint_url} ({rec.region})" if rec and rec.endpoint_url else ""
    failed = sum(not e.passed for e in report.expectations)
    exp = (
        f", {failed} of {len(report.expectations)} expectation(s) failed"
        if report.expectations
        else ""
    )
    return (
        f"stsdiag {report.command}: {n['error']} error(s), {n['warning']} warning(s), "
        f"{n['info']} info{exp}{use}; exit {int(report.exit_status)}"
    )


def finish(
    report: Report, output: OutputFormat, output_file: Path | None = None, *, quiet: bool = False
) -> int:
    """Render the report (stdout, or a file with a summary on stderr); return the exit status.
    `quiet`: a table on stdout lists only failures (files and JSON/JUnit stay whole) and the
    summary line is only printed on failure. With GITHUB_ACTIONS=true, annotations follow: on
    stdout, or on stderr when stdout carries JSON/JUnit."""
    from stsdiag.render import github

    quiet_table = quiet and output is OutputFormat.TABLE and output_file is None
    text = github.failures(report) if quiet_table else render(report, output)
    if output_file is not None:
        try:
            output_file.write_text(text, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"--output-file {output_file}: {e.strerror or e}") from None
        if not quiet or report.exit_status:
            typer.echo(summary_line(report), err=True)
    else:
        typer.echo(text, nl=False)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        notes = github.render(report, quiet=quiet)
        typer.echo(notes, nl=False, err=output_file is None and output is not OutputFormat.TABLE)
    return int(report.exit_status)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stsdiag {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    """Diagnose AWS STS endpoint, region and network problems."""


@app.command("parse-log")
def parse_log(
    path: Annotated[
        str,
        typer.Argument(
            help="Debug log file (`-` for stdin; gzip, bzip2, xz and one-file zip read transparently)."
        ),
    ],
    output: OutputOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = FailOn.ERROR,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    region_hint: Annotated[
        str | None, typer.Option("--region-hint", help="The region the caller meant to use.")
    ] = None,
    output_file: OutputFileOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only failures.")] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Processes for a big log of many AWS CLI runs (0 = one per CPU; the "
            "result is the same as with 1).",
        ),
    ] = 0,
) -> int:
    """Replay a botocore / AWS CLI debug log: requests, findings with evidence, and the
    endpoint and region to use."""
    from stsdiag.parselog import ParseOptions, jobs_default, parse_path

    opts = ParseOptions(
        region_hint=region_hint,
        select=split_patterns(select),
        ignore=split_patterns(ignore),
        fail_on=fail_on,
        jobs=jobs or jobs_default(),
    )
    return finish(parse_path(path, opts), output, output_file, quiet=quiet)


@app.command("redact")
def redact_log(
    path: Annotated[
        str,
        typer.Argument(help="Debug log file (`-` for stdin; compressed logs as for parse-log)."),
    ],
    output_file: Annotated[
        Path | None,
        typer.Option("--output-file", help="Write the redacted log here (default: stdout)."),
    ] = None,
) -> int:
    """Print a debug log with its secrets removed, line for line, to attach to a ticket:
    key ids masked; secret keys, session tokens, signatures and passwords dropped. The
    lines keep their numbers, and parse-log gives the redacted log the same diagnosis."""
    from stsdiag.parselog import open_input
    from stsdiag.redactlog import redact_stream
    from stsdiag.report import counted

    if output_file is not None and path != "-" and _same_file(Path(path), output_file):
        raise UsageError(f"--output-file {output_file}: is the input; write to another file")
    stream, name = open_input(path)
    try:
        if output_file is None:
            result = redact_stream(stream, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            try:
                with output_file.open("wb") as out:
                    result = redact_stream(stream, out)
            except OSError as e:  # (the input's read errors are InputErrors)
                raise UsageError(f"--output-file {output_file}: {e.strerror or e}") from None
    except InputError as e:
        raise InputError(f"{name}: {e}") from None
    finally:
        if path != "-":
            stream.close()
    where = f" -> {output_file}" if output_file is not None else ""
    typer.echo(
        f"stsdiag redact: {name}: {counted(result.lines, 'line')}, {result.changed} redacted{where}",
        err=True,
    )
    return 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


class _ListFormat(str, Enum):
    TABLE = "table"
    MARKDOWN = "markdown"


@app.command("explain")
def explain(
    code: Annotated[str | None, typer.Argument(help="A finding code (SD104) or name.")] = None,
    fmt: Annotated[
        _ListFormat, typer.Option("--format", help="Listing format without CODE.")
    ] = _ListFormat.TABLE,
) -> int:
    """Print a finding's full documentation, or list every finding."""
    from stsdiag.rules import registry

    if code is None:
        if fmt is _ListFormat.MARKDOWN:
            typer.echo(registry.markdown_table(), nl=False)
        else:
            from tabulate import tabulate

            rows = [
                [r.code, r.name, r.severity.value, r.where.value, r.summary] for r in registry.RULES
            ]
            typer.echo(tabulate(rows, headers=["code", "name", "severity", "where", "what"]))
        return 0
    info = registry.lookup(code)
    if info is None:
        raise UsageError(f"unknown finding {code!r}; `stsdiag explain` lists them")
    typer.echo(registry.explain(info), nl=False)
    return 0


def _register_optional() -> None:
    """Commands from other modules (probe, endpoints, check) register themselves here."""
    import importlib

    for mod in ("stsdiag.cli_probe", "stsdiag.cli_check"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise
            continue
        m.register(app)


_register_optional()


# typer >= 0.20 vendors click; find its exception classes through typer's own API
_CLICK_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)


_FINDING_IN_MESSAGE = re.compile(r"\[(SD\d{3}) ([a-z0-9-]+)\]")


def _error_code(e: StsdiagError) -> str:
    """The finding an error names (`[SD001 not-a-botocore-log]`), else its kind."""
    m = _FINDING_IN_MESSAGE.search(str(e))
    if m:
        return m.group(1)
    return "input-error" if isinstance(e, InputError) else "usage-error"


def _requested_output(args: list[str]) -> tuple[str, str, Path | None] | None:
    """(command, output format, --output-file) as the arguments ask for them, parsed the
    way the command would (resiliently: the arguments may be what failed); None when no
    command or no output format can be read from them."""
    group = typer.main.get_command(app)
    commands: dict[str, Any] = getattr(group, "commands", {})
    for i, a in enumerate(args):
        if a in commands:
            name, rest = a, args[i + 1 :]
            break
        if not a.startswith("-"):
            return None
    else:
        return None
    try:
        ctx = commands[name].make_context(name, list(rest), resilient_parsing=True)
    except Exception:  # unparseable arguments: no format to honour
        return None
    out = ctx.params.get("output")
    fmt = str(getattr(out, "value", out) or "")
    path = ctx.params.get("output_file")
    return name, fmt, path if isinstance(path, Path) else None


def error_document(args: list[str], code: str, message: str) -> None:
    """A run that stops with exit 2 before any report still gives CI a document when one
    was asked for: JSON (`error`: code and message, `exit_status`) or JUnit (one failing
    testcase), to `--output-file` when given (stdout when it cannot be written), else to
    stdout. The one-line error on stderr is printed as before."""
    try:
        asked = _requested_output(args)
    except Exception:  # never let the error path fail
        return
    if asked is None:
        return
    command, fmt, path = asked
    if fmt == "json":
        from stsdiag.render import json as r_json

        doc = r_json.render_error(command, code, message, int(ExitStatus.USAGE))
    elif fmt == "junit":
        from stsdiag.render import junit

        m = _FINDING_IN_MESSAGE.search(message)
        doc = junit.render_error(command, code, m.group(2) if m else "", message)
    else:
        return
    if path is not None:
        try:
            path.write_text(doc, encoding="utf-8")
            return
        except OSError:
            pass
    typer.echo(doc, nl=False)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit status: the single exception boundary."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rv = app(args=args, prog_name="stsdiag", standalone_mode=False)
    except KeyboardInterrupt:
        typer.echo("stsdiag: interrupted", err=True)
        return ExitStatus.INTERRUPTED
    except typer.Abort:
        typer.echo("stsdiag: interrupted", err=True)
        return ExitStatus.INTERRUPTED
    except typer.Exit as e:
        if int(e.exit_code) == ExitStatus.INTERRUPTED:
            typer.echo("stsdiag: interrupted", err=True)
        return int(e.exit_code)
    except _USAGE_ERROR as e:
        fmt = getattr(e, "format_message", None)
        lines = str(fmt() if callable(fmt) else e).splitlines()
        msg = lines[0] if lines else str(e)
        typer.echo(f"stsdiag: usage error: {msg}", err=True)
        error_document(args, "usage-error", msg)
        return ExitStatus.USAGE
    except _CLICK_ERROR as e:
        typer.echo(f"stsdiag: error: {e}", err=True)
        error_document(args, "usage-error", str(e))
        return ExitStatus.USAGE
    except StsdiagError as e:
        if debug:
            raise
        typer.echo(f"stsdiag: error: {e}", err=True)
        error_document(args, _error_code(e), str(e))
        return ExitStatus.USAGE
    except BrokenPipeError:
        return ExitStatus.OK
    except Exception as e:
        if debug:
            raise
        typer.echo(
            f"stsdiag: internal error: {type(e).__name__}: {e} (re-run with --debug for the traceback)",
            err=True,
        )
        return ExitStatus.INTERNAL
    return int(rv) if isinstance(rv, int) else 0


def main() -> None:
    code = run()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    # skip interpreter teardown (0.15-0.25 s once botocore is loaded): nothing is left to do
    os._exit(code)
