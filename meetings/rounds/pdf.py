"""The printable paper ballot of a priority round: one A4 page (more only for a very long
ballot) with the candidates, a box per problem to write points in, a line for the resident's
name and a QR code to the online ballot. Made by buurtoverleg.pdf, like every PDF: tagged.

The chair or minute-taker enters a filled-in paper ballot as that resident's ballot (source
"paper"); the sheet itself names nobody.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from buurtoverleg.pdf import render_pdf
from buurtoverleg.qr import qr_data_uri
from meetings.rounds.models import PriorityRound


def ballot_page_url(priority_round: PriorityRound) -> str:
    """The full address of the round's online ballot (the neighbourhood page until the ballot
    page exists)."""
    try:
        path = reverse("rounds:ballot", args=[priority_round.neighbourhood.slug, priority_round.pk])
    except NoReverseMatch:
        path = reverse("neighbourhood", args=[priority_round.neighbourhood.slug])
    return settings.SITE_URL + path


def ballot_paper_html(*, priority_round: PriorityRound) -> str:
    """The paper ballot as HTML for WeasyPrint. Two queries (the candidates and categories)."""
    candidates = list(
        priority_round.candidates.select_related("problem__category").order_by("position", "pk")
    )
    url = ballot_page_url(priority_round)
    return render_to_string(
        "problems/ballot_paper_pdf.html",
        {
            "neighbourhood": priority_round.neighbourhood,
            "meeting": priority_round.meeting,
            "round": priority_round,
            "candidates": candidates,
            "ballot_url": url,
            "qr": qr_data_uri(url),
        },
    )


def ballot_paper_pdf(*, priority_round: PriorityRound) -> bytes:
    """The paper ballot as a tagged PDF (buurtoverleg.pdf; the QR code is inline data)."""
    return render_pdf(ballot_paper_html(priority_round=priority_round))
