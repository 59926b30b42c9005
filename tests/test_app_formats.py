"""Application log formats that name no logger, or name the source file instead: AWS Lambda's
text format pasted with spaces for tabs, Apache Airflow's task log, Celery's worker log, and
the level-only formats of Python apps ('%(asctime)s - %(levelname)s - %(message)s', Flask's
'... in %(module)s: ...', the source file or module after the level word), headers that put
the full logger name elsewhere ('[botocore.x] - INFO -', 'botocore.x[pid] INFO', loguru's
'| INFO | botocore.x:func:line -'). Real pastes (tests/data/app-formats, sources in its SOURCES.md),
real fixture logs rewritten into each format (the same diagnosis, the same loggers), and
other programs' lines in the same shapes (never SDK records)."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stsdiag.logparse.records import CONT, FOREIGN, KEPT, ReadStats, classify_line, iter_records
from tests.helpers import cases
from tests.test_records import _summary, both

DATA = Path(__file__).parent / "data" / "app-formats"
AIRFLOW_PASTE = DATA / "03-airflow-17507-container-role.log"
LAMBDA_PASTE = DATA / "12-zappa-858-lambda-spaces.log"
COMPOSE_PASTE = DATA / "15-airflow-50802-compose-prefix.log"
CELERY_PASTE = DATA / "16-planscape-1757-celery-journald.log"
PAREN_FILE_PASTE = DATA / "22-localstack-cognito-paren-file.log"
MODULE_FUNC_PASTE = DATA / "23-redshift-setup-module-func.log"

# Real fixture logs that name their loggers (the Lambda ones name none; basicConfig's has no
# times to rewrite)
SOURCES = [
    c.log
    for c in cases()
    if c.meta.get("format") not in ("lambda", "lambda-json", "basicConfig", "rich")
    and not str(c.meta.get("format")).startswith("structlog-")  # (their own formats' logs)
    and b"botocore.hooks: " not in c.log.read_bytes()[:200]  # '[DEBUG] botocore.hooks: ': no time
    # aiobotocore's loggers (aiobotocore.credentials, .regions) end like botocore's: a format
    # that shows only the module or file cannot name them back
    and not c.meta.get("generator", "").startswith(("aiobotocore", "aioboto3"))
    # botocore < 1.11's vendored urllib3 (botocore.vendored.requests.packages.urllib3): its
    # status line names no host, so without the logger's name nothing says it is urllib3's
    and b"botocore.vendored.requests" not in c.log.read_bytes()
]
# logs of concurrent threads: formats whose thread column is a request id (Lambda) or a
# process name (Celery) put all threads in one, which the request reconstruction can't split
THREADED = {"glatest-boto3-threads-ok.log", "glatest-boto3-setstream-ok.log"}
# threads whose requests fail at once, each ended by an 'Exception in thread T-n' report
# outside the log records: only the thread names say which request each report ends, and
# none of these formats has them
THREAD_BOUND = {"g2024-boto3-threads-read-timeout.log"}

# the stock headers of the fixtures: `aws --debug`, set_stream_logger, and the custom ISO one
_HEADER = re.compile(
    rb"^(?:(?P<d>\d{4}-\d\d-\d\d) (?P<t>\d\d:\d\d:\d\d),(?P<f>\d+) - [^\n]+? - (?P<lg>[\w.]+)"
    rb" - (?P<lv>DEBUG|INFO|WARNING|ERROR) - "
    rb"|(?P<d2>\d{4}-\d\d-\d\d) (?P<t2>\d\d:\d\d:\d\d),(?P<f2>\d+) (?P<lg2>[\w.]+) "
    rb"\[(?P<lv2>DEBUG|INFO|WARNING|ERROR)\] "
    rb"|(?P<d3>\d{4}-\d\d-\d\d)T(?P<t3>\d\d:\d\d:\d\d)\.(?P<f3>\d+)Z "
    rb"(?P<lv3>DEBUG|INFO|WARNING|ERROR) \[[^\]\n]+\] (?P<lg3>[\w.]+) - )",
    re.M,
)
_REQUEST_ID = b"e4fe02dc-8707-42ec-b9c8-927722bbe9da"
FORMATS = {
    # Lambda's '[LEVEL]\t<time>Z\t<request id>\t' with spaces, behind `zappa tail`'s prefix
    "lambda-spaces": b"[1589392416528] [%(lv)s] %(d)sT%(t)s.%(f)sZ " + _REQUEST_ID + b" ",
    # Airflow: the logger's module file; behind docker compose; as the web UI shows times
    "airflow": b"[%(d)s %(t)s,%(f)s] {%(stem)s.py:42} %(lv)s - ",
    "airflow-compose": b"%(d)s %(t)s.%(f)s | [%(d)sT%(t)s.%(f)s+0000] {%(stem)s.py:42} %(lv)s - ",
    "airflow-ui": b"[%(d)s, %(t)s UTC] {%(stem)s.py:42} %(lv)s - ",
    # Celery's worker format behind journald's prefix
    "celery-journald": b"Sep 18 19:19:37 host python3[4074891]: [%(d)s %(t)s,%(f)s: %(lv)s/MainProcess] ",
    # level-only formats of Python apps
    "ts-dash-level": b"%(d)s %(t)s,%(f)s - %(lv)s - ",  # %(asctime)s - %(levelname)s - ...
    "ts-bracket-level": b"%(d)s %(t)s,%(f)s [%(lv)s] ",  # %(asctime)s [%(levelname)s] ...
    "level-ts": b"%(lv)s %(d)s %(t)s,%(f)s ",  # %(levelname)s %(asctime)s %(message)s
    "flask": b"[%(d)s %(t)s,%(f)s] %(lv)s in %(stem)s: ",  # Flask's default_handler
    "level-colon": b"%(lv)s: ",  # %(levelname)s: %(message)s
    "time-level-colon": b"%(t)s,%(f)s %(lv)s: ",  # a time of day only
    # the source file or the module (and function) after the level word
    "paren-file": b"%(d)s %(t)s,%(f)s %(lv)s (%(stem)s.py:428) - ",  # ... (%(filename)s:%(lineno)d) - ...
    "module-func": b"%(d)s %(t)s.%(f)s %(lv)s %(stem)s - _emit: ",  # %(module)s - %(funcName)s: ...
    # the full logger name in other places of the header
    "bracket-logger": b"%(d)s %(t)s,%(f)s [%(lg)s] - %(lv)s - ",  # [%(name)s] - %(levelname)s - ...
    "logger-pid": b"%(d)s %(t)s,%(f)s %(lg)s[79705] %(lv)s ",  # %(name)s[%(process)d] ...
    "loguru": b"%(d)s %(t)s.%(f)s | %(lvpad)s | %(lg)s:load:1113 - ",  # loguru's default format
}  # fmt: skip


def convert(data: bytes, fmt: str) -> bytes:
    """Rewrite a real log's headers into `fmt` (the message and continuation lines stay)."""
    template = FORMATS[fmt]

    def header(m: re.Match[bytes]) -> bytes:
        k = next(k for k in ("", "2", "3") if m["d" + k])
        logger = m["lg" + k]
        fields = {
            b"d": m["d" + k],
            b"t": m["t" + k],
            b"f": m["f" + k],
            b"lv": m["lv" + k],
            b"stem": logger.rsplit(b".", 1)[-1],  # %(module)s / %(filename)s
            b"lg": logger,
            b"lvpad": m["lv" + k].ljust(8),
        }
        return template % fields

    return _HEADER.sub(header, data)


