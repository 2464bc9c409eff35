"""The chair's view of the mail ledger: the list of mailings, one mailing with its progress
and failures, the htmx progress block, and trying failed deliveries again."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtoverleg.mail import pipeline as services
from buurtoverleg.mail.models import Delivery, Mailing, MailSuppression
from residents.mail_kinds import ResidentMail
from residents.models import Neighbourhood, User
from tests.conftest import PERSONA_NAMES, assert_status

VIEW_MAILINGS = {"chair", "coordinator"}
MANAGE_MAILINGS = {"chair", "coordinator"}
LONG_ERROR = (
    "(550, b'5.1.1 <{email}>: Recipient address rejected: User unknown in virtual mailbox "
    "table. The mailbox does not exist on this server; check the spelling of the address.')"
)
Status = Delivery.Status


def make_mailing(
    hood: Neighbourhood,
    *,
    by: User | None = None,
    queued: int = 0,
    sending: int = 0,
    sent: int = 0,
    failed: int = 0,
    suppressed: int = 0,
    kind: str = ResidentMail.INVITATION,
    created_at: datetime | None = None,
    prefix: str = "",
) -> Mailing:
    """A mailing with deliveries in each status, made directly (no mail is sent)."""
    mailing = Mailing.objects.create(
        kind=kind,
        neighbourhood=hood,
        template="emails/invitation",
        created_by=by,
        created_at=created_at or timezone.now(),
    )
    rows = []
    for status, count in (
        (Status.QUEUED, queued),
        (Status.SENDING, sending),
        (Status.SENT, sent),
        (Status.FAILED, failed),
        (Status.SUPPRESSED, suppressed),
    ):
        for i in range(count):
            email = f"{prefix}{status}{i}@example.nl"
            error = ""
            if status == Status.FAILED:
                error = LONG_ERROR.format(email=email)
            elif status == Status.SUPPRESSED:
                error = "Address blocked after repeated permanent failures."
            rows.append(
                Delivery(
                    mailing=mailing,
                    email=email,
                    status=status,
                    attempts=0 if status in (Status.QUEUED, Status.SUPPRESSED) else 1,
                    last_error=error,
                    sent_at=timezone.now() if status == Status.SENT else None,
                )
            )
    Delivery.objects.bulk_create(rows)
    return mailing


def block(email: str) -> None:
    MailSuppression.objects.create(
        email=email, permanent_failures=3, last_error="550", suppressed_at=timezone.now()
    )


@pytest.fixture
def finished(personas) -> Mailing:
    """A mailing that is done: some sent, some failed, some to blocked addresses."""
    return make_mailing(personas.hood, by=personas.chair, sent=7, failed=2, suppressed=1)


@pytest.fixture
def busy(personas) -> Mailing:
    """A long send under way: 3 of 10 sent."""
    return make_mailing(personas.hood, by=personas.chair, queued=5, sending=2, sent=3)


def list_url(personas) -> str:
    return reverse("mailings:mailings", args=[personas.hood.slug])


def _slug(mailing: Mailing, slug: str | None) -> str:
    assert mailing.neighbourhood is not None
    return slug or mailing.neighbourhood.slug


def detail_url(mailing: Mailing, slug: str | None = None) -> str:
    return reverse("mailings:mailing", args=[_slug(mailing, slug), mailing.pk])


def progress_url(mailing: Mailing, slug: str | None = None) -> str:
    return reverse("mailings:mailing_progress", args=[_slug(mailing, slug), mailing.pk])


def retry_url(mailing: Mailing, slug: str | None = None) -> str:
    return reverse("mailings:mailing_retry", args=[_slug(mailing, slug), mailing.pk])


def statuses(mailing: Mailing) -> dict[str, str]:
    return dict(mailing.deliveries.values_list("email", "status"))


HTMX = {"HX-Request": "true"}


# --- Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_mailings_page_permissions(as_persona, personas, finished, persona):
    response = as_persona(persona).get(list_url(personas))
    assert_status(response, persona, VIEW_MAILINGS, 200)
    if response.status_code == 200:
        assert detail_url(finished) in response.content.decode()
    else:
        assert detail_url(finished).encode() not in response.content


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_mailing_page_permissions(as_persona, personas, finished, persona):
    response = as_persona(persona).get(detail_url(finished))
    assert_status(response, persona, VIEW_MAILINGS, 200)
    # Failed addresses are personal data: only those who may see the ledger see them.
    assert (b"failed0@example.nl" in response.content) == (response.status_code == 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_progress_permissions(as_persona, personas, busy, persona):
    response = as_persona(persona).get(progress_url(busy), headers=HTMX)
    if persona == "anonymous":
        # htmx gets a full-page redirect to the login page instead of a swapped-in login form.
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith(reverse("account_login"))
        return
    assert response.status_code == (200 if persona in VIEW_MAILINGS else 403), persona
    assert (b"3 of 10 sent" in response.content) == (persona in VIEW_MAILINGS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_retry_permissions(as_persona, personas, finished, persona):
    response = as_persona(persona).post(retry_url(finished))
    assert_status(response, persona, MANAGE_MAILINGS, 302)
    retried = finished.deliveries.filter(status=Status.QUEUED).count()
    assert retried == (2 if persona in MANAGE_MAILINGS else 0)


def test_retry_requires_post(as_persona, finished):
    assert as_persona("chair").get(retry_url(finished)).status_code == 405
    assert finished.deliveries.filter(status=Status.FAILED).count() == 2


def test_mailings_of_another_neighbourhood_are_not_found(as_persona, personas):
    elsewhere = make_mailing(personas.other_hood, by=personas.outsider_chair, failed=1, prefix="x")
    client = as_persona("chair")
    # Through the chair's own neighbourhood's address: the id is not found there.
    slug = personas.hood.slug
    assert client.get(detail_url(elsewhere, slug)).status_code == 404
    assert client.get(progress_url(elsewhere, slug), headers=HTMX).status_code == 404
    assert client.post(retry_url(elsewhere, slug)).status_code == 404
    assert b"xfailed0@example.nl" not in client.get(list_url(personas)).content
    # Through the other neighbourhood's address: the chair has no role there.
    assert client.get(detail_url(elsewhere)).status_code == 403
    assert client.post(retry_url(elsewhere)).status_code == 403
    # And the other chair cannot reach this neighbourhood's mail either way.
    mine = make_mailing(personas.hood, failed=1, prefix="mine")
    other = as_persona("outsider_chair")
    assert other.get(detail_url(mine, personas.other_hood.slug)).status_code == 404
    assert other.post(retry_url(mine, personas.other_hood.slug)).status_code == 404
    assert other.get(detail_url(mine)).status_code == 403
    assert statuses(elsewhere) == {"xfailed0@example.nl": "failed"}
    assert statuses(mine) == {"minefailed0@example.nl": "failed"}


def test_team_links_show_the_mail_page_to_the_chair_only(as_persona, personas):
    hood_url = reverse("neighbourhood", args=[personas.hood.slug])
    for persona, shown in (("chair", True), ("coordinator", True), ("office", False)):
        html = as_persona(persona).get(hood_url).content.decode()
        assert (f'href="{list_url(personas)}"' in html) == shown, persona


# --- The list ------------------------------------------------------------------------------


def row_of(html: str, mailing: Mailing) -> str:
    row = html[html.index(f'<tr id="mailing-{mailing.pk}"') :]
    return row[: row.index("</tr>")]


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    ]


def test_list_shows_kind_date_author_and_counts_per_status(as_persona, personas):
    # 18:30 UTC on 8 December is 19:30 in Amsterdam.
    mailing = make_mailing(
        personas.hood,
        by=personas.chair,
        queued=4,
        sending=3,
        sent=5,
        failed=2,
        suppressed=1,
        created_at=datetime(2026, 12, 8, 18, 30, tzinfo=UTC),
    )
    html = as_persona("coordinator").get(list_url(personas)).content.decode()
    row = cells(row_of(html, mailing))
    assert row[0].startswith("Invitation")
    assert row[1:] == [
        "Tuesday 8 December 2026, 19:30",
        "Fatima el Amrani",
        "Sending",
        "15",  # recipients
        "4",  # queued
        "3",  # sending
        "5",  # sent
        "2",  # failed
        "1",  # address blocked
    ]
    # The list shows numbers, never the addresses themselves.
    assert "@example.nl" not in html.split("<main", 1)[1]


def test_list_dates_are_dutch_by_default(login, personas):
    make_mailing(personas.hood, sent=1, created_at=datetime(2026, 12, 8, 18, 30, tzinfo=UTC))
    html = login(personas.chair).get(list_url(personas)).content.decode()
    assert "dinsdag 8 december 2026, 19:30" in html


def test_list_says_the_state_in_words(as_persona, personas, finished, busy):
    done = make_mailing(personas.hood, sent=4, prefix="d")
    automatic = make_mailing(personas.hood, kind=ResidentMail.MEMBERSHIP_APPROVED, prefix="a")
    html = as_persona("chair").get(list_url(personas)).content.decode()
    assert "Not all sent" in row_of(html, finished)
    assert "Sending" in row_of(html, busy)
    assert "All sent" in row_of(html, done)
    auto_row = row_of(html, automatic)
    assert "Application approved" in auto_row and "Automatic" in auto_row
    assert "No recipients" in auto_row
    # Each state is a word with an icon.
    assert html.count('<span class="mail-state') == 4


def test_list_is_newest_first_and_only_this_neighbourhood(as_persona, personas):
    now = timezone.now()
    old = make_mailing(personas.hood, sent=1, created_at=now - timedelta(days=3), prefix="o")
    new = make_mailing(personas.hood, sent=1, created_at=now, prefix="n")
    other = make_mailing(personas.other_hood, sent=1, prefix="x")
    html = as_persona("chair").get(list_url(personas)).content.decode()
    assert html.index(f'id="mailing-{new.pk}"') < html.index(f'id="mailing-{old.pk}"')
    assert f'id="mailing-{other.pk}"' not in html


def test_list_is_paginated_by_25(as_persona, personas):
    start = timezone.now() - timedelta(days=30)
    made = [
        make_mailing(personas.hood, sent=1, created_at=start + timedelta(hours=i), prefix=f"p{i}")
        for i in range(26)
    ]
    client = as_persona("chair")
    first = client.get(list_url(personas)).content.decode()
    assert first.count('<tr id="mailing-') == 25
    assert f'id="mailing-{made[0].pk}"' not in first  # the oldest is on the next page
    assert 'href="?page=2"' in first and "Page 1 of 2" in first
    second = client.get(list_url(personas) + "?page=2").content.decode()
    assert second.count('<tr id="mailing-') == 1 and f'id="mailing-{made[0].pk}"' in second
    assert 'href="?page=1"' in second


def test_empty_list_says_what_will_appear(as_persona, personas):
    html = as_persona("chair").get(list_url(personas)).content.decode()
    assert "has not sent any e-mail yet" in html
    assert "<table" not in html


def make_many(personas, count: int, prefix: str) -> None:
    for i in range(count):
        make_mailing(
            personas.hood,
            by=personas.chair if i % 2 else personas.office,
            queued=i % 3,
            sent=3,
            failed=1,
            suppressed=i % 2,
            prefix=f"{prefix}{i}-",
        )


@pytest.mark.parametrize("viewer", ["chair", "coordinator"])
def test_list_query_count_does_not_grow(
    as_persona, personas, viewer, django_assert_max_num_queries, django_assert_num_queries
):
    make_many(personas, 2, "a")
    client = as_persona(viewer)
    url = list_url(personas)
    client.get(url)  # warm the session and the second-factor check
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    make_many(personas, 40, "b")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('<tr id="mailing-') == 25


# --- One mailing ---------------------------------------------------------------------------


def test_mailing_page_shows_counts_progress_and_who_did_not_get_it(as_persona, personas, finished):
    block("failed1@example.nl")
    html = as_persona("chair").get(detail_url(finished)).content.decode()
    assert "7 of 10 sent" in html
    assert re.search(r'<progress[^>]*max="10" value="7"', html)
    counts = cells(html[html.index('<table class="mailing-counts"') :].split("</table>")[0])
    assert counts[2:] == [
        "Queued", "0", "Sending", "0", "Sent", "7", "Failed", "2",
        "Not sent (address blocked)", "1", "Total", "10",
    ]  # fmt: skip
    assert "Not delivered (3)" in html
    # Failures and blocked addresses with the reason, folded away in <details>.
    for email in ("failed0@example.nl", "failed1@example.nl", "suppressed0@example.nl"):
        assert email in html
    assert html.count('<details class="reason">') == 3
    assert "Recipient address rejected: User unknown" in html
    assert "Not sent: address blocked" in html
    assert "The address is now blocked: it is not tried again." in html
    # Sent mail is a number only: no list of every resident's address.
    assert "sent0@example.nl" not in html
    # The retry form works without JavaScript and says what it will (not) do.
    assert f'method="post" action="{retry_url(finished)}"' in html
    assert "1 failed e-mail can be sent again." in html
    assert "E-mails to blocked addresses are never sent again." in html
    assert "style=" not in html and "<script>" not in html and " onclick" not in html


def test_mailing_page_without_failures_has_no_retry_button(as_persona, personas):
    done = make_mailing(personas.hood, sent=4)
    html = as_persona("chair").get(detail_url(done)).content.decode()
    assert "4 of 4 sent" in html and "All sent" in html
    assert retry_url(done) not in html and "<details" not in html
    assert "Nothing to do" in html


def test_no_retry_button_when_every_failure_is_blocked(as_persona, personas):
    mailing = make_mailing(personas.hood, sent=1, failed=1)
    block("failed0@example.nl")
    html = as_persona("chair").get(detail_url(mailing)).content.decode()
    assert retry_url(mailing) not in html
    assert "all go to blocked addresses" in html


def test_polling_only_while_work_is_pending(as_persona, busy, finished):
    client = as_persona("chair")
    html = client.get(detail_url(busy)).content.decode()
    assert (
        f'data-hx-get="{progress_url(busy)}" data-hx-trigger="every 2s" data-hx-swap="outerHTML"'
        in html
    )
    assert "3 of 10 sent" in html and "7 still to send." in html
    # Without JavaScript the page can be refreshed by a plain link.
    assert f'<a href="{detail_url(busy)}">Show the latest numbers</a>' in html
    html = client.get(detail_url(finished)).content.decode()
    assert "hx-trigger" not in html and progress_url(finished) not in html
    assert "Show the latest numbers" not in html


def test_progress_partial_polls_until_done_then_stops(as_persona, busy):
    client = as_persona("chair")
    response = client.get(progress_url(busy), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<div id="mailing-progress"') and html.endswith("</div>")
    assert "<html" not in html and "<main" not in html
    assert 'hx-trigger="every 2s"' in html and "3 of 10 sent" in html
    # The worker finishes: the next answer has no trigger, so the polling stops.
    busy.deliveries.filter(status__in=[Status.QUEUED, Status.SENDING]).update(status=Status.SENT)
    html = client.get(progress_url(busy), headers=HTMX).content.decode().strip()
    assert html.startswith('<div id="mailing-progress"')
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "10 of 10 sent" in html and "Sending has finished." in html and "All sent" in html


def test_progress_partial_points_to_the_failures_when_finished(as_persona, busy):
    busy.deliveries.filter(status=Status.QUEUED).update(status=Status.FAILED)
    busy.deliveries.filter(status=Status.SENDING).update(status=Status.SENT)
    html = as_persona("chair").get(progress_url(busy), headers=HTMX).content.decode()
    assert "5 of 10 sent" in html and "Not all sent" in html
    assert f'href="{detail_url(busy)}#problems-title"' in html


def test_progress_without_htmx_goes_to_the_mailing_page(as_persona, busy):
    response = as_persona("chair").get(progress_url(busy))
    assert response.status_code == 302 and response.url == detail_url(busy)


def grow_deliveries(mailing: Mailing, count: int, prefix: str) -> None:
    Delivery.objects.bulk_create(
        Delivery(mailing=mailing, email=f"{prefix}{i}@example.nl", status=status, attempts=1,
                 last_error="550 no such user" if status == Status.FAILED else "")
        for i, status in enumerate([Status.QUEUED, Status.SENT, Status.FAILED, Status.SUPPRESSED]
                                   * count)
    )  # fmt: skip


@pytest.mark.parametrize("viewer", ["chair", "coordinator"])
def test_mailing_page_query_count_does_not_grow(
    as_persona, personas, viewer, django_assert_max_num_queries, django_assert_num_queries
):
    mailing = make_mailing(personas.hood, by=personas.chair, queued=1, sent=2, failed=1,
                           suppressed=1)  # fmt: skip
    block("failed0@example.nl")
    client = as_persona(viewer)
    client.get(detail_url(mailing))  # warm the session and the second-factor check
    with django_assert_max_num_queries(14) as small:
        client.get(detail_url(mailing))
    grow_deliveries(mailing, 60, "grow")
    block("grow2@example.nl")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(detail_url(mailing))
    html = response.content.decode()
    assert "Not delivered (122)" in html
    assert html.count('<details class="reason">') == 62


def test_progress_partial_query_count_does_not_grow(
    as_persona, personas, django_assert_max_num_queries, django_assert_num_queries
):
    mailing = make_mailing(personas.hood, queued=2, sent=1)
    client = as_persona("chair")
    client.get(progress_url(mailing), headers=HTMX)
    with django_assert_max_num_queries(10) as small:
        client.get(progress_url(mailing), headers=HTMX)
    grow_deliveries(mailing, 100, "grow")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(progress_url(mailing), headers=HTMX)
    assert "101 of 403 sent" in response.content.decode()


def test_long_failure_lists_are_cut_off_with_a_count(as_persona, personas, monkeypatch):
    from meetings.mailings import views

    monkeypatch.setattr(views, "PROBLEMS_SHOWN", 3)
    mailing = make_mailing(personas.hood, failed=4, suppressed=1)
    html = as_persona("chair").get(detail_url(mailing)).content.decode()
    assert html.count('<details class="reason">') == 3
    assert "And 2 more addresses, not shown here." in html


# --- Trying again -------------------------------------------------------------------------


def test_retry_queues_failed_again_but_never_blocked_addresses(
    as_persona, personas, monkeypatch, django_capture_on_commit_callbacks
):
    mailing = make_mailing(personas.hood, sent=2, failed=3, suppressed=1)
    block("failed2@example.nl")  # refused mail too often since it failed here
    enqueued: list[int] = []
    monkeypatch.setattr(
        services, "mailing_enqueue", lambda *, mailing_id: enqueued.append(mailing_id)
    )
    client = as_persona("chair")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url(mailing))
    assert response.status_code == 302 and response.url == detail_url(mailing)
    assert statuses(mailing) == {
        "sent0@example.nl": "sent",
        "sent1@example.nl": "sent",
        "failed0@example.nl": "queued",
        "failed1@example.nl": "queued",
        "failed2@example.nl": "failed",
        "suppressed0@example.nl": "suppressed",
    }
    assert enqueued == [mailing.pk]  # a worker is asked to send, once the change is saved
    html = client.get(response.url).content.decode()
    assert "2 e-mails that failed are being sent again." in html
    assert "2 e-mails go to blocked addresses: they are never sent again." in html
    # Now there is work again, so the page polls for progress.
    assert 'hx-trigger="every 2s"' in html and "3 still to send." not in html
    assert "2 still to send." in html


def test_retry_with_nothing_to_retry_says_so(as_persona, personas, finished):
    mailing = make_mailing(personas.hood, sent=1, suppressed=1, prefix="s")
    client = as_persona("coordinator")
    response = client.post(retry_url(mailing), follow=True)
    html = response.content.decode()
    assert "There were no failed e-mails to send again." in html
    assert "1 e-mail goes to a blocked address: it is never sent again." in html
    assert statuses(mailing) == {
        "ssent0@example.nl": "sent",
        "ssuppressed0@example.nl": "suppressed",
    }
