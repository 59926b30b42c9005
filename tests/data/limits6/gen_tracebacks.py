"""How the *.log files next to this one were made (real boto3/botocore, the main venv's),
kept for the record; not run by the tests.

A TLS listener on 127.0.0.1 that completes the handshake and never answers (a read
timeout) stands in for sts.us-east-1.amazonaws.com: the program resolves that name to it
(socket.getaddrinfo patched), trusts its self-signed certificate, and uses AWS's example
credentials. Nothing leaves the machine. Usage (cert.pem/key.pem: `openssl req -x509 ...
-subj /CN=sts.us-east-1.amazonaws.com -addext subjectAltName=DNS:sts.us-east-1.amazonaws.com`):

    python gen_tracebacks.py serve &            # prints its port
    python gen_tracebacks.py PORT MODE 2> x.log

MODE: `two` (two calls, each ReadTimeoutError caught and logged with log.exception; botocore
at WARNING, urllib3 at DEBUG: two-calls-caught-urllib3.log), `two-info` (the same with the
root logger at INFO: no SDK line between the two tracebacks; not kept: parse-log reads it
as one call, see tests/test_limits6.py), `reraise` (one call, logged and raised again:
one-call-logged-and-reraised.log), `retries` (one call, three attempts, botocore silent:
one-call-three-connections.log).
"""

import logging
import socket
import ssl
import sys
import threading
import time


def serve() -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("cert.pem", "key.pem")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print(s.getsockname()[1], flush=True)

    def hold(c: socket.socket) -> None:
        try:
            t = ctx.wrap_socket(c, server_side=True)
            t.recv(65536)
            time.sleep(3600)
        except OSError:
            pass

    while True:
        c, _ = s.accept()
        threading.Thread(target=hold, args=(c,), daemon=True).start()


def main(port: int, mode: str) -> None:
    orig = socket.getaddrinfo

    def gai(host, p, *a, **k):  # type: ignore[no-untyped-def]
        return (
            orig("127.0.0.1", port, *a, **k)
            if host.endswith("amazonaws.com")
            else orig(host, p, *a, **k)
        )

    socket.getaddrinfo = gai
    import boto3
    import botocore.config
    import botocore.exceptions

    logging.basicConfig(
        level=logging.DEBUG, format="%(asctime)s %(name)s [%(levelname)s] %(message)s"
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    if mode == "two-info":
        logging.getLogger().setLevel(logging.INFO)
    log = logging.getLogger("app")
    retries = {"total_max_attempts": 3 if mode == "retries" else 1, "mode": "standard"}
    cfg = botocore.config.Config(read_timeout=1, connect_timeout=1, retries=retries)
    s = boto3.session.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region_name="us-east-1",
    )
    sts = s.client("sts", config=cfg, verify="cert.pem")
    for i in range(2 if mode.startswith("two") else 1):
        try:
            sts.get_caller_identity()
        except botocore.exceptions.ReadTimeoutError:
            log.exception("call %d failed", i + 1)
            if mode == "reraise":
                raise


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    else:
        main(int(sys.argv[1]), sys.argv[2])
