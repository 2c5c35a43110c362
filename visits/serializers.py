"""The JSON API's shapes: what a client sends to record a visit, and what it reads back.

Input serializers only check and convert what was sent (types, lengths, ids within the caller's
scope, each concern's outcome complete); ``visits.services.visit_record`` decides the rest, as
it does for the HTML form.
"""

from decimal import ROUND_HALF_EVEN

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.calendar import close_of_business
from casework.models import Category, Commitment, Concern, PetitionCase, ResidentCode, Urgency
from casework.services import deadline_latest
from households.models import Household, Region

from .models import Visit
from .photos import MAX_PHOTOS
from .services import ConcernInput, VisitInput

# Free-text answers: long enough for a real conversation, short enough to refuse a flood.
TEXT_MAX = 5000
CONCERN_TEXT_MAX = 2000
MAX_CONCERNS = 20
_BIGINT_MAX = 2**63 - 1


def _id_field():
    """Ids are whole numbers: "12" and 12 are accepted, 1.5, true or 10**30 are not."""
    return serializers.IntegerField(min_value=1, max_value=_BIGINT_MAX)


class ScopedIdField(serializers.PrimaryKeyRelatedField):
    """An id looked up only among the rows the caller may see (``visible_to``).

    An id out of scope reads exactly like one that does not exist: "not found".
    """

    default_error_messages = {"does_not_exist": _("Not found.")}

    def __init__(self, **kwargs):
        super().__init__(pk_field=_id_field(), **kwargs)

    def get_queryset(self):
        return super().get_queryset().visible_to(self.context["access"])


class ActiveCategoryField(serializers.PrimaryKeyRelatedField):
    """An active category by id. Categories are few: they are read once per request, not once
    per concern."""

    default_error_messages = {"does_not_exist": _("Not found.")}

    def __init__(self, **kwargs):
        super().__init__(queryset=Category.objects.filter(is_active=True), pk_field=_id_field(), **kwargs)

    def to_internal_value(self, data):
        pk = self.pk_field.to_internal_value(data)
        categories = self.context.get("active_categories")
        if categories is None:
            categories = self.context["active_categories"] = {category.pk: category for category in self.get_queryset()}
        if pk not in categories:
            self.fail("does_not_exist", pk_value=pk)
        return categories[pk]


class TextUUIDField(serializers.UUIDField):
    """A UUID as text; DRF would also take a number (5 → 00000000-…-0005), a client's mistake."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset: a phone's local time without one would be guessed at."""

    default_error_messages = {"offset": _("Give the time with its UTC offset, e.g. 2026-05-01T09:30:00+08:00.")}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("offset")
        return super().to_internal_value(value)


class CoordinateField(serializers.DecimalField):
    """Degrees as a browser reports them (often 15 decimals), rounded to the 6 the model keeps."""

    def __init__(self, limit: int, **kwargs):
        super().__init__(
            max_digits=9,
            decimal_places=6,
            min_value=-limit,
            max_value=limit,
            rounding=ROUND_HALF_EVEN,
            coerce_to_string=False,
            allow_null=True,
            default=None,
            **kwargs,
        )

    def validate_precision(self, value):
        # Rounded, not refused, for extra decimals; out-of-range values are refused here, before
        # rounding, so that 1e30 cannot overflow the quantization.
        if value > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        if value < self.min_value:
            self.fail("min_value", min_value=self.min_value)
        return value


def _text(max_length=TEXT_MAX, **kwargs):
    return serializers.CharField(max_length=max_length, allow_blank=True, default="", **kwargs)


