"""Forms of the supervision and accountability pages.

Every object a form links to is looked up through its model's scoped ``get_visible_or_404``
with an access narrowed to the report's or the action's region: an id from elsewhere is a
message next to the field ("not found in …"), exactly as if it did not exist.
"""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from casework.models import Commitment, PetitionCase
from households.access import Access, id_from, path_q
from households.models import Region
from visits.models import Visit

from . import selectors
from .models import AccountabilityAction, ExemptionRequest, Finding, Notice, SupervisionReport

TEXT_MAX_CHARS = 5000
NOTE_MAX_CHARS = 1000
DATE = {"type": "date"}


def _date(label, *, required=True, help_text=""):
    return forms.DateField(
        label=label, required=required, help_text=help_text, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )


def _text(label, *, required=True, rows=4, max_length=TEXT_MAX_CHARS, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class RegionField(forms.ModelChoiceField):
    """A region of the writer's scope. Any region in scope is accepted; the list offered is the
    short one of ``selectors.scope_regions``."""

    def __init__(self, *, scope, **kwargs):
        paths = [path for path, _unit in scope]
        super().__init__(
            queryset=Region.objects.filter(path_q("path", paths)),
            label=_("region"),
            error_messages={"invalid_choice": _("Choose a region within your scope.")},
            **kwargs,
        )
        self.widget.choices = [("", "---------")] + selectors.region_choices(selectors.scope_regions(scope))


class ReportForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    period_start = _date(_("period start"))
    period_end = _date(_("period end"))
    summary = _text(_("summary"), required=False)
    rectification_due = _date(
        _("rectification deadline"),
        required=False,
        help_text=_("By when the findings must be put right. Needed to issue a report with findings."),
    )

    def __init__(self, *args, access: Access, report: SupervisionReport | None = None, **kwargs):
        if report is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": report.title,
                "region": report.region_id,
                "period_start": report.period_start,
                "period_end": report.period_end,
                "summary": report.summary,
                "rectification_due": report.rectification_due,
            }
        super().__init__(*args, **kwargs)
        self.fields["region"] = RegionField(scope=access.supervision)
        self.order_fields(["title", "region", "period_start", "period_end", "summary", "rectification_due"])

    def clean(self):
        cleaned = super().clean()
        start, end, due = cleaned.get("period_start"), cleaned.get("period_end"), cleaned.get("rectification_due")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the period is before its start."))
        if due and end and due < end:
            self.add_error("rectification_due", _("The rectification deadline cannot be before the end of the period."))
        return cleaned


def _lookup(queryset, where: Access, error, **lookup):
    """The object if ``where`` sees it, else ``error`` for the field."""
    try:
        return queryset.get_visible_or_404(where, **lookup)
    except Http404:
        raise ValidationError(error, code="not_found") from None


def _number(value: str, error) -> int:
    number = id_from(value.strip().lstrip("#"))
    if number is None:
        raise ValidationError(error, code="invalid")
    return number


class FindingForm(forms.Form):
    """A finding, optionally linked to a cadre, a visit, a commitment or a petition case of the
    report's region, each given by its number (a visit by its id), or picked from a search."""

    text = _text(_("finding"))
    cadre = forms.CharField(
        label=_("cadre"), required=False, max_length=40, help_text=_("Number or account name; empty for none.")
    )
    commitment = forms.CharField(label=_("commitment"), required=False, max_length=20, help_text=_("Number."))
    petition_case = forms.CharField(label=_("petition case"), required=False, max_length=20, help_text=_("Number."))
    visit = forms.CharField(label=_("visit"), required=False, max_length=40, help_text=_("The visit's id."))

    def __init__(self, *args, report: SupervisionReport, finding: Finding | None = None, **kwargs):
        if finding is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "text": finding.text,
                "cadre": finding.cadre_id or "",
                "commitment": finding.commitment_id or "",
                "petition_case": finding.petition_case_id or "",
                "visit": finding.visit_id or "",
            }
        super().__init__(*args, **kwargs)
        self.report = report
        self.where = selectors.region_access(((report.region.path, report.unit_id),), report.region, kind="supervision")
        self.missing = _("Not found in %(region)s.") % {"region": report.region.name}

    def clean_cadre(self):
        value = self.cleaned_data["cadre"].strip()
        if not value:
            return None
        number = id_from(value.lstrip("#"))
        lookup = {"pk": number} if number is not None else {"user__username": value}
        return _lookup(Cadre.objects.select_related("unit"), self.where, self.missing, **lookup)

    def clean_commitment(self):
        value = self.cleaned_data["commitment"]
        if not value.strip():
            return None
        pk = _number(value, _("Give the commitment's number."))
        return _lookup(Commitment.objects.select_related("owner"), self.where, self.missing, pk=pk)

    def clean_petition_case(self):
        value = self.cleaned_data["petition_case"]
        if not value.strip():
            return None
        pk = _number(value, _("Give the petition case's number."))
        return _lookup(PetitionCase.objects.select_related("owning_leader"), self.where, self.missing, pk=pk)

    def clean_visit(self):
        value = self.cleaned_data["visit"].strip()
        if not value:
            return None
        try:
            pk = uuid.UUID(value)
        except ValueError:
            raise ValidationError(_("Give the visit's id, as shown on the visit's page."), code="invalid") from None
        return _lookup(Visit.objects.select_related("cadre"), self.where, self.missing, pk=pk)

    def clean(self):
        cleaned = super().clean()
        # A finding about an item names the cadre who answers for it, unless another is named:
        # the cadre is who sees the issued report and whose archive shows the finding.
        if not cleaned.get("cadre") and not self.has_error("cadre"):
            item = cleaned.get("commitment") or cleaned.get("visit") or cleaned.get("petition_case")
            if isinstance(item, Commitment):
                cleaned["cadre"] = item.owner
            elif isinstance(item, Visit):
                cleaned["cadre"] = item.cadre
            elif isinstance(item, PetitionCase):
                cleaned["cadre"] = item.owning_leader
        return cleaned


