"""Whose export it is, and each row's conversation, direction and people."""

from __future__ import annotations

import pytest

from intent.errors import DataError
from intent.io.owner import (
    INVITATION_KIND,
    MESSAGE_KIND,
    OwnerFinder,
    Person,
    RowReader,
    Threader,
    name_key,
    profile_key,
    split_people,
)

URL = "https://www.linkedin.com/in/"


def message(
    frm: str,
    to: str,
    cid: str = "c1",
    date: str = "2026-10-02 09:14:51 UTC",
    frm_url: str = "",
    to_urls: str = "",
    folder: str = "INBOX",
    draft: str = "",
) -> dict[str, str]:
    return {
        "CONVERSATION ID": cid,
        "CONVERSATION TITLE": "",
        "FROM": frm,
        "SENDER PROFILE URL": frm_url,
        "TO": to,
        "RECIPIENT PROFILE URLS": to_urls,
        "DATE": date,
        "SUBJECT": "",
        "CONTENT": "hola",
        "FOLDER": folder,
        "IS MESSAGE DRAFT": draft,
    }


def invitation(frm: str, to: str, direction: str, sent_at: str = "10/1/26, 8:10 AM") -> dict[str, str]:
    return {"From": frm, "To": to, "Sent At": sent_at, "Message": "", "Direction": direction}


def finder_of(*rows: tuple[str, dict[str, str]]) -> OwnerFinder:
    finder, read = OwnerFinder(), RowReader()
    for kind, values in rows:
        finder.add(read(kind, values))
    return finder


def test_names_and_profiles_compare_loosely() -> None:
    assert name_key("  Lucía   FERRER ") == name_key("lucia ferrer") == "lucia ferrer"
    assert profile_key("https://www.linkedin.com/in/zo%C3%AB-brandt/?trk=x") == "linkedin.com/in/zoë-brandt"
    assert profile_key("linkedin.com/in/Ana-Ruiz") == profile_key("http://www.linkedin.com/in/ana-ruiz/")


def test_recipients_split_on_linkedin_commas_but_keep_credentials_with_the_name() -> None:
    two = split_people("Lucía Ferrer, Paula Gil", f"{URL}lucia,{URL}paula")
    assert two == (Person("Lucía Ferrer", f"{URL}lucia"), Person("Paula Gil", f"{URL}paula"))
    assert split_people("Jane Doe, Ph.D.") == (Person("Jane Doe, Ph.D."),)
    assert split_people("Ana Ruiz, MBA, Luis Gil") == (Person("Ana Ruiz, MBA"), Person("Luis Gil"))
    # more pieces than URLs: a one-word piece belongs to the name before it
    assert split_people("Marta Quiroga, Esq", f"{URL}marta") == (Person("Marta Quiroga, Esq", f"{URL}marta"),)
    assert split_people("", "") == ()


def test_the_owner_is_the_person_in_every_conversation() -> None:
    finder = finder_of(
        (MESSAGE_KIND, message("Rodrigo", "Lucía Ferrer", "c1")),
        (MESSAGE_KIND, message("Lucía Ferrer", "Rodrigo", "c1")),
        (MESSAGE_KIND, message("Marta", "Lucía Ferrer", "c2")),
        (INVITATION_KIND, invitation("Diego", "Lucía Ferrer", "INCOMING")),
    )
    owner = finder.owner()
    assert owner is not None and owner.name == "Lucía Ferrer" and owner.found_by == "export"
    assert owner.is_(Person("lucia ferrer")) and not owner.is_(Person("Rodrigo"))


def test_a_tie_is_broken_by_evidence_or_left_unknown() -> None:
    one_thread = [(MESSAGE_KIND, message("Ana", "Luis")), (MESSAGE_KIND, message("Luis", "Ana"))]
    tie = finder_of(*one_thread)
    assert tie.owner() is None and tie.contenders() == ["Ana", "Luis"]
    # a draft, a SENT folder or an OUTGOING invitation can only be the owner's
    for extra in (
        (MESSAGE_KIND, message("Luis", "Ana", draft="Yes")),
        (MESSAGE_KIND, message("Luis", "Ana", folder="SENT")),
        (INVITATION_KIND, invitation("Luis", "Ana", "OUTGOING")),
        (INVITATION_KIND, invitation("Ana", "Luis", "INCOMING")),
    ):
        owner = finder_of(*one_thread, extra).owner()
        assert owner is not None and owner.name == "Luis", extra
    assert OwnerFinder().owner() is None


def test_nobody_in_most_rows_is_nobodys_export() -> None:
    merged = finder_of(
        (MESSAGE_KIND, message("Ana", "Luis", "c1")),
        (MESSAGE_KIND, message("Eva", "Luis", "c2")),
        (MESSAGE_KIND, message("Eva", "Pablo", "c3")),
        (MESSAGE_KIND, message("Rosa", "Pablo", "c4")),
        (MESSAGE_KIND, message("", "", "c5")),  # a hidden profile: names nobody, does not count
    )
    assert merged.rows == 4 and merged.owner() is None  # Luis, Eva and Pablo are each in half of them
    merged.add(RowReader()(MESSAGE_KIND, message("Luis", "Rosa", "c6")))
    owner = merged.owner()
    assert owner is not None and owner.name == "Luis"  # 3 of 5: most rows


