"""The loopback-only guard rail refuses everything else — and lets loopback through."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import NetworkRefused


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("10.0.0.1", 80), ("2001:db8::1", 443)])
def test_connect_to_other_addresses_is_refused(address: tuple[str, int]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(NetworkRefused):
        sock.connect(address)


def test_name_lookups_of_other_hosts_are_refused() -> None:
    with pytest.raises(NetworkRefused):
        socket.getaddrinfo("api.github.com", 443)
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen("https://api.github.com/", timeout=1)
    assert isinstance(info.value.reason, NetworkRefused)


def test_loopback_is_allowed() -> None:
    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for host in ("127.0.0.1", "localhost"):
            with urllib.request.urlopen(f"http://{host}:{server.server_port}/", timeout=5) as response:
                assert response.read() == b"hello"
    finally:
        server.shutdown()
        server.server_close()
