"""The sandboxes' local CA: sandboxes and clients starting together all see one whole CA that
signs the certificate the server serves."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

from accord.sandboxes.tls import ensure_tls

ENSURE_AND_READ = (
    "import sys, time; from pathlib import Path; from accord.sandboxes.tls import ensure_tls; "
    "Path(sys.argv[2], sys.argv[3]).touch(); "
    "exec('while not Path(sys.argv[2], \\'go\\').exists(): time.sleep(0.001)'); "
    "files = ensure_tls(Path(sys.argv[1])); "
    "sys.stdout.buffer.write(files.ca_cert.read_bytes() + b'--' + files.cert_chain.read_bytes())")


def _handshake(ca: Path, chain: Path, key: Path) -> None:
    """A TLS handshake between a server serving ``chain`` and a client trusting ``ca``."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(chain, key)
    client_context = ssl.create_default_context(cafile=str(ca))
    left, right = socket.socketpair()
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            with server_context.wrap_socket(right, server_side=True):
                pass
        except (ssl.SSLError, OSError) as error:
            failure.append(error)

    thread = threading.Thread(target=serve)
    thread.start()
    with client_context.wrap_socket(left, server_hostname="127.0.0.1"):
        pass
    thread.join(10)
    assert not failure


def test_sandboxes_starting_together_share_one_whole_ca(tmp_path: Path) -> None:
    data, gate = tmp_path / "data", tmp_path / "gate"
    gate.mkdir()
    processes = [subprocess.Popen([sys.executable, "-c", ENSURE_AND_READ, str(data), str(gate),
                                   f"ready-{n}"], stdout=subprocess.PIPE) for n in range(8)]
    while len(list(gate.iterdir())) < len(processes):  # every process at the gate: all go at once
        assert all(process.poll() is None for process in processes)
        time.sleep(0.01)
    (gate / "go").touch()
    seen = {process.communicate(timeout=120)[0] for process in processes}
    assert all(process.returncode == 0 for process in processes)
    files = ensure_tls(data)
    assert seen == {files.ca_cert.read_bytes() + b"--" + files.cert_chain.read_bytes()}
    assert b"BEGIN CERTIFICATE" in files.ca_cert.read_bytes()
    assert [path.name for path in data.iterdir()] == ["tls"]  # nothing half-made left
    _handshake(files.ca_cert, files.cert_chain, files.private_key)
    assert files.private_key.stat().st_mode & 0o077 == 0


def test_an_incomplete_folder_is_made_again(tmp_path: Path) -> None:
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "ca.pem").write_bytes(b"")
    files = ensure_tls(tmp_path)
    _handshake(files.ca_cert, files.cert_chain, files.private_key)