@functools.cache
def original_summary(log: Path) -> tuple[object, ...]:
    return _summary(log.read_bytes())


def records(data: bytes) -> tuple[list[tuple[object, ...]], ReadStats]:
    stats = ReadStats()
    got: list[tuple[object, ...]] = [
        (r.line, r.logger, r.level, r.thread, r.ts, tuple(r.lines))
        for r in iter_records(io.BytesIO(data), stats)
    ]
    return got, stats


# ------------------------------------------------------------------------- real pastes


@pytest.mark.parametrize(
    ("paste", "fmt", "sdk", "kept", "thread", "ts"),
    [
        (
            AIRFLOW_PASTE, "airflow", 10,
            {"botocore.credentials": 6, "urllib3.connectionpool": 2}, None, 1628400674.797,
        ),
        (LAMBDA_PASTE, "lambda", 7, {}, None, None),  # hooks' lines: counted, none kept
        (
            PAREN_FILE_PASTE, "level-only", 12,
            {"botocore.auth": 1, "botocore.endpoint": 1, "urllib3.connectionpool": 2,
             "botocore.parsers": 4, "botocore.hooks": 2}, None, 1704371587.109,
        ),
        (
            MODULE_FUNC_PASTE, "level-only", 79,
            {"botocore.hooks": 14, "botocore.endpoint": 10, "botocore.auth": 10,
             "urllib3.connectionpool": 7, "botocore.parsers": 11}, None, 1603839217.956,
        ),
        (COMPOSE_PASTE, "airflow", 9, {}, None, None),  # client set-up: counted, none kept
        (
            CELERY_PASTE, "celery", 6, {"botocore.credentials": 6}, "ForkPoolWorker-3",
            1726687177.276,
        ),
    ],
    ids=["airflow", "lambda-spaces", "paren-file", "module-func", "airflow-compose", "celery-journald"],
)  # fmt: skip
def test_real_pastes_are_read(
    paste: Path, fmt: str, sdk: int, kept: dict[str, int], thread: str | None, ts: float | None
) -> None:
    """Real pastes that were rejected as 'not a botocore debug log': every SDK line is an
    SDK record of its format; the kept ones have the logger their file or message names,
    the process name as thread and the format's time."""
    data = paste.read_bytes()
    got, stats = records(data)
    assert stats.sdk_records == sdk and stats.formats == {fmt: sdk}
    counted: dict[str, int] = {}
    for r in got:
        counted[str(r[1])] = counted.get(str(r[1]), 0) + 1
    assert counted == kept
    if got:
        assert got[0][3] == thread
        assert got[0][4] == pytest.approx(ts)
    assert original_summary(paste) is not None  # analysed, not rejected