class ConcernInputSerializer(serializers.Serializer):
    category = ActiveCategoryField()
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    text = serializers.CharField(max_length=CONCERN_TEXT_MAX)
    outcome = serializers.ChoiceField(choices=Concern.Outcome.choices, default=Concern.Outcome.NONE)
    note = _text(CONCERN_TEXT_MAX, help_text="Resolved: what was done. Not actionable: why.")
    pledge_text = _text(CONCERN_TEXT_MAX, help_text="Pledged: what the cadre pledges to do.")
    due_date = serializers.DateField(
        allow_null=True,
        default=None,
        help_text="Pledged: the local due date (close of business). Omitted: the latest the deadline policy allows.",
    )
    petition_case = ScopedIdField(
        queryset=PetitionCase.objects.all(), allow_null=True, default=None, help_text="Referred: the petition case."
    )

    def validate(self, data):
        errors = {}
        outcome = data["outcome"]
        if outcome == Concern.Outcome.PLEDGED:
            if not data["pledge_text"].strip():
                errors["pledge_text"] = _("Say what you pledge to do.")
            if data["due_date"] and (error := self._due_date_error(data)):
                errors["due_date"] = error
        elif outcome in (Concern.Outcome.RESOLVED, Concern.Outcome.NOT_ACTIONABLE) and not data["note"].strip():
            errors["note"] = _("Say what was done, or why it is not actionable.")
        elif outcome == Concern.Outcome.REFERRED and data["petition_case"] is None:
            errors["petition_case"] = _("Choose the petition case it was referred to.")
        if errors:
            raise serializers.ValidationError(errors)
        return data

    @staticmethod
    def _due_date_error(data):
        now = timezone.now()
        latest = deadline_latest(category=data["category"], urgency=data["urgency"], pledged_at=now)
        due_at = close_of_business(data["due_date"])
        if due_at > latest:
            return _("The deadline policy allows %(latest)s at the latest.") % {
                "latest": formats.date_format(timezone.localdate(latest), "DATE_FORMAT")
            }
        if due_at <= now:
            return _("The due date must be in the future.")
        return None

    @staticmethod
    def to_input(data) -> ConcernInput:
        pledged = data["outcome"] == Concern.Outcome.PLEDGED
        return ConcernInput(
            category=data["category"],
            urgency=data["urgency"],
            text=data["text"],
            outcome=data["outcome"],
            note=data["note"],
            pledge_text=data["pledge_text"],
            due_at=close_of_business(data["due_date"]) if pledged and data["due_date"] else None,
            petition_case=data["petition_case"] if data["outcome"] == Concern.Outcome.REFERRED else None,
        )


class VisitInputSerializer(serializers.Serializer):
    """A visit as the offline outbox sends it. Unknown keys are ignored."""

    id = TextUUIDField(help_text="Generated by the client; the same id sent again is the same visit.")
    household = ScopedIdField(
        queryset=Household.objects.select_related("village"),
        allow_null=True,
        default=None,
        help_text="Null only for a forum or a reception held for the whole village.",
    )
    village = ScopedIdField(
        queryset=Region.objects.villages(), allow_null=True, default=None, help_text="Optional when a household is given."
    )
    kind = serializers.ChoiceField(choices=Visit.Kind.choices)
    visited_at = OffsetDateTimeField(help_text="ISO 8601 with a UTC offset; never in the future.")
    backdate_reason = _text(200, help_text="Required when the visit was more than VISIT_BACKDATE_HOURS ago.")
    latitude = CoordinateField(90)
    longitude = CoordinateField(180)
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, allow_null=True, default=None)
    companions = serializers.IntegerField(min_value=0, max_value=50, default=0)
    thoughts = _text()
    wants = _text()
    hopes = _text()
    complaints = _text()
    policies_explained = _text()
    help_delivered = _text()
    concerns = ConcernInputSerializer(many=True, max_length=MAX_CONCERNS, default=list)

    def validate_concerns(self, concerns):
        texts = [concern["text"].strip() for concern in concerns]
        if len(texts) != len(set(texts)):
            raise serializers.ValidationError(_("The same concern is listed twice."))
        return concerns

    def validate(self, data):
        errors = {}
        household, village = data["household"], data["village"]
        if household is None and village is None:
            if data["kind"] in Visit.VILLAGE_LEVEL_KINDS:
                errors["village"] = _("Choose the village.")
            else:
                errors["household"] = _(
                    "Choose the household visited (only a forum or a reception may be for a whole village)."
                )
        if (data["latitude"] is None) != (data["longitude"] is None):
            errors["longitude" if data["longitude"] is None else "latitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def to_input(self, *, cadre) -> VisitInput:
        data = self.validated_data
        household, accuracy = data["household"], data["accuracy_m"]
        return VisitInput.from_cleaned(
            data,
            cadre=cadre,
            # A different village from the household's is for the service to refuse.
            village=data["village"] or household.village,
            accuracy_m=round(accuracy) if accuracy is not None else None,
            concerns=[ConcernInputSerializer.to_input(concern) for concern in data["concerns"]],
        )


class VisitWithPhotosSerializer(serializers.Serializer):
    """A visit with photos, as multipart/form-data (for the schema; the view reads the parts)."""

    visit = serializers.CharField(help_text="The visit as JSON, as in an application/json request.")
    photos = serializers.ListField(
        child=serializers.ImageField(), max_length=MAX_PHOTOS, help_text="At most 6 photos, 10 MB each."
    )


# --- What the API answers ------------------------------------------------------------------------


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HouseholdBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


# The representations below declare their fields instead of deriving them from the models
# (ModelSerializer): a visit is answered on every submission, and deriving the fields again for
# each request was a good part of the endpoint's time.


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.SlugField()
    name = serializers.CharField()


class CommitmentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=Commitment.Status.choices)
    due_at = serializers.DateTimeField()


class ConcernSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = CategorySerializer()
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    text = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Concern.Outcome.choices)
    outcome_note = serializers.CharField()
    petition_case = serializers.IntegerField(source="petition_case_id", allow_null=True)
    commitment = CommitmentBriefSerializer(allow_null=True, help_text="The pledge, when the outcome is pledged.")


class VisitFlagsSerializer(serializers.Serializer):
    """Integrity flags for a supervisor to review; never a penalty by themselves."""

    proxy = serializers.BooleanField(source="flag_proxy", help_text="Recorded on behalf of the visiting cadre.")
    backdated = serializers.BooleanField(source="flag_backdated")
    far = serializers.BooleanField(source="flag_far", help_text="Located far from the village centroid.")
    burst = serializers.BooleanField(source="flag_burst")
    copied = serializers.BooleanField(source="flag_copied", help_text="Summary identical to another visit's.")


class ResidentCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.ChoiceField(choices=ResidentCode.Rating.choices, allow_blank=True)


class VisitSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    cadre = NamedSerializer()
    recorded_by = serializers.SerializerMethodField()
    recorded_on_behalf = serializers.BooleanField(source="is_proxy_entry")
    household = HouseholdBriefSerializer(allow_null=True)
    village = NamedSerializer()
    kind = serializers.ChoiceField(choices=Visit.Kind.choices)
    visited_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    backdate_reason = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True)
    accuracy_m = serializers.IntegerField(allow_null=True)
    companions = serializers.IntegerField()
    thoughts = serializers.CharField()
    wants = serializers.CharField()
    hopes = serializers.CharField()
    complaints = serializers.CharField()
    policies_explained = serializers.CharField()
    help_delivered = serializers.CharField()
    flags = VisitFlagsSerializer(source="*")
    concerns = ConcernSerializer(many=True, source="concern_list")
    photos = serializers.SerializerMethodField(help_text="The photos' addresses, resized and stripped of metadata.")
    resident_code = serializers.SerializerMethodField(
        help_text="The resident's confirmation code: shown only to the visiting cadre and the recorder."
    )

    def get_photos(self, visit) -> list[str]:
        return [photo.image.url for photo in visit.photo_list]

    @extend_schema_field(NamedSerializer)
    def get_recorded_by(self, visit) -> dict:
        user = visit.recorded_by
        cadre = getattr(user, "cadre", None)  # a clerk may have no cadre profile
        return {"id": user.pk, "name": cadre.name if cadre else user.get_full_name() or user.get_username()}

    @extend_schema_field(ResidentCodeSerializer(allow_null=True))
    def get_resident_code(self, visit):
        user_id = self.context["request"].user.pk
        if visit.resident_code is None or user_id not in (visit.cadre.user_id, visit.recorded_by_id):
            return None
        return ResidentCodeSerializer(visit.resident_code).data


class MyHouseholdSerializer(serializers.Serializer):
    """A household on the cadre's list (``visits.selectors.my_households``)."""

    id = serializers.IntegerField()
    display_name = serializers.CharField()
    head_name = serializers.CharField()
    address = serializers.CharField()
    status = serializers.CharField()
    village = NamedSerializer()
    paired = serializers.BooleanField(help_text="Paired with the cadre (else in one of their contact villages).")
    last_visit_at = serializers.DateTimeField(source="last_visit", allow_null=True, help_text="Last in-person visit.")
    days_since = serializers.IntegerField(allow_null=True)
    visited_this_period = serializers.BooleanField(help_text="Visited in person this quarter.")


class MyCommitmentSerializer(serializers.ModelSerializer):
    """An open commitment the cadre owns (``visits.selectors.my_open_commitments``)."""

    household = HouseholdBriefSerializer(allow_null=True)
    village = NamedSerializer()
    category = CategorySerializer()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Commitment
        fields = [
            "id",
            "concern",
            "text",
            "household",
            "village",
            "category",
            "urgency",
            "status",
            "pledged_at",
            "original_due_at",
            "due_at",
            "extension_count",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, commitment) -> bool:
        return commitment.is_overdue(self.context["now"])
