"""Passwordless login: an e-mailed code, single use, at most 10 minutes, rate-limited."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.support import confirm, current_totp, is_logged_in, last_code, request_code


def test_login_page_is_the_code_page(client, db):
    response = client.get(reverse("account_login") + "?next=/privacy/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_request_login_code") + "?next=%2Fprivacy%2F"


def test_resident_logs_in_with_code_from_mail(client, personas):
    response = request_code(client, personas.resident.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [personas.resident.email]
    assert "Inlogcode" in message.subject or "inlogcode" in message.subject.lower()
    code = last_code()
    assert f"?code={code}" in message.body
    assert not is_logged_in(client)
    response = confirm(client, code)
    assert response.status_code == 302
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == personas.resident.pk


def test_mail_is_in_the_persons_own_language(client, personas):
    personas.resident.language = "en"
    personas.resident.save()
    request_code(client, personas.resident.email)
    assert "login code" in mail.outbox[0].subject.lower()


def test_link_in_mail_only_prefills_the_form_and_does_not_log_in(client, personas):
    request_code(client, personas.resident.email)
    code = last_code()
    response = client.get(reverse("account_confirm_login_code") + f"?code={code}")
    assert response.status_code == 200
    assert f'value="{code}"' in response.content.decode()
    assert not is_logged_in(client)


def test_code_is_single_use(client, personas):
    request_code(client, personas.resident.email)
    code = last_code()
    confirm(client, code)
    client.logout()
    response = confirm(client, code)
    assert not is_logged_in(client)
    assert response.status_code in (200, 302)


def test_code_expires_after_ten_minutes(client, personas):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request_code(client, personas.resident.email)
        code = last_code()
        traveller.shift(timedelta(minutes=10, seconds=5))
        confirm(client, code)
    assert not is_logged_in(client)


def test_wrong_code_is_refused_with_a_message(client, personas):
    request_code(client, personas.resident.email)
    response = confirm(client, "XXXXXX")
    assert response.status_code == 200
    assert not is_logged_in(client)
    assert "error-summary" in response.content.decode()


def test_code_requests_are_rate_limited_per_address(personas):
    # Each request from a fresh browser session, as someone hammering the form would.
    for _ in range(3):
        assert request_code(Client(), personas.resident.email).status_code == 302
    assert len(mail.outbox) == 3
    response = request_code(Client(), personas.resident.email)
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert len(mail.outbox) == 3


def test_code_requests_are_rate_limited_per_ip(db):
    statuses = [request_code(Client(), f"someone{i}@example.nl").status_code for i in range(21)]
    assert statuses[:20] == [302] * 20
    assert statuses[20] == 200  # the form again, with the "too many attempts" error


def test_asking_again_in_the_same_session_sends_no_second_mail(client, personas):
    request_code(client, personas.resident.email)
    response = request_code(client, personas.resident.email)
    assert response["Location"] == reverse("account_confirm_login_code")
    assert len(mail.outbox) == 1


def test_unknown_address_gets_same_answer_and_no_account(client, db):
    response = request_code(client, "nobody@example.nl")
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_team_member_must_also_give_second_factor(client, personas):
    request_code(client, personas.wijkagent.email)
    response = confirm(client, last_code())
    assert not is_logged_in(client)
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp()})
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == personas.wijkagent.pk


def test_team_member_with_wrong_second_factor_stays_out(client, personas):
    request_code(client, personas.chair.email)
    confirm(client, last_code())
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert not is_logged_in(client)


def test_resident_is_never_asked_for_a_second_factor(client, personas):
    request_code(client, personas.resident.email)
    response = confirm(client, last_code())
    assert is_logged_in(client)
    assert response["Location"] != reverse("mfa_authenticate")
