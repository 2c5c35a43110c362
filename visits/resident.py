"""The resident's side of a visit: confirm and rate one item with a code, without an account.

Also the printable visit card a cadre shows or hands over, with each code as a link and a QR code.
"""

import re

import qrcode
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from qrcode.image.svg import SvgPathImage

from cadres.middleware import client_address
from casework.models import Commitment, ResidentCode
from casework.services import RESIDENT_COMMENT_MAX_CHARS, resident_code_normalize, resident_code_use

from .models import Visit

# Anything else cannot be a code: answered as unknown without asking the database.
CODE_SHAPE = re.compile(r"[A-Z0-9]{4,16}")


class ResidentConfirmForm(forms.Form):
    happened = forms.BooleanField(error_messages={"required": _("Please tick this box to confirm.")})
    rating = forms.ChoiceField(
        label=_("How satisfied are you?"),
        choices=ResidentCode.Rating.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
        error_messages={"required": _("Choose how satisfied you are."), "invalid_choice": _("Choose how satisfied you are.")},
    )
    comment = forms.CharField(
        label=_("Anything you want to say (optional)"),
        required=False,
        max_length=RESIDENT_COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args, purpose: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["happened"].label = (
            _("Yes, the cadre really visited me.")
            if purpose == ResidentCode.Purpose.VISIT
            else _("Yes, I know how this matter was handled.")
        )


# --- Rate limiting: a fixed window per client address, counted in the shared cache -------------


def _misses_key(request) -> str:
    return f"resident-code-misses:{client_address(request)}"


def _is_limited(request) -> bool:
    return (cache.get(_misses_key(request)) or 0) >= settings.RESIDENT_CODE_ATTEMPTS


def _count_miss(request) -> None:
    key, window = _misses_key(request), settings.RESIDENT_CODE_WINDOW_MINUTES * 60
    # add() is atomic and starts the window only once; incr() is atomic and keeps its expiry.
    cache.add(key, 0, window)
    try:
        cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.add(key, 1, window)


# --- The resident's page ---------------------------------------------------------------------


def _lookup(code: str) -> tuple[ResidentCode | None, Visit | Commitment | None]:
    """The code and the one item it opens, or (None, None) for anything that is not a live code."""
    if not CODE_SHAPE.fullmatch(code):
        return None, None
    item = (
        ResidentCode.objects.select_related("commitment__owner", "visit__cadre__unit", "visit__village")
        .filter(code=code)
        .first()
    )
    if item is None:
        return None, None
    target = item.commitment if item.purpose == ResidentCode.Purpose.COMMITMENT else getattr(item, "visit", None)
    return (item, target) if target is not None else (None, None)


def _page(request, template: str, context=None, *, status: int = 200):
    return render(request, f"visits/{template}", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def resident_confirm(request, code):
    """/r/<code>/: a resident confirms one visit or pledge and rates it. No account, no other data."""
    if _is_limited(request):
        response = _page(request, "resident_limited.html", {"minutes": settings.RESIDENT_CODE_WINDOW_MINUTES}, status=429)
        response["Retry-After"] = str(settings.RESIDENT_CODE_WINDOW_MINUTES * 60)
        return response
    code = resident_code_normalize(code)
    item, target = _lookup(code)
    if item is None:
        _count_miss(request)
        return _page(request, "resident_unknown.html", status=404)
    if not item.is_usable():
        _count_miss(request)
        return _page(request, "resident_closed.html", {"used": item.used_at is not None}, status=410)

    awaiting_report = item.commitment is not None and item.commitment.status != Commitment.Status.REPORTED_DONE
    form = ResidentConfirmForm(request.POST if request.method == "POST" else None, purpose=item.purpose)
    if request.method == "POST" and not awaiting_report and form.is_valid():
        try:
            used = resident_code_use(code=code, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"])
        except ValidationError as error:
            # Field errors (rating, comment) go next to their field; the code's own, above the form.
            form.add_error(None, error)
        else:
            return _page(request, "resident_thanks.html", {"item": used})
    return _page(request, "resident_confirm.html", {"item": item, "target": target, "form": form, "awaiting_report": awaiting_report})


# --- The printable visit card ----------------------------------------------------------------


def qr_svg(data: str, *, label: str) -> str:
    """An inline SVG QR code of ``data``, drawn on the server: no script, no external request."""
    image = qrcode.make(data, image_factory=SvgPathImage)
    # A page may hold several codes: drop the fixed element id so ids stay unique.
    image.path.attrib.pop("id", None)
    svg = image.get_image()
    svg.set("role", "img")
    svg.set("aria-label", label)
    # ElementTree escapes the label; ``data`` is drawn as modules and never appears as text.
    return mark_safe(image.to_string(encoding="unicode"))


def _card_entry(request, item: ResidentCode, title: str) -> dict:
    link = request.build_absolute_uri(reverse("resident_confirm", args=[item.code]))
    usable = item.is_usable()
    qr = qr_svg(link, label=_("QR code of the link for code %(code)s") % {"code": item.code}) if usable else ""
    return {"title": title, "item": item, "link": link, "usable": usable, "qr": qr}


@login_required
def visit_card(request, pk):
    """The codes of a visit and of the pledges made on it, to show on a phone or print."""
    visit = Visit.objects.select_related("cadre__unit", "village", "resident_code").get_visible_or_404(request.access, pk=pk)
    entries = []
    if visit.resident_code:
        entries.append(_card_entry(request, visit.resident_code, str(_("Confirm this visit"))))
    pledged = (
        ResidentCode.objects.filter(commitment__concern__raised_on_visits=visit)
        .select_related("commitment")
        .order_by("created_at", "pk")
    )
    entries += [_card_entry(request, item, item.commitment.text) for item in pledged]
    return render(request, "visits/visit_card.html", {"visit": visit, "entries": entries})
