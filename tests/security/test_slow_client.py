"""A slow or lying client cannot hold ``accord serve``: a request that does not arrive within
``http_read_timeout_seconds`` (nothing sent, half a header, ``Content-Length: 1000`` and 7
bytes) is answered 408 and its connection closed; beyond ``http_max_connections`` open
connections a request is answered 503 at once. Raw sockets against a real ``accord serve``
process; the bounds below are generous waits, not timings."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accord.demo.processes import Stack, free_port

READ_TIMEOUT = 5
MAX_CONNECTIONS = 4
PATIENCE = 60.0
"""How long a test waits for the server's answer: far beyond the timeout, so a loaded
machine does not fail it, and far below the minutes a missing timeout would take."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    directory = tmp_path_factory.mktemp("slow-client")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_DATA_DIR": str(directory / ".accord"), "ACCORD_LOG_LEVEL": "WARNING",
                "ACCORD_CONFIG": str(directory / "accord.toml"),
                "ACCORD_HTTP_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
                "ACCORD_HTTP_MAX_CONNECTIONS": str(MAX_CONNECTIONS)})
    (directory / "accord.toml").write_text("", encoding="utf-8")
    stack = Stack(Path(directory), env)
    port = free_port()
    try:
        serve = stack.start("serve", ["serve", "--no-workers", "--port", str(port)])
        stack.wait_ready(serve, f"http://127.0.0.1:{port}/healthz")
        yield "127.0.0.1", port
    finally:
        stack.stop()


def _connect(server: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(server, timeout=PATIENCE)
    sock.settimeout(PATIENCE)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


@pytest.mark.parametrize("sent", [
    b"",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow",
    b"POST /console/login HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    b"token=a",
], ids=["nothing", "half-a-header", "lying-content-length"])
def test_a_request_that_does_not_arrive_is_answered_408_and_closed(
        server: tuple[str, int], sent: bytes) -> None:
    host = f"{server[0]}:{server[1]}".encode()
    with _connect(server) as sock:
        sock.sendall(sent.replace(b"{host}", host))
        answer = _answer(sock)  # returns once the server closes the connection
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"connection: close" in answer.lower()


def test_beyond_the_connection_limit_a_request_is_refused_503_until_one_frees(
        server: tuple[str, int]) -> None:
    url = f"http://{server[0]}:{server[1]}/healthz"
    hogs = [_connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        with httpx.Client(timeout=PATIENCE) as http:
            refused = http.get(url)
        assert refused.status_code == 503, refused.text
        for hog in hogs:  # the read timeout closes each idle connection
            assert _answer(hog).startswith(b"HTTP/1.1 408 ")
    finally:
        for hog in hogs:
            hog.close()
    with httpx.Client(timeout=PATIENCE) as http:
        assert http.get(url).status_code == 200


def test_a_complete_request_is_answered_normally(server: tuple[str, int]) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