def _paste_as_stock(data: bytes) -> bytes:
    """The real pastes rewritten into stock header formats (botocore's without a thread for
    Airflow, the AWS CLI's with the process or request id as thread for Celery and Lambda),
    each line with the logger its source file or message belongs to (written out here)."""
    files = {
        b"credentials": b"botocore.credentials",
        b"connectionpool": b"urllib3.connectionpool",
        b"loaders": b"botocore.loaders",
        b"hooks": b"botocore.hooks",
        b"configprovider": b"botocore.configprovider",
        b"endpoint": b"botocore.endpoint",
        b"client": b"botocore.client",
        b"auth": b"botocore.auth",
        b"parsers": b"botocore.parsers",
        b"retryhandler": b"botocore.retryhandler",
    }
    data = re.sub(
        rb"^(?:[^\n]*? \| )?\[(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)[,.](\d+)[^\]\n]*\] "
        rb"\{(\w+)\.py:\d+\} (DEBUG|INFO) - ",
        lambda m: b"%s %s,%s - %s - %s - " % (m[1], m[2], m[3], files[m[4]], m[5]),
        data,
        flags=re.M,
    )
    data = re.sub(
        rb"^[^\n]*?\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+): (INFO)/ForkPoolWorker-3\] ",
        rb"\1 - ForkPoolWorker-3 - botocore.credentials - \2 - ",
        data,
        flags=re.M,
    )
    # '<time> LEVEL (file.py:N) - ' and '<time> LEVEL module - funcName: '
    data = re.sub(
        rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)[,.](\d+) (DEBUG|INFO) "
        rb"(?:\((\w+)\.py:\d+\)|(\w+) - \w+:) ?-? ?",
        lambda m: b"%s,%s - %s - %s - " % (m[1], m[2], files[m[4] or m[5]], m[3]),
        data,
        flags=re.M,
    )
    return re.sub(
        rb"^\[\d+\] \[(DEBUG)\] (\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)\.(\d+)Z ([\w-]+) ",
        rb"\2 \3,\4 - \5 - botocore.hooks - \1 - ",
        data,
        flags=re.M,
    )


@pytest.mark.parametrize(
    "paste",
    [AIRFLOW_PASTE, LAMBDA_PASTE, COMPOSE_PASTE, CELERY_PASTE, PAREN_FILE_PASTE, MODULE_FUNC_PASTE],
    ids=lambda p: p.stem,
)
def test_real_pastes_read_as_their_stock_rewrite(paste: Path) -> None:
    """The same records (loggers, levels, threads, times, messages) and the same diagnosis
    as the paste rewritten into the AWS CLI's own format."""
    data = paste.read_bytes()
    stock = _paste_as_stock(data)
    assert stock.count(b" - DEBUG - ") + stock.count(b" - INFO - ") >= 6
    # line by line the same kind (kept, dropped, continuation): the same logger's policy
    for a, b in zip(data.split(b"\n"), stock.split(b"\n"), strict=True):
        assert classify_line(a, 1)[0] == classify_line(b, 1)[0], a
    got, stats = records(data)
    want, stock_stats = records(stock)
    assert got == want
    assert stats.sdk_records == stock_stats.sdk_records
    assert _summary(data) == _summary(stock)


