"""Certificate authorities of the lab.

Three unrelated trust roots, generated once per machine and cached (RSA key
generation is the slow part; signing a leaf takes a millisecond):

* ``amazon`` -- the world's *public* trust, named after AWS's real chain:
  root "Amazon Root CA 1" -> intermediate "Amazon RSA 2048 M02" -> leaf.
  This root is the only one a world trusts (its "system" store and
  ``AWS_CA_BUNDLE``), so a check of *who issued the certificate* behaves as it
  would against real STS.
* ``gateway`` -- an interception CA named like a corporate security gateway;
  the intercepting proxy and the "other CA" TLS server mint leaves from it.
* ``portal`` -- a captive portal's self-signed CA.

Nothing here is secret: it is test material, regenerated whenever the cache is
removed.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CACHE_VERSION = "v1"

AMAZON_ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Amazon Root CA 1"),
    ]
)
AMAZON_INTERMEDIATE_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Amazon RSA 2048 M02"),
    ]
)
GATEWAY_ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Secure Web Gateway"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Example Corp Security Gateway Root CA"),
    ]
)
PORTAL_ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Guest WiFi"),
        x509.NameAttribute(NameOID.COMMON_NAME, "portal.guest-wifi.example"),
    ]
)

_LOCK = threading.Lock()


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ca_cert(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    path_length: int | None = None,
    not_before: _dt.datetime | None = None,
    not_after: _dt.datetime | None = None,
) -> x509.Certificate:
    issuer = issuer or subject
    issuer_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or _dt.datetime(2015, 5, 26, tzinfo=_dt.timezone.utc))
        .not_valid_after(not_after or _dt.datetime(2038, 1, 17, tzinfo=_dt.timezone.utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Issuer:
    """A CA that can sign leaves: its certificate, key and the chain to send."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    chain_pem: bytes  # intermediates to send after the leaf (may be empty)

    def issue(
        self,
        names: list[str],
        leaf_key: rsa.RSAPrivateKey,
        days: int = 395,
    ) -> bytes:
        """Return PEM of leaf + chain for ``names`` (DNS names or IP addresses)."""
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        first = names[0]
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)]))
            .issuer_name(self.cert.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1))
            .not_valid_after(now + _dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        return _cert_pem(cert) + self.chain_pem


@dataclass(frozen=True)
class LabCA:
    """All CA material of the lab, loaded from the cache directory."""

    directory: Path
    amazon: Issuer  # the intermediate "Amazon RSA 2048 M02"
    gateway: Issuer  # "Example Corp Security Gateway Root CA"
    portal: Issuer  # captive portal, self-signed
    leaf_key: rsa.RSAPrivateKey

    @property
    def amazon_root_pem(self) -> Path:
        return self.directory / "amazon-root-ca-1.pem"

    @property
    def gateway_root_pem(self) -> Path:
        return self.directory / "gateway-root-ca.pem"

    @property
    def portal_root_pem(self) -> Path:
        return self.directory / "portal-ca.pem"

    @property
    def leaf_key_pem(self) -> Path:
        return self.directory / "leaf.key"

    def issuer(self, name: str) -> Issuer:
        try:
            return {"amazon": self.amazon, "gateway": self.gateway, "portal": self.portal}[name]
        except KeyError:
            raise ValueError(f"unknown CA {name!r} (amazon, gateway, portal)") from None


def default_cache_dir() -> Path:
    base = os.environ.get("STSDIAG_LAB_CACHE")
    if base:
        return Path(base) / CACHE_VERSION
    return Path(tempfile.gettempdir()) / f"stsdiag-lab-cache-{os.getuid()}" / CACHE_VERSION


_FILES = (
    "amazon-root-ca-1.pem",
    "amazon-root-ca-1.key",
    "amazon-rsa-2048-m02.pem",
    "amazon-rsa-2048-m02.key",
    "gateway-root-ca.pem",
    "gateway-root-ca.key",
    "portal-ca.pem",
    "portal-ca.key",
    "leaf.key",
)


def _generate(directory: Path) -> None:
    root_key = _new_key()
    root = _ca_cert(AMAZON_ROOT_NAME, root_key)
    inter_key = _new_key()
    inter = _ca_cert(
        AMAZON_INTERMEDIATE_NAME,
        inter_key,
        issuer=AMAZON_ROOT_NAME,
        issuer_key=root_key,
        path_length=0,
        not_before=_dt.datetime(2022, 8, 23, tzinfo=_dt.timezone.utc),
        not_after=_dt.datetime(2030, 8, 23, tzinfo=_dt.timezone.utc),
    )
    gw_key = _new_key()
    gw = _ca_cert(
        GATEWAY_ROOT_NAME, gw_key, not_before=_dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
    )
    portal_key = _new_key()
    portal = _ca_cert(
        PORTAL_ROOT_NAME, portal_key, not_before=_dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
    )
    leaf_key = _new_key()
    out = {
        "amazon-root-ca-1.pem": _cert_pem(root),
        "amazon-root-ca-1.key": _key_pem(root_key),
        "amazon-rsa-2048-m02.pem": _cert_pem(inter),
        "amazon-rsa-2048-m02.key": _key_pem(inter_key),
        "gateway-root-ca.pem": _cert_pem(gw),
        "gateway-root-ca.key": _key_pem(gw_key),
        "portal-ca.pem": _cert_pem(portal),
        "portal-ca.key": _key_pem(portal_key),
        "leaf.key": _key_pem(leaf_key),
    }
    for name, data in out.items():
        (directory / name).write_bytes(data)


def ensure_ca(directory: Path | None = None) -> Path:
    """Create the CA cache if missing (atomically); return its directory."""
    directory = directory or default_cache_dir()
    with _LOCK:
        if all((directory / f).is_file() for f in _FILES):
            return directory
        directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = Path(tempfile.mkdtemp(prefix=".ca-", dir=directory.parent))
        try:
            _generate(tmp)
            try:
                os.rename(tmp, directory)
            except OSError:
                # Someone else won the race (or a partial dir exists): keep theirs
                # if complete, else replace it.
                if all((directory / f).is_file() for f in _FILES):
                    return directory
                shutil.rmtree(directory, ignore_errors=True)
                os.rename(tmp, directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return directory


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    # Our own freshly generated keys: skip the (slow) RSA consistency checks.
    key = serialization.load_pem_private_key(
        path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


_LOADED: dict[Path, LabCA] = {}


def load_ca(directory: Path | None = None) -> LabCA:
    """The lab CA material (generated on first use, then cached on disk and in memory)."""
    directory = ensure_ca(directory)
    with _LOCK:
        if directory in _LOADED:
            return _LOADED[directory]
    lab_ca = _read_ca(directory)
    with _LOCK:
        _LOADED[directory] = lab_ca
    return lab_ca


def _read_ca(directory: Path) -> LabCA:
    inter_pem = (directory / "amazon-rsa-2048-m02.pem").read_bytes()
    return LabCA(
        directory=directory,
        amazon=Issuer(
            cert=x509.load_pem_x509_certificate(inter_pem),
            key=_load_key(directory / "amazon-rsa-2048-m02.key"),
            chain_pem=inter_pem,
        ),
        gateway=Issuer(
            cert=x509.load_pem_x509_certificate((directory / "gateway-root-ca.pem").read_bytes()),
            key=_load_key(directory / "gateway-root-ca.key"),
            chain_pem=b"",
        ),
        portal=Issuer(
            cert=x509.load_pem_x509_certificate((directory / "portal-ca.pem").read_bytes()),
            key=_load_key(directory / "portal-ca.key"),
            chain_pem=b"",
        ),
        leaf_key=_load_key(directory / "leaf.key"),
    )
