"""Debug logs as CI systems and log collectors hand them to users: the same diagnosis.

A user downloads `aws --debug` output from a CI job (GitHub Actions, GitLab CI, Jenkins,
AWS CodeBuild, Azure Pipelines), copies it out of a log collector (CloudWatch Logs, Loki,
Splunk, Datadog, `kubectl logs`, Docker's json-file driver, the CRI files under
/var/log/pods, `journalctl -o json`) or runs it under PowerShell. Each function below turns
a bare log into what that tool hands out, modelled on the tool's documented or observed
shape (the source is in its docstring); the wrapped log must read as the bare one."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from stsdiag.cli import run
from stsdiag.errors import InputError
from stsdiag.logparse.records import ReadStats, iter_records, physical_lines, records_from_lines
from stsdiag.logparse.unwrap import SAMPLE_BYTES, SAMPLE_LINES, detect, unwrapped
from tests.helpers import LOGS
from tests.test_records import _summary, both
from tests.test_secrets import JWT, KEY_ID, SECRET_KEY, SESSION_TOKEN, SIGNATURE, secret_log

# a representative handful: the old CLI with tracebacks and retries, boto3's
# set_stream_logger, a threaded boto3 log, an aiobotocore one, a CLI v2 credential error,
# a threaded boto3 log in logging.basicConfig's format (no time of its own)
FIXTURES = [
    LOGS / "g2019-cli-read-timeout.log",
    LOGS / "g2023-boto3-setstream-global-timeout.log",
    LOGS / "g2024-boto3-threads-read-timeout.log",
    LOGS / "gaiolatest-read-timeout.log",
    LOGS / "g2023-cli-expired-token.log",
    LOGS / "g2024-boto3-basicconfig-threads-standard-read-timeout.log",
]

_T0 = 1714564800  # 2024-05-01T12:00:00Z


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")


def _iso(i: int, digits: int = 7) -> bytes:
    """An ISO 8601 UTC time `i` milliseconds after _T0 with `digits` fraction digits."""
    s, ms = divmod(i, 1000)
    frac = f"{ms:03d}".ljust(digits, "0")
    return f"2024-05-01T12:{(s // 60) % 60:02d}:{s % 60:02d}.{frac}Z".encode()


def github_actions(data: bytes) -> bytes:
    """A GitHub Actions step's log as the UI's 'Download log archive' / the REST API's
    `GET /repos/{o}/{r}/actions/jobs/{id}/logs` give it: every line behind the runner's
    time with 7 fraction digits and a blank (`2024-05-01T12:00:00.1234567Z `), the step's
    command in a `##[group]Run ...` ... `##[endgroup]` fold, shell lines and a closing
    `##[error]Process completed with exit code 255.` (docs.github.com, 'Using workflow run
    logs'; workflow commands `::group::`/`::error::` appear in the raw log as `##[...]`)."""
    head = [
        b"##[group]Run aws sts get-caller-identity --debug",
        b"\x1b[36;1maws sts get-caller-identity --debug\x1b[0m",
        b"shell: /usr/bin/bash -e {0}",
        b"env:",
        b"  AWS_DEFAULT_REGION: us-east-1",
        b"##[endgroup]",
    ]
    tail = [b"##[error]Process completed with exit code 255."]
    body = head + _lines(data) + tail
    return b"".join(_iso(i) + b" " + ln + b"\n" for i, ln in enumerate(body))


def azure_pipelines(data: bytes) -> bytes:
    """An Azure Pipelines Bash task's log ('Download logs' / the Timeline log URL): every
    line behind a 7-digit UTC time, `##[section]Starting: Bash` ... `[command]/usr/bin/bash
    /home/vsts/work/_temp/<uuid>.sh`, the output, `##[error]Bash exited with code '255'.`
    and `##[section]Finishing: Bash` (learn.microsoft.com, 'Review logs to diagnose
    pipeline issues'; logging commands `##vso[...]` are echoed as `##[...]`)."""
    head = [
        b"##[section]Starting: Bash",
        b"==============================================================================",
        b"Task         : Bash",
        b"Description  : Run a Bash script on macOS, Linux, or Windows",
        b"==============================================================================",
        b"Generating script.",
        b"========================== Starting Command Output ===========================",
        b"[command]/usr/bin/bash /home/vsts/work/_temp/5b0e4b2c-3f4a-4b6e-9f70-1a2b3c4d5e6f.sh",
    ]
    tail = [b"##[error]Bash exited with code '255'.", b"##[section]Finishing: Bash"]
    body = head + _lines(data) + tail
    return b"".join(_iso(i) + b" " + ln + b"\n" for i, ln in enumerate(body))


def gitlab_ci(data: bytes) -> bytes:
    """A GitLab CI job's raw log (the job page's 'Show complete raw' / `GET
    /projects/:id/jobs/:job_id/trace`): collapsible sections as
    `section_start:<unix time>:<name>\\r\\x1b[0K` and `section_end:...`, the runner's
    coloured lines (`\\x1b[32;1m$ aws ...\\x1b[0;m`) and the job's output as written
    (docs.gitlab.com, 'Custom collapsible sections')."""
    out = [
        b"\x1b[0KRunning with gitlab-runner 16.11.0 (91a27b2a)\x1b[0;m",
        b"section_start:1714564800:prepare_script\r\x1b[0K\x1b[0K\x1b[36;1mPreparing environment\x1b[0;m\x1b[0;m",
        b"Running on runner-abc-project-1-concurrent-0 via gitlab-runner-1...",
        b"section_end:1714564801:prepare_script\r\x1b[0K",
        b'section_start:1714564801:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting "step_script" stage of the job script\x1b[0;m\x1b[0;m',
        b"\x1b[32;1m$ aws sts get-caller-identity --debug\x1b[0;m",
        *_lines(data),
        b"section_end:1714564830:step_script\r\x1b[0K\x1b[31;1mERROR: Job failed: exit code 255",
        b"\x1b[0;m",
    ]
    return b"\n".join(out) + b"\n"


def gitlab_ci_timestamps(data: bytes) -> bytes:
    """GitLab CI's raw log with the runner's FF_TIMESTAMPS (default from GitLab Runner 17):
    every line behind `<RFC 3339 UTC time, 6 digits> <stream number, 2 hex><O|E><' '|'+'>`,
    `+` marking the rest of a line the runner flushed in parts (gitlab.com
    gitlab-org/gitlab!153516: `2024-05-14T11:19:20.000000Z 00O+Hey there!`). stderr is
    stream E; a long line is split here after 100 bytes, the rest marked `+`."""
    out = []
    for i, ln in enumerate(
        [b"\x1b[32;1m$ aws sts get-caller-identity --debug\x1b[0;m", *_lines(data)]
    ):
        kind = b"00O" if i == 0 else b"01E"
        parts = [ln[j : j + 100] for j in range(0, len(ln), 100)] or [b""]
        for k, part in enumerate(parts):
            out.append(_iso(i, 6) + b" " + kind + (b"+" if k else b" ") + part)
    return b"\n".join(out) + b"\n"


def jenkins_timestamper(data: bytes) -> bytes:
    """A Jenkins Pipeline's console text (`/job/x/1/consoleText`) with the Timestamper
    plugin's `timestamps { }` / global option: `[2024-05-01T12:00:00.123Z] ` before every
    line, `[Pipeline] sh` steps and the shell's `+ aws ...` trace (plugins.jenkins.io
    timestamper; its elapsed/system-clock '12:00:00 ' style is `jenkins_classic`)."""
    head = [
        b"[Pipeline] Start of Pipeline",
        b"[Pipeline] node",
        b"Running on Jenkins in /var/jenkins_home/workspace/sts-check",
        b"[Pipeline] {",
        b"[Pipeline] sh",
        b"+ aws sts get-caller-identity --debug",
    ]
    tail = [b"[Pipeline] }", b"[Pipeline] // node", b"[Pipeline] End of Pipeline",
            b"ERROR: script returned exit code 255", b"Finished: FAILURE"]  # fmt: skip
    body = head + _lines(data) + tail
    return b"".join(
        b"[" + _iso(i, 3) + b"] " + ln + b"\n" if not ln.startswith(b"[Pipeline]") else ln + b"\n"
        for i, ln in enumerate(body)
    )


def jenkins_classic(data: bytes) -> bytes:
    """A freestyle Jenkins job's console with the Timestamper plugin's default system-clock
    format `HH:mm:ss` before every line (plugins.jenkins.io timestamper)."""
    body = [b"Started by user admin", b"[sts-check] $ /bin/sh -xe /tmp/jenkins123.sh",
            b"+ aws sts get-caller-identity --debug", *_lines(data),
            b"Build step 'Execute shell' marked build as failure", b"Finished: FAILURE"]  # fmt: skip
    return b"".join(
        f"12:{i // 60 % 60:02d}:{i % 60:02d} ".encode() + ln + b"\n" for i, ln in enumerate(body)
    )


def codebuild(data: bytes) -> bytes:
    """An AWS CodeBuild build log (console 'Build logs' tab, or the CloudWatch stream): the
    agent's own lines as `[Container] 2024/05/01 12:00:00.123456 ...` (`Running command
    ...`, `Command did not exit successfully ... exit status 255`, `Phase complete: BUILD
    State: FAILED`), the command's output as written (docs.aws.amazon.com codebuild,
    'View build details'; aws/aws-codebuild-docker-images issues)."""
    head = [
        b"[Container] 2024/05/01 12:00:00.123456 Entering phase BUILD",
        b"[Container] 2024/05/01 12:00:00.124000 Running command aws sts get-caller-identity --debug",
    ]
    tail = [
        b"",
        b"[Container] 2024/05/01 12:00:31.000000 Command did not exit successfully aws sts "
        b"get-caller-identity --debug exit status 255",
        b"[Container] 2024/05/01 12:00:31.001000 Phase complete: BUILD State: FAILED",
        b"[Container] 2024/05/01 12:00:31.001100 Phase context status code: COMMAND_EXECUTION_ERROR "
        b"Message: Error while executing command: aws sts get-caller-identity --debug. Reason: exit status 255",
    ]
    return b"\n".join(head + _lines(data) + tail) + b"\n"


def _go_json(s: str) -> str:
    """A string as Go's encoding/json writes it: `<`, `>`, `&` as \\u003c, \\u003e, \\u0026."""
    return (
        json.dumps(s, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


_HEADER_START = re.compile(rb"\d{4}-\d\d-\d\d|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):")


def _events(data: bytes) -> list[bytes]:
    """The log's lines grouped as a collector that merges multi-line events groups them
    (Splunk's default line merging, a Lambda function's one event per logging call, the
    CloudWatch agent's multi_line_start_pattern): a new event at each line that starts
    with a date or a level (basicConfig), the lines after it in the same event."""
    out: list[bytes] = []
    for ln in _lines(data):
        if out and not _HEADER_START.match(ln):
            out[-1] += b"\n" + ln
        else:
            out.append(ln)
    return out


def docker_json_file(data: bytes, split: int = 16384) -> bytes:
    """Docker's json-file driver (/var/lib/docker/containers/<id>/<id>-json.log): one JSON
    object per line the container wrote, `{"log":"<line>\\n","stream":"stderr","time":
    "<RFC 3339, 9 digits>"}`, in Go's encoding (HTML characters as \\u003c...)
    (docs.docker.com, 'JSON File logging driver')."""
    out = []
    for i, ln in enumerate(_lines(data)):
        text = ln.decode("utf-8", "replace") + "\n"
        out.append(f'{{"log":{_go_json(text)},"stream":"stderr","time":"{_iso(i, 9).decode()}"}}')
    return ("\n".join(out) + "\n").encode()


def cri(data: bytes, split: int = 16384) -> bytes:
    """A Kubernetes container log file under /var/log/pods (containerd, CRI-O): `<RFC 3339
    time, 9 digits> <stdout|stderr> <F|P> <line>`, a line longer than the runtime's buffer
    (16 KiB in containerd) cut into `P` (partial) pieces and an `F` last piece (kubernetes
    design proposal 'CRI: Log management for container stdout/stderr streams'; Loki
    promtail's and OpenTelemetry's `cri`/`container` parsers)."""
    out = []
    for i, ln in enumerate(_lines(data)):
        parts = [ln[j : j + split] for j in range(0, len(ln), split)] or [b""]
        for k, part in enumerate(parts):
            tag = b"F" if k == len(parts) - 1 else b"P"
            out.append(_iso(i, 9) + b" stderr " + tag + b" " + part)
    return b"\n".join(out) + b"\n"


def journal_json(data: bytes) -> bytes:
    """`journalctl -u myjob -o json`: one JSON object per journal entry, a line of a
    service's stderr per entry, the text in MESSAGE (freedesktop.org, systemd.journal-fields
    and journalctl(1) '-o json')."""
    out = []
    for i, ln in enumerate(_lines(data)):
        entry = {
            "__CURSOR": f"s=0f1e2d3c4b5a49788796a5b4c3d2e1f0;i={i + 1:x};b=1;m={i:x};t=1;x=1",
            "__REALTIME_TIMESTAMP": str(_T0 * 1000000 + i * 1000),
            "__MONOTONIC_TIMESTAMP": str(1000000 + i),
            "_BOOT_ID": "0f1e2d3c4b5a49788796a5b4c3d2e1f0",
            "PRIORITY": "6",
            "SYSLOG_FACILITY": "3",
            "SYSLOG_IDENTIFIER": "sts-check",
            "_PID": "1234",
            "_COMM": "aws",
            "_SYSTEMD_UNIT": "sts-check.service",
            "MESSAGE": ln.decode("utf-8", "replace"),
        }
        out.append(json.dumps(entry, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode()


def journal_short(data: bytes) -> bytes:
    """`journalctl -u sts-check` (the default `-o short`, as syslog files have it): `Mon
    DD HH:MM:SS host identifier[pid]: ` before every line (journalctl(1) '-o short')."""
    return b"".join(
        f"May 01 12:{i // 60 % 60:02d}:{i % 60:02d} ip-10-0-1-23 sts-check[1234]: ".encode()
        + ln
        + b"\n"
        for i, ln in enumerate(_lines(data))
    )


def kubectl_timestamps(data: bytes) -> bytes:
    """`kubectl logs --timestamps pod/x`: the kubelet's RFC 3339 time with 9 digits and a
    blank before every line (kubectl logs --help)."""
    return b"".join(_iso(i, 9) + b" " + ln + b"\n" for i, ln in enumerate(_lines(data)))


def cloudwatch_console(data: bytes) -> bytes:
    """Rows copied out of the CloudWatch Logs console's log-events table: the event's time,
    a tab, the message (one event per line the program wrote, as the awslogs driver and
    the CloudWatch agent ship stderr)."""
    return b"".join(_iso(i, 3) + b"\t" + ln + b"\n" for i, ln in enumerate(_lines(data)))


def filter_log_events_text(data: bytes, merged: bool = False) -> bytes:
    """`aws logs filter-log-events --log-group-name ... --output text`: one `EVENTS` row per
    event, the event's fields in the CLI's text order (eventId, ingestionTime,
    logStreamName, message, timestamp), tab-separated (AWS CLI 'Text output format'). With
    `merged`, an event per record (`_events`) whose message ends with the newline the
    function logged: its lines come through as they are, the timestamp alone after them."""
    out = []
    for i, ln in enumerate(_events(data) if merged else _lines(data)):
        ln = ln + b"\n" if merged else ln
        ts = _T0 * 1000 + i
        eid = f"{ts:d}{i:030d}"[:56]
        out.append(
            b"EVENTS\t"
            + eid.encode()
            + f"\t{ts + 400}\tsts-check/app/0123456789abcdef\t".encode()
            + ln
            + f"\t{ts}".encode()
        )
    return b"\n".join(out) + b"\n"


def loki_jsonl(data: bytes) -> bytes:
    """Grafana Loki's `logcli query --output=jsonl '{app="sts-check"}' --forward`: one JSON
    object per line, `{"labels":{...},"line":"<line>","timestamp":"<RFC 3339>"}`
    (grafana.com Loki docs, 'LogCLI')."""
    out = []
    for i, ln in enumerate(_lines(data)):
        ev = {
            "labels": {"app": "sts-check", "namespace": "prod", "stream": "stderr"},
            "line": ln.decode("utf-8", "replace"),
            "timestamp": _iso(i, 9).decode().replace("Z", "+00:00"),
        }
        out.append(json.dumps(ev, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode()


def splunk_json(data: bytes, merged: bool = False) -> bytes:
    """Splunk's search export (`/services/search/jobs/export?output_mode=json`, the UI's
    Export > JSON): one `{"preview":false,"offset":N,"result":{..."_raw":"<line>"...}}`
    per event (docs.splunk.com, REST API reference 'search/jobs/export'); `merged`: with
    Splunk's default line merging, a record's lines in one event's _raw (`_events`)."""
    out = []
    for i, ln in enumerate(_events(data) if merged else _lines(data)):
        ev = {
            "preview": False,
            "offset": i,
            "result": {
                "_raw": ln.decode("utf-8", "replace"),
                "_time": _iso(i, 3).decode().replace("Z", "+00:00"),
                "host": "ip-10-0-1-23",
                "source": "/var/log/sts-check.log",
                "sourcetype": "sts-check",
            },
        }
        out.append(json.dumps(ev, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode()


def datadog_json(data: bytes) -> bytes:
    """Datadog's Logs API (`POST /api/v2/logs/events/search`) events, one per line as `jq
    -c '.data[]'` prints them: `{"id":...,"type":"log","attributes":{"message":"<line>",
    "service":...,"status":...,"timestamp":...}}` (docs.datadoghq.com, 'Logs API')."""
    out = []
    for i, ln in enumerate(_lines(data)):
        ev = {
            "id": f"AQAAAY{i:020d}",
            "type": "log",
            "attributes": {
                "status": "info",
                "service": "sts-check",
                "host": "ip-10-0-1-23",
                "message": ln.decode("utf-8", "replace"),
                "timestamp": _iso(i, 3).decode(),
                "tags": ["env:prod", "source:python"],
            },
        }
        out.append(json.dumps(ev, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode()


def _ps_head(first: bytes) -> list[bytes]:
    shown = first.decode("utf-8", "replace")
    cut = shown[:32] + "..." + shown[-16:] if len(shown) > 50 else shown
    cmd = b"aws sts get-caller-identity --debug 2>&1 | Out-File debug.txt"
    return [
        b"aws : " + first,
        b"At line:1 char:1",
        b"+ " + cmd,
        b"+ " + b"~" * len(cmd),
        f"    + CategoryInfo          : NotSpecified: ({cut}:String) [], RemoteException".encode(),
        b"    + FullyQualifiedErrorId : NativeCommandError",
        b" ",
    ]


def powershell51(data: bytes) -> bytes:
    """Windows PowerShell 5.1's `aws ... --debug 2>&1 | Out-File debug.txt`: stderr goes
    through the error stream, the first line as an ErrorRecord (`aws : <line>`, `At
    line:1 char:1`, the command under `+ ~~~`, `+ CategoryInfo ... RemoteException`, `+
    FullyQualifiedErrorId : NativeCommandError`), the rest as plain lines; Out-File
    writes UTF-16LE with a byte-order mark (PowerShell/PowerShell #3996, PowerShell/JEA
    #24)."""
    lines = _lines(data)
    text = b"\r\n".join(_ps_head(lines[0]) + lines[1:]) + b"\r\n"
    return b"\xff\xfe" + text.decode("utf-8", "replace").encode("utf-16-le")


def powershell7(data: bytes) -> bytes:
    """PowerShell 7's `aws ... --debug 2>&1 | ForEach-Object ToString > debug.txt` (the
    usual way to get text out of `2>&1`): every stderr line is an ErrorRecord whose text
    is the line, but an empty line stringifies as the exception's type name
    `System.Management.Automation.RemoteException` (PowerShell/PowerShell #23950); the
    file is UTF-8 with no BOM."""
    out = [ln if ln.strip() else b"System.Management.Automation.RemoteException"
           for ln in _lines(data)]  # fmt: skip
    return b"\n".join(out) + b"\n"


def newest_first(export: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """An export's events newest first: Loki's default direction (`logcli query` without
    `--forward`: backward), Splunk's search results and Datadog's Log Explorer list the
    latest event first (grafana.com LogCLI docs `--forward`; docs.splunk.com 'sort')."""

    def wrap(data: bytes) -> bytes:
        return b"\n".join(reversed(_lines(export(data)))) + b"\n"

    return wrap


WRAPPERS: dict[str, Callable[[bytes], bytes]] = {
    "github-actions": github_actions,
    "azure-pipelines": azure_pipelines,
    "gitlab-ci": gitlab_ci,
    "gitlab-ci-timestamps": gitlab_ci_timestamps,
    "jenkins-timestamper": jenkins_timestamper,
    "jenkins-classic": jenkins_classic,
    "codebuild": codebuild,
    "docker-json-file": docker_json_file,
    "docker-json-file-partial": lambda d: docker_json_file(d, split=100),
    "cri": cri,
    "cri-partial": lambda d: cri(d, split=120),
    "journalctl-json": journal_json,
    "journalctl-short": journal_short,
    "kubectl-timestamps": kubectl_timestamps,
    "cloudwatch-console": cloudwatch_console,
    "filter-log-events-text": filter_log_events_text,
    "filter-log-events-text-merged": lambda d: filter_log_events_text(d, merged=True),
    "loki-jsonl": loki_jsonl,
    "splunk-json": splunk_json,
    "splunk-json-merged": lambda d: splunk_json(d, merged=True),
    "datadog-json": datadog_json,
    "loki-jsonl-newest-first": newest_first(loki_jsonl),
    "splunk-json-merged-newest-first": newest_first(lambda d: splunk_json(d, merged=True)),
    "datadog-json-newest-first": newest_first(datadog_json),
    "powershell-5.1": powershell51,
    "powershell-7": powershell7,
}


# wrappers that put a time on every line and are not taken off (a bare time prefix, kept
# when the log has no time of its own; shapes the reader reads through as before)
TIMED = {
    "github-actions",
    "azure-pipelines",
    "jenkins-timestamper",
    "jenkins-classic",
    "journalctl-short",
    "kubectl-timestamps",
    "cloudwatch-console",
}


def _read(data: bytes) -> bytes:
    """What parse-log's input sniffing makes of the bytes (UTF-16 transcoded...)."""
    from stsdiag.parselog import _sniffed

    return _sniffed(io.BufferedReader(io.BytesIO(data)), "x").read()  # type: ignore[arg-type]


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize("log", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_wrapped_log_keeps_the_diagnosis(wrapper: str, log: Path) -> None:
    data = log.read_bytes()
    wrapped = WRAPPERS[wrapper](data)
    got, bare = _summary(_read(wrapped)), _summary(data)
    if "basicconfig" in log.name and wrapper in TIMED:
        # a log with no times of its own, behind a time on every line (kept: it may be
        # the log's own): the times tell the threads' tries apart, and each request that
        # ran out of them gets its SD208 (the bare log: one for all). Otherwise the same.
        assert got[0].count(("SD208", "warning")) >= bare[0].count(("SD208", "warning"))
        got, bare = (sorted(set(got[0])), *got[1:]), (sorted(set(bare[0])), *bare[1:])
    assert got == bare


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
def test_wrapped_log_through_the_cli(
    wrapper: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same through `parse-log FILE` (input sniffing, the parallel reader)."""
    from tests.helpers import diagnosis

    log = FIXTURES[0]
    bare = diagnosis(log, capsys)
    p = tmp_path / "wrapped.log"
    p.write_bytes(WRAPPERS[wrapper](log.read_bytes()))
    assert diagnosis(p, capsys) == bare
    code = run(["parse-log", str(p), "--output", "json", "--fail-on", "never", "--jobs", "2"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["requests_total"] == bare[3]


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize("log", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fast_reader_equals_reference_on_wrapped_logs(wrapper: str, log: Path) -> None:
    data = _read(WRAPPERS[wrapper](log.read_bytes()))
    ref, fast = both(data)
    assert ref == fast
    assert both(data, block=997)[1] == ref


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
def test_no_secret_survives_in_a_wrapped_log(
    wrapper: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "secrets.log"
    p.write_bytes(WRAPPERS[wrapper](secret_log(FIXTURES[4].read_bytes())))
    for output in ("json", "table"):
        code = run(["parse-log", str(p), "--output", output, "--fail-on", "never"])
        out, err = capsys.readouterr()
        assert code == 0, err
        text = out + err
        assert SECRET_KEY not in text and SIGNATURE not in text and KEY_ID not in text
        assert SESSION_TOKEN[:40] not in text and JWT[:30] not in text
        assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", text)


def test_wrapped_reader_sees_sdk_records() -> None:
    """Sanity: each wrapper keeps the SDK's records readable (not a vacuous equality)."""
    data = FIXTURES[0].read_bytes()
    for name, wrap in WRAPPERS.items():
        stats = ReadStats()
        n = sum(1 for _ in iter_records(io.BytesIO(_read(wrap(data))), stats))  # type: ignore[arg-type]
        assert n > 10 and stats.sdk_records > 10, name


# another program's log in the same shapes: its lines must not become the SDK's records
OTHER = (
    b"2024-05-01 12:00:00,123 - MainThread - myapp.sync - INFO - Sending http request to billing\n"
    b"2024-05-01 12:00:00,200 - MainThread - myapp.sync - ERROR - retry needed: upstream 503\n"
    b"Traceback (most recent call last):\n"
    b'  File "/app/sync.py", line 10, in run\n'
    b"requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='billing.example.com', "
    b"port=443): Read timed out. (read timeout=5)\n"
    b"[2024-05-01 12:00:01 +0000] [7] [INFO] Booting worker with pid: 7\n"
)


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
def test_other_programs_in_wrappers_are_not_sdk_records(wrapper: str) -> None:
    stats = ReadStats()
    for _ in iter_records(io.BytesIO(_read(WRAPPERS[wrapper](OTHER))), stats):  # type: ignore[arg-type]
        pass
    assert stats.sdk_records == 0
    with pytest.raises(InputError, match="not a botocore debug log"):
        _summary(_read(WRAPPERS[wrapper](OTHER)))


def _records(data: bytes, unwrap: bool) -> list[tuple[object, ...]]:
    s = ReadStats()
    stream = unwrapped(io.BytesIO(data)) if unwrap else io.BytesIO(data)
    lines = physical_lines(stream, s)  # type: ignore[arg-type]
    return [
        (r.line, r.logger, r.thread, r.ts, tuple(r.lines)) for r in records_from_lines(lines, s)
    ]


def test_a_log_format_that_starts_with_an_iso_time_is_no_wrapper() -> None:
    """Near miss: an application's own format with an ISO 8601 time first on every line
    (no continuation lines) is not a collector's prefix: its records keep their times."""
    rx = re.compile(
        rb"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d+) - [^\n]+? - ([\w.]+) - (DEBUG|INFO) - ", re.M
    )
    data = FIXTURES[0].read_bytes()
    own = b"".join(
        rx.sub(rb"\1T\2.\3Z \5 \4: ", ln) for ln in data.splitlines(keepends=True) if rx.match(ln)
    )
    assert own.count(b"\n") > 50
    recs = _records(own, unwrap=True)
    assert recs == _records(own, unwrap=False)
    assert recs and all(r[3] is not None for r in recs)


def test_application_json_records_are_no_wrapper() -> None:
    """Near miss: a Lambda function's JSON log format (one record per JSON object, with a
    level) is read as records, not unwrapped as an export's events."""
    data = (LOGS / "glatest-boto3-lambda-json-read-timeout.log").read_bytes()
    assert detect(data.split(b"\n")[:SAMPLE_LINES]) is None
    assert _records(data, unwrap=True) == _records(data, unwrap=False)


def test_a_bare_log_is_read_as_before() -> None:
    """No fixture log (bare) is taken for a wrapped one."""
    from tests.helpers import cases

    for c in cases():
        sample = c.log.read_bytes()[:SAMPLE_BYTES].split(b"\n")[:-1][:SAMPLE_LINES]
        u = detect(sample)
        # (structlog's and rich's lines are rewritten as botocore's format: test_structured_formats)
        structured = {
            "structlog-console": "console",
            "structlog-logfmt": "kv",
            "structlog-kv": "kv",
            "rich": "rich",
        }
        want = structured.get(str(c.meta.get("format")))
        assert (u.kind if u else None) == want, c.name


def test_a_time_prefix_stays_only_on_headers_without_a_time() -> None:
    """A log whose headers have no time of their own (basicConfig) behind GitHub Actions'
    times: the headers keep the runner's time (the only one), the continuation lines
    (tracebacks, response bodies) lose it and read as the record's lines."""
    data = (LOGS / "g2024-boto3-basicconfig-threads-standard-read-timeout.log").read_bytes()
    stats = ReadStats()
    recs = list(iter_records(io.BytesIO(github_actions(data)), stats))  # type: ignore[arg-type]
    bare = list(iter_records(io.BytesIO(data), ReadStats()))  # type: ignore[arg-type]
    assert recs and all(r.ts is not None for r in recs if r.logger.startswith("botocore"))
    conts = [x for r in recs for x in r.lines[1:]]
    assert conts and not any(re.match(r"\d{4}-\d\d-\d\dT", x) for x in conts)
    runner = [x for x in conts if x.startswith("##[")]  # the runner's own last line
    assert [x for x in conts if x not in runner] == [x for r in bare for x in r.lines[1:]]


def test_an_export_with_one_event_out_of_order_is_not_turned_round() -> None:
    """Near miss: events oldest first with one out of place (a clock step) are read in
    the order given; only an export whose times go back throughout is turned round."""
    data = FIXTURES[0].read_bytes()
    lines = _lines(loki_jsonl(data))
    lines[5], lines[6] = lines[6], lines[5]
    exported = b"\n".join(lines) + b"\n"
    u = detect(lines[:SAMPLE_LINES])
    assert u is not None and u.kind == "json" and not u.newest_first
    assert _summary(exported) == _summary(data)