class ActionForm(forms.Form):
    """An accountability action on a cadre or a unit (fixed by the view), with its grounds."""

    form = forms.ChoiceField(label=_("form"), choices=AccountabilityAction.Form.choices)
    grounds = _text(_("grounds"), help_text=_("The facts: what was not done, since when, and its effect."))
    deciding_body = forms.CharField(
        label=_("deciding body"),
        max_length=100,
        required=False,
        help_text=_("For example: the county commission for discipline inspection."),
    )
    commitments = forms.ModelMultipleChoiceField(
        label=_("overdue commitments"),
        queryset=Commitment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Commitment %(value)s is not an overdue commitment of this subject in your scope.")
        },
    )
    findings = forms.ModelMultipleChoiceField(
        label=_("supervision findings"),
        queryset=Finding.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Finding %(value)s is not an issued finding on this cadre in your scope.")},
    )

    def __init__(self, *args, access: Access, subject, action: AccountabilityAction | None = None, **kwargs):
        if action is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "form": action.form,
                "grounds": action.grounds,
                "deciding_body": action.deciding_body,
                "region": action.region_id,
                "commitments": [c.pk for c in action.commitments.all()],
                "findings": [f.pk for f in action.findings.all()],
            }
        super().__init__(*args, **kwargs)
        self.fields["region"] = RegionField(
            scope=access.inspection, help_text=_("Who may see the action: those whose scope covers this region.")
        )
        self.order_fields(["form", "region", "grounds", "commitments", "findings", "deciding_body"])
        self.subject = subject
        self.where = Access(user_id=None, inspection=access.inspection)
        cadre = subject if isinstance(subject, Cadre) else None
        candidates = selectors.overdue_candidates(self.where, cadre=cadre, unit=None if cadre else subject)
        finding_choices = selectors.finding_choices(self.where, cadre=cadre)
        if action is not None:
            # What it already cites stays citable, e.g. a pledge confirmed since.
            candidates = Commitment.objects.filter(
                Q(pk__in=candidates.values("pk")) | Q(pk__in=action.commitments.values("pk"))
            ).select_related("village", "owner")
            finding_choices = Finding.objects.filter(
                Q(pk__in=finding_choices.values("pk")) | Q(pk__in=action.findings.values("pk"))
            ).select_related("report")
        _offer(self.fields["commitments"], candidates.order_by("due_at", "pk"), _commitment_label)
        _offer(self.fields["findings"], finding_choices.order_by("-report__issued_at", "pk"), _finding_label)

    def clean(self):
        cleaned = super().clean()
        region = cleaned.get("region")
        if region is None:
            return cleaned
        where = selectors.region_access(self.where.inspection, region, kind="inspection")
        if isinstance(self.subject, Cadre):
            if not Cadre.objects.visible_to(where).filter(pk=self.subject.pk).exists():
                self.add_error(
                    "region",
                    _("%(name)s does not work in %(region)s.") % {"name": self.subject.name, "region": region.name},
                )
        elif not self.subject.region.path.startswith(region.path) and not region.path.startswith(
            self.subject.region.path
        ):
            self.add_error(
                "region", _("%(name)s is not in %(region)s.") % {"name": self.subject.name, "region": region.name}
            )
        outside = [c for c in cleaned.get("commitments", ()) if not c.village.path.startswith(region.path)]
        if outside:
            self.add_error(
                "commitments",
                _("Outside %(region)s: %(items)s.")
                % {"region": region.name, "items": ", ".join(f"#{c.pk}" for c in outside)},
            )
        return cleaned


