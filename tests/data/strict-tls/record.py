"""Records `boto3-py313-no-key-ids-accepted.log`: a real boto3 debug log from Python 3.13,
whose default TLS context verifies strictly, against a loopback stand-in whose certificate
chain (a corporate CA's, trusted through AWS_CA_BUNDLE) has no key identifiers. botocore
builds its own context without the strict flag, so the request gets an answer (the
stand-in's 501): the evidence that stsdiag's probe must verify as botocore does.
Recorded with boto3/botocore 1.44.8 and urllib3 2.8.0.

    python3 tests/data/strict-tls/record.py /path/to/python3.13   # from the repository root

The given interpreter needs boto3; this one needs `cryptography` (the dev extra). Nothing
leaves loopback: the server listens on 127.0.0.1, the client is pointed at `localhost`."""

from __future__ import annotations

import http.server
import os
import ssl
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.probe_support import make_ca  # noqa: E402

CLIENT = """
import boto3, botocore.config, sys
boto3.set_stream_logger('')
sts = boto3.client('sts', region_name='ap-northeast-1', endpoint_url=sys.argv[1],
                   config=botocore.config.Config(retries={'max_attempts': 1}))
try:
    sts.get_caller_identity()
except Exception as e:
    print(type(e).__name__, e, file=sys.stderr)
"""


def main() -> None:
    python = sys.argv[1]
    corp = make_ca("Example Corp", "Example Corp Root CA", key_ids=False)
    chain, key = corp.issue(("localhost",))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "chain.pem").write_bytes(chain)
        (t / "key.pem").write_bytes(key)
        (t / "root.pem").write_bytes(corp.root_pem)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(t / "chain.pem", t / "key.pem")
        srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.timeout = 5
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_CA_BUNDLE=str(t / "root.pem"), AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
                   AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                   AWS_EC2_METADATA_DISABLED="true", NO_PROXY="*")  # fmt: skip
        url = f"https://localhost:{srv.server_address[1]}"
        proc = subprocess.run([python, "-c", CLIENT, url], env=env, capture_output=True,
                              timeout=60, check=False)  # fmt: skip
        srv.shutdown()
    (HERE / "boto3-py313-no-key-ids-accepted.log").write_bytes(proc.stderr)


if __name__ == "__main__":
    main()
