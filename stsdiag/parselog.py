"""parse-log: stream a debug log → requests → findings → recommendation → Report."""

from __future__ import annotations

import gzip
import io
import itertools
import os
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from stsdiag import endpoints
from stsdiag.errors import InputError, UsageError
from stsdiag.logparse.cutoff import Tail, was_cut
from stsdiag.logparse.records import ReadStats, classify_line, iter_records
from stsdiag.logparse.requests import LogEvents, Reconstructor, is_run_start
from stsdiag.models import FailOn, LineRef, LogFacts, LogRequest, Report
from stsdiag.recommend import recommend_from_log
from stsdiag.report import Collector, counted, run_guarded
from stsdiag.rules.log import (
    LOG_RULES,
    REQUEST_RULES,
    Summary,
    merge_summary,
    observe,
    region_votes,
    remap_summary,
)

try:
    from lzma import LZMAError as _LZMAError
except ImportError:  # a Python built without lzma: xz input is then not recognised anyway
    _LZMAError = OSError  # type: ignore[misc, assignment]

# what reading a (decompressed) stream raises when the input is cut or damaged (gzip's
# BadGzipFile and bz2's errors are OSErrors)
READ_ERRORS = (EOFError, OSError, zlib.error, _LZMAError)

KEEP_REQUESTS = 500
MIN_CHUNK = 32 << 20


@dataclass(frozen=True, slots=True)
class ParseOptions:
    region_hint: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: FailOn = FailOn.ERROR
    keep_requests: int = KEEP_REQUESTS
    jobs: int = 1
    min_chunk: int = MIN_CHUNK  # a log is split only into parts at least this big


def open_input(path: str) -> tuple[BinaryIO, str]:
    """A binary stream for a path or `-` (stdin). Compressed logs (gzip, bzip2, xz) and a
    zip archive holding one file are read through the standard library, detected by their
    first bytes; other formats that are not text (zstd, 7-Zip, PDF, a screenshot...) are
    named in a one-line error."""
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        name = "<stdin>"
    else:
        p = Path(path)
        if p.is_dir():
            raise InputError(f"{path}: is a directory, not a log file")
        try:
            raw = p.open("rb")
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
        name = path
    buf: io.BufferedReader = (
        raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, 1 << 20)  # type: ignore[arg-type]
    )
    try:
        return _sniffed(buf, name), name
    except InputError:
        buf.close()
        raise


def _sniffed(buf: io.BufferedReader, name: str) -> BinaryIO:
    """The stream that reads the log in `buf`, by its first bytes; InputError when it holds
    none stsdiag can read."""
    head = buf.peek(64)[:64]
    if head[:2] == b"\x1f\x8b":
        return _Salvaging(gzip.GzipFile(fileobj=buf, mode="rb"))  # type: ignore[return-value]
    if head[:3] == b"BZh" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        import bz2

        return _Salvaging(bz2.BZ2File(buf))  # type: ignore[return-value]
    if head[:6] == b"\xfd7zXZ\x00":
        import lzma

        return _Salvaging(lzma.LZMAFile(buf))  # type: ignore[return-value]
    if head[:4] == b"PK\x03\x04":
        return _zip_member(buf, name)
    for magic, what in _NOT_TEXT:
        if head.startswith(magic):
            raise InputError(f"{name}: {what}")
    encoding = _utf16(head)
    if encoding:  # Windows PowerShell 5.1's `2> debug.txt` writes UTF-16LE
        return _Transcoded(buf, encoding)  # type: ignore[return-value]
    sample = buf.peek(_SAMPLE)[:_SAMPLE]
    if _binary(sample):  # /dev/urandom, a core dump: would be read to no end, for nothing
        raise InputError(f"{name}: binary data, not a log's text (its first {len(sample)} bytes)")
    if b"\n" not in sample and sample.count(b"\r") > 1:
        return _CarriageReturns(buf)  # type: ignore[return-value]
    return buf


_SAMPLE = 1 << 16
# control characters no log text holds (tab, newline, form feed, carriage return and escape,
# for ANSI colours, are text); NUL bytes are counted apart: UTF-16 was ruled out before
_CONTROL = bytes(c for c in range(32) if c not in (0, 8, 9, 10, 12, 13, 27)) + b"\x7f"


