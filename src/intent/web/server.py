"""`intent serve`: check the settings, bind the port, load the model, then run uvicorn."""

from __future__ import annotations

import errno
import ipaddress
import logging
import signal
import socket
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any

from intent.config import (
    PERSONAL_DIR_NAME,
    SERVE_JOB_MAX_MEMORY_MB,
    SERVE_MAX_CHARS,
    SERVE_MAX_TEXTS,
    SERVE_MAX_UPLOAD_MB,
)
from intent.errors import DataError, Terminated

log = logging.getLogger("intent.web")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a DataError that says which port to try instead."""
    if not 0 <= port <= 65535:
        raise DataError(f"--port must be between 0 and 65535, got {port}.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise DataError(f"--host {host!r} is not an address of this machine ({exc.strerror}).") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise DataError(f"Port {port} is already in use. Fix: pass another one, e.g. --port {port + 1}.") from exc
        raise DataError(f"Cannot listen on {host}:{port} ({exc.strerror}).") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(
    host: str,
    port: int,
    model_path: Path | None = None,
    max_upload_mb: float = SERVE_MAX_UPLOAD_MB,
    max_texts: int = SERVE_MAX_TEXTS,
    jobs: int = 1,
    open_browser: bool = False,
    quiet: bool = False,
    max_chars: int = SERVE_MAX_CHARS,
    max_job_memory_mb: float = SERVE_JOB_MAX_MEMORY_MB,
    personal_dir: Path | None = None,
) -> int:
    """Run the page and the API until Ctrl-C (then KeyboardInterrupt) or SIGTERM (then `Terminated`);
    running classifications are stopped the moment either arrives."""
    import uvicorn

    from intent.web.app import LOOPBACK_HOSTS, ServeSettings, create_app

    if max_upload_mb <= 0:
        raise DataError(f"--max-upload-mb must be positive, got {max_upload_mb}.")
    if max_texts < 1:
        raise DataError(f"--max-texts must be at least 1, got {max_texts}.")
    if max_chars < 1:
        raise DataError(f"--max-chars must be at least 1, got {max_chars}.")
    if max_job_memory_mb <= 0:
        raise DataError(f"--max-job-memory-mb must be positive, got {max_job_memory_mb}.")
    if jobs < 1:
        raise DataError(f"--jobs must be at least 1, got {jobs}.")
    loopback = is_loopback(host)
    sock = bind(host, port)
    settings = ServeSettings(
        model_path=model_path,
        max_upload_mb=max_upload_mb,
        max_texts=max_texts,
        max_chars=max_chars,
        jobs=jobs,
        max_job_memory_mb=max_job_memory_mb,
        allowed_hosts=LOOPBACK_HOSTS if loopback else None,
        personal_dir=(personal_dir or Path(PERSONAL_DIR_NAME)).expanduser().resolve(),
    )
    try:
        app = create_app(settings)  # loads the model: a bad one fails here, before anyone connects
    except BaseException:
        sock.close()
        raise
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{sock.getsockname()[1]}"

    def ready() -> None:  # once serving: Ctrl-C and SIGTERM are handled from here on
        print(f"intent: the page is at {url}  (Ctrl-C to stop)", file=sys.stderr, flush=True)
        print(f"intent: personal models trained on the page are saved in {settings.personal_dir}", file=sys.stderr)
        if not loopback:
            print(
                f"intent: warning: listening on {host}, not only on this machine: anyone who can reach it can send "
                "messages to classify and read the results. Use the default --host 127.0.0.1 unless you mean it.",
                file=sys.stderr,
            )
        if open_browser:
            threading.Timer(1.0, webbrowser.open, args=(url,)).start()

    config = uvicorn.Config(
        app, log_level="warning" if quiet else "info", access_log=not quiet, timeout_graceful_shutdown=5
    )
    server = _server_class()(config)
    server.on_ready, server.on_stop = ready, app.state.abort
    try:
        server.run(sockets=[sock])
    finally:
        log.removeHandler(handler)  # serve() called again in one process must not print each line twice
    # Recent uvicorn raises the signal again after its graceful shutdown; older versions return.
    if server.stopped_by == signal.SIGTERM:
        raise Terminated
    if server.stopped_by is not None:
        raise KeyboardInterrupt
    return 0


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, remembering which signal stopped it (the command's exit status says it), and
        calling ``on_stop`` at once (running classifications are stopped then, not after open requests end).

        ``on_ready`` runs once it serves, its signal handlers in place: a signal sent as soon as the
        page's address is shown is handled like any other.
        """

        stopped_by: int | None = None
        on_stop: Any = None
        on_ready: Any = None

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.on_ready is not None and not self.should_exit:
                self.on_ready()

        def handle_exit(self, sig: int, frame: Any) -> None:
            self.stopped_by = sig
            if self.on_stop is not None:
                self.on_stop()
            super().handle_exit(sig, frame)

    return Server
