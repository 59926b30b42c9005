"""Hand-typed (marked): message formats of botocore before 1.12 (2015-2017: requests vendored
inside botocore, `Making request for <OperationModel object>`, `ConnectionError received`,
`Credentials found in`). The fixture generator starts at botocore 1.18, the oldest that
installs cleanly here; these lines follow botocore's source of that era."""

from __future__ import annotations

import io

from stsdiag.parselog import ParseOptions, analyze

OLD = b"""\
2017-07-01 09:08:51,100 - MainThread - botocore.credentials - INFO - Credentials found in config file: ~/.aws/config
2017-07-01 09:08:51,200 - MainThread - botocore.hooks - DEBUG - Event before-parameter-build.sts.GetCallerIdentity: calling handler <function generate_idempotent_uuid at 0x7f00>
2017-07-01 09:08:51,201 - MainThread - botocore.endpoint - DEBUG - Making request for <botocore.model.OperationModel object at 0x7fce78f4ca10> (verify_ssl=True) with params: {'body': {'Action': u'GetCallerIdentity', 'Version': u'2011-06-15'}, 'url': u'https://sts.amazonaws.com/', 'headers': {'User-Agent': 'aws-cli/1.11.13 Python/2.7.12 Linux/4.4.0 botocore/1.4.70'}, 'context': {'client_region': 'eu-west-1'}, 'query_string': '', 'url_path': '/', 'method': u'POST'}
2017-07-01 09:08:51,290 - MainThread - botocore.auth - DEBUG - StringToSign:
AWS4-HMAC-SHA256
20170701T090851Z
20170701/us-east-1/sts/aws4_request
a43be826f784ce50d98b8761e4fa7cd703e0638d97ea8eaa3726d6211270ca95
2017-07-01 09:08:51,291 - MainThread - botocore.endpoint - DEBUG - Sending http request: <PreparedRequest [POST]>
2017-07-01 09:08:51,292 - MainThread - botocore.vendored.requests.packages.urllib3.connectionpool - INFO - Starting new HTTPS connection (1): sts.amazonaws.com
2017-07-01 09:08:51,298 - MainThread - botocore.endpoint - DEBUG - ConnectionError received when sending HTTP request.
Traceback (most recent call last):
  File "/usr/lib/python2.7/dist-packages/botocore/endpoint.py", line 204, in _get_response
    proxies=self.proxies, timeout=self.timeout)
  File "/usr/lib/python2.7/dist-packages/botocore/vendored/requests/adapters.py", line 431, in send
    raise SSLError(e, request=request)
SSLError: [Errno 2] No such file or directory
"""


def test_botocore_before_1_12() -> None:
    rep = analyze(io.BufferedReader(io.BytesIO(OLD)), "old", ParseOptions())  # type: ignore[arg-type]
    (req,) = rep.requests
    assert req.operation == "GetCallerIdentity" and req.service == "sts"
    assert req.host == "sts.amazonaws.com" and req.signing_region == "us-east-1"
    assert [a.error.value if a.error else None for a in req.attempts] == ["ssl"]
    codes = {f.code for f in rep.findings}
    assert {"SD102", "SD103", "SD303", "SD503"} <= codes, codes
    assert rep.log is not None and "botocore/1.4.70" in rep.log.versions
    assert rep.recommendation is not None and rep.recommendation.region == "eu-west-1"
