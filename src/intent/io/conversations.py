"""Conversations, not just messages: what the other side of each conversation wants from the owner.

Each message of an export is labeled on its own; a person triaging an inbox thinks in
conversations. `ConversationCollector` gathers the labeled rows of an export by conversation
(every invitation is a conversation of its own) and `combine` turns the other party's
messages into one intent. The owner's own messages are labeled too, but never decide what a
conversation is: the question is what the *other* side wants.

The combination rule, and why (`combine`):

1. **Only the other party's messages count.** Lucía's "no estamos buscando proveedores" is
   her answer, not what Rodrigo wants: a pitch the owner refused is still a pitch. Drafts and
   empty messages do not count either.
2. **A confident pitch decides**, whatever came before it: salespeople open with small talk
   ("vi tu perfil, me encantaría conectar") and pitch in the second message, so friendly
   messages before a pitch do not dilute it. A follow-up ("¿pudiste ver mi propuesta?") is
   usually short and doubtful, so it does not undo the pitch either.
3. **Unless the thread really moved on:** if every message the other party sent after their
   last pitch is confidently `genuine_networking`, the conversation is `genuine_networking`,
   flagged ``uncertain`` so a person checks a thread that changed its nature.
4. **Otherwise, the latest stance counts most:** the other party's probabilities are averaged,
   each message weighing twice the one before it. The last message outweighs all earlier ones
   together when it is clear, but a doubtful last message (flat probabilities) lets the
   earlier, clearer ones decide. Someone who asked "¿quién eres?" and then "¡ah, del máster!
   encantada" is now a contact; someone who chatted and then said "ahora no puedo" closed
   the door.
5. **``uncertain``** when the combined confidence is under the model's threshold, when none of
   the other party's messages was confident on its own (e.g. all in another language), or
   when their confident messages disagree (other than small talk before a pitch).

`awaiting_reply` is true when the other party wrote last and wants a genuine contact, and the
owner has not written to them since, in this conversation or in another one (LinkedIn
sometimes starts a new conversation for a reply). Drafts are not replies.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final

from intent.config import LABELS
from intent.io.csv_io import CsvWriter
from intent.io.dates import When
from intent.io.excel_es import SpanishExcel
from intent.io.owner import INVITATION_KIND, Person, Thread

SPAM, GENUINE = "spam_sales", "genuine_networking"
#: How much more each message of the other party weighs than the one before it (rule 4).
RECENCY_FACTOR: Final = 2.0

#: Columns the per-message output gains for an export.
THREAD_COLUMNS: Final = ("conversation_id", "direction", "owner")
#: Columns of the conversation table (`intent classify --conversations`).
CONVERSATION_COLUMNS: Final = (
    "conversation_id",
    "kind",
    "other_party",
    "other_party_profile",
    "first_date",
    "last_date",
    "messages_in",
    "messages_out",
    "drafts",
    "intent",
    "confidence",
    "uncertain",
    *(f"proba_{label}" for label in LABELS),
    "last_from",
    "awaiting_reply",
    "status",
    "rule",
    "title",
)


@dataclass(frozen=True, slots=True)
class Scored:
    """One message of the other party, as the model saw it."""

    label: str
    probabilities: tuple[float, ...]  # in LABELS order
    uncertain: bool


@dataclass(frozen=True)
class Combined:
    intent: str
    confidence: float
    uncertain: bool
    probabilities: tuple[float, ...]
    rule: str  # "pitch" | "pitch_then_genuine" | "recency" (which part of the rule decided)


def combine(messages: Sequence[Scored], threshold: float) -> Combined | None:
    """What the other party wants, from their labeled messages in time order (see the module's rule)."""
    if not messages:
        return None
    pitches = [i for i, m in enumerate(messages) if m.label == SPAM and not m.uncertain]
    if pitches:
        after = messages[pitches[-1] + 1 :]
        if after and all(m.label == GENUINE and not m.uncertain for m in after):
            probs = _recency_mean(after)
            return Combined(GENUINE, probs[LABELS.index(GENUINE)], True, probs, "pitch_then_genuine")
        strongest = max((messages[i] for i in pitches), key=lambda m: m.probabilities[LABELS.index(SPAM)])
        confidence = strongest.probabilities[LABELS.index(SPAM)]
        changed = any(not m.uncertain and m.label != SPAM for m in after)
        return Combined(SPAM, confidence, changed or confidence < threshold, strongest.probabilities, "pitch")
    probs = _recency_mean(messages)
    best = max(range(len(LABELS)), key=lambda i: probs[i])
    confident = {m.label for m in messages if not m.uncertain}
    uncertain = probs[best] < threshold or not confident or len(confident) > 1
    return Combined(LABELS[best], probs[best], uncertain, probs, "recency")


def _recency_mean(messages: Sequence[Scored]) -> tuple[float, ...]:
    weights = [RECENCY_FACTOR**i for i in range(len(messages))]
    total = sum(weights)
    return tuple(
        sum(w * m.probabilities[j] for w, m in zip(weights, messages, strict=True)) / total for j in range(len(LABELS))
    )


@dataclass(frozen=True)
class Conversation:
    """One conversation (or invitation) of an export, and what the other party wants in it.

    Attributes
    ----------
    conversation_id: LinkedIn's CONVERSATION ID; invitations get ``inv-…`` (stable for the same people and date).
    kind: ``conversation`` (messages.csv) or ``invitation`` (Invitations.csv).
    other_party: everyone in it but the owner (several in a group conversation).
    other_party_profile: their profile URLs, where the export gives them.
    first_date, last_date: ISO 8601 (``2026-10-02 09:14:51``), drafts left out; None if no date could be read.
    messages_in, messages_out: messages from the other party, and sent by the owner (drafts apart).
    drafts: the owner's unsent drafts in it.
    intent: what the other party wants (see `combine`); None when they wrote nothing to classify.
    confidence, probabilities: of that intent, combined over the other party's messages.
    uncertain: a person should check it (low confidence, disagreeing messages, or no confident message).
    last_from: ``other_party`` or ``owner``: who sent the last message (drafts apart); None if nobody did.
    awaiting_reply: the other party wrote last, wants a genuine contact, and the owner has not written to them since.
    status: ``ok``; ``no_text`` (the other party wrote nothing to classify, e.g. an invitation without a note);
        ``no_incoming`` (only the owner wrote: a message or invitation not answered yet).
    rule: which part of the combination rule decided: ``pitch``, ``pitch_then_genuine``, ``recency`` or "".
    title: LinkedIn's CONVERSATION TITLE (group conversations, sponsored messages).
    message_rows: positions (0-based, in reading order) of its rows in the per-message output, oldest first.
    """

    conversation_id: str
    kind: str
    other_party: tuple[str, ...]
    other_party_profile: tuple[str, ...]
    first_date: str | None
    last_date: str | None
    messages_in: int
    messages_out: int
    drafts: int
    intent: str | None
    confidence: float | None
    uncertain: bool
    probabilities: dict[str, float] | None
    last_from: str | None
    awaiting_reply: bool
    status: str
    rule: str
    title: str
    message_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class Sender:
    """Someone who wrote to the owner: how many of their messages fall under each intent."""

    name: str
    profile: str
    counts: dict[str, int]  # per label, plus "no_text"
    messages: int
    conversations: int


@dataclass(slots=True)
class _Item:
    """A message as the collector keeps it: no text, no names, just what ordering and combining need."""

    order: int
    row: int
    sort_key: int | None  # see `intent.io.dates.When.sort_key`
    direction: str
    draft: bool
    label: str | None
    probabilities: tuple[float, ...] | None
    uncertain: bool
    sender: str = ""  # the sender's key in the collector's senders, for an incoming message

    @property
    def scored(self) -> Scored | None:
        if self.label is None or self.probabilities is None:
            return None
        return Scored(self.label, self.probabilities, self.uncertain)


@dataclass(slots=True)
class _Acc:
    kind: str
    title: str
    first_seen: int
    others: dict[str, Person] = field(default_factory=dict)
    items: list[_Item] = field(default_factory=list)


class ConversationCollector:
    """Gathers an export's labeled rows by conversation; memory is a few numbers per message."""

    def __init__(self) -> None:
        self._convs: dict[str, _Acc] = {}
        self._senders: dict[str, tuple[Person, Counter[str], set[str]]] = {}
        self._written_to: dict[str, int] = {}  # person key -> when the owner last wrote to them (a sort key)
        self._n = 0

    def add(
        self,
        thread: Thread,
        label: str | None,
        probabilities: tuple[float, ...] | None,
        uncertain: bool,
        row: int | None = None,
    ) -> None:
        """Add one labeled row (label None: nothing to classify); ``row``: its position in the per-message output."""
        acc = self._convs.get(thread.conversation_id)
        if acc is None:
            kind = "invitation" if thread.kind == INVITATION_KIND else "conversation"
            acc = self._convs[thread.conversation_id] = _Acc(kind, thread.title, self._n)
        for person in thread.others:
            acc.others.setdefault(person.key, person)
        if thread.title and not acc.title:
            acc.title = thread.title
        sort_key = thread.when.sort_key if thread.when else None
        position = self._n if row is None else row
        incoming = thread.direction == "incoming" and thread.sender is not None and bool(thread.sender.key)
        sender = thread.sender.key if incoming and thread.sender is not None else ""
        acc.items.append(
            _Item(self._n, position, sort_key, thread.direction, thread.draft, label, probabilities, uncertain, sender)
        )
        self._n += 1
        if incoming and thread.sender is not None:
            person, counts, convs = self._senders.setdefault(sender, (thread.sender, Counter(), set()))
            counts[label or "no_text"] += 1
            convs.add(thread.conversation_id)
        elif thread.direction == "outgoing" and not thread.draft and sort_key is not None:
            for person in thread.others:
                if self._written_to.get(person.key, -1) < sort_key:
                    self._written_to[person.key] = sort_key

    def conversations(self, threshold: float) -> list[Conversation]:
        """One `Conversation` per conversation and invitation, the most recent first."""
        out = [self._conversation(cid, acc, threshold) for cid, acc in self._convs.items()]
        firsts = {cid: acc.first_seen for cid, acc in self._convs.items()}
        out.sort(key=lambda c: firsts[c.conversation_id])
        out.sort(key=lambda c: c.last_date or "", reverse=True)  # ISO dates sort as text; undated ones last
        return out

    def rescored(self, results: Sequence[tuple[str | None, tuple[float, ...] | None, bool]]) -> ConversationCollector:
        """The same conversations with every message labeled anew: ``results[row]`` is (label, probabilities,
        uncertain) for the row at that position, e.g. from another model. Senders' counts follow."""
        other = ConversationCollector()
        other._n, other._written_to = self._n, self._written_to
        other._senders = {key: (person, Counter(), convs) for key, (person, _, convs) in self._senders.items()}
        for cid, acc in self._convs.items():
            items = []
            for i in acc.items:
                label, probabilities, uncertain = results[i.row]
                items.append(dataclasses.replace(i, label=label, probabilities=probabilities, uncertain=uncertain))
                if i.sender:
                    other._senders[i.sender][1][label or "no_text"] += 1
            other._convs[cid] = _Acc(acc.kind, acc.title, acc.first_seen, acc.others, items)
        return other

    def senders(self) -> list[Sender]:
        """Everyone who wrote to the owner, the most messages first."""
        out = [
            Sender(person.name or person.profile, person.profile, dict(counts), sum(counts.values()), len(convs))
            for person, counts, convs in self._senders.values()
        ]
        return sorted(out, key=lambda s: (-s.messages, s.name.casefold()))

    def _conversation(self, cid: str, acc: _Acc, threshold: float) -> Conversation:
        # Time order; undated rows keep their reading order, before dated ones.
        items = sorted(acc.items, key=lambda i: (i.sort_key is not None, i.sort_key or 0, i.order))
        incoming = [i for i in items if i.direction == "incoming"]
        sent = [i for i in items if i.direction == "outgoing" and not i.draft]
        combined = combine([s for s in (i.scored for i in incoming) if s is not None], threshold)
        status = "no_incoming" if not incoming else "no_text" if combined is None else "ok"
        spoken = [i for i in items if i.direction in ("incoming", "outgoing") and not i.draft]
        last = spoken[-1] if spoken else None
        last_from = None if last is None else "other_party" if last.direction == "incoming" else "owner"
        dated = [i.sort_key for i in (spoken or items) if i.sort_key is not None]
        awaiting = (
            combined is not None
            and combined.intent == GENUINE
            and last_from == "other_party"
            and not self._answered_elsewhere(acc, last)
        )
        others = list(acc.others.values())
        return Conversation(
            conversation_id=cid,
            kind=acc.kind,
            other_party=tuple(p.name or p.profile for p in others),
            other_party_profile=tuple(p.profile for p in others if p.profile),
            first_date=When.iso_of(min(dated)) if dated else None,
            last_date=When.iso_of(max(dated)) if dated else None,
            messages_in=len(incoming),
            messages_out=len(sent),
            drafts=sum(i.draft for i in items),
            intent=combined.intent if combined else None,
            confidence=combined.confidence if combined else None,
            uncertain=combined.uncertain if combined else False,
            probabilities=dict(zip(LABELS, combined.probabilities, strict=True)) if combined else None,
            last_from=last_from,
            awaiting_reply=awaiting,
            status=status,
            rule=combined.rule if combined else "",
            title=acc.title,
            message_rows=tuple(i.row for i in items),
        )

    def _answered_elsewhere(self, acc: _Acc, last: _Item | None) -> bool:
        if last is None or last.sort_key is None:
            return False
        return any(self._written_to.get(key, -1) > last.sort_key for key in acc.others)


# ---- the conversation table --------------------------------------------------------------


def conversation_record(c: Conversation) -> dict[str, Any]:
    """A conversation as one JSON-ready record with the table's columns."""
    probs = c.probabilities or {}
    return {
        "conversation_id": c.conversation_id,
        "kind": c.kind,
        "other_party": "; ".join(c.other_party),
        "other_party_profile": " ".join(c.other_party_profile),
        "first_date": c.first_date,
        "last_date": c.last_date,
        "messages_in": c.messages_in,
        "messages_out": c.messages_out,
        "drafts": c.drafts,
        "intent": c.intent,
        "confidence": None if c.confidence is None else round(c.confidence, 4),
        "uncertain": c.uncertain,
        **{f"proba_{label}": (round(probs[label], 4) if label in probs else None) for label in LABELS},
        "last_from": c.last_from,
        "awaiting_reply": c.awaiting_reply,
        "status": c.status,
        "rule": c.rule,
        "title": c.title,
    }


def write_conversations(
    fh: IO[str], conversations: Iterable[Conversation], fmt: str = "csv", excel: bool = False
) -> int:
    """Write the conversation table as CSV (for Excel in Spanish with ``excel``) or JSON Lines; returns rows."""
    n = 0
    if fmt == "jsonl":
        for c in conversations:
            fh.write(json.dumps(conversation_record(c), ensure_ascii=False) + "\n")
            n += 1
        return n
    writer = CsvWriter(fh, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    spanish = SpanishExcel(dict(enumerate(CONVERSATION_COLUMNS))) if excel else None  # for people, in Spanish
    writer.writerow(spanish.header(CONVERSATION_COLUMNS) if spanish else CONVERSATION_COLUMNS)
    for c in conversations:
        record = conversation_record(c)
        cells = [_cell(record[col]) for col in CONVERSATION_COLUMNS]
        writer.writerow(spanish.row(cells) if spanish else cells)
        n += 1
    return n


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


# ---- the summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationSummary:
    """Counts for the end of a run: no names, no text (safe for any log)."""

    conversations: int
    invitations: int
    by_intent: dict[str, int]  # per label, plus "no_text" and "no_incoming"
    awaiting_reply: int

    @classmethod
    def of(cls, conversations: Sequence[Conversation]) -> ConversationSummary:
        by_intent: Counter[str] = Counter()
        for c in conversations:
            by_intent[c.intent or c.status] += 1
        return cls(
            conversations=sum(c.kind == "conversation" for c in conversations),
            invitations=sum(c.kind == "invitation" for c in conversations),
            by_intent={k: by_intent[k] for k in (*LABELS, "no_text", "no_incoming")},
            awaiting_reply=sum(c.awaiting_reply for c in conversations),
        )

    def format(self) -> str:
        counts = " · ".join(f"{label} {self.by_intent[label]:,}" for label in LABELS)
        quiet = (
            f"nothing to classify from them {self.by_intent['no_text']:,} · "
            f"only you wrote {self.by_intent['no_incoming']:,}"
        )
        return "\n".join(
            [
                f"  {self.conversations + self.invitations:,} conversations ({self.conversations:,} in messages, "
                f"{self.invitations:,} invitations), by what the other side wants:",
                f"    {counts} · {quiet}",
                f"  genuine conversations awaiting your reply: {self.awaiting_reply:,}",
            ]
        )


def top_pitchers(senders: Iterable[Sender], n: int = 5) -> list[tuple[str, int]]:
    """The senders with the most `spam_sales` messages (at least one), most first."""
    pitched = [(s.name, s.counts.get(SPAM, 0)) for s in senders if s.counts.get(SPAM, 0)]
    return sorted(pitched, key=lambda p: (-p[1], p[0].casefold()))[:n]