def _offer(field, queryset, label) -> None:
    """Accept any of ``queryset``; list the first of them (the lists are kept short)."""
    field.queryset = queryset
    field.widget.choices = [(obj.pk, label(obj)) for obj in queryset[: selectors.CANDIDATES_SHOWN]]


def _commitment_label(commitment: Commitment) -> str:
    days = commitment.overdue_days(timezone.now())
    due = timezone.localdate(commitment.due_at).isoformat()
    if days:
        return _("#%(pk)s %(text)s · %(village)s · due %(due)s, overdue %(days)s days") % {
            "pk": commitment.pk,
            "text": commitment.text,
            "village": commitment.village.name,
            "due": due,
            "days": days,
        }
    return _("#%(pk)s %(text)s · %(village)s · due %(due)s") % {
        "pk": commitment.pk,
        "text": commitment.text,
        "village": commitment.village.name,
        "due": due,
    }


def _finding_label(finding: Finding) -> str:
    return f"{finding.report.title}: {finding.text}"


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("new status"))
    decided_on = _date(_("decided on"), required=False, help_text=_("Needed to record the decision."))
    deciding_body = forms.CharField(label=_("deciding body"), max_length=100, required=False)
    note = _text(
        _("note"), required=False, rows=2, max_length=NOTE_MAX_CHARS, help_text=_("Needed to revoke the action.")
    )

    def __init__(self, *args, action: AccountabilityAction, **kwargs):
        kwargs.setdefault("initial", {"deciding_body": action.deciding_body, "decided_on": action.decided_on})
        super().__init__(*args, **kwargs)
        labels = dict(AccountabilityAction.Status.choices)
        allowed = AccountabilityAction.TRANSITIONS[action.status]
        self.fields["to"].choices = [
            (value, labels[value]) for value in AccountabilityAction.Status.values if value in allowed
        ]
        if AccountabilityAction.Status.DECIDED not in allowed:
            # The decision is dated and named once, when it is recorded.
            del self.fields["decided_on"], self.fields["deciding_body"]

    def clean_decided_on(self):
        day = self.cleaned_data["decided_on"]
        if day and day > timezone.localdate():
            raise ValidationError(_("The decision date cannot be in the future."))
        return day


class ExemptionForm(forms.Form):
    grounds = _text(
        _("grounds"),
        help_text=_("Why the action should be waived: what was tried, what stood in the way (容错免责)."),
    )


class ExemptionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[(ExemptionRequest.Decision.GRANTED, _("Grant")), (ExemptionRequest.Decision.REFUSED, _("Refuse"))],
    )
    note = _text(_("note"), rows=2, max_length=NOTE_MAX_CHARS)


class NoticeForm(forms.Form):
    number = forms.CharField(label=_("document number"), max_length=60, help_text=_("For example: 云纪通〔2026〕3号."))
    title = forms.CharField(label=_("title"), max_length=200)
    issuer = forms.CharField(label=_("issued by (body)"), max_length=100)
    issued_on = _date(_("date of issue"))
    body = _text(
        _("text"), rows=8, help_text=_("The introduction; the actions are listed after it, one paragraph each.")
    )
    actions = forms.ModelMultipleChoiceField(
        label=_("accountability actions"),
        queryset=AccountabilityAction.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Action %(value)s is not a decided action in your scope.")},
    )

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = RegionField(scope=access.inspection, help_text=_("Where the notice is circulated."))
        self.order_fields(["number", "title", "issuer", "region", "issued_on", "body", "actions"])
        self.where = Access(user_id=None, inspection=access.inspection)
        _offer(self.fields["actions"], selectors.noticeable_actions(self.where), _action_label)

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if Notice.objects.filter(number=number).exists():
            raise ValidationError(_("A notice with this number exists already."))
        return number

    def clean(self):
        cleaned = super().clean()
        region = cleaned.get("region")
        outside = [a for a in cleaned.get("actions", ()) if region and not a.region.path.startswith(region.path)]
        if outside:
            self.add_error(
                "actions",
                _("Outside %(region)s: %(items)s.")
                % {"region": region.name, "items": ", ".join(str(a) for a in outside)},
            )
        return cleaned


def _action_label(action: AccountabilityAction) -> str:
    subject = action.subject_cadre or action.subject_unit
    label = f"{subject} · {action.get_form_display()} · {action.decided_on or ''}"
    # Circulated already (the notices come prefetched): said, so that it is not circulated twice by mistake.
    if numbers := [notice.number for notice in action.notices.all()]:
        label += " · " + _("already in %(numbers)s") % {"numbers": "、".join(numbers)}
    return label
