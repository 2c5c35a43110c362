"""A resident confirms and rates one visit or pledge with a code, without an account."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from casework.models import Commitment, CommitmentTransition, ResidentCode
from casework.services import resident_code_use
from tests import factories as f
from tests.conftest import race


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Wrong codes are counted per address in the cache; every test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def visit_with_code(world, **code):
    return f.VisitFactory(cadre=world.cadre, household=world.household_in, resident_code=f.ResidentCodeFactory(**code))


def commitment_with_code(world, *, reported_done=True):
    commitment = f.CommitmentFactory(concern=f.ConcernFactory(household=world.household_in), owner=world.cadre)
    if reported_done:
        commitment.transition(Commitment.Status.REPORTED_DONE, by=world.cadre_user)
    code = f.ResidentCodeFactory(purpose=ResidentCode.Purpose.COMMITMENT, commitment=commitment)
    return commitment, code


def url(code: str) -> str:
    return reverse("resident_confirm", args=[code])


def main(response) -> str:
    """The page's own content, without the footer's per-request form fields."""
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


ANSWER = {"happened": "on", "rating": "satisfied", "comment": "Came on time and listened"}


# --- Visits ----------------------------------------------------------------------------------


def test_a_resident_confirms_a_visit_once_and_the_visit_page_shows_the_rating(client, world):
    visit = visit_with_code(world)
    code = visit.resident_code

    page = client.get(url(code.code))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cadre Zhang" in text and "Unit A" in text and "Village 1" in text and visit.get_kind_display() in text
    assert 'name="csrfmiddlewaretoken"' in text and 'data-testid="whoami"' not in text

    done = client.post(url(code.code), ANSWER)
    assert done.status_code == 200 and 'data-testid="resident-thanks"' in done.content.decode()
    code.refresh_from_db()
    assert code.used_at is not None and code.rating == "satisfied" and code.comment == "Came on time and listened"

    client.force_login(world.cadre_user)
    detail = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert "满意" in detail and reverse("visit_card", args=[visit.pk]) in detail


def test_a_used_code_is_refused_and_shows_no_item(client, world):
    visit = visit_with_code(world)
    client.post(url(visit.resident_code.code), ANSWER)

    again = client.post(url(visit.resident_code.code), ANSWER | {"rating": "dissatisfied"})
    assert again.status_code == 410
    text = again.content.decode()
    assert 'data-testid="resident-closed"' in text and "Cadre Zhang" not in text and "Village 1" not in text
    assert client.get(url(visit.resident_code.code)).status_code == 410
    visit.resident_code.refresh_from_db()
    assert visit.resident_code.rating == "satisfied"


def test_an_expired_code_is_refused_and_stays_unused(client, world):
    now = timezone.now()
    visit = visit_with_code(world, created_at=now - timedelta(days=31), expires_at=now - timedelta(days=1))
    assert client.get(url(visit.resident_code.code)).status_code == 410
    response = client.post(url(visit.resident_code.code), ANSWER)
    assert response.status_code == 410 and "Cadre Zhang" not in response.content.decode()
    visit.resident_code.refresh_from_db()
    assert visit.resident_code.used_at is None


def test_an_unknown_code_is_404_and_looks_like_any_other_bad_code(client, world):
    never = client.get(url("ZZZZ2345"))
    malformed = client.get(url("not-a-code!"))
    orphan = f.ResidentCodeFactory()  # a visit code whose visit is gone
    gone = client.get(url(orphan.code))
    assert never.status_code == malformed.status_code == gone.status_code == 404
    assert main(never) == main(malformed) == main(gone) and 'data-testid="resident-unknown"' in main(never)
    assert client.post(url("ZZZZ2345"), ANSWER).status_code == 404


def test_a_code_typed_in_lower_case_with_spaces_is_accepted(client, world):
    visit = visit_with_code(world)
    typed = f" {visit.resident_code.code[:4].lower()} {visit.resident_code.code[4:].lower()} "
    assert client.get(url(typed)).status_code == 200
    assert client.post(url(typed), ANSWER).status_code == 200
    visit.resident_code.refresh_from_db()
    assert visit.resident_code.used_at is not None


def test_the_page_shows_no_other_personal_data(client, world):
    household = world.household_in
    household.head_name, household.address, household.phone_masked = "Wang Dashan", "12 Plum Lane", "138****4321"
    household.save()
    f.MemberFactory(household=household, name="Wang Xiaohong", id_number_masked="330102**********1234", phone_masked="139****8765")
    other = f.VisitFactory(cadre=world.cadre, household=household, thoughts="Worried about the son's debts")
    other.concerns.add(f.ConcernFactory(household=household, text="Private matter about an illness"))
    visit = visit_with_code(world)

    text = client.get(url(visit.resident_code.code)).content.decode()
    for private in ("Wang Dashan", "12 Plum Lane", "138****4321", "Wang Xiaohong", "330102", "139****8765", "debts", "illness", "Township 1"):
        assert private not in text, private


def test_a_confirmation_without_a_rating_keeps_what_was_typed_and_changes_nothing(client, english, world):
    visit = visit_with_code(world)
    response = client.post(url(visit.resident_code.code), {"happened": "on", "rating": "great", "comment": "Kind words"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Choose how satisfied you are." in text and "Kind words" in text and "checked" in text
    missing_tick = client.post(url(visit.resident_code.code), {"rating": "satisfied"}).content.decode()
    assert "Please tick this box to confirm." in missing_tick
    too_long = client.post(url(visit.resident_code.code), ANSWER | {"comment": "x" * 501})
    assert too_long.status_code == 200 and "x" * 501 in too_long.content.decode()
    visit.resident_code.refresh_from_db()
    assert visit.resident_code.used_at is None and visit.resident_code.rating == ""


def test_only_get_and_post_are_answered(client, world):
    visit = visit_with_code(world)
    assert client.put(url(visit.resident_code.code)).status_code == 405


# --- Rate limiting ---------------------------------------------------------------------------


def test_too_many_bad_codes_from_one_address_are_answered_429_and_other_addresses_are_not(client, english, world, settings):
    settings.RESIDENT_CODE_ATTEMPTS = 3
    visit = visit_with_code(world)
    for guess in ("AAAA2345", "AAAA2346", "AAAA2347"):
        assert client.get(url(guess), REMOTE_ADDR="10.0.0.1").status_code == 404
    limited = client.get(url(visit.resident_code.code), REMOTE_ADDR="10.0.0.1")
    assert limited.status_code == 429 and int(limited["Retry-After"]) == 15 * 60
    text = limited.content.decode()
    assert "Please wait 15 minutes" in text and "Cadre Zhang" not in text
    assert client.post(url(visit.resident_code.code), ANSWER, REMOTE_ADDR="10.0.0.1").status_code == 429

    assert client.get(url(visit.resident_code.code), REMOTE_ADDR="10.0.0.2").status_code == 200
    assert client.get(url("AAAA2348"), REMOTE_ADDR="10.0.0.2").status_code == 404
    visit.resident_code.refresh_from_db()
    assert visit.resident_code.used_at is None


def test_behind_a_proxy_each_client_is_limited_apart_and_cannot_escape_by_its_own_header(client, english, world, settings):
    settings.RESIDENT_CODE_ATTEMPTS = 3
    settings.TRUSTED_PROXY_COUNT = 1
    visit = visit_with_code(world)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    # A guesser varies the header it sends; the proxy appends the address it really came from.
    for i, guess in enumerate(("AAAA2345", "AAAA2346", "AAAA2347")):
        assert client.get(url(guess), HTTP_X_FORWARDED_FOR=f"1.1.1.{i}, 203.0.113.7", **proxy).status_code == 404
    assert client.get(url(visit.resident_code.code), HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7", **proxy).status_code == 429
    # Another resident behind the same proxy is not held up.
    assert client.get(url(visit.resident_code.code), HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 200


def test_valid_codes_do_not_count_against_the_limit(client, world, settings):
    settings.RESIDENT_CODE_ATTEMPTS = 2
    visit = visit_with_code(world)
    assert client.get(url("AAAA2345")).status_code == 404
    for _ in range(5):
        assert client.get(url(visit.resident_code.code)).status_code == 200
    assert client.get(url("AAAA2346")).status_code == 404
    assert client.get(url("AAAA2347")).status_code == 429


def test_the_window_ends(client, world, settings):
    settings.RESIDENT_CODE_ATTEMPTS = 1
    assert client.get(url("AAAA2345")).status_code == 404
    assert client.get(url("AAAA2345")).status_code == 429
    cache.delete("resident-code-misses:127.0.0.1")  # what the window's expiry does
    assert client.get(url("AAAA2345")).status_code == 404


# --- Commitments -----------------------------------------------------------------------------


def test_a_satisfied_resident_confirms_a_commitment_reported_done(world):
    commitment, code = commitment_with_code(world)
    used = resident_code_use(code=code.code.lower(), rating="basically", comment="Fixed, a bit late")
    assert used.pk == code.pk and used.rating == "basically"
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.CONFIRMED and commitment.closed_at is not None
    last = commitment.transitions.latest("at")
    assert (last.from_status, last.to_status, last.by) == ("reported_done", "confirmed", None)
    assert "Fixed, a bit late" in last.reason


def test_a_dissatisfied_resident_reopens_the_commitment(client, english, world):
    commitment, code = commitment_with_code(world)
    response = client.post(url(code.code), {"happened": "on", "rating": "dissatisfied", "comment": ""})
    assert response.status_code == 200 and 'data-testid="resident-thanks"' in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.REOPENED and commitment.closed_at is None
    last = commitment.transitions.latest("at")
    assert (last.to_status, last.by, last.reason) == ("reopened", None, "Resident not satisfied")


def test_a_commitment_page_shows_only_the_pledge(client, world):
    commitment, code = commitment_with_code(world)
    text = client.get(url(code.code)).content.decode()
    assert commitment.text in text and "Cadre Zhang" in text and commitment.get_status_display() in text
    assert "Wang" not in text and commitment.concern.text not in text


def test_a_commitment_not_reported_done_is_refused_and_the_code_stays_valid(client, world):
    commitment, code = commitment_with_code(world, reported_done=False)
    with pytest.raises(ValidationError) as refused:
        resident_code_use(code=code.code, rating="satisfied", comment="")
    assert refused.value.code == "not_reported_done"

    page = client.get(url(code.code)).content.decode()
    assert 'data-testid="awaiting-report"' in page and 'data-testid="resident-form"' not in page
    assert client.post(url(code.code), ANSWER).status_code == 200

    code.refresh_from_db()
    commitment.refresh_from_db()
    assert code.used_at is None and code.rating == ""
    assert commitment.status == Commitment.Status.PLEDGED
    assert not CommitmentTransition.objects.filter(commitment=commitment, to_status__in=["confirmed", "reopened"]).exists()


def test_a_bad_rating_is_refused_and_nothing_changes(world):
    commitment, code = commitment_with_code(world)
    with pytest.raises(ValidationError) as refused:
        resident_code_use(code=code.code, rating="great", comment="")
    assert "rating" in refused.value.message_dict
    with pytest.raises(ValidationError) as too_long:
        resident_code_use(code=code.code, rating="satisfied", comment="x" * 501)
    assert "comment" in too_long.value.message_dict
    code.refresh_from_db()
    commitment.refresh_from_db()
    assert code.used_at is None and commitment.status == Commitment.Status.REPORTED_DONE


def test_the_service_refuses_used_expired_and_unknown_codes(world):
    commitment, code = commitment_with_code(world)
    resident_code_use(code=code.code, rating="satisfied", comment="")
    later = timezone.now() + timedelta(days=365)
    fresh = f.ResidentCodeFactory()
    for value, now, reason in ((code.code, None, "used"), (fresh.code, later, "expired"), ("ZZZZ2345", None, "unknown")):
        with pytest.raises(ValidationError) as refused:
            resident_code_use(code=value, rating="satisfied", comment="", now=now)
        assert refused.value.code == reason


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_code_sent_twice_at_once_is_used_once(world):
    commitment, code = commitment_with_code(world)

    def submit(rating):
        def act():
            resident_code_use(code=code.code, rating=rating, comment="")
            return rating

        return act

    outcomes = race(submit("satisfied"), submit("dissatisfied"))
    outcomes = ["refused" if isinstance(o, ValidationError) else o for o in outcomes]

    assert len(outcomes) == 2 and outcomes.count("refused") == 1
    winner = next(o for o in outcomes if o != "refused")
    code.refresh_from_db()
    commitment.refresh_from_db()
    assert code.rating == winner
    assert commitment.status == ("confirmed" if winner == "satisfied" else "reopened")
    assert commitment.transitions.filter(to_status__in=["confirmed", "reopened"]).count() == 1


# --- The visit card --------------------------------------------------------------------------


def test_the_visit_card_shows_each_code_with_its_link_and_qr(client, world):
    visit = visit_with_code(world)
    commitment, pledge_code = commitment_with_code(world, reported_done=False)
    visit.concerns.add(commitment.concern)
    client.force_login(world.cadre_user)

    response = client.get(reverse("visit_card", args=[visit.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    for code in (visit.resident_code.code, pledge_code.code):
        assert code in text and f"http://testserver{url(code)}" in text
    assert text.count("<svg") == 2 and "@media print" not in text  # print rules live in the stylesheet
    assert commitment.text in text


def test_a_used_code_on_the_card_shows_the_rating_instead_of_a_qr(client, world):
    visit = visit_with_code(world, used_at=timezone.now(), rating="basically")
    client.force_login(world.cadre_user)
    text = client.get(reverse("visit_card", args=[visit.pk])).content.decode()
    assert "<svg" not in text and "基本满意" in text


def test_the_visit_card_is_404_outside_the_viewers_scope(client, world):
    visit = visit_with_code(world)
    client.force_login(world.outsider_user)
    assert client.get(reverse("visit_card", args=[visit.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("visit_card", args=[visit.pk])).status_code == 302
