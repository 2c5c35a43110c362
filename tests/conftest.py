"""The small world every test shares: one city with two counties and five personas.

    city
    ├── county A
    │   ├── township T1 ── village V1 (household_in: paired with `cadre`), V2 (cadre's contact point)
    │   └── township T2 ── village V3
    └── county B ── township TB ── village VB (household_out: paired with `outsider`)

- cadre: paired with household_in, contact point V2, posted as first secretary to V1;
- supervisor: supervises township T1; inspector: inspects township T1;
- outsider: a cadre in county B who also supervises county B;
- admin: a superuser.
"""

from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from tests import factories as f


@pytest.fixture
def world(db):
    city = f.region("City", "330100000000")
    county_a = f.region("County A", "330102000000", city)
    county_b = f.region("County B", "330103000000", city)
    t1 = f.region("Township 1", "330102001000", county_a)
    t2 = f.region("Township 2", "330102002000", county_a)
    tb = f.region("Township B", "330103001000", county_b)
    v1 = f.region("Village 1", "330102001001", t1, latitude=30.25, longitude=120.15)
    v2 = f.region("Village 2", "330102001002", t1, latitude=30.26, longitude=120.16)
    v3 = f.region("Village 3", "330102002001", t2)
    vb = f.region("Village B", "330103001001", tb)

    unit_a = f.UnitFactory(name="Unit A", region=county_a)
    unit_b = f.UnitFactory(name="Unit B", region=county_b)

    cadre = f.CadreFactory(user__username="cadre", name="Cadre Zhang", unit=unit_a)
    supervisor = f.UserFactory(username="supervisor")
    inspector = f.UserFactory(username="inspector")
    outsider = f.CadreFactory(user__username="outsider", name="Outsider Li", unit=unit_b)
    admin = f.UserFactory(username="admin", is_staff=True, is_superuser=True)

    household_in = f.HouseholdFactory(village=v1, head_name="Wang")
    household_v2 = f.HouseholdFactory(village=v2, head_name="Zhao")
    household_v3 = f.HouseholdFactory(village=v3, head_name="Sun")
    household_out = f.HouseholdFactory(village=vb, head_name="Zhou")

    f.PairingFactory(cadre=cadre, household=household_in)
    f.ContactPointFactory(cadre=cadre, village=v2)
    f.PostingFactory(cadre=cadre, village=v1)
    f.PairingFactory(cadre=outsider, household=household_out)
    f.ScopeFactory(user=supervisor, region=t1, kind="supervision")
    f.ScopeFactory(user=inspector, region=t1, kind="inspection")
    f.ScopeFactory(user=outsider.user, region=county_b, kind="supervision")

    return SimpleNamespace(
        city=city,
        county_a=county_a,
        county_b=county_b,
        t1=t1,
        t2=t2,
        tb=tb,
        v1=v1,
        v2=v2,
        v3=v3,
        vb=vb,
        unit_a=unit_a,
        unit_b=unit_b,
        cadre=cadre,
        cadre_user=cadre.user,
        supervisor=supervisor,
        inspector=inspector,
        outsider=outsider,
        outsider_user=outsider.user,
        admin=admin,
        household_in=household_in,
        household_v2=household_v2,
        household_v3=household_v3,
        household_out=household_out,
        users={
            "cadre": cadre.user,
            "supervisor": supervisor,
            "inspector": inspector,
            "outsider": outsider.user,
            "admin": admin,
        },
    )


def access(user):
    """A fresh Access for ``user`` (not the per-request cache)."""
    from cadres.access import access_for

    user = type(user).objects.get(pk=user.pk)
    return access_for(user)


def assert_visibility(world, model, rows: dict, expected: dict):
    """For each persona, ``model.objects.visible_to`` returns exactly the named rows expected."""
    for persona, names in expected.items():
        visible = set(model.objects.visible_to(access(world.users[persona])).values_list("pk", flat=True))
        wanted = {rows[name].pk for name in names}
        relevant = {row.pk for row in rows.values()}
        assert visible & relevant == wanted, f"{model.__name__} for {persona}: got {visible & relevant}"


# Which of the world's households each persona reads (and so rows tied to them).
HOUSEHOLD_VISIBILITY = {
    "cadre": {"in", "v2"},
    "supervisor": {"in", "v2"},
    "inspector": {"in", "v2"},
    "outsider": {"out"},
    "admin": {"in", "v2", "v3", "out"},
}


def world_households(world) -> dict:
    return {"in": world.household_in, "v2": world.household_v2, "v3": world.household_v3, "out": world.household_out}


@pytest.fixture
def category(db):
    """A category whose urgent pledges are due within 3 working days; others within 10 (the default)."""
    from casework.models import DeadlinePolicy, Urgency

    category = f.CategoryFactory()
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)
    DeadlinePolicy.objects.create(category=category, urgency=Urgency.URGENT, working_days=3)
    return category


def race(*actions) -> list:
    """Run each action in its own thread, released together, each on its own database
    connection; returns, in order, what each returned or the exception it raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = action()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def at_once(action, times: int) -> list:
    """``action`` ``times`` times at once; returns the exceptions raised (empty when all succeeded)."""
    return [outcome for outcome in race(*[action] * times) if isinstance(outcome, Exception)]


@contextmanager
def celery_at(broker_url: str, result_backend: str | None = None):
    """Point the project's Celery app at another broker (and result backend) for a while.

    The app caches its connection pools and its result backend; both are rebuilt on the way in
    and on the way out, so tests that run before or after see the app as configured.
    """
    from config.celery_app import app

    keys = ("broker_url", "broker_transport_options", "result_backend", "task_ignore_result")
    saved = {key: app.conf[key] for key in keys}

    def rebuild():
        from kombu import pools

        pools.reset()  # kombu's registry of connection pools, shared by URL
        app._after_fork()  # the app's references to them
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)

    app.conf.update(
        broker_url=broker_url,
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 1},
        result_backend=result_backend,
        task_ignore_result=result_backend is None,
    )
    rebuild()
    try:
        yield app
    finally:
        app.conf.update(saved)
        rebuild()
