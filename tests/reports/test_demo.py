"""The demo: demo-inspector finds overdue pledges of their township in the report, escalated."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from casework.models import Commitment


@pytest.mark.django_db
def test_the_demo_inspector_sees_overdue_rows_of_their_township(client):
    call_command("seed_demo", households=400, stdout=StringIO())
    client.force_login(get_user_model().objects.get(username="demo-inspector"))

    response = client.get(reverse("overdue_report"))

    assert response.status_code == 200
    rows = response.context["page"].rows
    assert rows and response.context["total"] >= len(rows)
    townships = Commitment.objects.filter(pk__in=[row.pk for row in rows]).values_list("village__parent__name", flat=True)
    assert set(townships) == {"青山镇"}
    assert any(row.level_name for row in rows)
    assert len({row.bucket_label for row in rows}) >= 2
