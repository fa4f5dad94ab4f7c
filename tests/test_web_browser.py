"""End to end in a real browser: `intent serve` in a subprocess, driven by Playwright in the system's Chromium.

Chromium comes from the system packages (Debian: chromium); `.ci/install-browser` installs it.
A missing or broken browser fails these tests: only INTENT_SKIP_BROWSER=1 skips them.
Screenshots go to reports/web/ (desktop and phone widths, conversations and messages).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intent.config import LABELS, PROJECT_DIR, SAMPLE_EXPORT
from intent.learn.data import load_labeled, texts_and_labels

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("INTENT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = PROJECT_DIR / "reports" / "web"  # the checkout's reports/, wherever pytest runs
# Headless, and quiet: no calls home, which this machine's closed network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "Texto confidencial 90817 de la bandeja"
MAX_UPLOAD_MB = 2

SKIP = os.environ.get("INTENT_SKIP_BROWSER") == "1"  # the user's explicit opt-out: the only way to skip
if SKIP:
    pytest.skip("INTENT_SKIP_BROWSER=1: the browser test is skipped as asked", allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _chromium_is_here() -> None:
    """No Chromium is a failure of each browser test (the rest of the suite still runs), never a skip."""
    if CHROMIUM is None:
        pytest.fail(
            "no Chromium on this machine. Fix: run .ci/install-browser (apt: chromium), or set "
            "INTENT_CHROMIUM to its path; INTENT_SKIP_BROWSER=1 skips the browser test.",
            pytrace=False,
        )


from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from conftest import PERSONAL_INBOX  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`intent serve` on a free port, with the shipped model; yields its URL and its log file."""
    port = free_port()
    folder = tmp_path_factory.mktemp("server")
    log = folder / "serve.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "intent.cli", "serve", "--port", str(port)),
                *("--max-upload-mb", str(MAX_UPLOAD_MB), "--personal-dir", str(folder / "personal")),
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != "INTENT_MODEL"},  # the shipped model
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"intent serve did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield url, log
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="es-ES")
    pg = context.new_page()
    yield pg
    context.close()


def sample_rows() -> int:
    total = 0
    for f in SAMPLE_EXPORT.iterdir():
        with f.open(encoding="utf-8-sig", newline="") as fh:
            total += sum(1 for _ in csv.DictReader(fh))
    return total


def download(page: Page, selector: str, path: Path) -> tuple[str, Path]:
    with page.expect_download() as info:
        page.click(selector)
    info.value.save_as(path)
    return info.value.suggested_filename, path


