"""Running sandboxes: in the foreground for the CLI, or on a background thread for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from accord.sandboxes.base import SandboxDefinition, SandboxEndpoint, SandboxOptions
from accord.sandboxes.tls import TLSFiles, ensure_tls


def endpoint_for(definition: SandboxDefinition, host: str, port: int,
                 options: SandboxOptions) -> SandboxEndpoint:
    scheme = "https" if definition.tls else "http"
    return SandboxEndpoint(base_url=f"{scheme}://{host}:{port}", data_dir=options.data_dir)


def _config(app: ASGIApp, sock_host: str, port: int, tls: TLSFiles | None,
            log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=sock_host, port=port, log_level=log_level, access_log=False, lifespan="on",
        ssl_certfile=str(tls.cert_chain) if tls else None,
        ssl_keyfile=str(tls.private_key) if tls else None,
        timeout_keep_alive=30,
    )


def serve(definition: SandboxDefinition, *, host: str = "127.0.0.1", port: int | None = None,
          options: SandboxOptions | None = None, log_level: str = "info") -> None:
    """Serve until interrupted (``accord sandbox start``)."""
    options = options or SandboxOptions()
    tls = ensure_tls(options.data_dir) if definition.tls else None
    app = definition.create_app(options)
    if options.recorder is not None:
        app = options.recorder.wrap(app, definition.name)
    uvicorn.Server(_config(app, host, port or definition.default_port, tls, log_level)).run()


def stop_server(server: uvicorn.Server, thread: threading.Thread,
                grace_seconds: float = 2.0) -> None:
    """Shut down gracefully (the app's lifespan shutdown runs); if connections linger past
    ``grace_seconds`` (requests' TLS pools half-close idle ones), force the exit."""
    server.should_exit = True
    thread.join(timeout=grace_seconds)
    if thread.is_alive():
        server.force_exit = True
        thread.join(timeout=10)


@dataclass
class RunningSandbox:
    definition: SandboxDefinition
    endpoint: SandboxEndpoint
    app: ASGIApp
    server: uvicorn.Server
    thread: threading.Thread
    tls: TLSFiles | None

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url

    def credentials(self) -> dict[str, str]:
        return self.definition.credentials(self.endpoint)

    def stop(self) -> None:
        stop_server(self.server, self.thread)


@dataclass
class ThreadedServer:
    """Any ASGI app served by uvicorn on a background thread (tests, embedded use)."""

    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    def stop(self) -> None:
        stop_server(self.server, self.thread)


def serve_in_thread(app: ASGIApp, *, name: str, host: str = "127.0.0.1", port: int = 0,
                    tls: TLSFiles | None = None) -> ThreadedServer:
    """Bind (``port=0`` picks a free port), serve on a daemon thread, return once listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, host, bound_port, tls, "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name,
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)
    return ThreadedServer(server, thread, host, bound_port)


def start_in_thread(definition: SandboxDefinition, options: SandboxOptions | None = None, *,
                    host: str = "127.0.0.1", port: int = 0) -> RunningSandbox:
    """Start a sandbox on a free port (``port=0``) in a daemon thread."""
    options = options or SandboxOptions()
    tls = ensure_tls(options.data_dir) if definition.tls else None
    app = definition.create_app(options)
    served = (app if options.recorder is None
              else options.recorder.wrap(app, definition.name))
    threaded = serve_in_thread(served, name=f"sandbox-{definition.name}", host=host,
                               port=port, tls=tls)
    endpoint = endpoint_for(definition, host, threaded.port, options)
    return RunningSandbox(definition, endpoint, app, threaded.server, threaded.thread, tls)


@contextmanager
def running(definition: SandboxDefinition, options: SandboxOptions | None = None
            ) -> Iterator[RunningSandbox]:
    sandbox = start_in_thread(definition, options)
    try:
        yield sandbox
    finally:
        sandbox.stop()


__all__ = ["RunningSandbox", "ThreadedServer", "endpoint_for", "running", "serve",
           "serve_in_thread", "start_in_thread"]
