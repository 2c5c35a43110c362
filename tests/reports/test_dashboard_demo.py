"""The demo: demo-supervisor reads their township's dashboard and drills down to a household."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse


@pytest.mark.django_db
def test_the_demo_supervisor_reads_their_dashboard_and_drills_down_to_a_household(client, settings):
    call_command("seed_demo", households=400, stdout=StringIO())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(get_user_model().objects.get(username="demo-supervisor"))

    top = client.get(reverse("dashboard"))

    assert top.status_code == 200
    page = top.context["page"]
    assert top.context["region"].name == "青山镇"
    assert page.regions.rows and page.units.rows
    assert int(next(t for t in page.tiles if t.key == "visits").value) > 0
    assert int(next(t for t in page.tiles if t.key == "overdue").value) > 0
    village = client.get(page.regions.rows[0][0].url)
    assert village.status_code == 200
    households = village.context["page"].households
    assert households.object_list
    household = client.get(reverse("household_detail", args=[households[0].pk]))
    assert household.status_code == 200
