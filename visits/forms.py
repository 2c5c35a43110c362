import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.forms import formset_factory
from django.utils import formats, timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, ContactPoint, Pairing, Posting
from casework.calendar import WorkingCalendar, close_of_business
from casework.models import Category, Concern, PetitionCase, Urgency
from casework.services import deadline_latest
from households.access import Access, id_from
from households.models import Household, Region

from .models import Visit
from .photos import photos_process
from .selectors import own_cadre
from .services import AMENDABLE_FIELDS, ConcernInput

TEXTAREA = {"rows": 2}
# A select longer than this is cut down to the user's own villages.
VILLAGES_OFFERED = 200


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the form's clean_<name> checks their content."""

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class CadreChoiceField(forms.ModelChoiceField):
    """A cadre in the user's scope; the user's own profile (``own``, read with their access) is
    taken as it is: checking it against the scope would only cost a query."""

    own: Cadre | None = None

    def to_python(self, value):
        if self.own is not None and str(value) == str(self.own.pk):
            return self.own
        return super().to_python(value)


class VisitForm(forms.Form):
    id = forms.UUIDField(widget=forms.HiddenInput)
    cadre = CadreChoiceField(
        label=_("visiting cadre"),
        queryset=Cadre.objects.none(),
        help_text=_("Recording for someone else? The visit will show both names."),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=Visit.Kind.choices, initial=Visit.Kind.HOME)
    household = forms.ModelChoiceField(label=_("household"), queryset=Household.objects.none(), required=False)
    village = forms.ModelChoiceField(
        label=_("village"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("For a forum or a reception without a household."),
    )
    visited_at = forms.DateTimeField(
        label=_("visited at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    backdate_reason = forms.CharField(
        label=_("reason for late entry"),
        max_length=200,
        required=False,
    )
    companions = forms.IntegerField(label=_("companions"), min_value=0, max_value=50, initial=0)
    thoughts = forms.CharField(label=_("what they think"), widget=forms.Textarea(attrs=TEXTAREA), required=False)
    wants = forms.CharField(label=_("what they want"), widget=forms.Textarea(attrs=TEXTAREA), required=False)
    hopes = forms.CharField(label=_("what they hope for"), widget=forms.Textarea(attrs=TEXTAREA), required=False)
    complaints = forms.CharField(
        label=_("what they complain about"), widget=forms.Textarea(attrs=TEXTAREA), required=False
    )
    policies_explained = forms.CharField(
        label=_("policies explained"), widget=forms.Textarea(attrs=TEXTAREA), required=False
    )
    help_delivered = forms.CharField(label=_("help delivered"), widget=forms.Textarea(attrs=TEXTAREA), required=False)
    photos = MultipleFileField(
        label=_("photos (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
        help_text=_("Up to 6 photos, 10 MB each. They are evidence, never a score."),
    )
    held_photos = forms.CharField(required=False, widget=forms.HiddenInput)
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, widget=forms.HiddenInput
    )
    accuracy_m = forms.IntegerField(min_value=0, max_value=100000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, access: Access, my_households=list, **kwargs):
        """``my_households`` is called only if the form is shown: a successful POST lists nothing."""
        super().__init__(*args, **kwargs)
        self.fields["backdate_reason"].help_text = _("Needed when the visit was more than %(hours)s hours ago.") % {
            "hours": settings.VISIT_BACKDATE_HOURS
        }
        # Every field accepts any choice in scope; the lists offered are short and built lazily.
        self.fields["household"].queryset = Household.objects.visible_to(access).select_related("village")
        self.fields["village"].queryset = Region.objects.visible_to(access).villages()
        self.fields["cadre"].queryset = Cadre.objects.visible_to(access).filter(is_active=True)
        self.fields["household"].widget.choices = CallableChoiceIterator(lambda: self._household_choices(my_households()))
        self.fields["village"].widget.choices = CallableChoiceIterator(lambda: self._village_choices(access))
        if access.cadre_id:
            self.initial.setdefault("cadre", access.cadre_id)
            self.fields["cadre"].own = own_cadre(access)
        if access.cadre_id and not (access.is_supervisor or access.is_inspector or access.is_admin):
            # A cadre with no scope sees only themself: nothing to choose.
            self.fields["cadre"].widget = forms.HiddenInput()
        else:
            self.fields["cadre"].widget.choices = CallableChoiceIterator(lambda: self._cadre_choices(access))
        if not self.is_bound:
            self.initial.setdefault("id", uuid.uuid4())
            self.initial.setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))

    def _chosen_household(self):
        chosen = _chosen_pk(self["household"].value())
        return self.fields["household"].queryset.filter(pk=chosen).first() if chosen else None

    def _household_choices(self, offered):
        """The cadre's own households, and the one chosen already."""
        chosen = self._chosen_household()
        if chosen and chosen.pk not in {h.pk for h in offered}:
            offered = [*offered, chosen]
        return [("", "---------")] + [(h.pk, f"{h.display_name} · {h.village.name} · {h.address}") for h in offered]

    def _village_choices(self, access: Access):
        """The user's whole scope when it is small, else their own villages (and the one chosen)."""
        villages = self.fields["village"].queryset
        offered = list(villages.order_by("path")[: VILLAGES_OFFERED + 1])
        if len(offered) > VILLAGES_OFFERED:
            wanted = Q(pk__in=access.village_ids) | Q(
                pk__in=Household.objects.filter(pk__in=access.household_ids).values("village_id")
            )
            if chosen := _chosen_pk(self["village"].value()):
                wanted |= Q(pk=chosen)
            offered = list(villages.filter(wanted).order_by("path"))
        return [("", "---------")] + [(v.pk, v.name) for v in offered]

    def _cadre_choices(self, access: Access):
        """The user and the cadres who answer for the chosen household (and the one chosen):
        a city's supervisor may see tens of thousands of cadres."""
        wanted = Q(pk=access.cadre_id) if access.cadre_id else Q(pk__in=[])
        if chosen := _chosen_pk(self["cadre"].value()):
            wanted |= Q(pk=chosen)
        if household := self._chosen_household():
            today = timezone.localdate()
            wanted |= Q(pk__in=Pairing.objects.current(today).filter(household=household).values("cadre"))
            wanted |= Q(pk__in=ContactPoint.objects.current(today).filter(village_id=household.village_id).values("cadre"))
            wanted |= Q(pk__in=Posting.objects.current(today).filter(village_id=household.village_id).values("cadre"))
        offered = self.fields["cadre"].queryset.filter(wanted).select_related("unit").order_by("name", "pk")[:50]
        return [("", "---------")] + [(c.pk, f"{c.name} · {c.unit.name}") for c in offered]

    def clean_photos(self):
        """Process each upload now: a bad one is reported, good ones are kept for this user."""
        uploads = self.files.getlist("photos") if self.files else []
        held = [t for t in self.data.get("held_photos", "").split(",") if t]
        processed, errors = photos_process(uploads, held=len(held))
        self.processed_photos = processed
        if errors:
            raise ValidationError(errors)
        return processed

    def clean(self):
        data = super().clean()
        household, village, kind = data.get("household"), data.get("village"), data.get("kind")
        if household:
            data["village"] = household.village
        elif kind and kind not in Visit.VILLAGE_LEVEL_KINDS:
            self.add_error("household", _("Choose the household visited (only a forum or a reception may be for a whole village)."))
        elif not village:
            self.add_error("village", _("Choose the village."))
        return data


