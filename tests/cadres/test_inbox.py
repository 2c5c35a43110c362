"""The inbox: my notifications, the unread count in the navigation, opening and marking read."""

import pytest
from django.urls import reverse

from cadres.models import Notification


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def notes(world):
    mine = [
        Notification.objects.create(recipient=world.cadre_user, title=f"Overdue {n}", body="Village 1", url="/")
        for n in range(3)
    ]
    theirs = Notification.objects.create(recipient=world.outsider_user, title="Someone else's", url="/")
    return mine, theirs


def test_the_inbox_lists_my_notifications_with_the_unread_count(client, world, notes):
    mine, _theirs = notes
    Notification.objects.filter(pk=mine[0].pk).update(read_at=mine[0].created_at)
    client.force_login(world.cadre_user)

    response = client.get(reverse("inbox"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="notification"') == 3
    assert "Someone else&#x27;s" not in html and "Someone else's" not in html
    assert 'data-testid="inbox-unread"' in html and ": </span>2</span>" in html


def test_the_inbox_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    client.force_login(world.cadre_user)
    client.get(reverse("inbox"))  # warm the session
    for n in range(40):
        Notification.objects.create(recipient=world.cadre_user, title=f"Note {n}")
    with django_assert_num_queries(10):
        response = client.get(reverse("inbox"))
    assert response.content.decode().count('data-testid="notification"') == 30


def test_opening_a_notification_marks_it_read_and_goes_to_its_item(client, world, notes):
    mine, _theirs = notes
    Notification.objects.filter(pk=mine[1].pk).update(url=reverse("household_detail", args=[world.household_in.pk]))
    client.force_login(world.cadre_user)

    response = client.post(reverse("notification_open", args=[mine[1].pk]))

    assert response.status_code == 302 and response.url == reverse("household_detail", args=[world.household_in.pk])
    mine[1].refresh_from_db()
    first_read = mine[1].read_at
    assert first_read is not None
    client.post(reverse("notification_open", args=[mine[1].pk]))
    mine[1].refresh_from_db()
    assert mine[1].read_at == first_read


def test_a_link_off_the_site_is_never_followed(client, world):
    note = Notification.objects.create(recipient=world.cadre_user, title="Odd", url="https://elsewhere.example/")
    client.force_login(world.cadre_user)

    response = client.post(reverse("notification_open", args=[note.pk]))

    assert response.url == reverse("inbox")


def test_someone_elses_notification_is_not_found(client, world, notes):
    _mine, theirs = notes
    client.force_login(world.cadre_user)

    assert client.post(reverse("notification_open", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notification_open", args=[theirs.pk])).status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_mine(client, world, notes):
    _mine, theirs = notes
    client.force_login(world.cadre_user)

    response = client.post(reverse("inbox_read_all"), follow=True)

    assert "3 notifications marked read" in response.content.decode()
    assert not Notification.objects.filter(recipient=world.cadre_user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