def test_owner_given_by_name_or_profile_url() -> None:
    finder = finder_of(
        (MESSAGE_KIND, message("Ana", "Luis Gil", frm_url=f"{URL}ana", to_urls=f"{URL}luis-gil")),
        (MESSAGE_KIND, message("Luis Gil", "Ana", frm_url=f"{URL}luis-gil", to_urls=f"{URL}ana")),
    )
    by_name = finder.owner("luis gil")
    assert by_name is not None and by_name.name == "Luis Gil" and by_name.found_by == "option"
    by_url = finder.owner("https://linkedin.com/in/Luis-Gil/")
    assert by_url is not None and by_url.name == "Luis Gil"
    # a namesake with another profile is not the owner
    assert not by_url.is_(Person("Luis Gil", f"{URL}otro-luis")) and by_url.is_(Person("", f"{URL}luis-gil"))
    with pytest.raises(DataError, match=r"--owner 'Luisa' is neither a sender nor a recipient.*profile URL"):
        finder.owner("Luisa")


def test_direction_and_people_of_each_row() -> None:
    finder = finder_of(
        (MESSAGE_KIND, message("Rodrigo", "Lucía", "c1")),
        (MESSAGE_KIND, message("Lucía", "Rodrigo", "c1")),
        (MESSAGE_KIND, message("Javier", "Lucía, Paula", "c2")),
    )
    thread = Threader(finder.owner())
    incoming = thread(MESSAGE_KIND, message("Rodrigo", "Lucía", "c1"))
    assert (incoming.direction, incoming.owner, incoming.conversation_id) == ("incoming", "Lucía", "c1")
    assert [p.name for p in incoming.others] == ["Rodrigo"]
    outgoing = thread(MESSAGE_KIND, message("Lucía", "Rodrigo", "c1"))
    assert outgoing.direction == "outgoing" and [p.name for p in outgoing.others] == ["Rodrigo"]
    group = thread(MESSAGE_KIND, message("Javier", "Lucía, Paula", "c2"))
    assert group.direction == "incoming" and [p.name for p in group.others] == ["Javier", "Paula"]
    # a hidden profile: no sender; to the owner it is incoming, otherwise nobody can tell
    assert thread(MESSAGE_KIND, message("", "Lucía")).direction == "incoming"
    assert thread(MESSAGE_KIND, message("", "")).direction == "unknown"
    draft = thread(MESSAGE_KIND, message("Lucía", "Rodrigo", draft="Yes"))
    assert draft.draft and draft.direction == "outgoing"
    assert thread(MESSAGE_KIND, message("Lucía", "Rodrigo", folder="DRAFT")).draft


def test_without_an_owner_only_invitations_know_their_direction() -> None:
    thread = Threader(None)
    assert thread(MESSAGE_KIND, message("Ana", "Luis")).direction == "unknown"
    assert thread(MESSAGE_KIND, message("Ana", "Luis")).owner == ""
    assert thread(INVITATION_KIND, invitation("Ana", "Luis", "OUTGOING")).direction == "outgoing"
    assert thread(INVITATION_KIND, invitation("Ana", "Luis", "INCOMING")).direction == "incoming"


def test_every_invitation_is_its_own_conversation_with_a_stable_id() -> None:
    first, second = Threader(None), Threader(None)
    a = first(INVITATION_KIND, invitation("Ana", "Luis", "INCOMING"))
    b = first(INVITATION_KIND, invitation("Eva", "Luis", "INCOMING"))
    again = first(INVITATION_KIND, invitation("Ana", "Luis", "INCOMING"))  # same people, same minute
    assert a.conversation_id.startswith("inv-") and len({a.conversation_id, b.conversation_id}) == 2
    assert again.conversation_id == f"{a.conversation_id}-2"
    assert second(INVITATION_KIND, invitation("Ana", "Luis", "INCOMING")).conversation_id == a.conversation_id
    assert a.when is not None and a.when.iso() == "2026-10-01 08:10:00"
    # a message without a CONVERSATION ID: the same people make the same conversation
    x = first(MESSAGE_KIND, message("Ana", "Luis", cid=""))
    y = first(MESSAGE_KIND, message("Luis", "Ana", cid=""))
    assert x.conversation_id == y.conversation_id and x.conversation_id.startswith("msg-")


def test_row_reader_takes_any_column_case_and_profile_columns_of_new_invitations() -> None:
    read = RowReader()
    row = read(
        INVITATION_KIND,
        {
            "from": "Ana",
            "to": "Luis",
            "sent at": "1/2/26, 9:00 PM",
            "message": "x",
            "direction": "outgoing",
            "inviterProfileUrl": f"{URL}ana",
            "inviteeProfileUrl": f"{URL}luis",
        },
    )
    assert row.sender == Person("Ana", f"{URL}ana") and row.recipients == (Person("Luis", f"{URL}luis"),)
    assert row.invitation_direction == "outgoing" and row.conversation == ""
