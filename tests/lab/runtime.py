"""Parent side of the lab: start a world, run commands inside it, stop it.

from tests import lab
with lab.world("private-vpce") as w:
    proc = w.run(["aws", "sts", "get-caller-identity", "--region", "ap-northeast-1"], timeout=30)
    w.env     # the environment a process inside gets (AWS_CONFIG_FILE, AWS_CA_BUNDLE, ...)
    w.spec    # the parsed world file (tests.lab.spec.WorldSpec)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import ca as _ca
from .spec import (
    EXAMPLE_ACCESS_KEY,
    EXAMPLE_SECRET_KEY,
    EXAMPLE_SESSION_ACCESS_KEY,
    EXAMPLE_V1_SESSION_TOKEN,
    EXAMPLE_V2_SESSION_TOKEN,
    WorldSpec,
    load_spec,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# credentials = "web-identity": what the EKS pod identity webhook injects (a JWT-shaped token)
WEB_IDENTITY_ROLE = "arn:aws:iam::123456789012:role/eks-pod-role"
WEB_IDENTITY_TOKEN = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImxhYiJ9."
    "eyJpc3MiOiJodHRwczovL29pZGMuZWtzLmxhYi5leGFtcGxlIiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmRlZmF1bHQ6YXBwIn0."
    "bGFiLW9ubHktbm90LWEtc2lnbmF0dXJl"
)
CLONE_NEWNET = 0x40000000
START_TIMEOUT = 20.0
STOP_TIMEOUT = 3.0

_SCRUB_PREFIXES = ("AWS_",)
_SCRUB = {
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "BOTO_CONFIG",
}


class LabUnavailable(RuntimeError):
    """The lab cannot create a world on this machine (reason in the message)."""


class LabError(RuntimeError):
    """A world failed to start or misbehaved."""


# --------------------------------------------------------------------------- availability

_STATUS: tuple[str | None, str] | None = None


def lab_mode() -> tuple[str | None, str]:
    """("root" | "userns" | None, reason).  Cached; costs one ``unshare`` run."""
    global _STATUS
    if _STATUS is not None:
        return _STATUS
    if not sys.platform.startswith("linux"):
        _STATUS = (None, f"the lab needs Linux namespaces (this is {sys.platform})")
        return _STATUS
    missing = [t for t in ("unshare", "nsenter", "ip") if shutil.which(t) is None]
    if missing:
        _STATUS = (None, f"missing tools: {', '.join(missing)} (util-linux, iproute2)")
        return _STATUS
    for mod in ("moto", "dns", "cryptography", "werkzeug"):
        try:
            __import__(mod)
        except ImportError:
            _STATUS = (
                None,
                f"missing Python package {mod!r} (pip install 'moto[server]' dnspython cryptography)",
            )
            return _STATUS
    attempts = [("root", ["unshare", "--net", "--mount", "--", "ip", "link", "set", "lo", "up"])]
    if os.geteuid() != 0:
        attempts = [
            (
                "userns",
                [
                    "unshare",
                    "--user",
                    "--map-root-user",
                    "--net",
                    "--mount",
                    "--",
                    "ip",
                    "link",
                    "set",
                    "lo",
                    "up",
                ],
            )
        ]
    errors = []
    for mode, cmd in attempts:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(f"{' '.join(cmd[:4])}: {exc}")
            continue
        if proc.returncode == 0:
            _STATUS = (mode, "ok")
            return _STATUS
        errors.append(f"{' '.join(cmd[:5])}: {proc.stderr.strip() or proc.returncode}")
    _STATUS = (None, "cannot create network+mount namespaces (" + "; ".join(errors) + ")")
    return _STATUS


def check_available() -> str:
    """Return the mode, or raise LabUnavailable with the reason."""
    mode, reason = lab_mode()
    if mode is None:
        raise LabUnavailable(reason)
    return mode


# --------------------------------------------------------------------------- files of a world


def _credentials_text(spec: WorldSpec) -> str:
    kind = spec.aws.credentials
    if kind == "static":
        return f"[default]\naws_access_key_id = {EXAMPLE_ACCESS_KEY}\naws_secret_access_key = {EXAMPLE_SECRET_KEY}\n"
    if kind in ("session-token-v1", "session-token-v2"):
        token = EXAMPLE_V1_SESSION_TOKEN if kind.endswith("v1") else EXAMPLE_V2_SESSION_TOKEN
        return (
            f"[default]\naws_access_key_id = {EXAMPLE_SESSION_ACCESS_KEY}\n"
            f"aws_secret_access_key = {EXAMPLE_SECRET_KEY}\naws_session_token = {token}\n"
        )
    return ""  # imds / none: nothing in the shared file


def _config_text(spec: WorldSpec) -> str:
    lines = ["[default]"]
    if spec.aws.region:
        lines.append(f"region = {spec.aws.region}")
    if spec.aws.sts_regional_endpoints:
        lines.append(f"sts_regional_endpoints = {spec.aws.sts_regional_endpoints}")
    for key, value in spec.aws.profile_extra.items():
        lines.append(f"{key} = {value}")
    lines.append("output = json")
    return "\n".join(lines) + "\n"


def materialize(spec: WorldSpec, run_dir: Path, lab_ca: _ca.LabCA) -> None:
    """Write every file the world needs into ``run_dir``."""
    etc = run_dir / "etc"
    for sub in ("etc", "aws", "tls", "trust", "empty", "home"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    resolv = [f"nameserver {spec.network.resolver}"]
    if spec.network.search:
        resolv.append("search " + " ".join(spec.network.search))
    if spec.network.resolv_options:
        resolv.append("options " + spec.network.resolv_options)
    (etc / "resolv.conf").write_text(
        f"# stsdiag lab world {spec.name}: the VPC resolver\n" + "\n".join(resolv) + "\n"
    )
    hosts = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    if spec.instance:
        ip = spec.instance.local_ipv4
        short = "ip-" + ip.replace(".", "-")
        hosts.append(f"{ip}\t{short}.{spec.instance.region}.compute.internal {short}")
    for name, addresses in spec.hosts:
        hosts += [f"{address}\t{name}" for address in addresses]
    (etc / "hosts").write_text("\n".join(hosts) + "\n")
    if spec.network.stub_upstreams:  # systemd-resolved's own view: the servers it forwards to
        (etc / "systemd-resolved.conf").write_text(
            "# stsdiag lab: /run/systemd/resolve/resolv.conf\n"
            + "".join(f"nameserver {u}\n" for u in spec.network.stub_upstreams)
        )
    nss = ["hosts: files dns"]
    try:
        for line in Path("/etc/nsswitch.conf").read_text().splitlines():
            if not line.strip().startswith("hosts:"):
                nss.append(line)
    except OSError:
        pass
    (etc / "nsswitch.conf").write_text("\n".join(nss) + "\n")
    (run_dir / "aws" / "config").write_text(_config_text(spec))
    (run_dir / "aws" / "credentials").write_text(_credentials_text(spec))
    if spec.aws.credentials == "web-identity":  # a projected service-account token (IRSA)
        (run_dir / "aws" / "web-identity-token").write_text(WEB_IDENTITY_TOKEN)
    shutil.copyfile(lab_ca.amazon_root_pem, run_dir / "trust" / "world-roots.pem")
    shutil.copyfile(lab_ca.gateway_root_pem, run_dir / "trust" / "gateway-root-ca.pem")
    shutil.copyfile(lab_ca.leaf_key_pem, run_dir / "tls" / "leaf.key")
    names = spec.tls_names()
    for ca_name in ("amazon", "gateway"):
        (run_dir / "tls" / f"{ca_name}-chain.pem").write_bytes(
            lab_ca.issuer(ca_name).issue(names, lab_ca.leaf_key)
        )
    (run_dir / "tls" / "portal-chain.pem").write_bytes(
        lab_ca.portal.issue(["portal.guest-wifi.example"], lab_ca.leaf_key)
    )


# --------------------------------------------------------------------------- the world


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_LIVE: dict[int, World] = {}
_HISTORY: list[
    tuple[int, Path]
] = []  # (supervisor pid, run dir) of every world this process started
_LIVE_LOCK = threading.Lock()


class World:
    """A running world.  Use :func:`world` (a context manager) or start()/stop()."""

    def __init__(
        self,
        spec: WorldSpec | str,
        *,
        max_lifetime: float = 3600.0,
        keep_run_dir: bool | None = None,
    ) -> None:
        self.spec: WorldSpec = load_spec(spec) if isinstance(spec, str) else spec
        self.name = self.spec.name
        self.max_lifetime = max_lifetime
        self.keep_run_dir = (
            bool(os.environ.get("STSDIAG_LAB_KEEP")) if keep_run_dir is None else keep_run_dir
        )
        self.run_dir: Path | None = None
        self.mode: str | None = None
        self.pid: int | None = None
        self.info: dict[str, Any] = {}
        self.start_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._netns_fd: int | None = None
        self._stderr: Any = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> World:
        t0 = time.monotonic()
        self.mode = check_available()
        lab_ca = _ca.load_ca()
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"stsdiag-lab-{self.name}-"))
        os.chmod(self.run_dir, 0o755)
        materialize(self.spec, self.run_dir, lab_ca)
        ns = ["unshare"]
        if self.mode == "userns":
            ns += ["--user", "--map-root-user"]
        ns += ["--net", "--mount", "--propagation", "private", "--"]
        cmd = [
            *ns,
            sys.executable,
            "-m",
            "tests.lab",
            "serve",
            "--spec",
            str(self.spec.path),
            "--run-dir",
            str(self.run_dir),
            "--ca-dir",
            str(lab_ca.directory),
            "--max-lifetime",
            str(self.max_lifetime),
        ]
        if threading.current_thread() is not threading.main_thread():
            cmd.append("--no-pdeathsig")  # PDEATHSIG would fire when this thread ends
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self._stderr = (self.run_dir / "supervisor.log").open("wb")
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=str(PROJECT_ROOT),
            env=env,
            start_new_session=True,
        )
        self.pid = self._proc.pid
        with _LIVE_LOCK:
            _LIVE[self.pid] = self
            _HISTORY.append((self.pid, self.run_dir))
        try:
            self.info = self._await_ready()
            self._netns_fd = os.open(f"/proc/{self.pid}/ns/net", os.O_RDONLY)
        except BaseException:
            log = self.supervisor_log()
            self.stop()
            raise LabError(f"world {self.name} did not start:\n{log}") from None
        self.start_seconds = time.monotonic() - t0
        return self

    def _await_ready(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        fd = self._proc.stdout.fileno()
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LabError("timed out waiting for the world's supervisor")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise LabError(f"supervisor exited ({self._proc.poll()})")
            buf += chunk
        info = json.loads(buf.split(b"\n", 1)[0])
        if not info.get("ready"):
            raise LabError(info.get("error", "not ready"))
        return info

    def supervisor_log(self) -> str:
        if self.run_dir is None:
            return ""
        try:
            return (self.run_dir / "supervisor.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> float:
        """Stop the world; returns the seconds it took.  Idempotent."""
        t0 = time.monotonic()
        proc = self._proc
        if proc is not None:
            self._kill_strays()
            if proc.poll() is None:
                try:
                    if proc.stdin:
                        proc.stdin.close()
                except OSError:
                    pass
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=STOP_TIMEOUT)
            if proc.stdout:
                proc.stdout.close()
            with _LIVE_LOCK:
                _LIVE.pop(proc.pid, None)
            self._proc = None
        if self._netns_fd is not None:
            os.close(self._netns_fd)
            self._netns_fd = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self.run_dir is not None and not self.keep_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        return time.monotonic() - t0

    def _kill_strays(self) -> None:
        """SIGKILL, by pid, any process still inside the world's network namespace (not the supervisor)."""
        if self._netns_fd is None:
            return
        for pid in self.pids_inside():
            if pid != self.pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def pids_inside(self) -> list[int]:
        """Pids of all processes in this world's network namespace."""
        if self._netns_fd is None:
            return []
        st = os.fstat(self._netns_fd)
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                s = os.stat(f"/proc/{entry}/ns/net")
            except OSError:
                continue
            if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
                found.append(int(entry))
        return found

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> World:
        if self._proc is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ inside

    @property
    def env(self) -> dict[str, str]:
        """The environment a process inside the world gets (host AWS_*/proxy/CA variables removed)."""
        assert self.run_dir is not None, "world not started"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)
        }
        env.update(
            {
                "AWS_CONFIG_FILE": str(self.run_dir / "aws" / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.run_dir / "aws" / "credentials"),
                "AWS_CA_BUNDLE": str(self.trust_bundle),
                "STSDIAG_LAB_WORLD": self.name,
                "STSDIAG_LAB_TRUST": str(self.trust_bundle.parent),  # the world's CA files
            }
        )
        # Tools installed beside this Python (a venv's aws, stsdiag) come first inside the world.
        bindir = os.path.dirname(sys.executable)
        path = env.get("PATH", os.defpath).split(os.pathsep)
        if bindir not in path:
            env["PATH"] = os.pathsep.join([bindir, *path])
        if self.spec.aws.credentials == "web-identity":
            env["AWS_ROLE_ARN"] = WEB_IDENTITY_ROLE
            env["AWS_WEB_IDENTITY_TOKEN_FILE"] = str(self.run_dir / "aws" / "web-identity-token")
        env.update(self.spec.env)
        for k in self.spec.unset_env:
            env.pop(k, None)
        return env

    @property
    def trust_bundle(self) -> Path:
        """The world's public trust: the lab's "Amazon Root CA 1"."""
        assert self.run_dir is not None
        return self.run_dir / "trust" / "world-roots.pem"

    @property
    def gateway_ca(self) -> Path:
        """The interception CA ("Example Corp Security Gateway Root CA") -- the fix for proxy-intercept."""
        assert self.run_dir is not None
        return self.run_dir / "trust" / "gateway-root-ca.pem"

    def nsenter_prefix(self) -> list[str]:
        assert self.pid is not None, "world not started"
        cmd = ["nsenter", "--target", str(self.pid)]
        if self.mode == "userns":
            cmd += ["--user", "--preserve-credentials"]
        return [*cmd, "--net", "--mount"]

    def run(
        self,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60.0,
        input: str | bytes | None = None,
        cwd: str | os.PathLike[str] | None = None,
        capture: bool = True,
        text: bool = True,
        check: bool = False,
    ) -> subprocess.CompletedProcess[Any]:
        """Run ``cmd`` inside the world (``nsenter``) with :attr:`env` plus ``env`` overrides
        (a ``None`` value removes a variable).  Bounded by ``timeout``: on expiry the
        command's whole process group is killed and ``subprocess.TimeoutExpired`` raised."""
        if not self.alive:
            raise LabError(f"world {self.name} is not running")
        full_env = self.env
        for k, v in (env or {}).items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = v
        workdir = str(cwd or PROJECT_ROOT)
        argv = [*self.nsenter_prefix(), f"--wd={workdir}", "--", *cmd]
        if isinstance(input, str) and not text:
            input = input.encode()
        proc = subprocess.Popen(
            argv,
            env=full_env,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=text,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(argv, timeout, out, err) from None
        result = subprocess.CompletedProcess(argv, proc.returncode, out, err)
        if check:
            result.check_returncode()
        return result

    def interactive(self, cmd: Sequence[str], env: Mapping[str, str] | None = None) -> int:
        """Run ``cmd`` inside with the terminal attached (for ``python -m tests.lab run``)."""
        full_env = self.env
        full_env.update(env or {})
        argv = [*self.nsenter_prefix(), f"--wd={os.getcwd()}", "--", *cmd]
        proc = subprocess.Popen(argv, env=full_env)
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return proc.wait()
        finally:
            signal.signal(signal.SIGINT, old)

    def python(self, code: str, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        """Run ``python -c code`` inside the world."""
        return self.run([sys.executable, "-c", code], **kwargs)

    @contextlib.contextmanager
    def netns(self) -> Iterator[None]:
        """Move *this thread* into the world's network namespace (sockets, dnspython with an
        explicit nameserver).  Name resolution through /etc/resolv.conf needs :meth:`run`.
        Root mode only."""
        if self._netns_fd is None:
            raise LabError("world not started")
        if self.mode != "root":
            raise LabUnavailable("in-process netns entry needs root (use run())")
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            if _libc.setns(self._netns_fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the world failed")
            try:
                yield
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:  # pragma: no cover - would be fatal
                    raise OSError(ctypes.get_errno(), "setns back to the host failed")
        finally:
            os.close(own)

    def events(self) -> list[dict[str, Any]]:
        """What the world's servers saw so far (DNS queries, TLS handshakes, STS calls, IMDS...)."""
        assert self.run_dir is not None
        path = self.run_dir / "events.jsonl"
        if not path.exists():
            return []
        out = []
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    def check(self, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Run the world file's ``[[check]]`` entries inside; return results with ``problems``."""
        from .checks import verify

        payload = json.dumps([{"client": c.client, **c.params} for c in self.spec.checks])
        proc = self.run([sys.executable, "-m", "tests.lab.client"], input=payload, timeout=timeout)
        if proc.returncode != 0:
            raise LabError(f"check client failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        results = json.loads(proc.stdout)
        for check, result in zip(self.spec.checks, results, strict=False):
            result["about"] = check.about
            result["client"] = check.client
            result["expect"] = check.expect
            result["problems"] = verify(check, result)
        return results


@contextlib.contextmanager
def world(name: str | WorldSpec, **kwargs: Any) -> Iterator[World]:
    """Start a world, yield it, always stop it."""
    w = World(name, **kwargs)
    w.start()
    try:
        yield w
    finally:
        w.stop()


def live_worlds() -> list[World]:
    with _LIVE_LOCK:
        return list(_LIVE.values())


def started_history() -> list[tuple[int, Path]]:
    """(supervisor pid, run dir) of every world started by this process, running or not."""
    with _LIVE_LOCK:
        return list(_HISTORY)


def stop_all() -> None:
    for w in live_worlds():
        w.stop()
