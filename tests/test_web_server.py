"""`intent serve` start-up: settings checked, port problems explained, loopback by default."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from intent.cli import main
from intent.errors import DataError
from intent.web.server import bind, is_loopback, serve


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("example", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_busy_port_names_the_next_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(DataError, match=rf"Port {port} is already in use.*--port {port + 1}"):
            bind("127.0.0.1", port)


def test_bind_gives_a_listening_socket() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        with socket.create_connection(sock.getsockname()[:2], timeout=2):
            pass
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": 70000}, "--port must be between"),
        ({"port": 0, "max_upload_mb": 0}, "--max-upload-mb must be positive"),
        ({"port": 0, "max_texts": 0}, "--max-texts must be at least 1"),
        ({"port": 0, "jobs": 0}, "--jobs must be at least 1"),
        ({"port": 0, "model_path": Path("/nonexistent/model.joblib")}, "No model file"),
    ],
)
def test_serve_refuses_bad_settings_before_listening(kwargs: dict[str, object], message: str) -> None:
    from intent.errors import IntentError

    with pytest.raises(IntentError, match=message):
        serve("127.0.0.1", **kwargs)  # type: ignore[arg-type]


def test_cli_serve_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("intent: error: Port") and "Traceback" not in err


def test_cli_serve_help_teaches_the_api(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for needle in (
        "/api/classify",
        "/api/classify-file",
        "127.0.0.1",
        "--max-upload-mb",
        "--max-texts",
        "--personal-dir",
    ):
        assert needle in out


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_serve_exits_130_on_ctrl_c_and_143_on_sigterm(
    signum: int, status: int, mini_model_path: Path, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "intent", "serve", "--port", "0", "--model", str(mini_model_path), "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    watchdog = threading.Timer(120, proc.kill)  # never hang the suite
    watchdog.start()
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "the page is at" in line:
                break
        proc.send_signal(signum)
        rest = proc.stderr.read()
        assert proc.wait() == status, rest
        assert "Traceback" not in rest and "intent: stopped" in rest
    finally:
        watchdog.cancel()
        proc.kill()