def _binary(sample: bytes) -> bool:
    """More than 1% NUL bytes, or 5% control characters with them (random bytes have 10%):
    not text. A log with some garbage in it (a mangled paste, invalid UTF-8) stays below."""
    if len(sample) < 512:
        return False
    nul = sample.count(0)
    control = len(sample) - len(sample.translate(None, _CONTROL))
    return nul * 100 > len(sample) or (nul + control) * 20 > len(sample)


# first bytes of formats that hold no readable log here
_NOT_TEXT = (
    (b"\x28\xb5\x2f\xfd", "zstd-compressed: decompress it first (`zstd -dc FILE | stsdiag parse-log -`)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: extract the log first"),
    (b"Rar!\x1a\x07", "a RAR archive: extract the log first"),
    (b"%PDF-", "a PDF document: copy the log's text into a file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image (a screenshot?): stsdiag needs the log's text"),
    (b"\xff\xd8\xff", "a JPEG image (a screenshot?): stsdiag needs the log's text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document: save the log as plain text"),
    (b"\x7fELF", "a program (ELF), not a log"),
)  # fmt: skip


def _zip_member(buf: io.BufferedReader, name: str) -> BinaryIO:
    """The one file of a zip archive (a ticket's attachment), streamed; an error naming the
    files when there are several (or an Office document, which is a zip too)."""
    import zipfile

    if not buf.seekable():
        raise InputError(
            f"{name}: a zip archive: unzip it first (`unzip -p FILE.zip | stsdiag parse-log -`)"
        )
    try:
        zf = zipfile.ZipFile(buf)  # needs to seek: a file, not a pipe
        files = [
            i.filename
            for i in zf.infolist()
            if not i.is_dir() and not i.filename.startswith("__MACOSX/")
        ]
    except (zipfile.BadZipFile, OSError, ValueError, io.UnsupportedOperation) as e:
        raise InputError(
            f"{name}: a zip archive that cannot be read here ({e}): unzip it first"
        ) from None
    if any(f.startswith(("word/", "xl/", "ppt/")) for f in files):
        raise InputError(f"{name}: an Office document: save the log as plain text")
    if len(files) != 1:
        listed = ", ".join(files[:3]) + (", …" if len(files) > 3 else "")
        raise InputError(
            f"{name}: a zip archive with {len(files)} files ({listed}): name one "
            f"(`unzip -p {name} FILE | stsdiag parse-log -`)"
        )
    try:
        return zf.open(files[0])  # type: ignore[return-value]
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile) as e:  # encrypted, deflate64
        raise InputError(
            f"{name}: the zip archive's file cannot be read here ({e}): unzip it first"
        ) from None


class _Reader(io.RawIOBase):
    """A read-only stream defined by its `read(n)` (what `iter_records` calls)."""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class _Salvaging(_Reader):
    """A decompressing stream read a piece at a time (`read1`), so that a cut-off file (a
    partial download) yields everything before the cut; the error comes on the next read."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._error: Exception | None = None

    def read(self, n: int = -1) -> bytes:
        if self._error is not None:
            raise self._error
        parts: list[bytes] = []
        got = 0
        while n < 0 or got < n:
            try:
                piece = self._inner.read1(-1 if n < 0 else n - got)
            except READ_ERRORS as e:
                if not parts:
                    raise
                self._error = e
                break
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
        return b"".join(parts)

    def close(self) -> None:
        self._inner.close()
        super().close()


class _CarriageReturns(_Reader):
    """A log whose lines end in a bare carriage return (a classic Mac OS editor's, some
    clipboard tools' and serial consoles' line ends), read with newlines."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def read(self, n: int = -1) -> bytes:
        return self._inner.read(n).replace(b"\r", b"\n")

    def close(self) -> None:
        self._inner.close()
        super().close()


