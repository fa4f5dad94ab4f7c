"""The JSON API and the page's endpoints, through FastAPI's test client (no server, no browser)."""

from __future__ import annotations

import csv
import io
import json
import logging
import multiprocessing.connection
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from intent.config import LABELS
from intent.io.batch import BatchOptions, classify_file
from intent.model import IntentModel, build_pipeline
from intent.model_io import save_model
from intent.web.app import LOOPBACK_HOSTS, STATIC_DIR, ServeSettings, create_app
from intent.web.jobs import JobStore

SPAM = "Hola! Tengo un curso con 50% de descuento solo hoy, compra aquí: bit.ly/oferta"
NETWORKING = "Hola Marta, coincidimos en el congreso de logística. Me gustaría seguir en contacto y compartir ideas."
REJECTION = "No sé por qué querrías conectar conmigo, no acepto solicitudes de desconocidos."
PRIVATE = "Mensaje privadísimo número 4711 sobre la reunión del comité"


def make_client(model_path: Path, **settings: Any) -> TestClient:
    app = create_app(ServeSettings(model_path=model_path, allowed_hosts=LOOPBACK_HOSTS, **settings))
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture(scope="session")
def web_model_path(mini_data: tuple[list[str], list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture model, also trained on the three messages these tests send, each with its label: what
    it answers for them is known by construction, not a guess about what a 36-example model makes of
    sentences it never saw."""
    texts, labels = mini_data
    pipeline = build_pipeline(C=10.0).fit([*texts, SPAM, NETWORKING, REJECTION], [*labels, *LABELS])
    model = IntentModel(pipeline, threshold=0.5, metadata={"name": "web"})
    assert model.predict([SPAM, NETWORKING, REJECTION]) == list(LABELS), "the fixture must learn its own examples"
    path = tmp_path_factory.mktemp("web-model") / "web.joblib"
    save_model(model, path)
    return path


@pytest.fixture
def client(web_model_path: Path) -> Iterator[TestClient]:
    with make_client(web_model_path) as c:
        yield c


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def wait_done(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job_id}").json()
        if status["state"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


# ---- health, page, schema ----


def test_health_names_the_model_labels_and_limits(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["labels"] == list(LABELS)
    assert set(body["label_names"]) == set(LABELS)
    assert body["model"]["name"] == "web"
    assert len(body["model"]["sha256"]) == 64
    assert body["limits"] == {"max_upload_bytes": 100_000_000, "max_texts": 1000, "max_chars": 1_000_000}


def test_page_and_static_files_are_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="es">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_static_files_load_nothing_from_other_sites() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path.name


def test_openapi_schema_documents_the_api(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    for route in ("/api/classify", "/api/explain", "/api/classify-file", "/api/health"):
        assert route in schema["paths"], route
    assert "413" in schema["paths"]["/api/classify"]["post"]["responses"]
    assert client.get("/docs").status_code == 404  # Swagger UI would need a CDN


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    response = client.get("/api/health", headers={"Host": "attacker.example"})
    assert response.status_code == 400


# ---- /api/classify and /api/explain ----


def test_classify_returns_one_prediction_per_text(client: TestClient) -> None:
    response = client.post("/api/classify", json={"texts": [SPAM, NETWORKING, REJECTION, "  "]})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [p["label"] for p in predictions[:3]] == list(LABELS)
    for p in predictions[:3]:
        assert set(p["probabilities"]) == set(LABELS)
        assert sum(p["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
        assert p["confidence"] == max(p["probabilities"].values())
        assert p["status"] == "ok"
    assert predictions[3]["label"] is None and predictions[3]["status"] == "empty"
    only_empty = client.post("/api/classify", json={"texts": [""]}).json()["predictions"]
    assert only_empty[0]["status"] == "empty"


def test_classify_threshold_and_language_switch(client: TestClient) -> None:
    body = client.post("/api/classify", json={"texts": [SPAM], "threshold": 1.0, "language_id": False}).json()
    assert body["predictions"][0]["uncertain"] is True
    assert body["predictions"][0]["language"] == ""


@pytest.mark.parametrize(
    "payload",
    [{}, {"texts": []}, {"texts": "one string"}, {"texts": [1, "a"]}, {"texts": ["a"], "threshold": 2}],
)
def test_classify_rejects_malformed_requests_with_422(client: TestClient, payload: dict[str, Any]) -> None:
    assert client.post("/api/classify", json=payload).status_code == 422


def test_classify_over_the_text_limit_is_413(mini_model_path: Path) -> None:
    with make_client(mini_model_path, max_texts=2) as c:
        response = c.post("/api/classify", json={"texts": [SPAM, NETWORKING, REJECTION]})
        assert response.status_code == 413
        assert response.json()["code"] == "too_many_texts"
        assert "limit is 2" in response.json()["detail"]
        assert c.post("/api/classify", json={"texts": [SPAM, NETWORKING]}).status_code == 200


def test_explain_agrees_with_classify(client: TestClient) -> None:
    label = client.post("/api/classify", json={"texts": [SPAM]}).json()["predictions"][0]["label"]
    body = client.post("/api/explain", json={"text": SPAM, "top": 5}).json()
    assert body["label"] == label
    assert 0 < len(body["contributions"][label]) <= 5
    assert "PERCENT" in body["placeholders"]
    everything = client.post("/api/explain", json={"text": SPAM, "all_labels": True}).json()
    assert set(everything["contributions"]) == set(LABELS)


def test_explain_refuses_empty_text(client: TestClient) -> None:
    assert client.post("/api/explain", json={"text": ""}).status_code == 422
    response = client.post("/api/explain", json={"text": "   "})
    assert response.status_code == 422 and response.json()["code"] == "bad_input"


# ---- /api/classify-file ----


def test_classify_file_returns_every_row_labeled(client: TestClient) -> None:
    rows = [{"id": str(i), "mensaje": t} for i, t in enumerate([SPAM, NETWORKING, REJECTION, ""])]
    response = client.post("/api/classify-file", files={"file": ("bandeja.csv", csv_bytes(rows), "text/csv")})
    assert response.status_code == 200
    assert "bandeja-intent.csv" in response.headers["content-disposition"]
    out = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in out] == ["0", "1", "2", "3"]
    assert [r["intent"] for r in out] == [*LABELS, ""]
    assert out[3]["status"] == "empty"
    assert response.headers["x-intent-rows"] == "4"
    # the summary travels in headers, counted as `intent classify` counts (an empty row is no label)
    for label in LABELS:
        assert response.headers[f"x-intent-count-{label}"] == "1"
    assert response.headers["x-intent-uncertain"] == str(sum(r["uncertain"] == "true" for r in out[:3]))
    assert "x-intent-conversations" not in response.headers  # not an export


def test_classify_file_formats(client: TestClient) -> None:
    data = csv_bytes([{"text": SPAM}, {"text": REJECTION}])
    excel = client.post("/api/classify-file", files={"file": ("a.csv", data)}, data={"format": "excel"})
    assert excel.content.startswith(b"\xef\xbb\xbf") and b";" in excel.content.splitlines()[0]
    assert "a-intent-excel.csv" in excel.headers["content-disposition"]
    jsonl = client.post("/api/classify-file", files={"file": ("a.csv", data)}, data={"format": "jsonl"})
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["intent"] for r in records] == ["spam_sales", "gatekeeping_rejection"]
    bad = client.post("/api/classify-file", files={"file": ("a.csv", data)}, data={"format": "xlsx"})
    assert bad.status_code == 422


def test_classify_file_asks_for_the_text_column_when_it_cannot_tell(client: TestClient) -> None:
    data = csv_bytes([{"asunto": "Propuesta", "cuerpo": SPAM, "texto": "x"}])
    response = client.post("/api/classify-file", files={"file": ("a.csv", data)})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "text_column" and body["columns"] == ["asunto", "cuerpo", "texto"]
    chosen = client.post("/api/classify-file", files={"file": ("a.csv", data)}, data={"text_column": "cuerpo"})
    assert chosen.status_code == 200
    assert next(csv.DictReader(io.StringIO(chosen.text)))["intent"] == "spam_sales"


def test_classify_file_reads_a_linkedin_export_zip(client: TestClient, sample_export_zip: Path) -> None:
    archive = sample_export_zip
    response = client.post("/api/classify-file", files={"file": (archive.name, archive.read_bytes())})
    assert response.status_code == 200
    out = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["source_file"] for r in out} == {"messages.csv", "Invitations.csv"}
    assert any(r["status"] == "no_message" for r in out)  # an invitation without a note is kept


@pytest.mark.parametrize(
    ("content", "fragment", "code"),
    [
        (b"", "empty", "empty_file"),
        (b"a,b\x00c\n1,2\n", "NUL", "not_csv"),
        (b"PK\x03\x04broken", "zip", "damaged_zip"),
        # files that are not what they claim: never a column chooser offering their bytes or words as columns
        (bytes(range(1, 256)) * 4, "binary", "not_csv"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "binary", "not_csv"),
        ("Hola, te escribo por la propuesta que te envié la semana pasada\n".encode(), "not a CSV", "not_csv"),
    ],
)
def test_unreadable_uploads_get_422_with_the_reason(
    client: TestClient, content: bytes, fragment: str, code: str
) -> None:
    """Each with a stable code, which the page turns into its own Spanish sentence."""
    name = "x.zip" if fragment == "zip" else "x.csv"
    for endpoint in ("/api/classify-file", "/api/jobs"):
        response = client.post(endpoint, files={"file": (name, content)})
        assert response.status_code == 422
        assert fragment in response.json()["detail"] and response.json()["code"] == code
        assert "columns" not in response.json() or response.json()["columns"] is None


def test_upload_over_the_size_limit_is_413(mini_model_path: Path) -> None:
    with make_client(mini_model_path, max_upload_mb=0.001) as c:  # 1,000 bytes
        big = csv_bytes([{"text": SPAM} for _ in range(50)])
        response = c.post("/api/classify-file", files={"file": ("big.csv", big)})
        assert response.status_code == 413
        assert response.json()["code"] == "too_large" and "--max-upload-mb" in response.json()["detail"]


def test_a_body_without_length_is_still_cut_at_the_limit(mini_model_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"texts": ["'
        for _ in range(100):
            yield b"x" * 100
        yield b'"]}'

    with make_client(mini_model_path, max_upload_mb=0.001) as c:
        response = c.post("/api/classify", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413


def test_a_zip_that_unpacks_over_the_limit_is_413(mini_model_path: Path, tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("messages.csv", "FROM,DATE,SUBJECT,CONTENT\n" + "Ana,2026-01-01,,hola\n" * 400_000)
    assert archive.stat().st_size < 1_000_000
    with make_client(mini_model_path, max_upload_mb=1) as c:
        response = c.post("/api/classify-file", files={"file": ("bomb.zip", archive.read_bytes())})
        assert response.status_code == 413
        assert "Unpacked" in response.json()["detail"]


def test_uploads_leave_no_temporary_files(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    data = csv_bytes([{"text": SPAM}])
    assert client.post("/api/classify-file", files={"file": ("a.csv", data)}).status_code == 200
    assert client.post("/api/classify-file", files={"file": ("a.csv", b"")}).status_code == 422
    job = client.post("/api/jobs", files={"file": ("a.csv", data)}).json()
    assert wait_done(client, job["id"])["state"] == "done"
    sample = client.post("/api/jobs/sample").json()
    assert wait_done(client, sample["id"])["state"] == "done"
    assert not list(scratch.iterdir())  # uploads, labeled files: all removed


# ---- background jobs (the page) ----


def test_job_progress_rows_and_downloads(
    client: TestClient, web_model_path: Path, tmp_path: Path, sample_export_zip: Path
) -> None:
    archive = sample_export_zip
    started = client.post("/api/jobs", files={"file": (archive.name, archive.read_bytes())})
    assert started.status_code == 202
    status = wait_done(client, started.json()["id"])
    assert status["state"] == "done" and status["progress"] == 1.0
    data = client.get(f"/api/jobs/{status['id']}/rows").json()
    rows = data["rows"]
    assert len(rows) == status["rows"] == 23
    assert sum(data["counts"].values()) == sum(1 for r in rows if r["intent"])
    assert all(r["sender"] for r in rows)  # FROM (messages.csv) and From (Invitations.csv)
    assert {r["month"] for r in rows} == {"2026-10"}
    assert sum(sum(m.values()) for m in data["months"].values()) == sum(data["counts"].values())

    # the download is exactly what `intent classify` writes for the same file
    expected = tmp_path / "cli.csv"
    classify_file(str(archive), expected, web_model_path, BatchOptions())
    plain = client.get(f"/api/jobs/{status['id']}/download")
    assert plain.content == expected.read_bytes()
    excel = client.get(f"/api/jobs/{status['id']}/download", params={"format": "excel"})
    assert excel.content.startswith(b"\xef\xbb\xbf")
    # the Excel download is what `intent classify --excel` writes: Spanish headers and values, same rows
    expected_excel = tmp_path / "cli-excel.csv"
    classify_file(str(archive), expected_excel, web_model_path, BatchOptions(excel=True))
    assert excel.content == expected_excel.read_bytes()
    spanish = list(csv.reader(io.StringIO(excel.content.decode("utf-8-sig")), delimiter=";"))
    machine = list(csv.reader(io.StringIO(plain.text)))
    assert len(spanish) == len(machine) and spanish[0][-8:][:3] == ["intención", "confianza", "dudoso"]
    assert machine[0][-8:][:3] == ["intent", "confidence", "uncertain"]  # the plain CSV keeps machine names


def test_job_of_an_export_has_conversations_senders_and_their_download(
    client: TestClient, web_model_path: Path, tmp_path: Path, sample_export_zip: Path
) -> None:
    archive = sample_export_zip
    job = client.post("/api/jobs", files={"file": (archive.name, archive.read_bytes())}).json()
    assert wait_done(client, job["id"])["state"] == "done"
    data = client.get(f"/api/jobs/{job['id']}/rows").json()
    rows, conversations = data["rows"], data["conversations"]
    assert data["export"] and data["owner"] == "Lucía Ferrer"
    # every row is in exactly one conversation, and each conversation lists its rows oldest first
    assert sorted(n for c in conversations for n in c["rows"]) == [r["n"] for r in rows]
    for c in conversations:
        assert {rows[n]["conversation"] for n in c["rows"]} == {c["id"]}
        dates = [rows[n]["date"] for n in c["rows"] if c["kind"] == "conversation"]
        assert dates == sorted(dates)
    rodrigo = next(c for c in conversations if c["other_party"] == ["Rodrigo Salas"])
    assert [rows[n]["direction"] for n in rodrigo["rows"]] == ["incoming", "outgoing"]
    assert rodrigo["last_from"] == "owner" and rodrigo["last"] == "02/10/2026 11:40"
    draft = next(r for r in rows if r["draft"])
    assert draft["direction"] == "outgoing" and draft["sender"] == "Lucía Ferrer"
    assert data["awaiting"] == sum(c["awaiting_reply"] for c in conversations)
    assert sum(data["conversation_counts"].values()) == len(conversations) == 18
    # "Quién te escribe": people who wrote to the owner, never the owner
    senders = {s["name"]: s for s in data["senders"]}
    assert "Lucía Ferrer" not in senders and senders["Rodrigo Salas"]["messages"] == 1
    assert sum(s["messages"] for s in senders.values()) == sum(r["direction"] == "incoming" for r in rows)

    # the conversation download is exactly what `intent classify --conversations` writes
    expected = tmp_path / "conv.csv"
    classify_file(str(archive), expected, web_model_path, BatchOptions(), conversations=True)
    plain = client.get(f"/api/jobs/{job['id']}/download", params={"table": "conversations"})
    assert plain.status_code == 200 and plain.content == expected.read_bytes()
    assert "conversaciones" in plain.headers["content-disposition"]
    excel = client.get(f"/api/jobs/{job['id']}/download", params={"table": "conversations", "format": "excel"})
    assert excel.content.startswith("\ufeffid de la conversación;tipo;".encode())
    expected_excel = tmp_path / "conv-excel.csv"
    classify_file(str(archive), expected_excel, web_model_path, BatchOptions(excel=True), conversations=True)
    assert excel.content == expected_excel.read_bytes()


def test_a_plain_csv_has_no_conversations(client: TestClient) -> None:
    job = client.post("/api/jobs", files={"file": ("a.csv", csv_bytes([{"text": SPAM}]))}).json()
    wait_done(client, job["id"])
    data = client.get(f"/api/jobs/{job['id']}/rows").json()
    assert data["conversations"] is None and not data["export"] and data["rows"][0]["conversation"] is None
    response = client.get(f"/api/jobs/{job['id']}/download", params={"table": "conversations"})
    assert response.status_code == 404 and "no conversations" in response.json()["detail"]


def test_classify_file_writes_the_conversation_table(client: TestClient, sample_export_zip: Path) -> None:
    archive = sample_export_zip
    response = client.post(
        "/api/classify-file", files={"file": (archive.name, archive.read_bytes())}, data={"table": "conversations"}
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == int(response.headers["x-intent-conversations"]) == 18
    assert int(response.headers["x-intent-awaiting-reply"]) == sum(r["awaiting_reply"] == "true" for r in rows)
    wrong = client.post(
        "/api/classify-file",
        files={"file": (archive.name, archive.read_bytes())},
        data={"table": "conversations", "owner": "Persona Inexistente"},
    )
    assert wrong.status_code == 422 and "--owner" in wrong.json()["detail"]
    plain = client.post(
        "/api/classify-file", files={"file": ("a.csv", csv_bytes([{"text": SPAM}]))}, data={"table": "conversations"}
    )
    assert plain.status_code == 422 and plain.json()["code"] == "bad_input"


def test_job_asks_for_the_text_column_before_starting(client: TestClient) -> None:
    data = csv_bytes([{"cuerpo": SPAM, "texto": "x"}])
    response = client.post("/api/jobs", files={"file": ("a.csv", data)})
    assert response.status_code == 422 and response.json()["code"] == "text_column"
    job = client.post("/api/jobs", files={"file": ("a.csv", data)}, data={"text_column": "cuerpo"}).json()
    assert wait_done(client, job["id"])["state"] == "done"


def test_sample_job_classifies_the_shipped_export(client: TestClient) -> None:
    job = client.post("/api/jobs/sample").json()
    assert wait_done(client, job["id"])["rows"] == 23


def test_unknown_and_deleted_jobs_are_404(client: TestClient) -> None:
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.get("/api/jobs/nope/download").status_code == 404
    job = client.post("/api/jobs", files={"file": ("a.csv", csv_bytes([{"text": SPAM}]))}).json()
    wait_done(client, job["id"])
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert client.get(f"/api/jobs/{job['id']}/rows").status_code == 404
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 404


def test_no_log_line_carries_message_text(
    client: TestClient, caplog: pytest.LogCaptureFixture, sample_export_zip: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    export = client.post("/api/jobs", files={"file": ("e.zip", sample_export_zip.read_bytes())}).json()
    wait_done(client, export["id"])
    client.get(f"/api/jobs/{export['id']}/rows")
    assert "Rodrigo" not in caplog.text and "Lucía" not in caplog.text  # nor names: a conversation's people
    client.post("/api/classify", json={"texts": [PRIVATE]})
    client.post("/api/explain", json={"text": PRIVATE})
    job = client.post("/api/jobs", files={"file": ("a.csv", csv_bytes([{"text": PRIVATE}]))}).json()
    wait_done(client, job["id"])
    assert any("job" in r.getMessage() for r in caplog.records)  # the job did log
    assert "4711" not in caplog.text and "privadísimo" not in caplog.text


def test_the_shipped_model_serves(tmp_path: Path) -> None:
    """Without a model named (and INTENT_MODEL unset by conftest), the page serves the shipped model, and
    says what that model says (its quality is held by test_api's floor on data/test.csv)."""
    from intent.api import load_model
    from intent.config import default_model_path

    app = create_app(ServeSettings())
    with TestClient(app) as c:
        assert c.get("/api/health").json()["model"]["name"] == "intent-es"
        labels = [p["label"] for p in c.post("/api/classify", json={"texts": [SPAM, REJECTION]}).json()["predictions"]]
        assert labels == load_model(default_model_path()).predict([SPAM, REJECTION])


@pytest.mark.slow
def test_two_worker_processes_give_the_same_file(web_model_path: Path, client: TestClient) -> None:
    data = csv_bytes([{"text": t} for t in [SPAM, NETWORKING, REJECTION] * 50])
    one = client.post("/api/classify-file", files={"file": ("a.csv", data)})
    with make_client(web_model_path, jobs=2) as c:
        two = c.post("/api/classify-file", files={"file": ("a.csv", data)})
    assert two.status_code == 200 and two.content == one.content


# ---- teaching it: corrections, a personal model, choosing the model ----


#: What the browser sends with the page's own requests (the same-origin check lets them through).
FROM_THE_PAGE = {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def teach_client(mini_base_path: Path, mini_personal: Any, tmp_path: Path) -> Iterator[TestClient]:
    """A server on a base model that records its design, training on the mini corpus into tmp_path/personal;
    every request is sent as the page sends it."""
    with make_client(mini_base_path, personal_dir=tmp_path / "personal", personal=mini_personal) as c:
        c.headers.update(FROM_THE_PAGE)
        yield c


def sample_job(client: TestClient) -> tuple[str, dict[str, Any]]:
    job = client.post("/api/jobs/sample").json()["id"]
    wait_done(client, job)
    return job, client.get(f"/api/jobs/{job}/rows").json()


def correct(client: TestClient, job: str, **body: Any) -> Any:
    return client.post(f"/api/jobs/{job}/corrections", json=body)


def wait_trained(client: TestClient, training: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/api/train/{training}").json()
        if status["state"] != "running":
            return status
        time.sleep(0.1)
    raise AssertionError("the training did not finish")


def test_corrections_per_message_and_per_conversation(teach_client: TestClient) -> None:
    job, data = sample_job(teach_client)
    assert data["corrections"] == {"count": 0, "examples": 0, "rows": {}, "conversations": {}}
    rodrigo = next(c for c in data["conversations"] if c["other_party"] == ["Rodrigo Salas"])
    first = rodrigo["rows"][0]  # his pitch, the only message he wrote
    state = correct(teach_client, job, row=first, label="gatekeeping_rejection").json()
    assert state == {
        "count": 1,
        "examples": 1,
        "min_for_training": 10,
        "rows": {str(first): "gatekeeping_rejection"},
        "conversations": {},
    }
    # the conversation is his pitch alone: the same text, so one example, with the last label given
    state = correct(teach_client, job, conversation=rodrigo["id"], label="spam_sales").json()
    assert (state["count"], state["examples"]) == (2, 1)
    csv_text = teach_client.get(f"/api/jobs/{job}/corrections")
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "ejemplo de LinkedIn-correcciones.csv" in unquote(csv_text.headers["content-disposition"])
    rows = list(csv.DictReader(io.StringIO(csv_text.text)))
    assert rows == [{"text": data["rows"][first]["text"], "label": "spam_sales"}]
    # undone: gone from the state and the file
    state = correct(teach_client, job, row=first, label=None).json()
    assert state["rows"] == {} and state["count"] == 1
    assert teach_client.get(f"/api/jobs/{job}/rows").json()["corrections"]["conversations"] == {
        rodrigo["id"]: "spam_sales"
    }
    # what cannot be corrected
    empty = next(r["n"] for r in data["rows"] if r["intent"] is None)
    silent = next(c["id"] for c in data["conversations"] if c["intent"] is None)
    for body, code in (
        ({"row": empty, "label": "spam_sales"}, "bad_input"),
        ({"row": 999, "label": "spam_sales"}, "bad_input"),
        ({"conversation": silent, "label": "spam_sales"}, "bad_input"),
        ({"conversation": "nope", "label": "spam_sales"}, "bad_input"),
        ({"row": first, "conversation": rodrigo["id"], "label": "spam_sales"}, None),
        ({"label": "spam_sales"}, None),
        ({"row": first, "label": "spam"}, None),
    ):
        response = correct(teach_client, job, **body)
        assert response.status_code == 422, body
        if code:
            assert response.json()["code"] == code
    assert correct(teach_client, "nope", row=0, label="spam_sales").status_code == 404
    # another site cannot correct, clear or download-and-train through the user's browser
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = teach_client.post(
            f"/api/jobs/{job}/corrections", json={"row": first, "label": "spam_sales"}, headers=headers
        )
        assert refused.status_code == 403 and refused.json()["code"] == "cross_site"
        refused = teach_client.post("/api/train", json={"job": job}, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "cross_site"
    assert teach_client.get(f"/api/jobs/{job}/rows").json()["corrections"]["rows"] == {}


@pytest.mark.slow  # a training process
def test_train_refuses_too_few_then_trains_one_at_a_time_and_says_what_changed(
    teach_client: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    job, data = sample_job(teach_client)
    texted = [r for r in data["rows"] if r["intent"] is not None]
    labels = ["gatekeeping_rejection", "spam_sales", "genuine_networking"]
    for i, row in enumerate(texted[:9]):
        correct(teach_client, job, row=row["n"], label=labels[i % 3])
    refused = teach_client.post("/api/train", json={"job": job})
    assert refused.status_code == 422 and refused.json()["code"] == "too_few_corrections"
    assert "9 correction(s)" in refused.json()["detail"] and "at least 10" in refused.json()["detail"]
    corrected = {r["n"] for r in texted[:10]}
    correct(teach_client, job, row=texted[9]["n"], label="spam_sales")
    started = teach_client.post("/api/train", json={"job": job})
    assert started.status_code == 202
    training = started.json()
    assert (training["state"], training["corrections"], training["job"]) == ("running", 10, job)
    assert [s["name"] for s in training["stages"]] == [
        "corpus",
        "preprocess",
        "cross_validation",
        "final",
        "held_out",
        "save",
        "relabel",
    ]
    busy = teach_client.post("/api/train", json={"job": job})
    assert busy.status_code == 409 and busy.json()["code"] == "training_busy"
    assert teach_client.get("/api/health").json()["model"]["kind"] == "custom"  # still the one it started with

    done = wait_trained(teach_client, training["id"])
    assert done["state"] == "done", done["error"]
    assert done["progress"] == 1.0 and all(s["done"] for s in done["stages"])
    result = done["result"]
    assert result["corrections"] == 10 and (result["base"]["name"], result["base"]["kind"]) == ("mini-base", "custom")
    assert 0 <= result["base"]["sure"] <= result["base"]["right"] <= 10
    assert 0 <= result["personal"]["sure"] <= result["personal"]["right"] <= 10
    assert result["folds"] == 3 and result["grouped_by"] == "sender" and result["weight"] == 10.0
    model = Path(result["model"]["path"])
    assert model.parent == tmp_path / "personal" and model.is_file() and model.with_suffix(".json").is_file()
    assert Path(result["model"]["card"]).is_file()
    # the other rows whose label changes: none of them corrected, each from the base's label to another
    changed = result["changed"]
    assert changed["count"] == len(changed["rows"])
    assert changed["compared"] == len(texted) - len(corrected)
    for row in changed["rows"]:
        assert row["n"] not in corrected and row["before"] == data["rows"][row["n"]]["intent"] != row["after"]
    # the log says where the model went, and nothing any message said
    assert str(model) in caplog.text
    for row in texted:
        assert row["text"][:30] not in caplog.text


@pytest.mark.slow  # a training process
def test_choosing_the_personal_model_relabels_the_file_and_back(teach_client: TestClient) -> None:
    job, before = sample_job(teach_client)
    texted = [r for r in before["rows"] if r["intent"] is not None]
    for i, row in enumerate(texted[:10]):
        correct(teach_client, job, row=row["n"], label="spam_sales" if i % 2 else "gatekeeping_rejection")
    training = teach_client.post("/api/train", json={"job": job}).json()
    result = wait_trained(teach_client, training["id"])["result"]
    labels_before = {r["n"]: r["intent"] for r in before["rows"]}

    used = teach_client.post("/api/model", json={"use": "personal", "training": training["id"], "job": job}).json()
    assert used["relabeled"] is True
    assert used["model"]["kind"] == "personal" and used["model"]["default"] is False
    assert used["model"]["path"] == result["model"]["path"]
    health = teach_client.get("/api/health").json()
    assert health["model"]["name"] == result["model"]["name"] and health["model"]["kind"] == "personal"
    after = teach_client.get(f"/api/jobs/{job}/rows").json()
    assert after["model"]["path"] == result["model"]["path"]
    assert after["corrections"]["count"] == 10  # corrections stay with the file
    moved = {r["n"] for r in after["rows"] if r["intent"] != labels_before[r["n"]]}
    assert moved - {r["n"] for r in texted[:10]} == {c["n"] for c in result["changed"]["rows"]}
    # the labeled CSV follows the page
    labeled = list(csv.DictReader(io.StringIO(teach_client.get(f"/api/jobs/{job}/download").text)))
    assert [r["intent"] or None for r in labeled] == [r["intent"] for r in after["rows"]]
    # and the API answers with it too
    assert teach_client.post("/api/classify", json={"texts": [SPAM]}).json()["model"] == result["model"]["name"]

    back = teach_client.post("/api/model", json={"use": "default", "job": job}).json()
    assert back["relabeled"] is True and back["model"]["default"] is True and back["model"]["kind"] == "custom"
    assert teach_client.get(f"/api/jobs/{job}/rows").json()["rows"] == before["rows"]

    # started on it (`intent serve --model PATH`), a server says it serves a personal model
    with make_client(Path(result["model"]["path"])) as started_on_it:
        served = started_on_it.get("/api/health").json()["model"]
        assert (served["kind"], served["default"], served["name"]) == ("personal", True, result["model"]["name"])

    not_done = teach_client.post("/api/model", json={"use": "personal", "training": "nope"})
    assert not_done.status_code == 404
    assert teach_client.post("/api/model", json={"use": "personal"}).status_code == 422


@pytest.mark.slow  # a training process
def test_forgetting_the_file_stops_its_training_and_drops_its_corrections(teach_client: TestClient) -> None:
    job, data = sample_job(teach_client)
    for row in [r for r in data["rows"] if r["intent"] is not None][:10]:
        correct(teach_client, job, row=row["n"], label="spam_sales")
    training = teach_client.post("/api/train", json={"job": job}).json()
    assert teach_client.delete(f"/api/jobs/{job}").status_code == 204
    assert teach_client.get(f"/api/train/{training['id']}").status_code == 404
    assert teach_client.get(f"/api/jobs/{job}/corrections").status_code == 404
    # another file can be trained on at once: the stopped training no longer counts as running
    other, data = sample_job(teach_client)
    for row in [r for r in data["rows"] if r["intent"] is not None][:10]:
        correct(teach_client, other, row=row["n"], label="genuine_networking")
    again = teach_client.post("/api/train", json={"job": other})
    assert again.status_code == 202
    assert teach_client.delete(f"/api/train/{again.json()['id']}").status_code == 204
    assert wait_trained(teach_client, again.json()["id"])["state"] == "cancelled"


@pytest.mark.slow  # a training process
def test_stopping_the_server_kills_a_running_training_at_once(teach_client: TestClient) -> None:
    """What `intent serve` calls on Ctrl-C or SIGTERM, before open requests end: trainings stop as jobs do."""
    job, data = sample_job(teach_client)
    for row in [r for r in data["rows"] if r["intent"] is not None][:10]:
        correct(teach_client, job, row=row["n"], label="spam_sales")
    training = teach_client.post("/api/train", json={"job": job}).json()
    trainer = teach_client.app.state.trainer  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while (process := trainer._processes.get(training["id"])) is None or process.pid is None:
        assert time.monotonic() < deadline, "the training process did not start"
        time.sleep(0.05)
    teach_client.app.state.abort()  # type: ignore[attr-defined]
    stopping = time.monotonic()
    # The process's sentinel, not its exit code: the server's threads reap it meanwhile, and a second
    # waiter asking for the exit code while one reaps can be told None.
    assert multiprocessing.connection.wait([process.sentinel], timeout=10), "the training outlived the server"
    assert time.monotonic() - stopping < 10
    assert wait_trained(teach_client, training["id"])["state"] == "cancelled"
    refused = teach_client.post("/api/train", json={"job": job})
    assert refused.status_code == 503 and refused.json()["code"] == "shutting_down"


def test_openapi_documents_teaching_it(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    assert {"post", "get"} <= set(paths["/api/jobs/{job_id}/corrections"])
    assert "post" in paths["/api/train"] and "get" in paths["/api/train/{training_id}"]
    assert "post" in paths["/api/model"]
    assert {"409", "422"} <= set(paths["/api/train"]["post"]["responses"])
    components = schema["components"]["schemas"]
    assert {"CorrectionRequest", "CorrectionsState", "TrainingStatus", "TrainingResult", "UseModelRequest"} <= set(
        components
    )
    assert "personal_right" not in json.dumps(components)  # the API's own names, not the metadata's
    assert "personal" in components["HealthResponse"]["properties"]


# ---- issue 17: hostile requests ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"texts": {"mi IBAN ES7921000813610123456789": NaN}}',
        b'{"texts": ["mi IBAN ES7921000813610123456789"], "threshold": NaN}',
        b'{"texts": ["mi IBAN ES7921000813610123456789"], "threshold": Infinity}',
        b'{"texts": ["mi IBAN ES7921000813610123456789"], "extra": -Infinity}',
    ],
    ids=["nan-in-texts", "nan-threshold", "infinite-threshold", "infinity-anywhere"],
)
def test_nan_and_infinity_are_422_and_never_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    """Issue 17, item 6: they gave HTTP 500, and the validation error was logged with the message text."""
    caplog.set_level(logging.DEBUG)
    response = client.post("/api/classify", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["code"] == "bad_input"
    assert "ES79" not in response.text and "IBAN" not in response.text  # not even echoed back
    assert "ES79" not in caplog.text and "IBAN" not in caplog.text


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/classify", {"texts": "texto secreto 4711"}),
        ("/api/classify", {"texts": ["texto secreto 4711"], "threshold": 2}),
        ("/api/classify", {}),
        ("/api/explain", {"text": "texto secreto 4711", "top": 0}),
    ],
)
def test_validation_errors_carry_the_code_and_no_input(
    client: TestClient, caplog: pytest.LogCaptureFixture, path: str, payload: dict[str, Any]
) -> None:
    """Should fix: validation 422s carry the documented code; nothing sent is echoed or logged."""
    caplog.set_level(logging.DEBUG)
    response = client.post(path, json=payload)
    body = response.json()
    assert response.status_code == 422 and body["code"] == "bad_input" and isinstance(body["detail"], str)
    assert "4711" not in response.text and "4711" not in caplog.text
    bad_json = client.post(path, content=b'{"texts": [', headers={"content-type": "application/json"})
    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.json()["detail"]


def test_other_http_errors_carry_a_code(client: TestClient) -> None:
    response = client.get("/api/jobs/nope")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_an_unexpected_error_is_500_json_and_logged_without_its_message(
    mini_model_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intent.model import IntentModel

    def boom(self: Any, texts: Any, languages: Any = None) -> Any:
        raise RuntimeError(f"failed on {texts[0]}")  # an exception that quotes the data

    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(IntentModel, "classify", boom)
    with TestClient(create_app(ServeSettings(model_path=mini_model_path)), raise_server_exceptions=False) as c:
        response = c.post("/api/classify", json={"texts": [PRIVATE]})
    assert response.status_code == 500 and response.json()["code"] == "internal"
    assert "RuntimeError" in caplog.text and "4711" not in caplog.text and "privadísimo" not in caplog.text


def test_classify_over_the_character_limit_is_413(mini_model_path: Path) -> None:
    """Issue 17, item 2: 200 texts of 100 KB were under the limits and took 82 s of CPU."""
    with make_client(mini_model_path, max_chars=1000) as c:
        response = c.post("/api/classify", json={"texts": ["a" * 600, "b" * 401]})
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        assert "1,001 characters" in response.json()["detail"] and "--max-chars" in response.json()["detail"]
        assert c.post("/api/classify", json={"texts": ["a" * 600, "b" * 400]}).status_code == 200
        assert c.post("/api/explain", json={"text": "no gracias " * 100}).status_code == 413


CROSS_SITE = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:9999"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "cross-site"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_cross_site_requests_that_change_state_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    """Issue 17, item 7: a page on any site could POST a file here (a plain form needs no preflight)."""
    data = csv_bytes([{"text": SPAM}])
    for method, path, kwargs in [
        ("POST", "/api/jobs", {"files": {"file": ("a.csv", data)}}),
        ("POST", "/api/classify-file", {"files": {"file": ("a.csv", data)}}),
        ("POST", "/api/jobs/sample", {}),
        ("POST", "/api/classify", {"json": {"texts": [SPAM]}}),
        ("DELETE", "/api/jobs/any", {}),
        ("POST", "/api/jobs/any/corrections", {"json": {"row": 0, "label": "spam_sales"}}),
        ("POST", "/api/train", {"json": {"job": "any"}}),
        ("DELETE", "/api/train/any", {}),
        ("POST", "/api/model", {"json": {"use": "default"}}),
    ]:
        response = client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "cross_site"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, scripts
        {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"},  # the page itself
        {"Sec-Fetch-Site": "none"},  # typed by the user
    ],
)
def test_same_origin_requests_are_served(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/api/classify", json={"texts": [SPAM]}, headers=headers).status_code == 200
    assert client.get("/api/health", headers={"Origin": "https://evil.example"}).status_code == 200  # reads pass


def test_busy_server_refuses_a_new_job_with_429(mini_model_path: Path) -> None:
    """Issue 17, item 7: with every slot in use, a new upload is refused rather than evicting someone's results."""
    with make_client(mini_model_path) as c:
        store = c.app.state.jobs  # type: ignore[attr-defined]
        assert isinstance(store, JobStore)
        store.keep = 1
        first = c.post("/api/jobs", files={"file": ("a.csv", csv_bytes([{"text": SPAM}]))}).json()
        wait_done(c, first["id"])
        response = c.post("/api/jobs", files={"file": ("b.csv", csv_bytes([{"text": SPAM}]))})
        assert response.status_code == 429 and response.json()["code"] == "busy"
        assert c.get(f"/api/jobs/{first['id']}/download").status_code == 200  # still there
        assert c.delete(f"/api/jobs/{first['id']}").status_code == 204
        assert c.post("/api/jobs/sample").status_code == 202


def test_downloads_are_spreadsheet_safe_and_keep_rows(client: TestClient) -> None:
    """Issue 17, items 3 and 4: the page's downloads escape formulas and quote lone CRs."""
    data = b"from,text\r=cmd|' /C calc'!A0,\"Hola Ana\rte escribo\"\r@ana,no gracias\r+1,encantada\r"
    job = client.post("/api/jobs", files={"file": ("cr.csv", data)}).json()
    assert wait_done(client, job["id"])["rows"] == 3
    plain = client.get(f"/api/jobs/{job['id']}/download")
    excel = client.get(f"/api/jobs/{job['id']}/download", params={"format": "excel"})
    for rows in (
        list(csv.DictReader(io.StringIO(plain.text, newline=""))),
        list(csv.DictReader(io.StringIO(excel.content.decode("utf-8-sig"), newline=""), delimiter=";")),
    ):
        assert [r["from"] for r in rows] == ["'=cmd|' /C calc'!A0", "'@ana", "'+1"]
        assert rows[0]["text"] == "Hola Ana\rte escribo"
    direct = client.post("/api/classify-file", files={"file": ("cr.csv", data)}, data={"format": "excel"})
    assert len(list(csv.reader(io.StringIO(direct.content.decode("utf-8-sig"), newline=""), delimiter=";"))) == 4
    raw = client.post("/api/classify-file", files={"file": ("cr.csv", data)}, data={"format": "jsonl"})
    assert json.loads(raw.text.split("\n")[0])["from"] == "=cmd|' /C calc'!A0"  # JSON Lines carry raw text


def test_damaged_zip_upload_is_422_without_server_paths(client: TestClient, tmp_path: Path) -> None:
    """Issue 17, item 5 and should fix: a clear 422 naming the problem, never /tmp/intent-upload-…."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("messages.csv", "CONTENT,FROM,TO\n" + "hola,a,b\n" * 500)
    truncated = archive.read_bytes()[: archive.stat().st_size // 2]
    for path in ("/api/classify-file", "/api/jobs"):
        response = client.post(path, files={"file": ("export.zip", truncated)})
        assert response.status_code == 422, path
        detail = response.json()["detail"]
        assert "damaged or incomplete" in detail and "export.zip" in detail
        assert "intent-upload" not in detail and tempfile.gettempdir() not in detail


def test_a_column_error_names_the_upload_not_its_temporary_path(client: TestClient) -> None:
    response = client.post("/api/classify-file", files={"file": ("mis datos.csv", b"a,b\n1,2\n")})
    assert response.status_code == 422 and "intent-upload" not in response.json()["detail"]
