"""The read-only open data API: neighbourhoods, categories and the public problem register.

Anonymous, GET only, JSON only, paginated by page number and throttled per client. The OpenAPI 3
schema is at /api/schema/ (`api_schema`; YAML, JSON with ?format=json, texts in English with
?lang=en).

Only what every visitor of the register sees, through explicit field lists: never a reporter,
who entered a report or for whom, confidential details, a sensitive problem's own title,
description, landmark or map point, a timeline's actor, confidential note or edit history, photos,
nor a new report (workflow.PUBLIC).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from problems.models import Category, Problem, TimelineEntry
from problems.selectors import categories_in_order, public_problems, public_problems_with_timeline
from problems.workflow import PUBLIC, Move, Status
from residents.models import Neighbourhood
from residents.ratelimits import client_ip
from residents.selectors import neighbourhoods_by_name

PUBLIC_STATUSES = [(value, label) for value, label in Status.choices if value in PUBLIC]


class PerClientThrottle(AnonRateThrottle):
    """Requests per client IP (settings.REST_FRAMEWORK's "api" rate).

    The rate is read per request, not once at import as DRF does, so an override of the settings
    (a test, a deployment's API_THROTTLE_RATE) takes effect.
    """

    scope = "api"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Request) -> str:
        # The one rule for a client's address, as for every other per-client limit.
        return client_ip(request._request)


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# What a 400 answers: each invalid query parameter with its messages.
INVALID_PARAMETERS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


class ApiSchema(AutoSchema):
    """Every operation also documents the errors it can answer with."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors: dict[str, Any] = {
            "404": OpenApiResponse(ErrorSerializer, _("Not found, or no such page.")),
            "429": OpenApiResponse(ErrorSerializer, _("Too many requests; try again later.")),
        }
        if getattr(self.view, "filterset_class", None):
            errors["400"] = OpenApiResponse(INVALID_PARAMETERS, _("Invalid query parameters."))
        for code, response in errors.items():
            responses.setdefault(code, self._get_response_for_code(response, code))
        return responses


class ApiView(generics.GenericAPIView):
    """Anonymous, read-only, paginated. Open data: any web page may read it (no credentials)."""

    http_method_names = ("get", "head")
    pagination_class = Pages
    throttle_classes = (PerClientThrottle,)
    schema = ApiSchema()

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


def _absolute(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


# Neighbourhoods


class NeighbourhoodSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    municipality = serializers.CharField(source="municipality.name")
    url = serializers.SerializerMethodField(help_text=_("The neighbourhood's page."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, hood: Neighbourhood) -> str:
        return _absolute(self.context["request"], "neighbourhood", slug=hood.slug)


@extend_schema(
    summary=_("Neighbourhoods"),
    description=_("All neighbourhoods, with their municipality."),
    tags=["neighbourhoods"],
)
class NeighbourhoodList(ApiView, generics.ListAPIView):
    serializer_class = NeighbourhoodSerializer

    def get_queryset(self) -> QuerySet[Neighbourhood]:
        return neighbourhoods_by_name()


# Categories


class CategorySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField(help_text=_("Dutch name."))
    name_en = serializers.CharField(help_text=_("English name; may be empty."))
    sensitive = serializers.BooleanField(
        help_text=_("Problems in this category show only a public summary.")
    )


@extend_schema(
    summary=_("Problem categories"),
    description=_("The categories a problem can have, in the order the register shows them."),
    tags=["categories"],
)
class CategoryList(ApiView, generics.ListAPIView):
    serializer_class = CategorySerializer

    def get_queryset(self) -> QuerySet[Category]:
        return categories_in_order()


# Problems


class ProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    neighbourhood = serializers.SlugField(source="neighbourhood.slug")
    category = serializers.SlugField(source="category.slug")
    title = serializers.CharField(
        source="public_title",
        help_text=_("For a sensitive problem: its public summary."),
    )
    description = serializers.CharField(
        source="public_description",
        help_text=_("Empty for a sensitive problem."),
    )
    location = serializers.CharField(
        source="public_location",
        help_text=_(
            "The street; with a landmark or house numbers unless the problem is sensitive."
        ),
    )
    status = serializers.ChoiceField(choices=PUBLIC_STATUSES)
    support_count = serializers.IntegerField(help_text=_("Residents who have this problem too."))
    chronic = serializers.SerializerMethodField(help_text=_("Confirmed as chronic by the chair."))
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    activity_at = serializers.DateTimeField()
    merged_into = serializers.IntegerField(
        source="merged_into_id",
        allow_null=True,
        help_text=_("The problem this one was merged into."),
    )
    url = serializers.SerializerMethodField(help_text=_("The problem's page."))

    def get_chronic(self, problem: Problem) -> bool:
        return problem.chronic_confirmed_at is not None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, problem: Problem) -> str:
        return _absolute(
            self.context["request"], "problem", slug=problem.neighbourhood.slug, pk=problem.pk
        )


class TimelineEntrySerializer(serializers.Serializer):
    move = serializers.ChoiceField(choices=Move.choices)
    from_status = serializers.ChoiceField(choices=Status.choices, allow_null=True)
    to_status = serializers.ChoiceField(choices=Status.choices, allow_null=True)
    public_note = serializers.CharField()
    at = serializers.DateTimeField()
    actor_role = serializers.CharField(
        help_text=_("The role in which someone acted, or the priority round or a meeting.")
    )
    other = serializers.IntegerField(
        source="other_id",
        allow_null=True,
        help_text=_("The other problem of a merge."),
    )

    def to_representation(self, instance: TimelineEntry) -> dict[str, Any]:
        data = super().to_representation(instance)
        for field in ("from_status", "to_status"):
            data[field] = data[field] or None  # "" in the database: no status before a report
        return data


class ProblemDetailSerializer(ProblemSerializer):
    timeline = TimelineEntrySerializer(many=True, source="public_timeline")


class ProblemFilter(filters.FilterSet):
    neighbourhood = filters.CharFilter(
        field_name="neighbourhood__slug", help_text=_("A neighbourhood's slug.")
    )
    category = filters.CharFilter(field_name="category__slug", help_text=_("A category's slug."))
    status = filters.ChoiceFilter(choices=PUBLIC_STATUSES)

    class Meta:
        model = Problem
        fields = ("neighbourhood", "category", "status")


@extend_schema(
    summary=_("Public problems"),
    description=_(
        "Problems that the team has looked at (every status but new), most recently active "
        "first. Sensitive problems show only their public summary and street."
    ),
    tags=["problems"],
)
class ProblemList(ApiView, generics.ListAPIView):
    serializer_class = ProblemSerializer
    filter_backends = (filters.DjangoFilterBackend,)
    filterset_class = ProblemFilter

    def get_queryset(self) -> QuerySet[Problem]:
        return public_problems()


@extend_schema(
    summary=_("A public problem"),
    description=_("One public problem with its timeline: what happened, when, and why."),
    tags=["problems"],
)
class ProblemDetail(ApiView, generics.RetrieveAPIView):
    serializer_class = ProblemDetailSerializer

    def get_queryset(self) -> QuerySet[Problem]:
        return public_problems_with_timeline()


class Schema(SpectacularAPIView):
    # The OpenAPI 3 schema: YAML, or JSON with ?format=json; ?lang=en or nl for its texts.

    http_method_names = ("get", "head")
    throttle_classes = (PerClientThrottle,)


@extend_schema(exclude=True)
class NotFound(ApiView):
    """Any other path under /api/ answers in JSON too, not with the site's HTML page."""

    def get(self, _request: Request, *_args: Any, **_kwargs: Any) -> Response:
        raise exceptions.NotFound