def test_an_export_shows_conversations_first(
    server: tuple[str, Path], page: Page, tmp_path: Path, sample_export_zip: Path
) -> None:
    url, log = server
    page.goto(url)
    page.set_input_files("#file-input", str(sample_export_zip))
    threads = page.locator("#conversations > li.thread")
    expect(threads.first).to_be_visible(timeout=60_000)
    name, conv_csv = download(page, "#download-conversations-csv", tmp_path / "conv.csv")
    assert name == "Basic_LinkedInDataExport_11-27-2026-intent-conversaciones.csv"
    conversations = list(csv.DictReader(io.StringIO(conv_csv.read_text(encoding="utf-8"))))
    expect(threads).to_have_count(len(conversations))
    expect(page.locator("#results-title")).to_contain_text(f"{sample_rows()} mensajes")
    expect(page.locator("#view-conversations")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#messages-view")).to_be_hidden()
    expect(page.locator("#owner-note")).to_contain_text("Lucía Ferrer")

    # "Te esperan" comes first, and lists the genuine conversations awaiting a reply
    awaiting = [r for r in conversations if r["awaiting_reply"] == "true"]
    assert awaiting and all(r["intent"] == "genuine_networking" for r in awaiting)
    waiting = page.locator("#waiting-list li")
    expect(waiting).to_have_count(len(awaiting))
    box = page.locator("#waiting").bounding_box()
    charts = page.locator(".charts").bounding_box()
    assert box is not None and charts is not None and box["y"] < charts["y"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-conversations.png"), full_page=True)

    # "Quién te escribe": the senders, never the owner, with counts per intent
    senders = page.locator("#senders tbody tr")
    expect(senders).to_have_count(10)  # the ten who wrote most; a button shows everyone
    page.click("#senders-all")
    wrote = {name for r in conversations if int(r["messages_in"]) for name in r["other_party"].split("; ")}
    expect(senders).to_have_count(len(wrote))
    assert "Lucía Ferrer" not in page.locator("#senders").inner_text()
    rodrigo_row = senders.filter(has_text="Rodrigo Salas")
    expect(rodrigo_row.locator("td.spam_sales")).to_have_text("1")

    # Rodrigo's thread: one spam conversation, collapsed; opened, the owner's reply sits on the other side
    rodrigo = threads.filter(has_text="Rodrigo Salas")
    expect(rodrigo).to_have_count(1)
    expect(rodrigo).to_have_attribute("data-intent", "spam_sales")
    toggle = rodrigo.locator(".thread-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(rodrigo.locator(".thread-messages")).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard opens it
    expect(toggle).to_have_attribute("aria-expanded", "true")
    messages = rodrigo.locator(".thread-messages > li")
    expect(messages).to_have_count(2)
    expect(messages.nth(0)).to_have_class("message in")
    expect(messages.nth(1)).to_have_class("message out")
    expect(messages.nth(1)).to_contain_text("Tú")
    incoming, outgoing = messages.nth(0).bounding_box(), messages.nth(1).bounding_box()
    assert incoming is not None and outgoing is not None
    assert outgoing["x"] + outgoing["width"] > incoming["x"] + incoming["width"] + 20  # right-aligned
    assert outgoing["x"] > incoming["x"]
    page.screenshot(path=str(SCREENSHOTS / "page-thread.png"), full_page=True)

    # a message's explanation from inside the thread
    messages.nth(0).locator(".why-button").click()
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-for li").first).to_be_visible(timeout=30_000)
    page.keyboard.press("Escape")

    # from "Te esperan" to the conversation, open and focused
    page.locator("#waiting-list button", has_text="Javier Lozano").click()
    group = threads.filter(has_text="Javier Lozano")
    expect(group.locator(".thread-toggle")).to_be_focused()
    expect(group.locator(".thread-toggle")).to_have_attribute("aria-expanded", "true")
    expect(group.locator(".awaiting")).to_have_text("te espera")
    expect(group.locator(".thread-messages > li.in")).to_have_count(2)

    # filter conversations by what the other party wants: as many as the chart says
    spam = int(page.locator('#chart-intents [data-label="spam_sales"] .bar-count').inner_text())
    assert spam == sum(r["intent"] == "spam_sales" for r in conversations)
    page.select_option("#filter-intent", "spam_sales")
    expect(threads).to_have_count(spam)
    page.select_option("#filter-intent", "awaiting")
    expect(threads).to_have_count(len(awaiting))
    page.select_option("#filter-intent", "")

    # a sender's name in "Quién te escribe" shows their conversations
    rodrigo_row.locator("button").click()
    expect(threads).to_have_count(1)
    expect(page.locator("#search")).to_have_value("Rodrigo Salas")
    page.fill("#search", "")

    # the Excel download of the conversations
    _, excel = download(page, "#download-conversations-excel", tmp_path / "conv-excel.csv")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbfconversation_id;kind;other_party;")
    assert "Rodrigo" not in log.read_text()  # the server's log names no one


def test_upload_export_filter_explain_and_download(
    server: tuple[str, Path], page: Page, tmp_path: Path, sample_export_zip: Path
) -> None:
    url, _ = server
    page.goto(url)
    expect(page.locator("h1")).to_have_text("intent")
    page.set_input_files("#file-input", str(sample_export_zip))
    expect(page.locator("#conversations > li").first).to_be_visible(timeout=60_000)
    page.click("#view-messages")  # the switch to one row per message
    expect(page.locator("#view-messages")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#conversations-view")).to_be_hidden()

    rows = page.locator("#messages tbody tr")
    expect(rows).to_have_count(sample_rows())
    expect(page.locator("#results-title")).to_contain_text(f"{sample_rows()} mensajes")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-desktop.png"), full_page=True)

    # the chart's counts are the table's
    counts = {
        label: int(page.locator(f'#chart-intents [data-label="{label}"] .bar-count').inner_text()) for label in LABELS
    }
    assert sum(counts.values()) > 0
    expect(page.locator("#month-figure")).to_be_visible()

    # filter by one intent: only its rows remain, as many as the chart said
    page.select_option("#filter-intent", "spam_sales")
    expect(rows).to_have_count(counts["spam_sales"])
    assert set(rows.evaluate_all("trs => trs.map(tr => tr.dataset.intent)")) == {"spam_sales"}

    # search within the filter, accents and case ignored
    page.fill("#search", "DESCUENTO")
    expect(rows).to_have_count(1)
    page.fill("#search", "")
    page.select_option("#filter-intent", "")
    expect(rows).to_have_count(sample_rows())

    # click a message: its explanation lists the words that decided it
    rows.first.click()
    dialog = page.locator("#detail")
    expect(dialog).to_be_visible()
    expect(page.locator("#detail-for li").first).to_be_visible(timeout=30_000)
    words = page.locator("#detail-for li").all_inner_texts()
    assert len(words) >= 3 and not any("xx" in w for w in words)  # placeholders read as [enlace], [número]…
    expect(page.locator("#detail-found")).to_contain_text("enlaces")  # the first message carries a link
    page.screenshot(path=str(SCREENSHOTS / "page-explanation.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # download the labeled CSV, plain and for Excel
    name, saved = download(page, "#download-csv", tmp_path / "labeled.csv")
    assert name == "Basic_LinkedInDataExport_11-27-2026-intent.csv"
    labeled = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert len(labeled) == sample_rows()
    assert {r["intent"] for r in labeled} - {""} <= set(LABELS)
    assert sum(r["intent"] == "spam_sales" for r in labeled) == counts["spam_sales"]
    assert {r["direction"] for r in labeled} == {"incoming", "outgoing"}
    _, excel = download(page, "#download-excel", tmp_path / "excel.csv")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf") and b";intent;" in excel.read_bytes().splitlines()[0]


def test_phone_width_shows_rows_as_cards(server: tuple[str, Path], browser: Browser) -> None:
    url, _ = server
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url)
    page.click("#sample-button")
    thread = page.locator("#conversations > li.thread").filter(has_text="Rodrigo Salas")
    expect(thread).to_be_visible(timeout=60_000)
    thread.locator(".thread-toggle").click()
    expect(thread.locator(".message.out")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the conversations scroll sideways on a phone ({width}px)"
    page.screenshot(path=str(SCREENSHOTS / "page-phone-conversations.png"), full_page=True)
    page.click("#view-messages")
    expect(page.locator("#messages tbody tr")).to_have_count(sample_rows())
    assert page.locator("#messages thead").is_hidden()  # the table turns into cards
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(SCREENSHOTS / "page-phone.png"), full_page=True)
    context.close()


def test_choose_the_text_column_then_see_errors_in_spanish(
    server: tuple[str, Path], page: Page, tmp_path: Path
) -> None:
    url, log = server
    ambiguous = tmp_path / "mis mensajes.csv"
    ambiguous.write_text(
        f"asunto,cuerpo,texto\nPropuesta,{SECRET},x\nHola,No me interesa gracias,y\n"
        "Hi,Hi John! I would love to connect and share ideas about the conference next week.,z\n",
        "utf-8",
    )
    page.goto(url)
    page.set_input_files("#file-input", str(ambiguous))
    expect(page.locator("#column-form")).to_be_visible(timeout=30_000)
    page.select_option("#column-select", "cuerpo")
    page.click("#column-form button[type=submit]")
    rows = page.locator("#messages tbody tr")
    expect(rows).to_have_count(3, timeout=60_000)
    # not an export: no conversations, no switch, no conversation download
    expect(page.locator("#view-switch")).to_be_hidden()
    expect(page.locator("#waiting")).to_be_hidden()
    expect(page.locator("#download-conversations-csv")).to_be_hidden()

    # a message not in Spanish is labeled, marked doubtful and named as another language
    english = rows.filter(has_text="Hi John")
    expect(english).to_have_class("uncertain")
    expect(english.locator(".flag").first).to_have_text("⚠ dudoso")
    expect(english).to_contain_text("otro idioma (en)")
    # the Dudosos filter shows exactly the rows marked doubtful (the English one among them)
    doubtful = page.locator("#messages tbody tr.uncertain").count()
    page.select_option("#filter-intent", "uncertain")
    expect(rows).to_have_count(doubtful)
    expect(rows.filter(has_text="Hi John")).to_have_count(1)
    expect(rows.filter(has_text="No me interesa")).to_have_count(0)  # confidently a refusal

    broken = tmp_path / "hoja.csv"
    broken.write_bytes(b"a,b\x00\x00\n")
    page.set_input_files("#file-input", str(broken))
    expect(page.locator("#error")).to_be_visible(timeout=30_000)
    expect(page.locator("#error")).to_contain_text("No se pudo leer el archivo")

    too_big = tmp_path / "grande.csv"
    too_big.write_bytes(b"texto\n" + b"hola que tal\n" * 200_000)  # 2.6 MB, over the server's 2 MB
    page.set_input_files("#file-input", str(too_big))
    expect(page.locator("#error")).to_contain_text("acepta hasta 2 MB")
    assert SECRET not in log.read_text() and "90817" not in log.read_text()


def inbox() -> list[dict[str, str]]:
    with PERSONAL_INBOX.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


KEY = {label: str(i + 1) for i, label in enumerate(LABELS)}


def wanted_texts(rows: list[dict[str, str]]) -> set[str]:
    """The texts of the rows a correction covers: corrected messages, and messages of corrected conversations."""
    return {r["text"] for r in rows if r["scope"] in ("message", "conversation")}


def test_teach_it_from_the_page(
    server: tuple[str, Path], page: Page, tmp_path: Path, personal_export_zip: Path
) -> None:
    """Correct labels with the keyboard (per message, per conversation, in the explanation), train a personal
    model on the shipped corpus, read what changed, switch models and back, download the corrections."""
    url, log = server
    with urllib.request.urlopen(f"{url}/api/health") as response:
        health = json.load(response)
    personal_dir = Path(health["personal"]["dir"])
    assert health["model"]["kind"] == "shipped" and health["personal"]["min_corrections"] == 10
    assert f"personal models trained on the page are saved in {personal_dir}" in log.read_text()
    page.goto(url)
    expect(page.locator("#model-info")).to_contain_text("el modelo incluido con intent")
    page.set_input_files("#file-input", str(personal_export_zip))
    expect(page.locator("#conversations > li.thread").first).to_be_visible(timeout=60_000)
    expect(page.locator("#teach")).to_be_visible()

    rows = inbox()
    messages = [r for r in rows if r["scope"] == "message"]
    threads: dict[str, dict[str, str]] = {r["conversation"]: r for r in rows if r["scope"] == "conversation"}
    page.click("#view-messages")
    table = page.locator("#messages tbody tr")

    def row_of(text: str) -> Any:
        return table.filter(has_text=text[:45])

    # the first corrections, one key each on the selected row
    for r in messages[:5]:
        row_of(r["text"]).focus()
        page.keyboard.press(KEY[r["label"]])
        expect(row_of(r["text"])).to_have_class(re.compile(r"\bcorrected\b"))
        expect(row_of(r["text"])).to_have_attribute("data-intent", r["label"])
    expect(page.locator("#corrections-count")).to_have_text("5 correcciones")
    # too few: refused, in Spanish, saying how many are needed and why
    page.click("#train-button")
    expect(page.locator("#teach-error")).to_contain_text("hacen falta al menos 10")
    expect(page.locator("#teach-error")).to_contain_text("un puñado de mensajes")
    # undone with 0, and done again
    first = row_of(messages[0]["text"])
    first.focus()
    page.keyboard.press("0")
    expect(first).not_to_have_class(re.compile(r"\bcorrected\b"))
    first.focus()
    page.keyboard.press(KEY[messages[0]["label"]])
    expect(first).to_have_class(re.compile(r"\bcorrected\b"))
    # one in the explanation panel: the keys work there too
    explained = messages[5]
    row_of(explained["text"]).click()
    expect(page.locator("#detail")).to_be_visible()
    page.keyboard.press(KEY[explained["label"]])
    expect(page.locator("#detail-correct")).to_contain_text("Lo has corregido")
    page.keyboard.press("Escape")
    expect(row_of(explained["text"])).to_have_class(re.compile(r"\bcorrected\b"))
    # one with a click on the label's button in the row (not on the row: that opens the explanation)
    clicked = messages[6]
    row_of(clicked["text"]).locator(f".correct-button.{clicked['label']}").click()
    expect(row_of(clicked["text"])).to_have_class(re.compile(r"\bcorrected\b"))
    expect(page.locator("#detail")).to_be_hidden()
    for r in messages[7:]:
        row_of(r["text"]).focus()
        page.keyboard.press(KEY[r["label"]])
        expect(row_of(r["text"])).to_have_class(re.compile(r"\bcorrected\b"))  # once the server has it
        expect(row_of(r["text"])).to_have_attribute("data-intent", r["label"])
    page.select_option("#filter-intent", "corrected")
    expect(table).to_have_count(len(messages))
    page.select_option("#filter-intent", "")

    # whole conversations: what the other party wants, on the selected thread
    page.click("#view-conversations")
    for r in threads.values():
        thread = page.locator("#conversations > li.thread").filter(has_text=r["sender"])
        thread.locator(".thread-toggle").focus()
        page.keyboard.press(KEY[r["label"]])
        expect(thread).to_have_class(re.compile(r"\bcorrected\b"))
        expect(thread).to_have_attribute("data-intent", r["label"])
    total = len(messages) + len(threads)
    expect(page.locator("#corrections-count")).to_have_text(f"{total} correcciones")

    # train: the stages show while it runs, the figures when it ends
    page.click("#train-button")
    expect(page.locator("#train-stages li").first).to_be_visible(timeout=30_000)
    expect(page.locator("#train-result")).to_be_visible(timeout=400_000)
    result = page.evaluate("teach.training.result")
    base, mine = result["base"]["right"], result["personal"]["right"]
    expect(page.locator("#fig-base")).to_have_text(f"{base} de {total}")
    expect(page.locator("#fig-base-label")).to_have_text(
        f"bien con el modelo incluido; {result['base']['sure']} sin marcar como dudosos"
    )
    expect(page.locator("#fig-personal-label")).to_contain_text("sin haberlos visto")
    expect(page.locator("#fig-personal")).to_have_text(f"{mine} de {total}")
    assert mine > base, "the personal model should get more of the corrections right than the shipped one"
    expect(page.locator("#fig-explain")).to_contain_text("validación cruzada")
    expect(page.locator("#fig-held-out")).to_contain_text("conjunto de prueba (584)")
    changed = result["changed"]
    expect(page.locator("#fig-changed")).to_contain_text(f"{changed['count']} de los {changed['compared']} mensajes")
    model = Path(result["model"]["path"])
    assert model.parent == personal_dir and model.is_file() and Path(result["model"]["card"]).is_file()
    expect(page.locator("#model-saved")).to_contain_text(str(model))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#teach").screenshot(path=str(SCREENSHOTS / "page-personal-model.png"))
    right = {r["text"]: r["label"] for r in rows if r["scope"] == "none"}  # uncorrected, labeled for this note
    changed_rows = []
    for c in changed["rows"]:
        text = page.evaluate(f"state.data.rows[{c['n']}].text")
        assert text not in wanted_texts(rows), "a corrected row is not an 'other' row"
        changed_rows.append({**c, "text": text, "right": right.get(text)})
    figures = {
        "corrections": total,
        "messages": len(messages),
        "conversations": len(threads),
        "changed_rows": changed_rows,
        "page": {
            name: page.locator(f"#{name}").inner_text()
            for name in (
                "fig-base",
                "fig-base-label",
                "fig-personal",
                "fig-personal-label",
                "fig-explain",
                "fig-held-out",
                "fig-changed",
            )
        },
        "result": {k: v for k, v in result.items() if k != "model"},
        "seconds": page.evaluate("teach.training.seconds"),
    }
    (SCREENSHOTS / "personal-model.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), "utf-8")
    if changed["count"]:  # the other rows that change: listed, and shown in the table
        page.click("#changed-all")
        expect(table).to_have_count(changed["count"])

    # use it: the file is labeled with it, the footer and /api/health say so; then back
    page.click("#use-personal")
    expect(page.locator("#model-info")).to_contain_text("tu modelo personal")
    expect(page.locator("#model-info")).to_contain_text(model.name)
    expect(page.locator("#model-choice")).to_contain_text("Estás usando tu modelo")
    with urllib.request.urlopen(f"{url}/api/health") as response:
        assert json.load(response)["model"]["kind"] == "personal"
    expect(page.locator("#corrections-count")).to_have_text(f"{total} correcciones")  # they stay with the file

    # the corrections, as a CSV `intent train --data` reads as is
    name, saved = download(page, "#download-corrections", tmp_path / "correcciones.csv")
    assert name == "Basic_LinkedInDataExport_12-27-2026-correcciones.csv"
    texts, labels = texts_and_labels(load_labeled(saved))
    wanted = {r["text"]: r["label"] for r in messages}
    for r in threads.values():
        joined = "\n\n".join(m["text"] for m in rows if m["conversation"] == r["conversation"])
        wanted[joined] = r["label"]
    assert dict(zip(texts, labels, strict=True)) == wanted

    page.click("#use-default")
    expect(page.locator("#model-info")).to_contain_text("el modelo incluido con intent")
    # the log names where the model went, and nothing any message said
    text = log.read_text()
    assert str(model) in text
    assert not any(r["text"][:40] in text for r in rows) and "Germán" not in text
