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
    context = browser.new_context(
        accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="es-ES", timezone_id="Europe/Madrid"
    )
    pg = context.new_page()
    yield pg
    forget(pg)
    context.close()


def forget(page: Page) -> None:
    """Free the server's slot for the page's file, as closing the tab does (the server keeps a few files)."""
    if not page.is_closed() and page.url.startswith("http"):
        page.evaluate("() => state.job ? fetch(`/api/jobs/${state.job}`, { method: 'DELETE' }).then(() => 0) : 0")


def sample_rows() -> int:
    total = 0
    for f in SAMPLE_EXPORT.iterdir():
        with f.open(encoding="utf-8-sig", newline="") as fh:
            total += sum(1 for _ in csv.DictReader(fh))
    return total


#: What a person must never read on the page: English from the server, terminal talk, codes, paths.
NOT_FOR_PEOPLE = re.compile(
    r"gatekeeping|spam_sales|genuine_networking|intent serve|intent classify|--[a-z]|Fix:|\bThe \b|\berror\b|"
    r"\buncertain\b|other_language|openapi|\bUTC\b|/tmp/|\.joblib|\bNaN\b|undefined|null",
    re.IGNORECASE,
)


def assert_spanish(page: Page, where: str) -> None:
    """Every word the page shows (visible text, and the labels read aloud) is for a Spanish-speaking person."""
    texts = page.evaluate(
        """() => {
          // the messages themselves are the user's data, not the page's words
          const theirs = "td.text, .message-text, #detail-text, .thread-who, td.sender, #senders th, .waiting-list";
          const seen = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const parent = walker.currentNode.parentElement;
            if (parent.closest(theirs) || parent.closest("script, style") || !parent.checkVisibility()) continue;
            seen.push(walker.currentNode.textContent);
          }
          for (const node of document.querySelectorAll("[aria-label], [title], [placeholder]")) {
            if (node.closest("[hidden]") || node.closest(theirs)) continue;
            for (const a of ["aria-label", "title", "placeholder"]) {
              if (node.getAttribute(a)) seen.push(node.getAttribute(a));
            }
          }
          return seen.join(" | ");
        }"""
    )
    found = sorted({m.group(0) for m in NOT_FOR_PEOPLE.finditer(texts)})
    assert not found, f"{where}: not for people: {found}"


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
    assert_spanish(page, "landing page")
    page.set_input_files("#file-input", str(sample_export_zip))
    threads = page.locator("#conversations > li.thread")
    expect(threads.first).to_be_visible(timeout=60_000)
    assert_spanish(page, "conversations")
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

    # the Excel download of the conversations: for people, in Spanish (the plain CSV keeps the machine names)
    _, excel = download(page, "#download-conversations-excel", tmp_path / "conv-excel.csv")
    assert excel.read_bytes().startswith("\ufeffid de la conversación;tipo;otra persona;".encode())
    spanish = list(csv.DictReader(io.StringIO(excel.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert {r["intención"] for r in spanish} - {""} <= {"Venta / spam", "Networking genuino", "Rechazo"}
    assert all(re.fullmatch(r"\d{1,3},\d\d%", r["confianza"]) for r in spanish if r["confianza"])
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
    assert_spanish(page, "messages")
    # dates in the reader's time zone, one format: Rodrigo wrote at 09:14:51 UTC, 11:14 in Madrid in October
    expect(rows.filter(has_text="Rodrigo Salas").first.locator("td.when")).to_have_text("2 oct 2026, 11:14")
    # the doubt legend, and the summary of what to check
    expect(page.locator("#legend")).to_contain_text("poca confianza")
    expect(page.locator("#legend")).to_contain_text("otro idioma")
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

    # newest first: the table is in date order, not file order
    stamps = rows.evaluate_all("trs => trs.map(tr => state.data.rows[Number(tr.dataset.row)].ts)")
    assert stamps == sorted(stamps, reverse=True)

    # click a message: its explanation lists the words that decided it
    rows.filter(has_text="Rodrigo Salas").first.click()
    dialog = page.locator("#detail")
    expect(dialog).to_be_visible()
    expect(page.locator("#detail-for li").first).to_be_visible(timeout=30_000)
    words = page.locator("#detail-for li").all_inner_texts()
    assert len(words) >= 3 and not any("xx" in w for w in words)  # placeholders read as [enlace], [número]…
    expect(page.locator("#detail-found")).to_contain_text("enlaces")  # Rodrigo's pitch carries a link
    assert_spanish(page, "explanation")
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
    header = excel.read_bytes().splitlines()[0].decode("utf-8-sig")
    assert ";intención;confianza;dudoso;" in header and ";idioma" in header


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
    # the table turns into cards; its header row is still there for assistive technology, only visually hidden
    head = page.locator("#messages thead").bounding_box()
    assert head is not None and head["width"] <= 1 and head["height"] <= 1
    expect(page.get_by_role("columnheader", name="Confianza")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(SCREENSHOTS / "page-phone.png"), full_page=True)
    forget(page)
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

    # a message not in Spanish is labeled, and doubtful because of its language, said in words with its name;
    # its confidence is struck out (a foreign message's "100 %" says nothing)
    english = rows.filter(has_text="Hi John")
    expect(english).to_have_class(re.compile(r"\bdoubt-language\b"))
    expect(english.locator(".flag.doubt-language")).to_have_text("⚑ en inglés: revísalo")
    expect(english.locator(".flag.doubt-confidence")).to_have_count(0)
    expect(english.locator("td.conf")).to_contain_text("no vale: otro idioma")
    expect(english.locator("td.conf s")).to_have_count(1)
    expect(page.locator("#doubt-summary")).to_contain_text("1 en otro idioma")
    english.click()
    expect(page.locator("#detail-doubt")).to_contain_text("Dudoso por el idioma: parece escrito en inglés")
    assert_spanish(page, "explanation of a foreign message")
    page.keyboard.press("Escape")
    # the doubt filters: all the doubtful rows, the foreign ones only, the hesitant ones only
    doubtful = page.locator("#messages tbody tr.uncertain").count()
    hesitant = page.locator("#messages tbody tr.doubt-confidence").count()
    page.select_option("#filter-intent", "uncertain")
    expect(rows).to_have_count(doubtful)
    expect(rows.filter(has_text="Hi John")).to_have_count(1)
    expect(rows.filter(has_text="No me interesa")).to_have_count(0)  # confidently a refusal
    page.select_option("#filter-intent", "other_language")
    expect(rows).to_have_count(1)
    page.select_option("#filter-intent", "low_confidence")
    expect(rows).to_have_count(hesitant)
    expect(rows.filter(has_text="Hi John")).to_have_count(0)
    # an empty list says why it is empty
    page.select_option("#filter-intent", "corrected")
    expect(rows).to_have_count(0)
    expect(page.locator("#empty")).to_contain_text("Aún no has corregido ninguno")
    page.select_option("#filter-intent", "")
    page.fill("#search", "zzzz-nada")
    expect(page.locator("#empty")).to_contain_text("Ningún mensaje contiene «zzzz-nada»")
    page.fill("#search", "")
    expect(page.locator("#empty")).to_be_hidden()

    # errors, said in Spanish by their code: no English detail from the server
    broken = tmp_path / "hoja.csv"
    broken.write_bytes(b"a,b\x00\x00\n")
    page.set_input_files("#file-input", str(broken))
    expect(page.locator("#error")).to_be_visible(timeout=30_000)
    expect(page.locator("#error")).to_contain_text("no es un CSV de mensajes")
    assert_spanish(page, "an error")
    # files that are not what they claim: a Spanish sentence, never a column chooser offering their bytes
    notes = tmp_path / "notas.txt"
    notes.write_text("Hola, te escribo por la propuesta que te envié la semana pasada\n", "utf-8")
    corrupt = tmp_path / "exportacion.csv"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8)
    for bad in (notes, corrupt):
        with page.expect_response(re.compile(r".*/api/jobs$")) as answered:
            page.set_input_files("#file-input", str(bad))
        assert answered.value.json()["code"] == "not_csv"
        expect(page.locator("#error")).to_contain_text("no es un CSV de mensajes", timeout=30_000)
        expect(page.locator("#column-form")).to_be_hidden()
        assert_spanish(page, f"the error for {bad.name}")
    damaged = tmp_path / "Basic_LinkedInDataExport.zip"
    damaged.write_bytes(b"PK\x03\x04" + bytes(range(1, 256)) * 8)
    with page.expect_response(re.compile(r".*/api/jobs$")):
        page.set_input_files("#file-input", str(damaged))
    expect(page.locator("#error")).to_contain_text("El .zip está dañado o incompleto", timeout=30_000)
    expect(page.locator("#column-form")).to_be_hidden()

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
        row_of(r["text"]).locator(".why-row").focus()
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
    first.locator(".why-row").focus()
    page.keyboard.press("0")
    expect(first).not_to_have_class(re.compile(r"\bcorrected\b"))
    first.locator(".why-row").focus()
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
        row_of(r["text"]).locator(".why-row").focus()
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
    expect(page.locator("#model-info")).to_contain_text(model.stem)
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


# ---------- accessibility: axe-core, focus, the keyboard alone ----------

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # vendored: nothing is downloaded


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default, WCAG 2.2 AA included)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_axe_clean(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {where}: {json.dumps(violations, ensure_ascii=False)}"


def luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


FOCUS_STYLE = """() => {
  const node = document.activeElement;
  if (!node || node === document.body) return null;
  const style = getComputedStyle(node);
  let back = node.parentElement;
  let background = "rgb(255, 255, 255)";
  while (back) {
    const color = getComputedStyle(back).backgroundColor;
    if (color && !color.startsWith("rgba(0, 0, 0, 0)") && color !== "transparent") { background = color; break; }
    back = back.parentElement;
  }
  return {
    what: node.id || node.className || node.tagName,
    text: (node.textContent || "").trim().slice(0, 40),
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor, background,
  };
}"""


def rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def tab_to(page: Page, selector: str, limit: int = 60) -> list[dict[str, Any]]:
    """Press Tab until ``selector`` has the focus (at most ``limit`` times); each focused control's focus style."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        if style is not None:
            seen.append(style)
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return seen
    raise AssertionError(f"{selector} never got the focus in {limit} Tabs: {[s['what'] for s in seen]}")


def assert_focus_visible(seen: list[dict[str, Any]]) -> None:
    """Every control that got the focus showed it: an outline of 2 px or more, at 3:1 or more against its
    background (WCAG 2.2, 1.4.11 and 2.4.7)."""
    for s in seen:
        assert s["outline"] != "none" and s["width"] >= 2, f"no visible focus on {s}"
        ratio = contrast(rgb(s["color"]), rgb(s["background"]))
        assert ratio >= 3, f"focus contrast {ratio:.2f}:1 on {s}"


def test_axe_finds_nothing_on_any_screen(server: tuple[str, Path], page: Page, tmp_path: Path) -> None:
    """The landing page, the results (conversations and messages), the explanation and an error, at desktop and
    phone widths: axe-core reports no violation."""
    url, _ = server
    page.goto(url)
    assert_axe_clean(page, "the landing page")
    page.click("#sample-button")
    expect(page.locator("#conversations > li.thread").first).to_be_visible(timeout=60_000)
    page.locator("#conversations > li.thread .thread-toggle").first.click()
    assert_axe_clean(page, "the conversations")
    page.click("#view-messages")
    page.locator("details.month-table summary").click()
    assert_axe_clean(page, "the messages")
    page.locator('#messages tbody tr[data-intent="spam_sales"] .why-row').first.click()
    expect(page.locator("#detail-for li").first).to_be_visible(timeout=30_000)
    assert_axe_clean(page, "the explanation")
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_axe_clean(page, "the messages on a phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    broken = tmp_path / "roto.zip"
    broken.write_bytes(b"PK\x03\x04 roto")
    page.set_input_files("#file-input", str(broken))
    expect(page.locator("#error")).to_be_visible(timeout=30_000)
    expect(page.locator("#error")).to_be_focused()
    assert_axe_clean(page, "an error")


def test_the_month_chart_has_a_table_and_patterns(server: tuple[str, Path], page: Page) -> None:
    url, _ = server
    page.goto(url)
    page.click("#sample-button")
    expect(page.locator("#conversations > li.thread").first).to_be_visible(timeout=60_000)
    page.click("#view-messages")
    table = page.locator("#month-table")
    expect(table.locator("tbody tr")).to_have_count(page.locator("#chart-months .month").count())
    totals = table.locator("tbody tr td:last-child").all_text_contents()
    counted = sum(
        int(page.locator(f'#chart-intents [data-label="{label}"] .bar-count').inner_text()) for label in LABELS
    )
    assert sum(int(t.replace(".", "")) for t in totals) == counted
    # not colour alone: sales striped, rejection dotted; and the three colours apart even without red-green vision
    for label in ("spam_sales", "gatekeeping_rejection"):
        image = page.locator(f"#month-legend .pattern-{label}").evaluate("n => getComputedStyle(n).backgroundImage")
        assert "gradient" in image
    colours = {
        label: rgb(page.evaluate(f"getComputedStyle(document.documentElement).getPropertyValue('--{label}')"))
        if page.evaluate(f"getComputedStyle(document.documentElement).getPropertyValue('--{label}')").startswith("rgb")
        else hex_rgb(page.evaluate(f"getComputedStyle(document.documentElement).getPropertyValue('--{label}')"))
        for label in LABELS
    }
    simulated = {label: deuteranopia(c) for label, c in colours.items()}
    for a, b in (("spam_sales", "genuine_networking"), ("genuine_networking", "gatekeeping_rejection")):
        assert colour_distance(simulated[a], simulated[b]) > 60, f"{a} and {b} look alike under deuteranopia"
    for label, c in colours.items():
        assert contrast(c, (255, 255, 255)) >= 4.5, f"white on {label}"


def hex_rgb(value: str) -> tuple[float, ...]:
    value = value.strip().lstrip("#")
    return tuple(float(int(value[i : i + 2], 16)) for i in (0, 2, 4))


def deuteranopia(c: tuple[float, ...]) -> tuple[float, ...]:
    """The colour as seen without green cones (Machado et al. 2009, severity 1, on linear RGB)."""

    def lin(x: float) -> float:
        x /= 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    def gamma(x: float) -> float:
        x = min(max(x, 0.0), 1.0)
        return 255 * (12.92 * x if x <= 0.0031308 else 1.055 * x ** (1 / 2.4) - 0.055)

    m = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))
    r, g, b = (lin(x) for x in c[:3])
    return tuple(gamma(row[0] * r + row[1] * g + row[2] * b) for row in m)


def colour_distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


def test_the_main_flow_by_keyboard_alone(server: tuple[str, Path], page: Page) -> None:
    """From the landing page to a corrected label and back, with Tab, Enter, Space, the arrows, 1/2/3 and Escape;
    every control on the way shows its focus at 3:1 or more."""
    url, _ = server
    page.goto(url)
    seen = tab_to(page, "#file-input")  # the drop zone's file chooser comes first, its ring around the zone
    ring = page.locator("#dropzone").evaluate("n => getComputedStyle(n).outlineStyle")
    assert ring != "none"
    seen += tab_to(page, "#sample-button", 5)
    page.keyboard.press("Enter")
    title = page.locator("#results-title")
    expect(title).to_be_focused(timeout=60_000)  # the results are announced and get the focus
    expect(page.locator("#announce")).to_contain_text("Listo:")
    seen += tab_to(page, "#view-messages")
    page.keyboard.press("Enter")
    expect(page.locator("#messages-view")).to_be_visible()
    seen += tab_to(page, "#filter-intent", 10)
    page.keyboard.press("ArrowDown")  # the first intent: Venta / spam
    expect(page.locator("#filter-intent")).to_have_value("spam_sales")
    seen += tab_to(page, "#sort", 5)
    # the first message is a few Tabs away, not a hundred: the pager and the list come right after the filters
    seen += tab_to(page, "#messages tbody tr .why-row", 8)
    row = page.locator(
        f'#messages tbody tr[data-row="{page.evaluate("document.activeElement.closest(`tr`).dataset.row")}"]'
    )
    page.keyboard.press("Enter")  # a real button: the explanation opens
    dialog = page.locator("#detail")
    expect(dialog).to_be_visible()
    expect(page.locator("#detail-for li").first).to_be_visible(timeout=30_000)
    page.keyboard.press("2")  # corrected from inside the explanation
    expect(page.locator("#detail-correct")).to_contain_text("Lo has corregido: Networking genuino")
    seen += tab_to(page, "#detail .correct-button", 10)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row.locator(".why-row")).to_be_focused()  # back where it was
    expect(row).to_have_class(re.compile(r"\bcorrected\b"))
    page.keyboard.press("0")  # undone on the focused row
    expect(row).not_to_have_class(re.compile(r"\bcorrected\b"))
    seen += tab_to(page, "#messages tbody tr:nth-child(2) .why-row", 3)  # one Tab per message
    assert_focus_visible(seen)
    assert len({s["what"] for s in seen}) >= 8


# ---------- 20,000 messages ----------

BIG = 20_000


def big_rows(route: Any) -> None:
    """The sample's rows, repeated to 20,000 with dates spread over two years: the page at a large file's size
    (the classification itself is measured by benchmarks/bench_page.py)."""
    response = route.fetch()
    data = response.json()
    base = data["rows"]
    rows = []
    for i in range(BIG):
        row = dict(base[i % len(base)])
        day = i % 700
        row.update(
            n=i,
            at=f"{2025 + day // 365}-{1 + (day % 365) // 31:02d}-{1 + day % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            conversation=None,
            direction=None,
        )
        rows.append(row)
    data.update(rows=rows, conversations=None, senders=[], export=False, owner=None)
    route.fulfill(response=response, body=json.dumps(data, ensure_ascii=False))


def test_twenty_thousand_messages_stay_light(server: tuple[str, Path], page: Page) -> None:
    """Sorted newest first, filtered, searched and paged: the page never holds more than one page of rows."""
    url, _ = server
    page.route(re.compile(r".*/api/jobs/[^/]+/rows$"), big_rows)
    page.goto(url)
    page.click("#sample-button")
    rows = page.locator("#messages tbody tr")
    expect(rows.first).to_be_visible(timeout=60_000)
    expect(page.locator("#results-title")).to_contain_text("20.000 mensajes")
    expect(page.locator("#shown-count")).to_have_text("20.000 de 20.000 mensajes")
    expect(page.locator("#page-info")).to_contain_text("página 1 de 200")
    assert rows.count() == 100
    assert page.evaluate("document.querySelectorAll('*').length") < 5_000

    def shown(field: str) -> list[Any]:
        return rows.evaluate_all(f"trs => trs.map(tr => state.data.rows[Number(tr.dataset.row)].{field})")

    stamps = shown("ts")
    assert stamps == sorted(stamps, reverse=True)  # newest first
    expect(page.locator('#messages th[data-sort="date"]')).to_have_attribute("aria-sort", "descending")
    page.select_option("#sort", "confidence_asc")
    confidences = [c for c in shown("confidence") if c is not None]
    assert confidences == sorted(confidences) and rows.count() == 100
    expect(page.locator('#messages th[data-sort="confidence"]')).to_have_attribute("aria-sort", "ascending")
    page.select_option("#sort", "sender")
    senders = page.evaluate("state.filtered.map(r => r.sortName)")
    assert senders == sorted(senders)
    # a filter over all 20,000, as many as the chart says
    spam = int(page.locator('#chart-intents [data-label="spam_sales"] .bar-count').inner_text().replace(".", ""))
    page.select_option("#filter-intent", "spam_sales")
    spanish = page.evaluate("(n) => n.toLocaleString('es-ES')", spam)  # Spanish: 4348, but 20.000
    expect(page.locator("#shown-count")).to_have_text(f"{spanish} de 20.000 mensajes")
    assert set(rows.evaluate_all("trs => trs.map(tr => tr.dataset.intent)")) == {"spam_sales"}
    # paging: the next page replaces the rows, it does not add to them
    first = shown("n")
    page.click("#page-next")
    expect(page.locator("#page-info")).to_contain_text("página 2 de")
    assert rows.count() <= 100 and not set(shown("n")) & set(first)
    page.fill("#search", "DESCUENTO")
    expect(page.locator("#page-info")).to_contain_text("página 1 de")
    assert set(rows.evaluate_all("trs => trs.map(tr => tr.dataset.intent)")) == {"spam_sales"}
    assert page.evaluate("document.querySelectorAll('*').length") < 5_000
