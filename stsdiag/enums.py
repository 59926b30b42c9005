"""Closed sets shared by every module, in a module with no dataclasses so the CLI can
import them cheaply (`stsdiag --help` must start fast)."""

from __future__ import annotations

from enum import Enum, IntEnum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class FailOn(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1, "never": 99}[self.value]


class ExitStatus(IntEnum):
    """The one exit-status enum (see README "Exit status")."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class Where(str, Enum):
    LOG = "log"
    PROBE = "probe"
    BOTH = "both"


class OutputFormat(str, Enum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"


class Via(str, Enum):
    VPC_ENDPOINT = "vpc-endpoint"
    PUBLIC = "public"
    PROXY = "proxy"


class ErrorKind(str, Enum):
    CONNECT_TIMEOUT = "connect-timeout"
    READ_TIMEOUT = "read-timeout"
    DNS = "dns"
    CONNECTION_REFUSED = "connection-refused"
    CONNECTION_ERROR = "connection-error"
    SSL = "ssl"
    PROXY = "proxy"
    NO_CREDENTIALS = "no-credentials"
    NO_REGION = "no-region"
    OTHER = "other"


class Layer(str, Enum):
    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    HTTPS = "https"
    STS = "sts"


class Status(str, Enum):
    OK = "ok"
    FAIL = "fail"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"
    ERROR = "error"  # a bug in stsdiag


# a layer that ended like this stops its address's later layers
BLOCKING = (Status.FAIL, Status.TIMEOUT, Status.ERROR)


class TargetKind(str, Enum):
    SDK_DEFAULT = "sdk-default"
    GLOBAL = "global"
    REGIONAL = "regional"
    VPCE = "vpce"
    FIPS = "fips"
    DUALSTACK = "dualstack"
    CUSTOM = "custom"


class AddressClass(str, Enum):
    VPC_PRIVATE = "vpc-private"
    PUBLIC = "public"
    OTHER = "other"