def test_real_celery_paste_names_the_credentials_source() -> None:
    rep = _summary(CELERY_PASTE.read_bytes())
    assert ("SD503", "info") in rep[0]  # type: ignore[operator]


# ------------------------------------------------- real fixture logs in each format


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_fixture_logs_in_app_formats_keep_the_diagnosis(fmt: str) -> None:
    """Every real fixture log that names its loggers, rewritten into `fmt`: the same
    findings, requests and recommended region as the original."""
    logs = [
        p
        for p in SOURCES
        if not (fmt.startswith(("lambda", "celery")) and p.name in THREADED)
        and p.name not in THREAD_BOUND
    ]
    assert len(logs) >= 50
    for log in logs:
        converted = convert(log.read_bytes(), fmt)
        assert converted != log.read_bytes()
        assert _summary(converted) == original_summary(log), (fmt, log.name)


@pytest.mark.parametrize(
    "fmt",
    [
        "airflow", "celery-journald", "flask", "ts-dash-level", "paren-file", "module-func",
        "bracket-logger", "logger-pid", "loguru",
    ],
)  # fmt: skip
def test_fixture_logs_in_app_formats_keep_the_loggers(fmt: str) -> None:
    """The loggers that a source file or a message opening names are the ones the original
    header named, record for record."""
    for log in SOURCES:
        want, _ = records(log.read_bytes())
        got, _ = records(convert(log.read_bytes(), fmt))
        assert [(r[0], r[1]) for r in got] == [(r[0], r[1]) for r in want], (fmt, log.name)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_fast_reader_equals_reference_in_app_formats(fmt: str) -> None:
    for log in SOURCES[:10]:
        data = convert(log.read_bytes(), fmt)
        ref, fast = both(data)
        assert ref == fast, (fmt, log.name)
        assert both(data, block=1499)[1] == ref, (fmt, log.name)


# ---------------------------------------------------------------- other programs

# Lines of other programs in the same shapes. Real: lines quoted next to botocore's in
# public READMEs and issues (Airflow task logs, Celery workers, apps' basicConfig output;
# found with a code search, repository not recorded); the rest are typed here after the
# Go, Java and Spring loggers' formats.
NEAR_MISSES = [
    b"[2024-03-25, 10:23:09 UTC] {base.py:73} INFO - Using connection ID 'aws_default' for task execution.",
    b"[2024-03-25, 10:23:10 UTC] {python.py:177} INFO - Done. Returned value was: ['08.csv.gz', '07.csv.gz']",
    b"[2022-12-28 16:21:26,114] {enroll_account.py:28} WARNING - Not in correct account, will use O",
    b"2025-05-20 11:07:45.785 | [2025-05-20T15:07:45.785+0000] {taskinstance.py:1234} ERROR - Unable to find xyz",
    b"[2021-08-08 05:31:14,797] {utils.py:12} INFO - Processing batch 3 of 7",
    b"[2022-08-04 04:58:46,648: DEBUG/ForkPoolWorker-2] Celery beat: import_from_local_folder",
    b"[2024-03-10 10:32:44,550: DEBUG/ForkPoolWorker-2] Loading 450,000 transaction records into memory Pandas DataFrame",
    b"[2021-01-12 16:27:53,942: DEBUG/ForkPoolWorker-1] Query 5: Handling cursor",
    b"[2019-06-14 02:43:43,286: DEBUG/MainProcess] Task accepted: pmrearend.task.log_it[a9db6911-e15a-4b9e-b321-958f5298652a] pid:4089",
    b"[INFO] 2020-05-13T17:53:36.528Z e4fe02dc-8707-42ec-b9c8-927722bbe9da processing order 42",
    b"2025-09-26 18:31:49,067 - INFO - ================================================================================",
    b"2026-01-18 11:53:06 - INFO - Checking if user 'user63' exists...",
    b"2025-07-03 17:02:30,832 [INFO] \xe2\x9c\x85 Created S3 bucket: btholath-sagemaker-datawrangler-demo",
    b"[2021-01-01 13:49:25,057][INFO] {'page': 'first-post'}",
    b"21:26:44,699 INFO: ==========================================",
    b"INFO: selecting all OIDC providers",
    b"[2021-07-29 17:29:45,221] INFO in app: Sending http request to the billing service",
    b"2021-07-29 17:29:45,221 INFO myapp: Found credentials for user bob",
    b"2021-07-29 17:29:45,221 myapp INFO Found credentials for user bob",
    b"Processing: ERROR Unable to open file",
    b"2021/07/29 17:29:45 DEBUG: Request sts/AssumeRole Details:",
    b"2021-07-29 17:29:45,221 DEBUG [main] software.amazon.awssdk.request: Sending Request: DefaultSdkHttpFullRequest(httpMethod=POST)",
    b"2021-07-29 17:29:45.221  INFO 1234 --- [           main] o.s.b.StartupInfoLogger  : Starting app",
    # the app's own module or file after the level word; SDK-like words in the app's names
    b"2020-10-27 22:53:37.957 DEBUG myapp - main: Making request for OperationModel(name=GetRole)",
    b"2020-10-27 22:53:38.228 INFO views - index: Found credentials for user bob",
    b"2020-10-27 22:53:38.228 DEBUG utils - helper: Processing batch 3 of 7",
    b"2024-01-04 12:33:07,109 DEBUG (app.py:31) - Sending http request to the billing service",
    b"2024-01-04 12:33:07,109 INFO (utils.py:12) - Processing batch 3 of 7",
    b"2024-01-04 12:33:07,109 INFO [utils.py:12] Processing batch 3 of 7",
    b"[myapp.credentials] - INFO - Found credentials for user bob",
    b"[boto3_helper] - INFO - Created client",
    b"myapp[79705] INFO Found credentials for user bob",
    b"2024-01-01 10:00:00.123 | INFO     | myapp.botocore_helper:load:12 - Found credentials for bob",
    b"2024-01-01 10:00:00.123 | INFO     | mybotocore.credentials:load:12 - loaded",
    b"2024-01-01 10:00:00.123 | INFO     | app.main:run:12 - Using botocore.credentials to load keys",
]  # fmt: skip


