from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calendar import close_of_business
from .lifecycle import extension_latest
from .models import Commitment, CommitmentRequest

TEXTAREA = {"rows": 2}
NOTE_MAX_CHARS = 1000
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# What evidence may be, told by its first bytes rather than by its name: (signature, extension).
EVIDENCE_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def _note(label, *, required=False, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=help_text,
    )


def evidence_kind(upload) -> str | None:
    """The evidence file's extension judged by its content, or None when it is not one we take."""
    head = upload.read(16)
    upload.seek(0)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((ext for signature, ext in EVIDENCE_SIGNATURES if head.startswith(signature)), None)


class StartForm(forms.Form):
    """Nothing to fill in: the button alone starts the work."""


class ProgressForm(forms.Form):
    text = _note(_("what was done"), required=True)
    evidence = forms.FileField(
        label=_("evidence (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
        help_text=_("A photo or a PDF, 10 MB at most."),
    )

    def clean_evidence(self):
        upload = self.cleaned_data["evidence"]
        if not upload:
            return None
        if upload.size > EVIDENCE_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        kind = evidence_kind(upload)
        if kind is None:
            raise ValidationError(_("Attach a photo (JPEG, PNG, GIF, WebP) or a PDF."))
        upload.name = f"evidence.{kind}"
        return upload


class ReportDoneForm(forms.Form):
    note = _note(_("what was done (optional)"))


class VerifyForm(forms.Form):
    note = _note(_("note (optional)"), help_text=_("For example: seen on site, or confirmed by phone."))


class ExtensionForm(forms.Form):
    proposed_due_at = forms.DateField(label=_("new due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = _note(_("reason"), required=True)

    def __init__(self, *args, commitment: Commitment, **kwargs):
        super().__init__(*args, **kwargs)
        # The phone's date picker offers only the days the policy allows; the service checks again.
        today = timezone.localdate()
        earliest = max(timezone.localdate(commitment.due_at), today) + timedelta(days=1)
        latest = timezone.localdate(extension_latest(commitment))
        self.fields["proposed_due_at"].widget.attrs |= {"min": earliest.isoformat(), "max": latest.isoformat()}
        self.fields["proposed_due_at"].help_text = _("Between %(earliest)s and %(latest)s.") % {
            "earliest": earliest.isoformat(),
            "latest": latest.isoformat(),
        }

    def due_moment(self):
        """The deadline moment of the chosen day, at close of business like every due date."""
        return close_of_business(self.cleaned_data["proposed_due_at"])


class CancellationForm(forms.Form):
    reason = _note(_("reason"), required=True)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[(CommitmentRequest.Decision.APPROVED, _("Approve")), (CommitmentRequest.Decision.REFUSED, _("Refuse"))],
    )
    note = _note(_("note (optional)"))
