"""Whose export it is, and who wrote each of its messages to whom.

LinkedIn's export holds the owner's own messages beside everyone else's, and says whose they
are only indirectly: the owner is the one person in every conversation (as sender or
recipient), ``Invitations.csv`` says ``INCOMING`` or ``OUTGOING``, and a draft or a ``SENT``
folder can only be the owner's. `OwnerFinder` weighs that evidence; ``--owner`` overrides it.
`Threader` then gives each row its conversation, its direction and its people.

People are matched by profile URL when both sides have one, else by name (accents, case and
spacing ignored): old exports and ``Invitations.csv`` carry names only.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote

from intent.errors import DataError
from intent.io.dates import When, parse_date

#: The layouts (see `intent.io.linkedin.Layout.kind`) whose rows are messages between people.
MESSAGE_KIND: Final = "linkedin_messages"
INVITATION_KIND: Final = "linkedin_invitations"
LINKEDIN_KINDS: Final = frozenset({MESSAGE_KIND, INVITATION_KIND})
DIRECTIONS: Final = ("incoming", "outgoing", "unknown")
#: Folders only the owner's own messages sit in (LinkedIn files sent messages under INBOX, older exports under SENT).
OWNER_FOLDERS: Final = frozenset({"sent", "draft", "drafts"})
_YES: Final = frozenset({"yes", "true", "1", "sí", "si"})
# A piece of a comma-joined TO that is a credential, not a name: "Jane Doe, Ph.D.", "Ana Ruiz, MBA".
_SUFFIX = re.compile(r"^(?:[^\s]+\.|[A-ZÁÉÍÓÚÑ]{2,6}\.?)$")


@functools.lru_cache(maxsize=1 << 16)  # the same few names come back on every row
def name_key(name: str) -> str:
    """A name as compared: no accents, no case, single spaces (``Lucía  FERRER`` = ``lucia ferrer``)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(folded.casefold().split())


@functools.lru_cache(maxsize=1 << 16)
def profile_key(url: str) -> str:
    """A profile URL as compared: no scheme, ``www.``, query, trailing slash or percent-escapes."""
    url = unquote(url.strip()).casefold()
    url = re.sub(r"^[a-z]+://", "", url)
    url = url.removeprefix("www.")
    return re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")


def looks_like_profile(value: str) -> bool:
    return "linkedin.com/" in value.casefold() or value.strip().casefold().startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    profile: str = ""

    @property
    def key(self) -> str:
        """Who this is, for counting: the name when there is one (exports always give one), else the URL."""
        return name_key(self.name) or profile_key(self.profile)


def split_people(names: str, profiles: str = "") -> tuple[Person, ...]:
    """The recipients of a row: LinkedIn joins names with ", " and profile URLs with ","."""
    urls = [u for u in re.split(r"[,\s]+", profiles.strip()) if u]
    pieces = [p.strip() for p in names.split(",") if p.strip()]
    people: list[str] = []
    for piece in pieces:
        if people and (_SUFFIX.match(piece) or (urls and len(pieces) > len(urls) and " " not in piece)):
            people[-1] = f"{people[-1]}, {piece}"  # "Jane Doe, Ph.D." is one person
        else:
            people.append(piece)
    if len(urls) == len(people):
        return tuple(Person(n, u) for n, u in zip(people, urls, strict=True))
    if not people:
        return tuple(Person("", u) for u in urls)
    return tuple(Person(n) for n in people)


