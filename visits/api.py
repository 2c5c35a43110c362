"""The JSON API under /api/v1/: the offline outbox's visit endpoint and the cadre's reads.

Every lookup is scoped like the pages: a visit out of scope answers 404, and an id out of scope
in a request body is "not found" (400), exactly as if it did not exist.
"""

import json

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, parsers, serializers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from cadres.access import access_for
from cadres.models import Cadre
from casework.models import Concern
from households.access import Access

from . import selectors
from .models import Visit
from .photos import photos_process, visit_attach_photos
from .serializers import (
    MyCommitmentSerializer,
    MyHouseholdSerializer,
    VisitInputSerializer,
    VisitSerializer,
    VisitWithPhotosSerializer,
)
from .services import VisitConflict, visit_record


def _access(request) -> Access:
    # From DRF's user: a token authenticates after the middleware built request.access.
    return access_for(request.user)


class CadresRecordVisits(BasePermission):
    message = _("Only a cadre can log a visit.")

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or _access(request).is_cadre


class Conflict(APIException):
    status_code = 409
    default_code = "conflict"


class NewestFirst(CursorPagination):
    ordering = ("-visited_at", "-id")
    page_size = 50


def _visits():
    """Visits with everything their representation (VisitSerializer) reads, in a fixed number of
    queries; a visit just recorded carries the same lists already."""
    return Visit.objects.select_related(
        "cadre", "recorded_by__cadre", "household", "village", "resident_code"
    ).prefetch_related(
        Prefetch(
            "concerns",
            queryset=Concern.objects.select_related("category", "commitment").order_by("pk"),
            to_attr="concern_list",
        ),
        Prefetch("photos", to_attr="photo_list"),
    )


def _field_errors(error: ValidationError, fields) -> dict:
    """The service's errors under the request's field names; any other under non_field_errors."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    errors = {}
    for name, messages in error.message_dict.items():
        errors.setdefault(name if name in fields else api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)
    return errors


def _own_cadre(request) -> Cadre:
    """The caller's cadre profile, read with their access; ``request.user.cadre`` is then this one
    (the representation names the recorder)."""
    cadre = selectors.own_cadre(_access(request))
    cadre.user = request.user
    return cadre


def _submission(request) -> tuple[object, list]:
    """The visit as sent, and its photos: a JSON body, or multipart/form-data with the JSON in a
    ``visit`` part and the photos in ``photos`` parts (the offline outbox's way with photos)."""
    if request.content_type.startswith("multipart/"):
        try:
            return json.loads(request.data.get("visit", "")), request.FILES.getlist("photos")
        except (ValueError, RecursionError):
            raise ParseError(_("The “visit” part must be the visit as JSON.")) from None
    return request.data, []


def _photos(uploads) -> list[bytes]:
    """Checked and processed as the visit form's: by content, size-limited, resized, stripped."""
    try:
        processed, errors = photos_process(uploads)
    except ValidationError as error:
        errors = error.messages
    if errors:
        raise serializers.ValidationError({"photos": errors})
    return processed


class ScopedContextMixin:
    def get_serializer_context(self):
        return super().get_serializer_context() | {"access": _access(self.request), "now": timezone.now()}


@extend_schema_view(
    get=extend_schema(summary="Visits I may see, newest first", responses=VisitSerializer(many=True)),
    post=extend_schema(
        summary="Record a visit (idempotent by its id)",
        description=(
            "The offline outbox's endpoint. The first submission of an id answers 201; the same body "
            "sent again, any number of times or in parallel, answers 200 with the same representation "
            "and creates nothing. The same id with a different body is a correction when the caller "
            "recorded the visit less than 24 hours ago and only the kind, time, reason for late entry, "
            "companions or texts differ: it answers 200 with the corrected visit, and the change is kept "
            "in the visit's amendments. Any other different body answers 409 saying why. "
            "Only cadres record visits.\n\n"
            "Photos (at most 6, 10 MB each, checked by content, resized and stripped of metadata) come "
            "with the visit as multipart/form-data: the visit as JSON in a `visit` part and each photo "
            "in a `photos` part. They are kept with the visit's first submission; a replay or a "
            "correction ignores them."
        ),
        request={"application/json": VisitInputSerializer, "multipart/form-data": VisitWithPhotosSerializer},
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, description="A replay of a visit already recorded, or a correction."),
            400: OpenApiResponse(description="Field errors; a concern's under concerns.<its index>, photos' under photos."),
            403: OpenApiResponse(description="Not a cadre."),
            409: OpenApiResponse(
                description="The id is taken by a different submission that is not a correction the caller may make."
            ),
        },
    ),
)
class VisitListCreate(ScopedContextMixin, generics.ListCreateAPIView):
    permission_classes = [IsAuthenticated, CadresRecordVisits]
    pagination_class = NewestFirst
    parser_classes = [*api_settings.DEFAULT_PARSER_CLASSES, parsers.MultiPartParser]

    def get_queryset(self):
        return _visits().visible_to(_access(self.request))

    def get_serializer_class(self):
        return VisitInputSerializer if self.request.method == "POST" else VisitSerializer

    def create(self, request, *args, **kwargs):
        payload, uploads = _submission(request)
        serializer = self.get_serializer(data=payload)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_input(cadre=_own_cadre(request))
        # Before any write: nothing is locked while the photos are resized.
        photos = _photos(uploads)
        try:
            # No savepoint of its own: the service's writes are atomic, and any refusal below rolls
            # the request's transaction back (DRF's exception handler).
            visit, created = visit_record(data=data, recorded_by=request.user, correct=True)
        except VisitConflict as conflict:
            raise Conflict(conflict.message) from None
        except ValidationError as error:
            raise serializers.ValidationError(_field_errors(error, serializer.fields)) from None
        if created:
            # Answered from what was just written, as a read-back would show it (the tests hold the
            # two byte for byte the same).
            visit.photo_list = visit_attach_photos(visit=visit, user=request.user, processed=photos, tokens=[])
        else:
            # A replay or a correction: read back as any later GET would. No scope filter is needed:
            # visit_record answered with the caller's own visit (a replay matches only an identical
            # body, whose visiting cadre is the caller; a correction only the caller's own visit).
            visit = _visits().get(pk=visit.pk)
        return Response(VisitSerializer(visit, context=self.get_serializer_context()).data, status=201 if created else 200)


@extend_schema(summary="One visit")
class VisitDetail(ScopedContextMixin, generics.RetrieveAPIView):
    serializer_class = VisitSerializer
    queryset = Visit.objects.none()  # for the schema; get_object is scoped

    def get_object(self):
        return _visits().get_visible_or_404(_access(self.request), pk=self.kwargs["pk"])


@extend_schema(summary="My households: paired, and in my contact villages; not visited this period first")
class MyHouseholdList(ScopedContextMixin, generics.ListAPIView):
    serializer_class = MyHouseholdSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.my_households(_access(self.request))


@extend_schema(summary="My open commitments, by due date")
class MyCommitmentList(ScopedContextMixin, generics.ListAPIView):
    serializer_class = MyCommitmentSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.my_open_commitments(_access(self.request))
