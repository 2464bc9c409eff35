"""Withdrawing consent to be named (Mijn gegevens) reaches the minutes through residents'
registry (residents.privacy.register_consent_withdrawn), not through an import of meetings."""

from __future__ import annotations

from meetings.minutes import services as minutes_services
from meetings.privacy import remove_from_minutes
from residents.privacy import ANONYMISERS, CONSENT_WITHDRAWN, user_update_profile


def _record_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(
        minutes_services, "minutes_person_withdrawn", lambda *, user: calls.append(user.pk)
    )
    return calls


def test_meetings_registers_the_minutes_for_withdrawal_and_for_erasure():
    assert remove_from_minutes in CONSENT_WITHDRAWN
    assert remove_from_minutes in ANONYMISERS


def test_withdrawing_consent_makes_the_minutes_again(monkeypatch, personas):
    user = personas.resident
    user.consent_named_in_minutes = True
    user.save(update_fields=["consent_named_in_minutes"])
    calls = _record_calls(monkeypatch)
    assert user_update_profile(user=user, consent_named_in_minutes=False) == [
        "consent_named_in_minutes"
    ]
    assert calls == [user.pk]


def test_giving_consent_or_other_changes_leave_the_minutes_alone(monkeypatch, personas):
    user = personas.resident
    user.consent_named_in_minutes = False
    user.save(update_fields=["consent_named_in_minutes"])
    calls = _record_calls(monkeypatch)
    user_update_profile(user=user, display_name="Nieuwe naam")
    user_update_profile(user=user, consent_named_in_minutes=False)  # unchanged
    user_update_profile(user=user, consent_named_in_minutes=True)
    assert calls == []
