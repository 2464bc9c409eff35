"""The printed pack and the notice-board poster, as PDF downloads.

/buurt/<slug>/overleg/<pk>/printpakket.pdf   minutes, poster and paper ballots (Perm.PRINT_PACK:
                                             the chair, the neighbourhood office, coordinators)
/buurt/<slug>/affiche.pdf                    the poster alone (public: public fields only)

The poster is the same for everyone, so it is kept for a minute per neighbourhood and language:
a burst of downloads renders it once.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from buurtoverleg.http import AuthenticatedHttpRequest
from meetings.pack.contents import pack_filename, pack_pdf, poster_filename, poster_pdf
from meetings.planning.models import Meeting
from residents.models import Neighbourhood
from residents.permissions import Perm, neighbourhood_for

POSTER_CACHE_SECONDS = 60


def _pdf(content: bytes, filename: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(False, filename)},
    )


@never_cache
@login_required
@require_GET
def meeting_pack(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """One PDF to print after the meeting (403 without PRINT_PACK here; 404 for a meeting of
    another neighbourhood)."""
    neighbourhood = neighbourhood_for(request, slug, Perm.PRINT_PACK)
    meeting = get_object_or_404(Meeting, pk=pk, neighbourhood=neighbourhood)
    meeting.neighbourhood = neighbourhood
    return _pdf(pack_pdf(meeting), pack_filename(meeting))


@require_GET
def poster(_request: HttpRequest, slug: str) -> HttpResponse:
    neighbourhood = get_object_or_404(Neighbourhood, slug=slug)
    key = f"poster:{neighbourhood.pk}:{get_language()}:{timezone.localdate().isoformat()}"
    content = cache.get(key)
    if content is None:
        content = poster_pdf(neighbourhood)
        cache.set(key, content, POSTER_CACHE_SECONDS)
    return _pdf(content, poster_filename(neighbourhood))
