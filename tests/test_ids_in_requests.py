"""Ids named in a request's parameters (a cadre, a unit, a household, pledges, an action) are
ASCII digits that fit a bigint: anything else names nothing, and is answered as a bad or unknown
choice, never with a server error. Python's int() reads "²" as an error and "١" as 1."""

import pytest
from django.urls import reverse

from households.access import id_from
from tests import factories as f

ODD = ["²", "١", "9" * 30, "#²", "-1", " 7"]


@pytest.mark.parametrize("value", ["0", "17", "9" * 18])
def test_an_id_is_ascii_digits(value):
    assert id_from(value) == int(value)


@pytest.mark.parametrize("value", ODD + ["", "1.5", "1e3", "9" * 19])
def test_anything_else_names_no_id(value):
    assert id_from(value) is None


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    ("role", "method", "name", "data"),
    [
        ("inspector", "get", "action_create", {"cadre": "{}"}),
        ("inspector", "get", "action_create", {"unit": "{}"}),
        ("inspector", "get", "action_create", {"cadre": "CADRE", "commitments": "{},CADRE"}),
        ("inspector", "get", "action_list", {"cadre": "{}"}),
        ("cadre", "get", "visit_new", {"household": "{}"}),
        ("supervisor", "get", "finding_create", {"search": "{}"}),
        ("supervisor", "post", "finding_create", {"cadre": "{}", "text": "Late on the well"}),
    ],
)
def test_an_odd_id_is_never_a_server_error(client, world, role, method, name, data, value):
    """The test client raises what the view raises: a server error fails here."""
    args = [f.SupervisionReportFactory(author=world.supervisor, region=world.t1).pk] if name == "finding_create" else []
    data = {key: text.replace("{}", value).replace("CADRE", str(world.cadre.pk)) for key, text in data.items()}
    client.force_login(world.users[role])

    response = getattr(client, method)(reverse(name, args=args), data)

    assert response.status_code in (200, 400, 404)
