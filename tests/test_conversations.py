"""Conversations: the combination rule on fixed probabilities, and an export's variations end to end (stub model)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from intent.config import LABELS
from intent.errors import DataError
from intent.io.batch import PREDICTION_COLUMNS, BatchOptions, classify_conversations, classify_file
from intent.io.conversations import (
    CONVERSATION_COLUMNS,
    THREAD_COLUMNS,
    Conversation,
    ConversationSummary,
    Scored,
    Sender,
    combine,
    top_pitchers,
    write_conversations,
)

THRESHOLD = 0.6
SPAM, GENUINE, REJECTION = LABELS


def scored(*probs: float, uncertain: bool | None = None) -> Scored:
    best = max(range(3), key=lambda i: probs[i])
    return Scored(LABELS[best], tuple(probs), probs[best] < THRESHOLD if uncertain is None else uncertain)


PITCH = scored(0.9, 0.05, 0.05)
CHAT = scored(0.1, 0.85, 0.05)
NO = scored(0.05, 0.1, 0.85)


# ---- the rule, on fixed probabilities -------------------------------------------------------


def test_nothing_to_combine() -> None:
    assert combine([], THRESHOLD) is None


def test_one_message_is_the_conversation() -> None:
    c = combine([CHAT], THRESHOLD)
    assert c is not None and (c.intent, c.confidence, c.uncertain, c.rule) == (GENUINE, 0.85, False, "recency")


def test_small_talk_then_a_pitch_is_a_pitch() -> None:
    c = combine([CHAT, PITCH], THRESHOLD)
    assert c is not None and (c.intent, c.confidence, c.uncertain, c.rule) == (SPAM, 0.9, False, "pitch")


def test_a_pitch_with_a_doubtful_follow_up_stays_a_pitch() -> None:
    follow_up = scored(0.35, 0.5, 0.15)  # "¿pudiste ver mi propuesta?"
    c = combine([PITCH, follow_up], THRESHOLD)
    assert c is not None and (c.intent, c.uncertain) == (SPAM, False)
    # the strongest pitch gives the confidence and the probabilities
    c = combine([scored(0.7, 0.2, 0.1), PITCH, follow_up], THRESHOLD)
    assert c is not None and c.confidence == 0.9 and c.probabilities == PITCH.probabilities


def test_a_thread_that_moved_on_after_the_pitch_is_genuine_but_flagged() -> None:
    c = combine([PITCH, CHAT, scored(0.05, 0.9, 0.05)], THRESHOLD)
    assert c is not None and (c.intent, c.uncertain, c.rule) == (GENUINE, True, "pitch_then_genuine")
    assert c.confidence == pytest.approx((1 * 0.85 + 2 * 0.9) / 3)  # only the messages after the pitch
    # not all later messages confidently genuine: still a pitch, flagged since a later message disagreed
    c = combine([PITCH, CHAT, scored(0.3, 0.5, 0.2)], THRESHOLD)
    assert c is not None and (c.intent, c.uncertain, c.rule) == (SPAM, True, "pitch")
    # a later pitch starts again
    c = combine([PITCH, CHAT, PITCH], THRESHOLD)
    assert c is not None and (c.intent, c.uncertain) == (SPAM, False)


def test_a_doubtful_pitch_does_not_decide() -> None:
    c = combine([scored(0.55, 0.4, 0.05), CHAT], THRESHOLD)
    assert c is not None and c.intent == GENUINE and c.rule == "recency"
    assert c.confidence == pytest.approx((0.4 + 2 * 0.85) / 3) and not c.uncertain


def test_the_latest_stance_weighs_most_and_confident_disagreement_is_flagged() -> None:
    c = combine([NO, CHAT], THRESHOLD)  # "¿quién eres?" then "¡ah, del máster! encantada"
    assert c is not None and c.intent == GENUINE and c.uncertain
    assert c.probabilities == pytest.approx(((0.05 + 0.2) / 3, (0.1 + 1.7) / 3, (0.85 + 0.1) / 3))
    c = combine([CHAT, NO], THRESHOLD)  # chatted, then closed the door
    assert c is not None and c.intent == REJECTION and c.uncertain


def test_a_flat_last_message_lets_the_earlier_clear_ones_decide() -> None:
    c = combine([CHAT, CHAT, scored(0.3, 0.3, 0.4)], THRESHOLD)
    assert c is not None and c.intent == GENUINE
    assert c.confidence == pytest.approx((0.85 + 2 * 0.85 + 4 * 0.3) / 7)


def test_uncertain_at_the_threshold_boundary_and_when_nothing_was_confident() -> None:
    at = combine([scored(0.6, 0.3, 0.1)], THRESHOLD)
    under = combine([scored(0.3, 0.59, 0.11)], THRESHOLD)
    assert at is not None and not at.uncertain
    assert under is not None and under.uncertain
    foreign = combine([scored(0.05, 0.95, 0.0, uncertain=True)], THRESHOLD)  # e.g. in English: flagged on its own
    assert foreign is not None and foreign.intent == GENUINE and foreign.confidence == 0.95 and foreign.uncertain


# ---- an export, end to end, with a stub model --------------------------------------------

HEADER = [
    "CONVERSATION ID",
    "CONVERSATION TITLE",
    "FROM",
    "SENDER PROFILE URL",
    "TO",
    "RECIPIENT PROFILE URLS",
    "DATE",
    "SUBJECT",
    "CONTENT",
    "FOLDER",
    "IS MESSAGE DRAFT",
]
U = "https://www.linkedin.com/in/"
LUCIA = ("Lucía Ferrer", f"{U}lucia")

# Each text has fixed probabilities (spam, networking, rejection); the stub flags below 0.6.
TEXTS: dict[str, tuple[float, float, float]] = {
    "¿15 minutos para una demo de nuestro CRM?": (0.95, 0.03, 0.02),
    "No estamos buscando proveedores, gracias.": (0.02, 0.08, 0.9),
    "Me encantó tu charla, ¿café virtual?": (0.05, 0.9, 0.05),
    "¡Claro, Marta! Te escribo y lo cuadramos.": (0.02, 0.9, 0.08),
    "¿Os animáis a contar un caso en el encuentro?": (0.05, 0.9, 0.05),
    "¡Me apunto! Lucía, ¿lo preparamos juntas?": (0.1, 0.8, 0.1),
    "Tenemos una posición abierta que encaja contigo.": (0.2, 0.75, 0.05),
    "Gracias Andrés, me interesa, ¿llamada el viernes?": (0.02, 0.93, 0.05),
    "Webinar gratuito: duplica tus leads": (0.97, 0.02, 0.01),
    "Automatizamos tu prospección, ¿te paso precios?": (0.92, 0.05, 0.03),
    "No, gracias.": (0.05, 0.05, 0.9),
    "Entendido. Por cierto, ¿coincidimos en el máster de Valencia?": (0.1, 0.85, 0.05),
    "¿Conectamos? Leí tu artículo sobre agro.": (0.05, 0.9, 0.05),
    "Oportunidad única\n\nGana dinero desde casa": (0.99, 0.005, 0.005),
}


def msg(cid: str, frm: tuple[str, str], to: list[tuple[str, str]], date: str, content: str, **kw: str) -> list[str]:
    return [
        cid,
        kw.get("title", ""),
        frm[0],
        frm[1],
        ", ".join(t[0] for t in to),
        ",".join(t[1] for t in to),
        date,
        kw.get("subject", ""),
        content,
        "INBOX",
        kw.get("draft", "No"),
    ]


def write_export(folder: Path) -> Path:
    rodrigo, marta, javier, paula = (
        ("Rodrigo", f"{U}rodrigo"),
        ("Marta", f"{U}marta"),
        ("Javier", f"{U}javier"),
        ("Paula", f"{U}paula"),
    )
    andres, nuria, sergio, kevin = ("Andrés", f"{U}andres"), ("Nuria", ""), ("Sergio", f"{U}sergio"), ("Kevin", "")
    rows = [  # newest first within a conversation, as LinkedIn writes them
        msg("c-rod", LUCIA, [rodrigo], "2026-10-02 11:40:03 UTC", "No estamos buscando proveedores, gracias."),
        msg("c-rod", rodrigo, [LUCIA], "2026-10-02 09:14:51 UTC", "¿15 minutos para una demo de nuestro CRM?"),
        msg("c-marta", marta, [LUCIA], "2026-10-05 17:02:12 UTC", "Me encantó tu charla, ¿café virtual?"),
        msg("c-marta-2", LUCIA, [marta], "2026-10-05 19:30:44 UTC", "¡Claro, Marta! Te escribo y lo cuadramos."),
        msg(
            "c-group",
            paula,
            [LUCIA, javier],
            "2026-10-24 12:31:02 UTC",
            "¡Me apunto! Lucía, ¿lo preparamos juntas?",
            title="Encuentro B2B",
        ),
        msg(
            "c-group",
            javier,
            [LUCIA, paula],
            "2026-10-24 10:05:33 UTC",
            "¿Os animáis a contar un caso en el encuentro?",
            title="Encuentro B2B",
        ),
        msg(
            "c-andres",
            LUCIA,
            [andres],
            "2026-10-15 21:02:18 UTC",
            "Gracias Andrés, me interesa, ¿llamada el viernes?",
            draft="Yes",
        ),
        msg("c-andres", andres, [LUCIA], "2026-10-14 15:21:37 UTC", "Tenemos una posición abierta que encaja contigo."),
        msg("c-nuria", nuria, [LUCIA], "2026-10-25 08:00:00 UTC", "", subject="Webinar gratuito: duplica tus leads"),
        msg(
            "c-sergio",
            sergio,
            [LUCIA],
            "2026-10-11 10:00:00 UTC",
            "Entendido. Por cierto, ¿coincidimos en el máster de Valencia?",
        ),
        msg("c-sergio", LUCIA, [sergio], "2026-10-10 18:00:00 UTC", "No, gracias."),
        msg("c-sergio", sergio, [LUCIA], "2026-10-10 09:00:00 UTC", "Automatizamos tu prospección, ¿te paso precios?"),
        msg(
            "c-kevin", kevin, [LUCIA], "2026-10-09 08:05:00 UTC", "Gana dinero desde casa", subject="Oportunidad única"
        ),
        msg(
            "c-kevin", kevin, [LUCIA], "2026-10-09 08:06:00 UTC", "Gana dinero desde casa", subject="Oportunidad única"
        ),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "messages.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    (folder / "Invitations.csv").write_text(
        "From,To,Sent At,Message,Direction\n"
        'Lucía Ferrer,Héctor,"10/12/26, 6:30 PM","¿Conectamos? Leí tu artículo sobre agro.",OUTGOING\n'
        'Pablo,Lucía Ferrer,"10/7/26, 11:02 AM",,INCOMING\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "export")


@pytest.fixture
def conversations(export: Path, stub_model: Any) -> dict[str, Conversation]:
    found = classify_conversations(export, model=stub_model(TEXTS))
    return {c.conversation_id if c.kind == "conversation" else c.other_party[0]: c for c in found}


def test_a_refused_pitch_is_a_pitch_and_the_owner_wrote_last(conversations: dict[str, Conversation]) -> None:
    c = conversations["c-rod"]
    assert (c.intent, c.rule, c.uncertain) == (SPAM, "pitch", False)
    assert (c.messages_in, c.messages_out, c.last_from, c.awaiting_reply) == (1, 1, "owner", False)
    assert (c.first_date, c.last_date) == ("2026-10-02 09:14:51", "2026-10-02 11:40:03")
    assert c.other_party == ("Rodrigo",) and c.other_party_profile == (f"{U}rodrigo",)
    assert c.confidence == 0.95 and c.probabilities == dict(zip(LABELS, (0.95, 0.03, 0.02), strict=True))


def test_a_genuine_message_answered_in_another_conversation_is_not_awaiting(
    conversations: dict[str, Conversation],
) -> None:
    asked, answered = conversations["c-marta"], conversations["c-marta-2"]
    assert (asked.intent, asked.last_from, asked.awaiting_reply) == (GENUINE, "other_party", False)
    assert (answered.status, answered.intent, answered.messages_out) == ("no_incoming", None, 1)


def test_a_group_conversation_combines_every_other_party(conversations: dict[str, Conversation]) -> None:
    c = conversations["c-group"]
    assert c.other_party == ("Paula", "Javier") or c.other_party == ("Javier", "Paula")
    assert set(c.other_party_profile) == {f"{U}paula", f"{U}javier"} and c.title == "Encuentro B2B"
    assert (c.intent, c.messages_in, c.messages_out, c.awaiting_reply) == (GENUINE, 2, 0, True)


def test_a_draft_is_not_a_reply(conversations: dict[str, Conversation]) -> None:
    c = conversations["c-andres"]
    assert (c.drafts, c.messages_out, c.last_from, c.awaiting_reply) == (1, 0, "other_party", True)
    assert c.last_date == "2026-10-14 15:21:37"  # the draft's date is not the conversation's


def test_a_message_with_only_a_subject_is_read_from_its_subject(conversations: dict[str, Conversation]) -> None:
    c = conversations["c-nuria"]
    assert (c.intent, c.status, c.other_party, c.other_party_profile) == (SPAM, "ok", ("Nuria",), ())


def test_a_genuine_exchange_after_a_refused_pitch_is_genuine_and_flagged(
    conversations: dict[str, Conversation],
) -> None:
    c = conversations["c-sergio"]  # rows were newest first: ordered by date before combining
    assert (c.intent, c.uncertain, c.rule) == (GENUINE, True, "pitch_then_genuine")
    assert (c.messages_in, c.messages_out, c.last_from, c.awaiting_reply) == (2, 1, "other_party", True)


def test_invitations_outgoing_and_without_a_note(conversations: dict[str, Conversation]) -> None:
    sent, empty = conversations["Héctor"], conversations["Pablo"]
    assert (sent.kind, sent.status, sent.intent, sent.messages_out, sent.last_from) == (
        "invitation",
        "no_incoming",
        None,
        1,
        "owner",
    )
    assert (empty.status, empty.intent, empty.messages_in, empty.uncertain, empty.awaiting_reply) == (
        "no_text",
        None,
        1,
        False,
        False,
    )
    assert sent.first_date == "2026-10-12 18:30:00"


def test_conversations_come_most_recent_first_with_their_rows_oldest_first(export: Path, stub_model: Any) -> None:
    found = classify_conversations(export, model=stub_model(TEXTS))
    dates = [c.last_date for c in found]
    assert dates == sorted(dates, reverse=True) and len(found) == 10
    rodrigo = next(c for c in found if c.conversation_id == "c-rod")
    assert rodrigo.message_rows == (1, 0)  # the pitch (second row read) came first


def test_per_message_output_gains_conversation_direction_and_owner(
    export: Path, stub_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import intent.api

    monkeypatch.setattr(intent.api, "load_model", lambda path=None: stub_model(TEXTS))
    out = tmp_path / "messages.csv"
    summary = classify_file(str(export), out, Path("stub"), BatchOptions())
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert list(rows[0])[: len(HEADER) + 1] == ["source_file", *HEADER]
    n = len(PREDICTION_COLUMNS)
    assert list(rows[0])[-n - 3 : -n] == list(THREAD_COLUMNS)  # after the input's columns, before ours
    assert {r["owner"] for r in rows} == {"Lucía Ferrer"}
    assert [r["direction"] for r in rows[:2]] == ["outgoing", "incoming"]
    assert rows[0]["intent"] == REJECTION  # the owner's own message is still labeled
    assert rows[-2]["direction"] == "outgoing" and rows[-2]["conversation_id"].startswith("inv-")
    assert summary.owner is not None and summary.conversations is not None and len(summary.conversations) == 10
    # the summary: counts only in format(); names only in format_people()
    text = summary.format("out.csv")
    # what the others want: Rodrigo's pitch counts, Lucía's own messages (her refusal too) do not
    assert "from others: spam_sales 5 · genuine_networking 5 · gatekeeping_rejection 0 · your own messages 5" in text
    assert "10 conversations (8 in messages, 2 invitations)" in text
    assert "spam_sales 3 · genuine_networking 4 · gatekeeping_rejection 0" in text
    assert "awaiting your reply: 3" in text
    assert "Kevin" not in text and "Lucía" not in text
    people = summary.format_people()
    assert "export of Lucía Ferrer (the person in every conversation)" in people
    assert "pitched most: Kevin 2 · Nuria 1 · Rodrigo 1 · Sergio 1" in people


def test_conversation_table_csv_and_jsonl(
    export: Path, stub_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import intent.api

    monkeypatch.setattr(intent.api, "load_model", lambda path=None: stub_model(TEXTS))
    out = tmp_path / "conversaciones.csv"
    classify_file(str(export), out, Path("stub"), BatchOptions(), conversations=True)
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert list(rows[0]) == list(CONVERSATION_COLUMNS) and len(rows) == 10
    rod = next(r for r in rows if r["conversation_id"] == "c-rod")
    assert (rod["intent"], rod["last_from"], rod["awaiting_reply"], rod["messages_in"]) == (
        SPAM,
        "owner",
        "false",
        "1",
    )
    group = next(r for r in rows if r["conversation_id"] == "c-group")
    assert group["other_party"] in ("Paula; Javier", "Javier; Paula") and group["awaiting_reply"] == "true"
    out_jsonl = tmp_path / "c.jsonl"
    classify_file(str(export), out_jsonl, Path("stub"), BatchOptions(fmt="jsonl"), conversations=True)
    records = [json.loads(line) for line in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r["conversation_id"] for r in records] == [r["conversation_id"] for r in rows]
    assert isinstance(records[0]["awaiting_reply"], bool) and isinstance(records[0]["messages_in"], int)


def test_owner_given_and_owner_unknown(tmp_path: Path, stub_model: Any) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "messages.csv").write_text(
        'FROM,TO,DATE,CONTENT\nAna,Luis,2026-01-01,"No estamos buscando proveedores, gracias."\n'
        'Luis,Ana,2026-01-02,"Me encantó tu charla, ¿café virtual?"\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"cannot tell whose export.*'Ana' and 'Luis'.*--owner"):
        classify_conversations(folder, model=stub_model(TEXTS))
    (c,) = classify_conversations(folder, model=stub_model(TEXTS), owner="Ana")
    assert (c.intent, c.other_party, c.last_from, c.awaiting_reply) == (GENUINE, ("Luis",), "other_party", True)
    (c,) = classify_conversations(folder, model=stub_model(TEXTS), owner="luis")
    assert (c.intent, c.other_party, c.last_from, c.awaiting_reply) == (REJECTION, ("Ana",), "owner", False)


def test_conversations_need_linkedin_export(tmp_path: Path, stub_model: Any) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("text\nNo, gracias.\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"conversations needs LinkedIn's export.*plain\.csv is not"):
        classify_conversations(plain, model=stub_model(TEXTS))
    with pytest.raises(DataError, match=r"--owner needs LinkedIn's export"):
        classify_file(str(plain), tmp_path / "o.csv", Path("unused"), BatchOptions(owner="Ana"))


def test_per_message_run_of_an_export_without_owner_says_so(
    tmp_path: Path, stub_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import intent.api

    monkeypatch.setattr(intent.api, "load_model", lambda path=None: stub_model(TEXTS))
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "messages.csv").write_text('FROM,TO,DATE,CONTENT\nAna,Luis,2026-01-01,"No, gracias."\n', "utf-8")
    out = tmp_path / "o.csv"
    summary = classify_file(str(folder), out, Path("stub"), BatchOptions())
    (row,) = csv.DictReader(out.open(encoding="utf-8", newline=""))
    assert (row["direction"], row["owner"], row["conversation_id"][:4]) == ("unknown", "", "msg-")
    assert summary.conversations is None and "--owner" in summary.format("o.csv")


def test_summary_and_top_pitchers_count_only() -> None:
    def conv(intent: str | None, status: str, kind: str = "conversation", awaiting: bool = False) -> Conversation:
        return Conversation(
            "x", kind, (), (), None, None, 1, 0, 0, intent, None, False, None, None, awaiting, status, "", ""
        )

    summary = ConversationSummary.of(
        [
            conv(SPAM, "ok"),
            conv(GENUINE, "ok", awaiting=True),
            conv(None, "no_text", "invitation"),
            conv(None, "no_incoming"),
        ]
    )
    assert (summary.conversations, summary.invitations, summary.awaiting_reply) == (3, 1, 1)
    assert summary.by_intent == {SPAM: 1, GENUINE: 1, REJECTION: 0, "no_text": 1, "no_incoming": 1}
    senders = [
        Sender("Ana", "", {SPAM: 2}, 2, 1),
        Sender("Bea", "", {GENUINE: 3}, 3, 1),
        Sender("ana", "", {SPAM: 2}, 2, 2),
    ]
    assert top_pitchers(senders) == [("Ana", 2), ("ana", 2)]
    assert top_pitchers(senders, n=1) == [("Ana", 2)]


def test_write_conversations_escapes_formulas_and_quotes_line_breaks() -> None:
    c = Conversation(
        "=HYPERLINK(1)",
        "conversation",
        ("@Ana", "Luis"),
        (),
        None,
        None,
        0,
        0,
        0,
        None,
        None,
        False,
        None,
        None,
        False,
        "no_incoming",
        "",
        "Título\r\nlargo",
    )
    out = io.StringIO(newline="")
    assert write_conversations(out, [c]) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert len(rows) == 2 and rows[1][0] == "'=HYPERLINK(1)" and rows[1][2] == "'@Ana; Luis"
    assert rows[1][-1] == "Título\r\nlargo"
    excel = io.StringIO(newline="")
    write_conversations(excel, [c], excel=True)
    assert excel.getvalue().startswith("id de la conversación;tipo;") and "\r\n" in excel.getvalue()
    spanish = list(csv.reader(io.StringIO(excel.getvalue(), newline=""), delimiter=";"))[1]
    assert spanish[0] == "'=HYPERLINK(1)" and "solo escribiste tú" in spanish and spanish[-1] == "Título\r\nlargo"


class _Rows:
    """Observer: each row's (label, probabilities, uncertain), in output order."""

    def __init__(self) -> None:
        self.results: list[tuple[str | None, tuple[float, ...] | None, bool]] = []

    def progress(self, done_bytes: int, total_bytes: int) -> None:
        pass

    def row(self, source: str, text: str, values: dict[str, str], result: Any, thread: Any) -> None:
        self.results.append((result[0], result[3], result[2]))


def test_rescoring_with_another_models_labels_is_classifying_with_that_model(
    export: Path, stub_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import intent.api

    # another model: every text's probabilities rotated (spam -> networking -> rejection -> spam)
    other = {text: (p[2], p[0], p[1]) for text, p in TEXTS.items()}
    models = iter([stub_model(TEXTS), stub_model(other)])
    monkeypatch.setattr(intent.api, "load_model", lambda path=None: next(models))
    first = classify_file(str(export), tmp_path / "a.csv", Path("stub"), BatchOptions())
    rows = _Rows()
    second = classify_file(str(export), tmp_path / "b.csv", Path("stub"), BatchOptions(), observer=rows)
    assert first.collector is not None and first.threshold == 0.6
    assert first.conversations != second.conversations  # the two models disagree
    rescored = first.collector.rescored(rows.results)
    assert rescored.conversations(0.6) == second.conversations
    assert rescored.senders() == second.senders
    # and the original is untouched: the same labels give the same conversations back
    assert first.collector.conversations(0.6) == first.conversations