class _Fields:
    """Reads a row's columns by their lowercase names, whatever case the file used."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, ...], dict[str, str]] = {}

    def __call__(self, values: dict[str, str]) -> dict[str, str]:
        keys = tuple(values)
        by_lower = self._cache.get(keys)
        if by_lower is None:
            by_lower = self._cache[keys] = {k.strip().lower(): k for k in keys}
        return {low: values[k] for low, k in by_lower.items()}


@dataclass(frozen=True, slots=True)
class ExportRow:
    """What a row of messages.csv or Invitations.csv says about its people, before the owner is known."""

    kind: str  # MESSAGE_KIND | INVITATION_KIND
    conversation: str  # CONVERSATION ID ("" for invitations, and for messages without one)
    title: str
    sender: Person | None
    recipients: tuple[Person, ...]
    date: str
    draft: bool
    folder: str
    invitation_direction: str  # "incoming" | "outgoing" | "" (Invitations.csv's Direction)


class RowReader:
    """Turns a LinkedIn row (any column case, any of the export's column sets) into an `ExportRow`."""

    def __init__(self) -> None:
        self._fields = _Fields()

    def __call__(self, kind: str, values: dict[str, str]) -> ExportRow:
        f = self._fields(values)
        sender_name = f.get("from", "").strip()
        if kind == INVITATION_KIND:
            sender_url = f.get("inviterprofileurl", "").strip()
            recipients = split_people(f.get("to", ""), f.get("inviteeprofileurl", ""))
            direction = f.get("direction", "").strip().lower()
            return ExportRow(
                kind,
                "",
                "",
                Person(sender_name, sender_url) if sender_name or sender_url else None,
                recipients,
                f.get("sent at", "").strip(),
                draft=False,
                folder="",
                invitation_direction=direction if direction in ("incoming", "outgoing") else "",
            )
        sender_url = f.get("sender profile url", "").strip()
        draft_flag = f.get("is message draft", "").strip().lower() in _YES
        folder = f.get("folder", "").strip()
        return ExportRow(
            kind,
            f.get("conversation id", "").strip(),
            f.get("conversation title", "").strip(),
            Person(sender_name, sender_url) if sender_name or sender_url else None,
            split_people(f.get("to", ""), f.get("recipient profile urls", "")),
            f.get("date", "").strip(),
            draft=draft_flag or folder.lower() in ("draft", "drafts"),
            folder=folder,
            invitation_direction="",
        )


@dataclass(frozen=True)
class Owner:
    """The person whose export it is."""

    name: str  # as the export writes it (or as given to --owner when the export never names them)
    names: frozenset[str]  # name keys
    profiles: frozenset[str]  # profile keys
    found_by: str  # "export": the evidence of the files; "option": --owner

    def is_(self, person: Person | None) -> bool:
        if person is None:
            return False
        if person.profile and self.profiles:
            return profile_key(person.profile) in self.profiles
        return bool(person.name) and name_key(person.name) in self.names


@dataclass
class OwnerFinder:
    """Counts, for each person, the rows they appear in and the evidence that they are the owner.

    The owner appears in every row of their export; someone else can tie only in an export
    that is one conversation with them, and then the evidence decides: an invitation's
    Direction, a draft, a message in a SENT folder. Someone in no more than half of the rows
    is nobody's export (a merged or made-up file): the owner is then unknown rather than
    guessed. Memory: one counter per person.
    """

    appearances: Counter[str] = field(default_factory=Counter)
    evidence: Counter[str] = field(default_factory=Counter)
    names: dict[str, str] = field(default_factory=dict)  # key -> the name as first written
    profiles: dict[str, set[str]] = field(default_factory=dict)  # key -> profile keys
    rows: int = 0  # rows that name anyone

    def add(self, row: ExportRow) -> None:
        people = ([row.sender] if row.sender else []) + list(row.recipients)
        if any(p.key for p in people):
            self.rows += 1
        for person in people:
            key = person.key
            if not key:
                continue
            self.names.setdefault(key, person.name or person.profile)
            if person.profile:
                self.profiles.setdefault(key, set()).add(profile_key(person.profile))
        for key in {p.key for p in people} - {""}:
            self.appearances[key] += 1
        if row.invitation_direction == "incoming":
            for person in row.recipients:
                self.evidence[person.key] += 1
        elif row.sender is not None and (
            row.invitation_direction == "outgoing" or row.draft or row.folder.lower() in OWNER_FOLDERS
        ):
            self.evidence[row.sender.key] += 1

    def owner(self, given: str | None = None) -> Owner | None:
        """The owner named by ``given`` (a name or profile URL), else the one the evidence points to.

        None when the export does not tell (no people, nobody in most rows, or two people tie
        on every count).
        """
        if given is not None and given.strip():
            return self._match(given.strip())
        ranked = sorted(self.appearances, key=lambda k: (-self.appearances[k], -self.evidence[k], k))
        if not ranked or 2 * self.appearances[ranked[0]] <= self.rows:
            return None
        best = ranked[0]
        if len(ranked) > 1:
            second = ranked[1]
            if (self.appearances[second], self.evidence[second]) == (self.appearances[best], self.evidence[best]):
                return None
        return self._owner(best, "export")

    def contenders(self) -> list[str]:
        """The names of the people who appear in the most rows (to suggest an --owner)."""
        top = max(self.appearances.values(), default=0)
        return sorted(self.names[k] for k, n in self.appearances.items() if n == top)

    def _owner(self, key: str, found_by: str) -> Owner:
        return Owner(self.names[key], frozenset({key}), frozenset(self.profiles.get(key, set())), found_by)

    def _match(self, given: str) -> Owner:
        if looks_like_profile(given):
            wanted = profile_key(given)
            keys = [k for k, urls in self.profiles.items() if wanted in urls]
            if keys:
                key = max(keys, key=lambda k: self.appearances[k])
                return Owner(self.names[key], frozenset(keys), frozenset({wanted}), "option")
        else:
            key = name_key(given)
            if key in self.appearances:
                return self._owner(key, "option")
        raise DataError(
            f"--owner {given!r} is neither a sender nor a recipient in this export. Fix: pass your name as the "
            "export writes it (the FROM of a message you sent) or your LinkedIn profile URL"
            + (f"; the person in most messages is {self.contenders()[0]!r}." if self.contenders() else ".")
        )


@dataclass(frozen=True, slots=True)
class Thread:
    """One row's place in the export: its conversation, who wrote it, to whom, and when."""

    conversation_id: str
    kind: str  # MESSAGE_KIND | INVITATION_KIND
    direction: str  # incoming | outgoing | unknown
    owner: str  # the owner's name, "" when unknown
    sender: Person | None
    others: tuple[Person, ...]  # everyone in the row but the owner
    draft: bool
    when: When | None
    title: str


class Threader:
    """Gives each LinkedIn row its `Thread`, once the owner is known (or known to be unknown)."""

    def __init__(self, owner: Owner | None) -> None:
        self.owner = owner
        self._read = RowReader()
        self._invitation_ids: Counter[str] = Counter()

    def __call__(self, kind: str, values: dict[str, str]) -> Thread:
        row = self._read(kind, values)
        people = ([row.sender] if row.sender else []) + list(row.recipients)
        owner = self.owner
        others: dict[str, Person] = {}
        for person in people:
            if person.key and not (owner and owner.is_(person)):
                others.setdefault(person.key, person)
        return Thread(
            conversation_id=self._conversation_id(row, people),
            kind=kind,
            direction=self._direction(row),
            owner=owner.name if owner else "",
            sender=row.sender,
            others=tuple(others.values()),
            draft=row.draft,
            when=parse_date(row.date) if row.date else None,
            title=row.title,
        )

    def _direction(self, row: ExportRow) -> str:
        if row.invitation_direction:
            return row.invitation_direction
        if self.owner is None:
            return "unknown"
        if row.sender is not None and (row.sender.name or row.sender.profile):
            return "outgoing" if self.owner.is_(row.sender) else "incoming"
        return "incoming" if any(self.owner.is_(p) for p in row.recipients) else "unknown"

    def _conversation_id(self, row: ExportRow, people: list[Person]) -> str:
        if row.kind == MESSAGE_KIND:
            if row.conversation:
                return row.conversation
            # No id (a damaged or hand-made file): the same people make the same conversation.
            return "msg-" + _digest("|".join(sorted({p.key for p in people})))
        # Every invitation is a conversation of its own; the same two people on the same date keep the same id.
        base = "inv-" + _digest("|".join([*(p.key for p in people), row.date, row.invitation_direction]))
        self._invitation_ids[base] += 1
        n = self._invitation_ids[base]
        return base if n == 1 else f"{base}-{n}"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