@pytest.mark.parametrize("line", NEAR_MISSES, ids=range(len(NEAR_MISSES)))
def test_other_programs_lines_are_not_sdk_records(line: bytes) -> None:
    kind, rec = classify_line(line, 1)
    assert kind in (CONT, FOREIGN) and rec is None
    _, stats = records(line + b"\n")
    assert stats.sdk_records == 0


def test_real_lines_of_level_only_formats() -> None:
    """botocore's lines in level-only formats, as quoted in public READMEs and issues next to
    the near misses above: SDK records of the right logger."""
    lines = [
        b"[2024-03-25, 10:23:09 UTC] {credentials.py:1253} INFO - Found credentials in shared credentials file: ~/.aws/credentials",
        b"[2022-12-28 16:21:25,098] {credentials.py:1120} INFO - Found credentials in environment variables.",
        b"2025-09-26 18:31:48,961 - INFO - Found credentials in environment variables.",
        b"2026-05-14 12:46:31,200 [INFO] Found credentials in shared credentials file: /cdz/geffenlab/.aws/credentials",
        b"[2021-01-01 13:49:25,081][INFO] Found credentials in shared credentials file: ~/.aws/credentials",
        b"INFO: Found credentials in shared credentials file: ~/.aws/credentials",
        b"21:26:44,320 INFO: Found credentials in shared credentials file: ~/.aws/credentials",
        b"23-Sep-22 11:56:27 - INFO - Found credentials in shared credentials file: ~/.aws/credentials",
        b"[INFO] Found credentials in environment variables.",
    ]  # fmt: skip
    for line in lines:
        kind, rec = classify_line(line, 1)
        assert kind == KEPT and rec is not None, line
        assert (rec.logger, rec.level) == ("botocore.credentials", "INFO"), line
        assert rec.message.startswith("Found credentials"), line