def _chosen_pk(value) -> int | None:
    return None if value is None else id_from(value)


class CategoryChoiceField(forms.ModelChoiceField):
    """An active category. The concern forms of one submission share one read of them
    (``shared``, filled on first use), instead of one query per concern."""

    shared: dict | None = None

    def to_python(self, value):
        if value in self.empty_values or self.shared is None:
            return super().to_python(value)
        if not self.shared:
            self.shared.update({str(category.pk): category for category in self.queryset})
        if str(value) not in self.shared:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return self.shared[str(value)]


class ConcernForm(forms.Form):
    OUTCOMES = [
        (Concern.Outcome.NONE, _("decide later")),
        (Concern.Outcome.PLEDGED, _("pledge a commitment")),
        (Concern.Outcome.RESOLVED, _("resolved on the spot")),
        (Concern.Outcome.REFERRED, _("refer to a petition case")),
        (Concern.Outcome.NOT_ACTIONABLE, _("not actionable")),
    ]

    category = CategoryChoiceField(label=_("category"), queryset=Category.objects.filter(is_active=True))
    urgency = forms.ChoiceField(label=_("urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    text = forms.CharField(label=_("what the resident needs"), widget=forms.Textarea(attrs=TEXTAREA), max_length=2000)
    outcome = forms.ChoiceField(label=_("outcome"), choices=OUTCOMES, initial=Concern.Outcome.NONE, widget=forms.RadioSelect)
    pledge_text = forms.CharField(label=_("what you pledge"), widget=forms.Textarea(attrs=TEXTAREA), required=False)
    due_date = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    note = forms.CharField(
        label=_("what was done, or why it is not actionable"), widget=forms.Textarea(attrs=TEXTAREA), required=False
    )
    petition_case = forms.ModelChoiceField(label=_("petition case"), queryset=PetitionCase.objects.none(), required=False)

    def __init__(self, *args, access: Access, calendar: WorkingCalendar, categories: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        self.fields["category"].shared = categories
        self.fields["petition_case"].queryset = PetitionCase.objects.visible_to(access)

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == Concern.Outcome.PLEDGED:
            if not data.get("pledge_text", "").strip():
                self.add_error("pledge_text", _("Say what you pledge to do."))
            self._check_due_date(data)
        elif outcome in (Concern.Outcome.RESOLVED, Concern.Outcome.NOT_ACTIONABLE) and not data.get("note", "").strip():
            self.add_error("note", _("Say what was done, or why it is not actionable."))
        elif outcome == Concern.Outcome.REFERRED and not data.get("petition_case"):
            self.add_error("petition_case", _("Choose the petition case it was referred to."))
        return data

    def _check_due_date(self, data):
        due, category = data.get("due_date"), data.get("category")
        if not due or not category:
            return
        latest = deadline_latest(category=category, urgency=data.get("urgency"), pledged_at=timezone.now(), calendar=self.calendar)
        if due > timezone.localdate(latest):
            self.add_error(
                "due_date",
                _("The deadline policy allows %(latest)s at the latest.")
                % {"latest": formats.date_format(timezone.localdate(latest), "DATE_FORMAT")},
            )
        elif due < timezone.localdate():
            self.add_error("due_date", _("The due date must be in the future."))

    def to_input(self) -> ConcernInput:
        data = self.cleaned_data
        due = data.get("due_date")
        return ConcernInput(
            category=data["category"],
            urgency=data["urgency"],
            text=data["text"],
            outcome=data["outcome"],
            note=data.get("note", ""),
            pledge_text=data.get("pledge_text", ""),
            due_at=close_of_business(due) if due and data["outcome"] == Concern.Outcome.PLEDGED else None,
            petition_case=data.get("petition_case") if data["outcome"] == Concern.Outcome.REFERRED else None,
        )


class BaseConcernFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {}  # shared by the forms' category fields

    def get_form_kwargs(self, index):
        return super().get_form_kwargs(index) | {"categories": self.categories}

    def clean(self):
        if any(self.errors):
            return
        texts = [form.cleaned_data["text"].strip() for form in self.forms if form.has_changed() and form.cleaned_data]
        if len(texts) != len(set(texts)):
            raise ValidationError(_("The same concern is listed twice."))


ConcernFormSet = formset_factory(ConcernForm, formset=BaseConcernFormSet, extra=1, max_num=20, validate_max=True)


class VisitAmendForm(forms.ModelForm):
    """Correct a visit (inside the author's 24 hours) or amend it with a reason (afterwards)."""

    reason = forms.CharField(label=_("reason for the change"), widget=forms.Textarea(attrs=TEXTAREA), required=False, max_length=1000)

    class Meta:
        model = Visit
        fields = AMENDABLE_FIELDS
        widgets = {
            "visited_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            **{name: forms.Textarea(attrs=TEXTAREA) for name in ("thoughts", "wants", "hopes", "complaints", "policies_explained", "help_delivered")},
        }

    def __init__(self, *args, in_window: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = not in_window
        self.fields["companions"].max_value = 50
        self.fields["companions"].validators.append(MaxValueValidator(50))
        if self.instance.household_id is None:
            self.fields["kind"].choices = [c for c in Visit.Kind.choices if c[0] in Visit.VILLAGE_LEVEL_KINDS]

    def clean_visited_at(self):
        # The input shows minutes only: the same minute is no change.
        value = self.cleaned_data["visited_at"]
        if value and value == self.instance.visited_at.replace(second=0, microsecond=0):
            return self.instance.visited_at
        return value

    def _post_clean(self):
        # The service applies and validates the change; the instance must stay as it was until then.
        pass