def _utf16(head: bytes) -> str | None:
    """The UTF-16 flavour of a file's first bytes: a byte-order mark, or ASCII text with a
    NUL after (LE) or before (BE) every character."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if len(head) >= 16 and head[1::2].count(0) == len(head[1::2]) and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 16 and head[0::2].count(0) == len(head[0::2]) and head[1::2].count(0) == 0:
        return "utf-16-be"
    return None


class _Transcoded(_Reader):
    """A UTF-16 stream read as UTF-8, a chunk at a time (memory stays flat)."""

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self._text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        self._pending = b""

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            out = self._pending + self._text.read().encode("utf-8")
            self._pending = b""
            return out
        while len(self._pending) < n:
            chunk = self._text.read(max(n // 2, 1 << 14))
            if not chunk:
                break
            self._pending += chunk.encode("utf-8")
        out, self._pending = self._pending[:n], self._pending[n:]
        return out


@dataclass(slots=True)
class _Part:
    """What reading one stretch of a log leaves: folded by `_merge` when a log is split."""

    stats: ReadStats
    summary: Summary
    collector: Collector
    kept: list[LogRequest]
    events: LogEvents
    count: int
    note: str = ""
    cut: bool = False  # the input ends mid-record (a cut paste): see logparse.cutoff


def _scan(stream: BinaryIO, opts: ParseOptions) -> _Part:
    stats = ReadStats()
    collector = Collector(opts.select, opts.ignore)
    summary = Summary()
    kept: list[LogRequest] = []
    rec = Reconstructor()
    note = ""
    tail = Tail(stream)
    last = None
    records = iter_records(tail, stats)  # type: ignore[arg-type]
    while True:
        # only reading can end early (a broken gzip stream, a vanished file): an error in
        # what is done with a record is a bug, not the input's end
        try:
            record = next(records, None)
        except (*READ_ERRORS, ValueError) as e:
            note = f"input ended early ({type(e).__name__})"
            stats.truncated_last_line = True
            break
        if record is None:
            break
        last = record
        for req in rec.feed(record):
            _take(req, kept, summary, collector, opts)
    for req in rec.finish():
        _take(req, kept, summary, collector, opts)
    cut = was_cut(tail.data, last)
    line_map = stats.line_map
    if line_map is not None:
        # a wrapper was taken off (unwrap.py): every line named is the user's file's
        kept[:] = [_shift(r, 0, 0, line_map) for r in kept]
        remap_summary(summary, line_map)
        collector.remap(line_map)
        rec.events.remap(line_map)
        stats.lines = line_map.raw_lines
        stats.line_map = None
    return _Part(stats, summary, collector, kept, rec.events, rec.count, note, cut)


def _shift(
    r: LogRequest, lines: int, index: int, line_of: Callable[[int], int] | None = None
) -> LogRequest:
    """`r` with its lines `lines` further and its index `index` further, or its lines
    mapped by `line_of`."""
    f = line_of or (lambda n: n + lines)
    return replace(
        r,
        index=r.index + index,
        first_line=f(r.first_line),
        last_line=f(r.last_line),
        attempts=tuple(replace(a, line=f(a.line)) for a in r.attempts),
        refs=tuple(LineRef(f(x.line), x.tag, x.excerpt) for x in r.refs),
    )


def _merge(parts: list[_Part], keep: int) -> _Part:
    """Parts of one log, in order, folded into what reading it in one go gives."""
    first = parts[0]
    for p in parts[1:]:
        lines, index = first.stats.lines, first.count
        first.kept.extend(_shift(r, lines, index) for r in p.kept[: max(0, keep - len(first.kept))])
        merge_summary(first.summary, p.summary, lines)
        first.collector.merge(p.collector, lines)
        first.events.merge(p.events, lines)
        first.stats.merge(p.stats)
        first.count += p.count
        first.note = first.note or p.note
        first.cut = p.cut  # only the end of the last part is the end of the log
    return first


def _check_hint(opts: ParseOptions) -> None:
    if opts.region_hint is not None and not endpoints.is_known_region(opts.region_hint):
        near = endpoints.closest_region(opts.region_hint)
        raise UsageError(
            f"--region-hint {opts.region_hint!r} is not a known region"
            + (f" (did you mean {near}?)" if near else "")
        )


def analyze(stream: BinaryIO, source: str, opts: ParseOptions) -> Report:
    _check_hint(opts)
    return _report(_scan(stream, opts), source, opts)


def _foreign_urllib3(part: _Part) -> bool:
    """Only urllib3's lines (no record of botocore, boto3 or the CLI, no SDK event), every
    request to a host that is no AWS endpoint and signed for nothing: urllib3 serves many
    programs (gcloud's `DEBUG: https://sts.googleapis.com:443 "POST /v1/token …"`), and
    such a log tells nothing of an AWS call."""
    ev, kept = part.events, part.kept
    if ev.aws_records or ev.events or ev.sdk_text or not kept:
        return False
    return all(
        r.host is not None
        and not endpoints.is_aws_host(r.host)
        and r.signing_region is None
        and r.service is None
        and r.operation is None
        for r in kept
    )


def _report(part: _Part, source: str, opts: ParseOptions) -> Report:
    stats, summary, collector, kept = part.stats, part.summary, part.collector, part.kept
    # SDK text (a bare traceback, the CLI's error line) counts only if it told something: a
    # request or an event; else the input is no log stsdiag can read (a paste may have broken
    # every header), and "No findings" would read as "all is well"
    told = summary.requests > 0 or bool(part.events.events)
    if stats.sdk_records == 0 and not (part.events.sdk_text and told):
        if stats.bytes == 0 and part.note:  # a compressed file cut before its first block
            raise InputError(
                f"{source}: nothing could be read, the {part.note}: a cut or damaged file?"
            )
        lines = counted(stats.lines, "line")
        what = (
            "empty"
            if stats.bytes == 0
            else f"{lines}, none from botocore/AWS CLI/urllib3"
            if not part.events.sdk_text
            else f"{lines} that name botocore, but no record in a format stsdiag "
            "reads, or one a paste broke"
        )
        raise InputError(
            f"{source}: not a botocore debug log ({what}) [SD001 not-a-botocore-log]; "
            "capture one with `aws ... --debug 2> debug.txt` (boto3: `boto3.set_stream_logger('')`)"
        )
    ev = part.events
    if _foreign_urllib3(part):
        hosts = ", ".join(dict.fromkeys(r.host or "?" for r in kept[:4]))
        raise InputError(
            f"{source}: not a botocore debug log ({counted(stats.lines, 'line')}: urllib3's "
            f"lines only, to {hosts}: no AWS endpoint; another program's log) "
            "[SD001 not-a-botocore-log]; capture one with `aws ... --debug 2> debug.txt` "
            "(boto3: `boto3.set_stream_logger('')`)"
        )
    facts = LogFacts(
        source=source,
        lines=stats.lines,
        records=stats.records,
        sdk_records=stats.sdk_records,
        formats=tuple(sorted(stats.formats, key=lambda k: -stats.formats[k])),
        versions=tuple(ev.versions),
        credential_source=ev.credential_source
        or (
            f"{ev.looking_for[-1]} provider"
            if ev.looking_for
            and not any(e.tag == "no-credentials" for e in ev.events)
            and any(r.signing_region for r in kept)
            else None
        ),
        events=tuple(ev.events),
        debug_records=ev.debug_records,
        truncated=stats.truncated_last_line or part.cut,
        region_hint=opts.region_hint,
    )
    for name, rule in LOG_RULES:
        collector.add(run_guarded(name, lambda rule=rule: rule(facts, summary)))  # type: ignore[misc]
    findings = collector.findings()
    vpce = next(iter(summary.vpce_urls), None)
    recommendation = recommend_from_log(
        findings,
        region_votes(summary, ev.events),
        region_hint=opts.region_hint,
        services=summary.services,
        vpce_url=vpce,
        via_proxy=summary.proxy_used,
        not_sts=summary.not_sts(),
        fips=summary.fips_used,
        sso_regions=summary.sso_regions,
    )
    extra = (("note", part.note),) if part.note else ()
    return Report(
        command="parse-log",
        findings=findings,
        recommendation=recommendation,
        fail_on=opts.fail_on,
        requests=tuple(kept),
        requests_total=summary.requests,
        log=facts,
        extra=extra,
    )


def _take(
    req: LogRequest,
    kept: list[LogRequest],
    summary: Summary,
    collector: Collector,
    opts: ParseOptions,
) -> None:
    observe(summary, req)
    if len(kept) < opts.keep_requests:
        kept.append(req)
    for name, rule in REQUEST_RULES:
        collector.add(run_guarded(name, lambda rule=rule: rule(req)))  # type: ignore[misc]


def parse_path(path: str, opts: ParseOptions) -> Report:
    _check_hint(opts)
    stream, name = open_input(path)
    try:
        if path != "-" and isinstance(stream, io.BufferedReader):
            chunks = plan_chunks(stream, opts.jobs, opts.min_chunk)
            if len(chunks) > 1:
                endpoints.preload()  # loaded before the fork, shared with the workers
                parts = _scan_parallel(path, chunks, opts)
                if parts is not None:
                    return _report(_merge(parts, opts.keep_requests), name, opts)
                stream.seek(0)
        return _report(_scan(stream, opts), name, opts)
    finally:
        if path != "-":
            stream.close()


# ---------------------------------------------------------------- split logs, parallel
# A log of many AWS CLI runs (a cron job appending `aws ... --debug` output, the bench's
# concatenated fixtures) can be read in parts at run starts: the reconstructor ends every
# request at a run start anyway (`Reconstructor.new_process`), so the parts' results fold
# into exactly what one pass gives (tested). Logs of one long process are read in one pass.
_RUN_START = b"CLI version: "
_SEARCH_LIMIT = 8 << 20


def jobs_default() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def plan_chunks(f: BinaryIO, jobs: int, min_chunk: int) -> list[tuple[int, int]]:
    """Byte ranges [start, end) of a regular file, cut at AWS CLI run starts near equal
    shares; one range when the file is small, a single run, or jobs is 1."""
    try:
        size = os.fstat(f.fileno()).st_size
        here = f.tell()
    except (OSError, ValueError, io.UnsupportedOperation):
        return []
    n = min(jobs, size // max(1, min_chunk))
    if n < 2 or here != 0:
        return []
    cuts = [0]
    try:
        for k in range(1, n):
            pos = _run_start_after(f, max(size * k // n, cuts[-1] + 1), size)
            if pos is None:
                break
            if pos < size and pos > cuts[-1]:
                cuts.append(pos)
        f.seek(0)
    except OSError:
        return []
    cuts.append(size)
    return list(itertools.pairwise(cuts))


def _run_start_after(f: BinaryIO, pos: int, size: int) -> int | None:
    """Offset of the first line starting at or after `pos` (>= 1) that is a `CLI
    version:` record, searched within `_SEARCH_LIMIT` bytes."""
    start = pos - 1  # from the newline before pos: a line starting at pos is seen whole
    f.seek(start)
    window = f.read(min(size, pos + _SEARCH_LIMIT) - start)
    i = 0
    while (i := window.find(_RUN_START, i)) >= 0:
        ls = window.rfind(b"\n", 0, i) + 1
        le = window.find(b"\n", i)
        if le < 0:
            return None
        if ls > 0:
            _, rec = classify_line(window[ls:le], 0)
            if rec is not None and is_run_start(rec):
                return start + ls
        i = le
    return None


class _Range(_Reader):
    """Bytes [start, end) of a file."""

    def __init__(self, f: BinaryIO, start: int, end: int) -> None:
        self.f = f
        self.left = end - start
        f.seek(start)

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        data = self.f.read(self.left if n < 0 else min(n, self.left))
        self.left -= len(data)
        return data


def _scan_range(args: tuple[str, int, int, ParseOptions]) -> _Part:
    path, start, end, opts = args
    with open(path, "rb") as f:
        return _scan(_Range(f, start, end), opts)  # type: ignore[arg-type]


def _scan_parallel(
    path: str, chunks: list[tuple[int, int]], opts: ParseOptions
) -> list[_Part] | None:
    """The first part in this process, the others in forked workers; None when workers
    cannot be had (no fork on this platform, a worker died), to read in one pass instead."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(len(chunks) - 1, mp_context=ctx) as ex:
            rest = ex.map(_scan_range, [(path, a, b, opts) for a, b in chunks[1:]])
            first = _scan_range((path, *chunks[0], opts))
            return [first, *rest]
    except (BrokenProcessPool, OSError):
        return None
