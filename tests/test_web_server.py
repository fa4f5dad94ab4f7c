"""`intent serve` start-up: settings checked, port problems explained, loopback by default; and a real
server under a hostile upload stays responsive and stops cleanly."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import FUZZ, default_sigint
from intent.cli import main
from intent.config import MAX_FIELD_CHARS
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
        ({"port": 0, "max_chars": 0}, "--max-chars must be at least 1"),
        ({"port": 0, "max_job_memory_mb": 0}, "--max-job-memory-mb must be positive"),
        ({"port": 0, "jobs": 0}, "--jobs must be at least 1"),
        ({"port": 0, "model_path": Path("/nonexistent/model.joblib")}, "No model file"),
    ],
)
def test_serve_refuses_bad_settings_before_listening(kwargs: dict[str, object], message: str) -> None:
    from intent.errors import IntentError

    with pytest.raises(IntentError, match=message):
        serve("127.0.0.1", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"max_upload_mb": 0.5}, {"max_texts": 1}, {"max_chars": 1}, {"max_job_memory_mb": 0.5}, {"jobs": 1}],
)
def test_the_smallest_settings_are_accepted(kwargs: dict[str, object]) -> None:
    """Each setting at its lowest allowed value passes its check: the next check (the port) is what refuses."""
    with pytest.raises(DataError, match=r"^--port must be between 0 and 65535, got 65536\.$"):
        serve("127.0.0.1", 65536, **kwargs)  # type: ignore[arg-type]


def test_bind_checks_the_port_and_the_host() -> None:
    with pytest.raises(DataError, match=r"^--port must be between 0 and 65535, got -1\.$"):
        bind("127.0.0.1", -1)
    try:
        bind("127.0.0.1", 65535).close()  # the highest port is a port
    except DataError as exc:
        assert "already in use" in str(exc)
    with pytest.raises(DataError, match=r"^--host 'no-such-host\.invalid' is not an address of this machine \("):
        bind("no-such-host.invalid", 0)
    with pytest.raises(DataError, match=r"^Cannot listen on 192\.0\.2\.1:0 \(.+\)\.$"):  # TEST-NET: not ours
        bind("192.0.2.1", 0)
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1" and sock.get_inheritable()  # this host only; kept by children
    finally:
        sock.close()


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
        "--max-chars",
        "--max-job-memory-mb",
        "--trust-model",
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
        preexec_fn=default_sigint,  # SIGINT reaches it even when pytest runs in the background
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


# ---- a real server under hostile load (issue 17, item 1) ------------------------------------


#: Generous bounds: a responsive server answers in milliseconds; a starved one took minutes.
ANSWER_WITHIN = 10.0
STOP_WITHIN = 15.0
FINISH_WITHIN = 120.0  # two messages; the cut field is read in seconds


def one_field_zip(path: Path, chars: int) -> Path:
    """A small zip holding one enormous quoted message: the probe that took the server down."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("messages.csv", "w", force_zip64=True) as fh:
        fh.write(b'text\n"')
        block = ("we offer great product " * 40_000).encode()  # English: the detector's worst case
        for _ in range(chars // len(block) + 1):
            fh.write(block)
        fh.write(b'"\n"no gracias"\n')
    return path


def many_rows_zip(path: Path, rows: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("messages.csv", "w") as fh:
        fh.write(b"text\n")
        for i in range(rows):
            fh.write(f'"Mensaje {i}: hola, te escribo por una propuesta de colaboración"\n'.encode())
    return path


def post_file(url: str, path: Path) -> dict[str, Any]:
    boundary = "intent-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return dict(json.loads(response.read()))


def get_json(url: str) -> dict[str, Any]:
    """GET url, failing if the whole answer takes longer than ANSWER_WITHIN (a starved server trickles)."""

    def fetch() -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=ANSWER_WITHIN) as response:
            return dict(json.loads(response.read()))

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fetch).result(timeout=ANSWER_WITHIN)
    finally:
        pool.shutdown(wait=False)


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def job_processes(server: int) -> set[int]:
    """The processes classifying for the server: its spawned children (not multiprocessing's resource
    tracker) and their process groups (the --jobs workers)."""
    spawned = set()
    for task in Path(f"/proc/{server}/task").iterdir():
        for pid in (task / "children").read_text().split():
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"spawn_main" in command and b"resource_tracker" not in command:
                spawned.add(int(pid))
    return {pid for pid in alive() if process_group(pid) in spawned}


