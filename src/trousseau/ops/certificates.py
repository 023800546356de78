"""When the service's TLS certificates expire: the `trousseau_certificate_expiry_seconds`
gauge behind the CertificateExpiring alert (I/O: a TLS handshake per configured endpoint,
remembered for an hour).

The handshake does not verify the chain: an expired or self-signed certificate must still be
read so its date can be reported.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509

from trousseau.errors import InvalidValue

REMEMBER = timedelta(hours=1)


def certificate_expiry(endpoint: str, *, timeout: float = 5.0) -> datetime:
    """The `notAfter` of the certificate `host:port` presents; OSError when it cannot be
    reached."""
    host, sep, port_text = endpoint.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise InvalidValue(f"{endpoint!r} is not host:port (like api.example.com:443)")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, int(port_text)), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise OSError(f"{endpoint} presented no certificate")
    return x509.load_der_x509_certificate(der).not_valid_after_utc


class ExpiryWatch:
    """Seconds until each endpoint's certificate expires, refreshed at most hourly."""

    def __init__(self, endpoints: Sequence[str]) -> None:
        self.endpoints = tuple(endpoints)
        self._known: dict[str, tuple[datetime, datetime]] = {}
        self._lock = threading.Lock()

    def seconds_left(self, now: datetime) -> dict[str, float]:
        found = {}
        with self._lock:
            for endpoint in self.endpoints:
                known = self._known.get(endpoint)
                if known is None or now - known[0] > REMEMBER:
                    try:
                        known = (now, certificate_expiry(endpoint))
                    except (OSError, ssl.SSLError, ValueError):
                        continue  # unreachable: no series, absent() alerts see it
                    self._known[endpoint] = known
                found[endpoint] = (known[1] - now.astimezone(UTC)).total_seconds()
        return found
