"""How presigned-get-urllib3.log was made (real boto3/botocore 1.44 and urllib3 of the main
venv), kept for the record; not run by the tests. Afterwards the X-Amz-Signature value was
replaced by an obvious fake (EXAMPLESIGNATURE000...).

A TLS server on 127.0.0.1 (certificate for s3.amazonaws.com and *.s3.amazonaws.com) answers
every GET with 403 AccessDenied; the program resolves *.amazonaws.com to it
(socket.getaddrinfo patched), presigns a GetObject with SigV4 for eu-west-1 (AWS's example
credentials: botocore puts the bucket on the global host examplebucket.s3.amazonaws.com,
the region only in the credential scope) and fetches it with urllib3, botocore's own
logging at WARNING. Nothing leaves the machine.

    python gen_presigned.py serve &        # prints its port
    python gen_presigned.py PORT 2> presigned-get-urllib3.log
"""

import http.server
import logging
import socket
import ssl
import sys

BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access '
    b"Denied</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>EXAMPLEHOSTID</HostId></Error>"
)


class _Denied(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("x-amz-request-id", "4442587FB7D0A2F9")
        self.send_header("Server", "AmazonS3")
        self.end_headers()
        self.wfile.write(BODY)


def serve() -> None:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Denied)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("cert3.pem", "key3.pem")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


def main(port: int) -> None:
    orig = socket.getaddrinfo

    def gai(host, p, *a, **k):  # type: ignore[no-untyped-def]
        if host.endswith("amazonaws.com"):
            return orig("127.0.0.1", port, *a, **k)
        return orig(host, p, *a, **k)

    socket.getaddrinfo = gai
    import boto3
    import botocore.config
    import urllib3

    logging.basicConfig(
        level=logging.DEBUG, format="%(asctime)s %(name)s [%(levelname)s] %(message)s"
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    s = boto3.session.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region_name="eu-west-1",
    )
    s3 = s.client("s3", config=botocore.config.Config(signature_version="s3v4"))
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "examplebucket", "Key": "report.csv"}, ExpiresIn=3600
    )
    r = urllib3.PoolManager(ca_certs="cert3.pem").request("GET", url)
    logging.getLogger("app").info("GET %s -> %s", url, r.status)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    else:
        main(int(sys.argv[1]))