def test_headers_that_name_the_module_file_or_logger_elsewhere() -> None:
    """botocore's lines with the source file or module after the level word (the first two
    from the real pastes 22 and 23), or the full logger name bracketed, with a process id or
    as loguru writes it (typed after those formats): SDK records of the right logger, the
    message without the function name."""
    lines = [
        (b"2024-01-04 12:33:07,109 DEBUG (auth.py:428) - StringToSign:", "botocore.auth", "StringToSign:"),
        (b"2020-10-27 22:53:37.957 DEBUG endpoint - make_request: Making request for OperationModel(name=GetRole) with params: {}", "botocore.endpoint", "Making request for"),
        (b"2020-10-27 22:53:37.958 DEBUG auth - add_auth: StringToSign:", "botocore.auth", "StringToSign:"),
        (b"2020-10-27 22:53:38.228 DEBUG retryhandler - __call__: Retry needed, action of: 0.5", "botocore.retryhandler", "Retry needed"),
        (b"2020-10-27 22:53:38.228 INFO credentials - load: Found credentials in environment variables.", "botocore.credentials", "Found credentials"),
        # utils is botocore's and s3transfer's: the message tells which
        (b"2020-10-27 22:53:38.228 DEBUG utils - _get_response: Caught retryable HTTP exception while making metadata service request", "botocore.utils", "Caught retryable"),
        (b"2024-01-04 12:33:07,109 DEBUG (utils.py:633) - IMDS ENDPOINT: http://169.254.169.254/", "botocore.utils", "IMDS ENDPOINT"),
        (b"2024-01-04 12:33:07,109 DEBUG [credentials.py:1253] Found credentials in shared credentials file: ~/.aws/credentials", "botocore.credentials", "Found credentials"),
        (b"[botocore.credentials] - INFO - Found credentials in environment variables.", "botocore.credentials", "Found credentials"),
        (b"botocore.credentials[79705] INFO Found credentials in shared credentials file: ~/.aws/credentials", "botocore.credentials", "Found credentials"),
        (b"2024-01-01 10:00:00.123 | INFO     | botocore.credentials:load:1113 - Found credentials in environment variables.", "botocore.credentials", "Found credentials"),
        (b"2024-01-01 10:00:00.123 | DEBUG    | urllib3.connectionpool:_new_conn:1019 - Starting new HTTPS connection (1): sts.amazonaws.com:443", "urllib3.connectionpool", "Starting new HTTPS"),
    ]  # fmt: skip
    for line, logger, opening in lines:
        kind, rec = classify_line(line, 1)
        assert kind == KEPT and rec is not None, line
        assert rec.logger == logger, line
        assert rec.message.startswith(opening), line
        assert rec.level in ("DEBUG", "INFO"), line


def test_other_programs_lines_end_the_sdk_record_before_them() -> None:
    """A time-stamped line of the app ends botocore's record (it is not its continuation);
    a line without a time stamp may be a message's text and stays one."""
    text = (
        b"2026-01-18 11:53:06 - DEBUG - Response body:\n"
        b"b'<ErrorResponse/>'\n"
        b"2026-01-18 11:53:06 - INFO - Creating user 'user63'...\n"
        b"INFO: not a header\n"
    )
    got, stats = records(text)
    assert [r[5] for r in got] == [("Response body:", "b'<ErrorResponse/>'")]
    assert stats.records == 2 and stats.sdk_records == 1


@pytest.mark.parametrize("fmt", ["airflow-compose", "celery-journald", "ts-dash-level", "flask"])
def test_interleaved_app_lines_keep_the_diagnosis(fmt: str) -> None:
    """The application's own records before botocore's (in the same format) change nothing."""
    app = [ln for ln in NEAR_MISSES if classify_line(ln, 1)[0] == FOREIGN]
    assert len(app) >= 15
    for log in SOURCES[:12]:
        lines = convert(log.read_bytes(), fmt).split(b"\n")
        mixed = b"\n".join(
            ln
            for i, x in enumerate(lines)
            for ln in ((app[i % len(app)], x) if classify_line(x, 1)[0] != CONT else (x,))
        )
        assert mixed.count(b"\n") > len(lines) + 20
        assert _summary(mixed) == original_summary(log), (fmt, log.name)


# -------------------------------------------------------- fast reader == reference

_POOL = [
    ln
    for data in [p.read_bytes() for p in DATA.glob("*.log")]
    + [convert(SOURCES[i].read_bytes(), f) for i, f in enumerate(sorted(FORMATS))]
    for ln in data.split(b"\n")
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(
        st.one_of(
            st.integers(0, len(_POOL) - 1).map(lambda i: _POOL[i]),
            st.sampled_from(NEAR_MISSES),
            st.binary(max_size=80),
        ),
        max_size=120,
    ),
    block=st.integers(1, 4096),
)
def test_fast_reader_equals_reference_on_mixed_app_formats(picks: list[bytes], block: int) -> None:
    """Lines of every application format, other programs' lines and random bytes in any
    order, read in blocks of any size: the fast reader's records and counts are the
    reference reader's."""
    ref, fast = both(b"\n".join(picks) + b"\n", block=block)
    assert ref == fast
