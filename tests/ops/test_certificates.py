"""Certificate expiry read from a real TLS handshake (a self-signed certificate served on
loopback), remembered for an hour, and exported by the service when configured."""

from __future__ import annotations

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from trousseau.errors import InvalidValue
from trousseau.ops.certificates import ExpiryWatch, certificate_expiry

NOT_AFTER = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def tls_endpoint(tmp_path: Path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC)).not_valid_after(NOT_AFTER)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_the_expiry_of_a_self_signed_certificate_is_read(tls_endpoint) -> None:
    assert certificate_expiry(tls_endpoint) == NOT_AFTER
    now = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
    watch = ExpiryWatch([tls_endpoint, "127.0.0.1:9"])  # the second answers nothing
    assert watch.seconds_left(now) == {tls_endpoint: 10 * 86400.0}
    later = now + timedelta(minutes=30)  # remembered: no second handshake needed
    assert watch.seconds_left(later)[tls_endpoint] == pytest.approx(10 * 86400 - 1800)


def test_a_bad_endpoint_is_named() -> None:
    with pytest.raises(InvalidValue, match="not host:port"):
        certificate_expiry("api.example.com")


def test_the_service_exports_the_gauge_when_configured(tls_endpoint, settings, clock) -> None:
    from tests.web.conftest import TestClient
    from trousseau.web import create_app

    configured = settings.model_copy(
        update={"ops": settings.ops.model_copy(update={"certificates": (tls_endpoint,)})}
    )
    with TestClient(create_app(configured, clock=clock)) as client:
        text = client.get("/metrics").text
    expected = (NOT_AFTER - clock()).total_seconds()
    line = next(
        row for row in text.splitlines() if row.startswith("trousseau_certificate_expiry_seconds{")
    )
    assert f'endpoint="{tls_endpoint}"' in line and float(line.split()[-1]) == expected