def alive() -> set[int]:
    """Running processes (a zombie has ended: it only waits for a parent, maybe init, to collect it)."""
    running = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                running.add(int(entry.name))
        except OSError:
            continue
    return running


def process_group(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[2])


@contextmanager
def running_server(tmp_path: Path, model: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """`intent serve --jobs 2 --model MODEL ARGS` on a free port, with its own TMPDIR to check what it leaves
    behind; stopped with SIGTERM (then for sure) if the test has not stopped it."""
    scratch, log = tmp_path / "tmp", tmp_path / "serve.log"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "intent.cli", "serve", "--port", "0", "--jobs", "2", "--model", str(model), *args],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + 60
    while not (match := re.search(r"(http://\S+)", log.read_text())):
        assert proc.poll() is None and time.monotonic() < deadline, f"intent serve did not start:\n{log.read_text()}"
        time.sleep(0.1)
    url = match.group(1)
    try:
        yield url, proc, scratch
    finally:
        if proc.poll() is None:  # the test failed early: stop it as a user would, then for sure
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_WITHIN)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def live_server(tmp_path: Path, mini_model_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    with running_server(tmp_path, mini_model_path) as server:
        yield server


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads process memory from /proc")
def test_a_hostile_upload_leaves_the_server_responsive_and_stops_cleanly(
    live_server: tuple[str, subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    url, proc, scratch = live_server
    chars = 450_000_000 if FUZZ else 30_000_000
    before = rss_mb(proc.pid)
    job = post_file(f"{url}/api/jobs", one_field_zip(tmp_path / "one-field.zip", chars))
    deadline = time.monotonic() + FINISH_WITHIN
    while True:
        assert get_json(f"{url}/api/health")["status"] == "ok"  # answers while the file is classified
        status = get_json(f"{url}/api/jobs/{job['id']}")
        if status["state"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, "one message took minutes: more than the model reads was processed"
        time.sleep(0.2)
    assert status["state"] == "done" and status["rows"] == 2, status
    assert rss_mb(proc.pid) - before < 200  # the field was cut while read, in another process
    rows = get_json(f"{url}/api/jobs/{job['id']}/rows")["rows"]
    assert rows[0]["status"] == "other_language" and len(rows[0]["text"]) <= MAX_FIELD_CHARS
    assert rows[1]["text"] == "no gracias"

    busy = post_file(f"{url}/api/jobs", many_rows_zip(tmp_path / "many.zip", 200_000))
    while get_json(f"{url}/api/jobs/{busy['id']}")["state"] != "running":
        time.sleep(0.1)
    time.sleep(3)  # the job's processes are up and classifying
    workers = job_processes(proc.pid)
    assert len(workers) >= 3  # the job's process and its two workers
    assert list(scratch.iterdir())  # the upload and the job's scratch folder exist meanwhile
    stopping = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=STOP_WITHIN + 30)
    assert time.monotonic() - stopping < STOP_WITHIN
    assert list(scratch.iterdir()) == []  # no upload, no .partial, no scratch folder
    assert not workers & alive()  # every process of the job is gone too


# ---- a personal model's training: its process stops with the file and with the server (issues 17, 19) ----


def send_json(url: str, method: str, body: dict[str, Any] | None = None) -> Any:
    """A request as the page sends it: JSON, from the server's own origin (the same-origin check lets it in)."""
    origin = re.match(r"http://[^/]+", url)
    assert origin is not None
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Origin": origin.group(0), "Sec-Fetch-Site": "same-origin"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=ANSWER_WITHIN) as response:
        data = response.read()
        return json.loads(data) if data else None


def start_training(url: str) -> tuple[str, str]:
    """Classify the sample, correct ten of its messages and start training on them: (job id, training id)."""
    job = send_json(f"{url}/api/jobs/sample", "POST")["id"]
    deadline = time.monotonic() + FINISH_WITHIN
    while get_json(f"{url}/api/jobs/{job}")["state"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    rows = [r for r in get_json(f"{url}/api/jobs/{job}/rows")["rows"] if r["intent"] is not None]
    for i, row in enumerate(rows[:10]):
        label = ("spam_sales", "genuine_networking", "gatekeeping_rejection")[i % 3]
        send_json(f"{url}/api/jobs/{job}/corrections", "POST", {"row": row["n"], "label": label})
    training = send_json(f"{url}/api/train", "POST", {"job": job})
    assert training["state"] == "running"
    return job, training["id"]


def training_processes(server: int) -> set[int]:
    """The training's processes, once its process has made its own group (no job is running meanwhile)."""
    deadline = time.monotonic() + 60
    while not (found := job_processes(server)):
        assert time.monotonic() < deadline, "the training process did not start"
        time.sleep(0.1)
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads processes from /proc")
def test_a_training_stops_at_once_when_its_file_is_forgotten_and_when_the_server_stops(
    tmp_path: Path, mini_base_path: Path
) -> None:
    with running_server(tmp_path, mini_base_path, "--personal-dir", str(tmp_path / "personal")) as (url, proc, _):
        job, training = start_training(url)
        first = training_processes(proc.pid)
        forgetting = time.monotonic()
        send_json(f"{url}/api/jobs/{job}", "DELETE")
        while first & alive():
            assert time.monotonic() - forgetting < STOP_WITHIN, "the training outlived its file"
            time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError) as gone:
            get_json(f"{url}/api/train/{training}")
        assert gone.value.code == 404

        start_training(url)
        second = training_processes(proc.pid)
        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_WITHIN + 30)
        assert time.monotonic() - stopping < STOP_WITHIN
        assert not second & alive()  # the training's processes are gone with the server
        assert not list((tmp_path / "personal").glob("*.joblib"))  # stopped before it saved anything


# ---- the real server's host checks, in this process (fast enough for `make mutate`) ----------------

import http.client  # noqa: E402

from intent.web import server as server_module  # noqa: E402


@contextmanager
def serving(
    host: str,
    model: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    last_line: str = "intent: personal models",
    **settings: Any,
) -> Iterator[tuple[int, list[str]]]:
    """`serve(host, port 0)` in a thread: yields its port and what it printed up to ``last_line``; stops
    it as a signal would."""
    servers: list[Any] = []
    real = server_module._server_class

    def capturing() -> Any:
        class Captured(real()):  # type: ignore[misc]
            def __init__(self, config: Any) -> None:
                super().__init__(config)
                servers.append(self)

        return Captured

    monkeypatch.setattr(server_module, "_server_class", capturing)
    result: list[int] = []

    def run() -> None:
        settings.setdefault("quiet", True)
        result.append(serve(host, 0, model_path=model, personal_dir=tmp_path / "personal", **settings))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    printed: list[str] = []
    deadline = time.monotonic() + 60
    while not any(line.startswith(last_line) for line in printed):
        assert thread.is_alive() and time.monotonic() < deadline, printed
        printed += capsys.readouterr().err.splitlines()
        time.sleep(0.05)
    (port,) = {int(m.group(1)) for line in printed if (m := re.search(r"the page is at \S+:(\d+)\s", line))}
    try:
        yield port, printed
    finally:
        servers[0].should_exit = True
        thread.join(30)
    assert result == [0] and not thread.is_alive()


def get_health(port: int, host_header: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/api/health", headers={"Host": host_header})
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_loopback_server_refuses_a_foreign_host(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """DNS rebinding: a page of another site that resolves to 127.0.0.1 sends its own name as Host."""
    with serving("127.0.0.1", mini_model_path, monkeypatch, capsys, tmp_path) as (port, printed):
        assert f"intent: the page is at http://127.0.0.1:{port}  (Ctrl-C to stop)" in printed
        assert not any("warning" in line for line in printed)
        assert get_health(port, "attacker.example") == 400
        assert get_health(port, f"attacker.example:{port}") == 400
        assert get_health(port, f"127.0.0.1:{port}") == 200
        assert get_health(port, f"localhost:{port}") == 200


def test_a_server_open_to_the_network_warns_and_takes_any_host(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with serving("0.0.0.0", mini_model_path, monkeypatch, capsys, tmp_path, "intent: warning") as (port, printed):
        assert f"intent: the page is at http://0.0.0.0:{port}  (Ctrl-C to stop)" in printed
        (warning,) = [line for line in printed if "warning" in line]
        assert warning.startswith("intent: warning: listening on 0.0.0.0, not only on this machine: anyone who")
        assert get_health(port, "intent.lan") == 200  # the host list is for loopback only: here, any name


def test_the_server_runs_with_the_settings_given_and_logs_as_asked(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = logging.getLogger("intent.web")
    limits = {"max_upload_mb": 3, "max_texts": 7, "max_chars": 500}
    with serving("127.0.0.1", mini_model_path, monkeypatch, capsys, tmp_path, quiet=False, **limits) as (port, out):
        assert f"intent: personal models trained on the page are saved in {tmp_path / 'personal'}" in out
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/health")
        health = json.loads(connection.getresponse().read())
        connection.close()
        assert health["limits"] == {"max_upload_bytes": 3_000_000, "max_texts": 7, "max_chars": 500}
        assert health["personal"]["dir"] == str(tmp_path / "personal")
        log.info("an info line")
        assert "INFO:     an info line" in capsys.readouterr().err.splitlines()
    with serving("127.0.0.1", mini_model_path, monkeypatch, capsys, tmp_path):  # quiet: warnings only
        log.info("not shown")
        log.warning("a warning")
        err = capsys.readouterr().err.splitlines()
        assert "not shown" not in "\n".join(err) and err.count("WARNING:     a warning") == 1


# ---- serve()'s settings, defaults and stopping, with uvicorn's server stood in for (fast) -------------

from intent import config as intent_config  # noqa: E402
from intent.errors import ModelLoadError, Terminated  # noqa: E402
from intent.web import app as app_module  # noqa: E402


class FakeApp:
    """What create_app returns, as far as serve() uses it: the abort hook of running classifications."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.aborted = 0
        self.state = self

    def abort(self) -> None:
        self.aborted += 1


class Started:
    """What serve() handed to uvicorn and how the stand-in server ran."""

    def __init__(self) -> None:
        self.apps: list[FakeApp] = []
        self.configs: list[dict[str, Any]] = []
        self.sockets: list[list[socket.socket]] = []
        self.servers: list[Any] = []
        self.stop_with: int | None = None
        self.timers: list[tuple[tuple[Any, ...], dict[str, Any], bool]] = []


def stopped(*args: Any, **kwargs: Any) -> int | type[BaseException]:
    """serve()'s exit status, or the kind of interruption it raised (caught: an unexpected Ctrl-C must fail
    the test, not stop the test run)."""
    try:
        return serve(*args, **kwargs)
    except KeyboardInterrupt as exc:
        return type(exc)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    import uvicorn

    seen = Started()
    real_config = uvicorn.Config

    def create_app(settings: Any) -> FakeApp:
        seen.apps.append(FakeApp(settings))
        return seen.apps[-1]

    def config(app: Any, **kwargs: Any) -> Any:
        seen.configs.append(kwargs)
        return real_config(app, **kwargs)

    class FakeServer:
        def __init__(self, config: Any) -> None:
            self.config, self.stopped_by = config, None
            seen.servers.append(self)

        def run(self, sockets: list[socket.socket]) -> None:
            seen.sockets.append(sockets)
            self.on_ready()
            logging.getLogger("intent.web").info("serving")
            self.stopped_by = seen.stop_with
            if seen.stop_with is not None:
                self.on_stop()

    class FakeTimer:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.call = (args, kwargs)

        def start(self) -> None:
            seen.timers.append((*self.call, True))

    monkeypatch.setattr(app_module, "create_app", create_app)
    monkeypatch.setattr(uvicorn, "Config", config)
    monkeypatch.setattr(server_module, "_server_class", lambda: FakeServer)
    monkeypatch.setattr(threading, "Timer", FakeTimer)
    return seen


def test_serve_defaults_are_the_documented_ones(
    started: Started, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Only host and port given: the limits of intent.config, one job, the shipped model, personal models in
    ./intent-personal, the host list of loopback, no browser; uvicorn logs at info with its access log (request
    lines: method, path and status, never a message's text, which is in the body) and waits 5 s for requests."""
    monkeypatch.chdir(tmp_path)
    log = logging.getLogger("intent.web")
    handlers = list(log.handlers)
    assert stopped("127.0.0.1", 0) == 0
    (app,) = started.apps
    assert app.settings == app_module.ServeSettings(
        model_path=None,
        max_upload_mb=intent_config.SERVE_MAX_UPLOAD_MB,
        max_texts=intent_config.SERVE_MAX_TEXTS,
        max_chars=intent_config.SERVE_MAX_CHARS,
        jobs=1,
        max_job_memory_mb=intent_config.SERVE_JOB_MAX_MEMORY_MB,
        allowed_hosts=app_module.LOOPBACK_HOSTS,
        personal_dir=tmp_path.resolve() / "intent-personal",
    )
    assert started.configs == [{"log_level": "info", "access_log": True, "timeout_graceful_shutdown": 5}]
    assert started.timers == []  # no browser opened
    err = capsys.readouterr().err.splitlines()
    (sock,) = started.sockets[0]
    host, port = sock.getsockname()
    assert host == "127.0.0.1"  # this machine only, as asked (not every interface)
    assert err[:2] == [
        f"intent: the page is at http://127.0.0.1:{port}  (Ctrl-C to stop)",
        f"intent: personal models trained on the page are saved in {tmp_path.resolve() / 'intent-personal'}",
    ]
    assert err[2:] == ["INFO:     serving"]  # no warning on loopback; our log lines at info, in uvicorn's format
    assert log.handlers == handlers  # the handler goes with the server: a second serve() prints each line once


def test_serve_passes_every_setting_given(
    started: Started, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    model = tmp_path / "m.joblib"
    settings: dict[str, Any] = {"max_upload_mb": 3, "max_texts": 7, "max_chars": 500, "jobs": 2}
    assert serve("127.0.0.1", 0, model, max_job_memory_mb=300, personal_dir=Path("~/mine"), **settings) == 0
    (app,) = started.apps
    assert app.settings == app_module.ServeSettings(
        model_path=model,
        max_job_memory_mb=300,
        allowed_hosts=app_module.LOOPBACK_HOSTS,
        personal_dir=tmp_path / "mine",
        **settings,
    )
    (server,) = started.servers
    assert server.on_stop == app.abort  # a signal stops running classifications at once


def test_quiet_serve_logs_warnings_only_and_no_requests(
    started: Started, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert serve("127.0.0.1", 0, quiet=True, personal_dir=tmp_path) == 0
    assert started.configs == [{"log_level": "warning", "access_log": False, "timeout_graceful_shutdown": 5}]
    assert "serving" not in capsys.readouterr().err


def test_open_browser_opens_the_page_a_second_after_it_serves(
    started: Started, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import webbrowser

    assert serve("127.0.0.1", 0, open_browser=True, quiet=True, personal_dir=tmp_path) == 0
    port = started.sockets[0][0].getsockname()[1]
    assert started.timers == [((1.0, webbrowser.open), {"args": (f"http://127.0.0.1:{port}",)}, True)]


def test_an_ipv6_address_is_shown_in_brackets(
    started: Started, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    class Bound:
        def getsockname(self) -> tuple[str, int, int, int]:
            return ("::1", 8123, 0, 0)

    bound = Bound()
    monkeypatch.setattr(server_module, "bind", lambda host, port: bound)
    assert serve("::1", 8123, quiet=True, personal_dir=tmp_path) == 0
    assert started.sockets == [[bound]]  # uvicorn serves on the socket bound before the model loaded
    assert capsys.readouterr().err.startswith("intent: the page is at http://[::1]:8123  (Ctrl-C to stop)\n")
    assert started.apps[0].settings.allowed_hosts == app_module.LOOPBACK_HOSTS


@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)])
def test_the_signal_that_stopped_the_server_is_raised(
    started: Started, signum: int, raised: type[BaseException], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = logging.getLogger("intent.web")
    handlers = list(log.handlers)
    started.stop_with = signum
    assert stopped("127.0.0.1", 0, quiet=True, personal_dir=tmp_path) is raised
    assert started.apps[0].aborted == 1 and log.handlers == handlers


def test_a_model_that_fails_to_load_frees_the_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, started: Started
) -> None:
    sockets: list[socket.socket] = []
    monkeypatch.setattr(server_module, "bind", lambda host, port: sockets.append(bind(host, port)) or sockets[-1])

    def broken(settings: Any) -> None:
        raise ModelLoadError("damaged")

    monkeypatch.setattr(app_module, "create_app", broken)
    with pytest.raises(ModelLoadError):
        serve("127.0.0.1", 0, personal_dir=tmp_path)
    assert sockets[0].fileno() == -1 and started.servers == []


def test_the_server_remembers_the_signal_and_stops_classifications_at_once() -> None:
    import uvicorn

    server = server_module._server_class()(uvicorn.Config(FakeApp(None)))
    assert server.stopped_by is None and server.on_stop is None and server.on_ready is None
    server.handle_exit(signal.SIGINT, None)  # no hook set: nothing to stop
    stops: list[str] = []
    server.on_stop = lambda: stops.append("stopped")
    server.handle_exit(signal.SIGTERM, None)
    assert server.stopped_by == signal.SIGTERM and stops == ["stopped"] and server.should_exit
    assert not server.force_exit
    server.handle_exit(signal.SIGINT, None)  # a second Ctrl-C: stop now, without waiting for open requests
    assert server.force_exit and server.stopped_by == signal.SIGINT


def test_the_page_is_announced_only_once_serving_and_not_when_stopping_already(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A signal during start-up (should_exit set) means no "the page is at" line; without a hook, nothing runs."""
    import asyncio

    import uvicorn

    stop_during_startup = False

    async def startup(self: Any, sockets: Any = None) -> None:
        self.should_exit = stop_during_startup

    monkeypatch.setattr(uvicorn.Server, "startup", startup)
    server = server_module._server_class()(uvicorn.Config(FakeApp(None)))
    asyncio.run(server.startup())  # no on_ready: nothing to call
    ready: list[str] = []
    server.on_ready = lambda: ready.append("ready")
    asyncio.run(server.startup())
    assert ready == ["ready"]
    stop_during_startup = True
    asyncio.run(server.startup())
    assert ready == ["ready"]


def test_a_port_just_freed_can_be_bound_again() -> None:
    """`intent serve` restarted at once on the same port: the old connections' TIME_WAIT does not block it."""
    first = bind("127.0.0.1", 0)
    port = first.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    accepted, _ = first.accept()
    accepted.close()  # the server closes first: its side of the connection waits (TIME_WAIT)
    client.close()
    first.close()
    bind("127.0.0.1", port).close()


def test_a_server_open_to_the_network_says_so_and_checks_no_host(
    started: Started, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert serve("0.0.0.0", 0, quiet=True, personal_dir=tmp_path) == 0
    assert started.apps[0].settings.allowed_hosts is None
    assert capsys.readouterr().err.splitlines()[2] == (
        "intent: warning: listening on 0.0.0.0, not only on this machine: anyone who can reach it can send messages "
        "to classify and read the results. Use the default --host 127.0.0.1 unless you mean it."
    )
