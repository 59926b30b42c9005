"""`make bench`: parse-log throughput and peak memory on a ~500 MB log built from the real
fixture logs, compared with `grep -c botocore`; and `stsdiag --help` start-up time.
Prints figures; asserts nothing (targets: >= 100 MB/s, < 100 MB peak RSS, --help < 150 ms)."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
BIN = Path(sys.executable).parent / "stsdiag"
SIZE_MB = int(os.environ.get("STSDIAG_BENCH_MB", "500"))


def build_log() -> Path:
    DATA.mkdir(exist_ok=True)
    out = DATA / f"big-{SIZE_MB}mb.log"
    target = SIZE_MB * 1024 * 1024
    if out.exists() and out.stat().st_size >= target:
        return out
    logs = sorted((ROOT / "fixtures" / "logs").glob("*.log"))
    blob = b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in logs)
    with out.open("wb") as f:
        written = 0
        while written < target:
            f.write(blob)
            written += len(blob)
    return out


def timed(cmd: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL, check=False)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(peak, before)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def _mem_kb(pid: int) -> tuple[int, int]:
    """(Rss, Pss) of one process in kB, 0 when it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def timed_tree(cmd: list[str]) -> tuple[float, int, int]:
    """Wall time, and the peak over time of the summed RSS and PSS of the process and its
    workers (sampled every 20 ms): the memory a multi-process run really holds."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_pss = 0
    while p.poll() is None:
        rss = pss = 0
        for q in _tree(p.pid):
            r, s = _mem_kb(q)
            rss, pss = rss + r, pss + s
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.02)
    return time.perf_counter() - t0, peak_rss, peak_pss


def main() -> None:
    log = build_log()
    mb = log.stat().st_size / 1e6
    subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=False)  # warm the page cache
    # stdout must be a pipe: GNU grep stops at the first match when it writes to /dev/null
    g, _ = timed(["grep", "-c", "botocore", str(log)], stdout=subprocess.PIPE)
    print(f"input: {log.name}, {mb:.0f} MB; machine: {os.cpu_count()} cores")
    cmd = [str(BIN), "parse-log", str(log), "--output", "json", "--fail-on", "never"]
    dt = 0.0
    for jobs in ("1", "0"):
        dt, rss, pss = timed_tree([*cmd, "--jobs", jobs])
        what = "one process" if jobs == "1" else "--jobs 0 (one process per CPU, the default)"
        print(
            f"parse-log, {what}: {dt:.2f} s = {mb / dt:.0f} MB/s (target >= 100 MB/s); "
            f"peak memory of all its processes: RSS {rss / 1024:.0f} MB, "
            f"PSS {pss / 1024:.0f} MB (target < 100 MB)"
        )
    print(
        f"grep -c botocore: {g:.2f} s = {mb / g:.0f} MB/s; parse-log takes {dt / g:.1f}x grep's time"
    )
    stages(log)
    # as installed: pip compiles a package's modules; an editable install under
    # PYTHONDONTWRITEBYTECODE=1 would compile stsdiag's from source on every start
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "stsdiag")], check=True)
    runs = []
    for _ in range(11):
        t0 = time.perf_counter()
        subprocess.run([str(BIN), "--help"], stdout=subprocess.DEVNULL, check=True)
        runs.append(time.perf_counter() - t0)
    print(
        f"stsdiag --help: best {min(runs) * 1000:.0f} ms, median {sorted(runs)[5] * 1000:.0f} ms of 11 (target < 150 ms)"
    )
    if os.geteuid() == 0 and shutil.which("unshare"):
        probe_bench()
    else:
        print("probe: skipped (the lab worlds need root)")


def stages(log: Path, limit: int = 50 << 20) -> None:
    """Where one process's time goes, in CPU ms per MB on the log's first `limit` bytes
    (in-process, CPU time: less disturbed by other load than wall time): reading records,
    rebuilding requests from them, and the whole scan with the rules."""
    sys.path.insert(0, str(ROOT))
    import io

    from stsdiag.logparse.records import ReadStats, iter_records
    from stsdiag.logparse.requests import Reconstructor
    from stsdiag.parselog import ParseOptions, _scan

    with log.open("rb") as f:
        data = f.read(limit)
    data = data[: data.rfind(b"\n") + 1]
    mb = len(data) / 1e6

    def cpu(fn: object) -> float:
        best = float("inf")
        for _ in range(2):
            t0 = time.process_time()
            fn()  # type: ignore[operator]
            best = min(best, time.process_time() - t0)
        return best * 1000 / mb

    def read() -> None:
        for _ in iter_records(io.BytesIO(data), ReadStats()):
            pass

    def rebuild() -> None:
        rec = Reconstructor()
        for r in iter_records(io.BytesIO(data), ReadStats()):
            for _ in rec.feed(r):
                pass
        for _ in rec.finish():
            pass

    def floor() -> None:
        # the least any pure-Python reader must do: look at every line, tell header lines
        # from others, and spot a few kept messages; it decodes, builds and rebuilds nothing
        for line in data.split(b"\n"):
            if line[4:5] == b"-" and line[23:26] == b" - " and line.find(b" - ", 26) > 0:
                _ = any(k in line for k in _FLOOR_KEYS)

    f = cpu(floor)
    print(
        f"pure-Python floor, CPU per MB on the first {mb:.0f} MB: {f:.1f} ms = {1000 / f:.0f} MB/s "
        f"(a loop over the lines that only spots header lines and {len(_FLOOR_KEYS)} kept "
        f"messages, with no record built or request rebuilt)"
    )
    r, b, a = cpu(read), cpu(rebuild), cpu(lambda: _scan(io.BytesIO(data), ParseOptions()))
    print(
        f"one process, CPU per MB on the first {mb:.0f} MB: reading records {r:.1f} ms, "
        f"rebuilding requests {b - r:.1f} ms, rules and the rest {a - b:.1f} ms; "
        f"total {a:.1f} ms/MB = {1000 / a:.0f} MB/s of CPU (100 MB/s needs 10 ms/MB per process, "
        f"20 with two)"
    )


_FLOOR_KEYS = (
    b"Making request",
    b"Sending http",
    b"Event request-created",
    b"Response ",
    b"Exception received",
)


def _median_run(w: object, cmd: list[str], n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        w.run(cmd, timeout=400)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def probe_bench() -> None:
    """Probe figures in the lab worlds (issue 4): healthy world vs one `aws sts
    get-caller-identity`; verdict time with a dropped global endpoint. STSDIAG_BENCH_AWS_FAIL=1
    also times the aws CLI failing against the dropped endpoint with its defaults (~5 min)."""
    sys.path.insert(0, str(ROOT))
    from tests import lab

    aws = str(Path(sys.executable).parent / "aws")
    cycles = []
    for name in ("private-vpce", "fault-zoo", "public-healthy"):
        w = lab.World(name).start()
        cycles.append((w.start_seconds or 0.0) + w.stop())
    print(
        "lab world start+stop: "
        + ", ".join(f"{t:.2f} s" for t in cycles)
        + " (private-vpce, fault-zoo, public-healthy; target < 2 s)"
    )
    with lab.world("public-healthy") as w:
        a = _median_run(w, [aws, "sts", "get-caller-identity"])
        p = _median_run(w, [str(BIN), "probe", "--output", "json"])
    print(
        f"public-healthy: aws sts get-caller-identity {a:.2f} s, stsdiag probe {p:.2f} s = {p / a:.2f}x (target < 2x)"
    )
    with lab.world("private-vpce") as w:
        p = _median_run(w, [str(BIN), "probe", "--timeout", "3", "--output", "json"])
        print(
            f"private-vpce: stsdiag probe --timeout 3 gives its verdict in {p:.2f} s (target <= 3.5 s + start-up)"
        )
        if os.environ.get("STSDIAG_BENCH_AWS_FAIL") == "1":
            t0 = time.perf_counter()
            w.run([aws, "sts", "get-caller-identity"], timeout=900)
            f = time.perf_counter() - t0
            print(
                f"private-vpce: aws sts get-caller-identity fails after {f:.0f} s = {f / p:.0f}x slower"
            )


if __name__ == "__main__":
    main()
