"""Contacts are found by reference and listed by council, kind, stage, status and overdueness."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from mailflow.errors import NotFound
from mailflow.store.models import Contact
from mailflow.store.repo import contact_by_reference, list_contacts
from mailflow.store.vocab import ContactKind, ContactStatus, DeadlineStatus
from tests.store.builders import NOW, contact, deadline


def _references(contacts: list[Contact]) -> list[str]:
    return [item.reference for item in contacts]


@pytest.fixture
def contacts(session: Session) -> Session:
    """Stafford: a stage 1 and a stage 2 complaint, a compliment; Chorley: one FOI request."""
    session.add(contact("SBC-2026-00001"))
    session.add(contact("SBC-2026-00002", stage=2))
    session.add(
        contact(
            "SBC-2026-00003",
            kind=ContactKind.COMPLIMENT,
            is_case=False,
            stage=None,
            status=ContactStatus.CLOSED,
        )
    )
    session.add(
        contact("CHO-2026-00001", council="chorley", kind=ContactKind.FOI_REQUEST, stage=None)
    )
    session.commit()
    return session


def test_a_contact_is_found_by_its_reference_in_any_case(contacts: Session) -> None:
    """A reference typed in lower case with spaces around it still finds the contact."""
    found = contact_by_reference(contacts, "  sbc-2026-00002 ")
    assert found.reference == "SBC-2026-00002"
    assert found.stage == 2


def test_an_unknown_reference_is_a_one_line_not_found(contacts: Session) -> None:
    """Asking for a reference nobody was given raises NotFound naming it."""
    with pytest.raises(NotFound, match=r"^no contact with reference SBC-2026-99999$"):
        contact_by_reference(contacts, "SBC-2026-99999")


def test_list_contacts_filters_by_council_kind_stage_and_status(contacts: Session) -> None:
    """Each filter narrows the list; together they combine; results come oldest first."""
    assert _references(list_contacts(contacts)) == [
        "SBC-2026-00001",
        "SBC-2026-00002",
        "SBC-2026-00003",
        "CHO-2026-00001",
    ]
    assert _references(list_contacts(contacts, council="chorley")) == ["CHO-2026-00001"]
    assert _references(list_contacts(contacts, kind=ContactKind.COMPLIMENT)) == ["SBC-2026-00003"]
    assert _references(list_contacts(contacts, stage=2)) == ["SBC-2026-00002"]
    assert _references(
        list_contacts(contacts, council="stafford", kind=ContactKind.COMPLAINT, stage=1)
    ) == ["SBC-2026-00001"]
    assert _references(list_contacts(contacts, status=ContactStatus.CLOSED)) == ["SBC-2026-00003"]


def test_overdue_means_an_open_deadline_due_before_the_instant(contacts: Session) -> None:
    """Overdue contacts have an open deadline already past; met or future ones do not count."""
    first = contact_by_reference(contacts, "SBC-2026-00001")
    second = contact_by_reference(contacts, "SBC-2026-00002")
    foi = contact_by_reference(contacts, "CHO-2026-00001")
    assert first.id is not None and second.id is not None and foi.id is not None
    contacts.add(deadline(first.id, NOW + timedelta(days=1)))
    contacts.add(deadline(first.id, NOW + timedelta(days=30)))
    contacts.add(deadline(second.id, NOW + timedelta(days=1), status=DeadlineStatus.MET))
    contacts.add(deadline(foi.id, NOW + timedelta(days=20)))
    contacts.commit()

    assert list_contacts(contacts, overdue_at=NOW) == []
    a_week_on = NOW + timedelta(days=7)
    assert _references(list_contacts(contacts, overdue_at=a_week_on)) == ["SBC-2026-00001"]
    assert _references(list_contacts(contacts, overdue_at=NOW + timedelta(days=21))) == [
        "SBC-2026-00001",
        "CHO-2026-00001",
    ]
    assert list_contacts(contacts, council="chorley", overdue_at=a_week_on) == []
