"""Every URL × every role × an object inside and outside the role's scope.

Adding a URL to the project without adding it here fails ``test_every_url_is_in_the_matrix``.
Rows with ``objects`` name world objects to put in the URL (or, for a JSON API write, in the
body that ``data`` builds from them); ``expect`` then maps each role to the status for each named
object. Out of scope answers 404, exactly like a missing object. A URL answering several methods
has a tuple of rows, one per method.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.reports.test_rows import NAMES as ROW_LISTS

ROLES = ("anonymous", "cadre", "supervisor", "inspector", "outsider", "admin")
SIGNED_IN = ROLES[1:]


@dataclass
class Row:
    expect: dict
    method: str = "get"
    objects: dict = field(default_factory=dict)
    # A dict, or a function of (world, object) when the object goes in the body, not the URL.
    data: dict | Callable = field(default_factory=dict)
    # Send ``data`` as a JSON body (the API) rather than form-encoded.
    json: bool = False


def everyone(status, **overrides):
    return {role: overrides.get(role, status) for role in ROLES}


def scoped(inside="in", outside="out", anonymous=302):
    """200 for the object in a role's scope, 404 for the other; anonymous visitors sign in first
    (the API answers them 401 instead)."""
    return {
        "anonymous": {inside: anonymous, outside: anonymous},
        "cadre": {inside: 200, outside: 404},
        "supervisor": {inside: 200, outside: 404},
        "inspector": {inside: 200, outside: 404},
        "outsider": {inside: 404, outside: 200},
        "admin": {inside: 200, outside: 200},
    }


def _visit(world, where):
    from tests import factories as f

    if where == "in":
        return f.VisitFactory(cadre=world.cadre, household=world.household_in).pk
    return f.VisitFactory(cadre=world.outsider, household=world.household_out).pk


def _resident_code(world, state):
    """A visit's code: usable, already used, or one that never existed."""
    from django.utils import timezone

    from tests import factories as f

    if state == "unknown":
        return "ZZZZ2345"
    used = {"used_at": timezone.now(), "rating": "satisfied"} if state == "used" else {}
    code = f.ResidentCodeFactory(**used)
    f.VisitFactory(cadre=world.cadre, household=world.household_in, resident_code=code)
    return code.code


def _notification(user):
    from cadres.models import Notification

    return Notification.objects.create(recipient=user, title="Overdue", url="/").pk


def _visit_body(world, household_id):
    """A minimal visit as the offline outbox posts it."""
    visited_at = timezone.now() - timedelta(hours=1)
    return {"id": str(uuid.uuid4()), "household": household_id, "kind": "home", "visited_at": visited_at.isoformat()}


def _commitment(world, where, status="pledged"):
    """A commitment owned by the cadre (in) or by the outsider (out), in ``status``."""
    from tests import factories as f

    owner, household = (world.cadre, world.household_in) if where == "in" else (world.outsider, world.household_out)
    closed = {"closed_at": timezone.now()} if status in ("confirmed", "cancelled") else {}
    return f.CommitmentFactory(concern__household=household, owner=owner, status=status, **closed)


def _pending_request(world, where):
    from casework.models import CommitmentRequest

    commitment = _commitment(world, where)
    return CommitmentRequest.objects.create(
        commitment=commitment, kind="cancellation", reason="Household moved away", requested_by=commitment.owner.user
    ).pk


def _snapshot(world, where):
    """A snapshot saved by the inspector (township 1) or by the outsider (county B)."""
    from reports.models import OverdueSnapshot

    user, region = (world.inspector, world.t1) if where == "in" else (world.outsider_user, world.county_b)
    return OverdueSnapshot.objects.create(
        created_by=user, scope_text=region.name, scope_path=region.path, row_count=0
    ).pk


def _export_job(world, whose):
    """A finished background export of the inspector's (mine) or of the outsider's (theirs)."""
    from django.core.files.base import ContentFile

    from reports.models import ExportJob

    user = world.inspector if whose == "mine" else world.outsider_user
    job = ExportJob.objects.create(
        user=user, format="csv", language="en", as_of=timezone.now(), status="done", scope_text="T", rows_total=1
    )
    job.file.save("overdue.csv", ContentFile(b"No.\n1\n"))
    return job.pk


COMMITMENTS = {where: (lambda w, where=where: _commitment(w, where).pk) for where in ("in", "out")}
REPORTED_DONE = {where: (lambda w, where=where: _commitment(w, where, "reported_done").pk) for where in ("in", "out")}
PENDING_REQUESTS = {where: (lambda w, where=where: _pending_request(w, where)) for where in ("in", "out")}


def acting(*, cadre, supervisor, admin, outsider_on_own):
    """A POST on a commitment: "done" (302), "forbidden" (403, told why), or 404 out of scope.
    Inspectors only read."""
    code = {"done": 302, "forbidden": 403}
    return {
        "anonymous": {"in": 302, "out": 302},
        "cadre": {"in": code[cadre], "out": 404},
        "supervisor": {"in": code[supervisor], "out": 404},
        "inspector": {"in": 403, "out": 404},
        "outsider": {"in": 404, "out": code[outsider_on_own]},
        "admin": {"in": code[admin], "out": code[admin]},
    }


# The owner or a supervisor over the village works on a commitment.
WORKING = acting(cadre="done", supervisor="done", admin="forbidden", outsider_on_own="done")
# Only the owner asks for an extension or a cancellation.
ASKING = acting(cadre="done", supervisor="forbidden", admin="forbidden", outsider_on_own="done")
# A supervisor over the village (or an administrator) verifies and decides, never their own.
SUPERVISING = acting(cadre="forbidden", supervisor="done", admin="done", outsider_on_own="forbidden")

HOUSEHOLDS = {"in": lambda w: w.household_in.pk, "out": lambda w: w.household_out.pk}
VISITS = {"in": lambda w: _visit(w, "in"), "out": lambda w: _visit(w, "out")}
# The JSON API answers an anonymous caller 401 (token authentication comes first).
SIGNED_IN_API = everyone(200, anonymous=401)

MATRIX = {
    "home": Row(everyone(200, anonymous=302)),
    "login": Row({role: 302 for role in SIGNED_IN} | {"anonymous": 200}),
    "logout": Row(everyone(302), method="post"),
    "healthz": Row(everyone(200)),
    # The service worker script holds no data: anyone may fetch it.
    "service_worker": Row(everyone(200)),
    "set_language": Row(everyone(302), method="post", data={"language": "en", "next": "/"}),
    "household_detail": Row(
        scoped(), objects={"in": lambda w: w.household_in.pk, "out": lambda w: w.household_out.pk}
    ),
    # Cadres log visits; supervisors and administrators may record one on a cadre's behalf;
    # inspectors only read and are sent home with a message.
    "visit_new": Row(everyone(200, anonymous=302, inspector=302)),
    "visit_detail": Row(scoped(), objects={"in": lambda w: _visit(w, "in"), "out": lambda w: _visit(w, "out")}),
    "visit_card": Row(scoped(), objects={"in": lambda w: _visit(w, "in"), "out": lambda w: _visit(w, "out")}),
    # The resident's page needs no account: the code alone opens its one item, for anyone.
    "resident_confirm": Row(
        {role: {"valid": 200, "used": 410, "unknown": 404} for role in ROLES},
        objects={state: (lambda w, state=state: _resident_code(w, state)) for state in ("valid", "used", "unknown")},
    ),
    # Only the recorder or the visiting cadre may correct a visit: others in scope get 403.
    "visit_edit": Row(
        scoped() | {"supervisor": {"in": 403, "out": 404}, "inspector": {"in": 403, "out": 404}, "admin": {"in": 403, "out": 403}},
        objects={"in": lambda w: _visit(w, "in"), "out": lambda w: _visit(w, "out")},
    ),
    "api_visits": (
        Row(SIGNED_IN_API),
        # Only cadres record visits (403 for the others); a household out of the caller's scope
        # is "not found" in the body (400), never revealed.
        Row(
            {
                "anonymous": {"in": 401, "out": 401},
                "cadre": {"in": 201, "out": 400},
                "supervisor": {"in": 403, "out": 403},
                "inspector": {"in": 403, "out": 403},
                "outsider": {"in": 400, "out": 201},
                "admin": {"in": 403, "out": 403},
            },
            method="post",
            objects=HOUSEHOLDS,
            data=_visit_body,
            json=True,
        ),
    ),
    "api_visit_detail": Row(scoped(anonymous=401), objects=VISITS),
    # "My" lists: a role with no households or pledges of its own gets an empty list.
    "api_households": Row(SIGNED_IN_API),
    "api_commitments": Row(SIGNED_IN_API),
    "api_schema": Row(SIGNED_IN_API),
    "api_docs": Row(everyone(200, anonymous=302)),
    # "My" commitments and the approvals queue: empty for a role with none.
    "commitment_list": Row(everyone(200, anonymous=302)),
    "commitment_queue": Row(everyone(200, anonymous=302)),
    "commitment_detail": Row(scoped(), objects=COMMITMENTS),
    "commitment_start": Row(WORKING, method="post", objects=COMMITMENTS),
    "commitment_progress": Row(WORKING, method="post", objects=COMMITMENTS, data={"text": "Called the township office"}),
    "commitment_report_done": Row(WORKING, method="post", objects=COMMITMENTS),
    "commitment_verify": Row(SUPERVISING, method="post", objects=REPORTED_DONE),
    # Twelve days ahead: after the factory's due date (ten days), within one more deadline period.
    "commitment_extension": Row(
        ASKING,
        method="post",
        objects=COMMITMENTS,
        data={"reason": "Waiting for the budget", "proposed_due_at": (timezone.localdate() + timedelta(days=12)).isoformat()},
    ),
    "commitment_cancellation": Row(ASKING, method="post", objects=COMMITMENTS, data={"reason": "Household moved away"}),
    "commitment_decide": Row(SUPERVISING, method="post", objects=PENDING_REQUESTS, data={"decision": "approved"}),
    # The inbox is personal: a notification opens for its recipient alone, administrators included.
    "inbox": Row(everyone(200, anonymous=302)),
    "inbox_read_all": Row(everyone(302), method="post"),
    "notification_open": Row(
        {role: {"mine": 404, "theirs": 404} for role in SIGNED_IN}
        | {"anonymous": {"mine": 302, "theirs": 302}, "cadre": {"mine": 302, "theirs": 404}, "outsider": {"mine": 404, "theirs": 302}},
        method="post",
        objects={
            "mine": lambda w: _notification(w.cadre_user),
            "theirs": lambda w: _notification(w.outsider_user),
        },
    ),
}

# The overdue report and its snapshots: supervisors, inspectors and administrators; a cadre with
# no scope is told it is not for them (403). A snapshot out of scope is 404.
READERS = everyone(200, anonymous=302, cadre=403)
SNAPSHOTS = {where: (lambda w, where=where: _snapshot(w, where)) for where in ("in", "out")}
# A background export belongs to the user who asked for it, administrators included.
JOBS = {whose: (lambda w, whose=whose: _export_job(w, whose)) for whose in ("mine", "theirs")}
OWN_JOB = {role: {"mine": 404, "theirs": 404} for role in SIGNED_IN} | {
    "anonymous": {"mine": 302, "theirs": 302},
    "inspector": {"mine": 200, "theirs": 404},
    "outsider": {"mine": 404, "theirs": 200},
}
MATRIX |= {
    "overdue_report": Row(READERS),
    "snapshot_list": Row(READERS),
    "snapshot_create": Row(everyone(302, cadre=403), method="post"),
    "snapshot_detail": Row(scoped() | {"cadre": {"in": 403, "out": 403}}, objects=SNAPSHOTS),
    # Attached to an action by inspectors only; with no action chosen the inspector is told (400).
    "snapshot_attach": Row(
        {
            "anonymous": {"in": 302, "out": 302},
            "cadre": {"in": 403, "out": 403},
            "supervisor": {"in": 403, "out": 404},
            "inspector": {"in": 400, "out": 404},
            "outsider": {"in": 404, "out": 403},
            "admin": {"in": 403, "out": 403},
        },
        method="post",
        objects=SNAPSHOTS,
    ),
    # The export audit log: discipline inspectors and administrators.
    "export_log": Row(everyone(403, anonymous=302, inspector=200, admin=200)),
    "export_job": Row(OWN_JOB, objects=JOBS),
    "export_job_status": Row(OWN_JOB, objects=JOBS),
    "export_job_download": Row(OWN_JOB, objects=JOBS),
}

# The supervisor dashboard: readers as for the overdue report; a region outside the reader's
# scope (or unknown) is 404, and a cadre with no scope is told the dashboard is not for them.
REGIONS = {"in": lambda w: w.v1.pk, "out": lambda w: w.vb.pk}
DASHBOARD_REGION = scoped() | {"cadre": {"in": 403, "out": 403}}
MATRIX |= {
    "dashboard": Row(READERS),
    "dashboard_region": Row(DASHBOARD_REGION, objects=REGIONS),
    "dashboard_households": Row(DASHBOARD_REGION, objects=REGIONS),
    "dashboard_concerns": Row(READERS),
    "dashboard_cadres": Row(READERS),
    "dashboard_units": Row(READERS),
    # The rows behind the dashboard's numbers: the viewer's whole scope, and a region of it
    # (``?region=``; one outside it is 404).
    **{
        name: (Row(READERS), Row(DASHBOARD_REGION, objects=REGIONS, data=lambda w, region: {"region": region}))
        for name in ROW_LISTS
    },
    # A petition case, read only: the scopes over its village and its owning leader.
    "petition_detail": Row(scoped(), objects={"in": lambda w: _petition(w, "in"), "out": lambda w: _petition(w, "out")}),
}


def _petition(world, where):
    """A petition case in village 1 owned by the cadre (in), or in village B by the outsider (out)."""
    from tests import factories as f

    village, leader = (world.v1, world.cadre) if where == "in" else (world.vb, world.outsider)
    return f.PetitionCaseFactory(village=village, owning_leader=leader).pk


def _report(world, where, status="draft"):
    """A supervision report on township 1 by the supervisor (in), or on county B by the outsider (out)."""
    from tests import factories as f

    author, region = (world.supervisor, world.t1) if where == "in" else (world.outsider_user, world.county_b)
    report = f.SupervisionReportFactory(author=author, region=region)
    if status == "issued":
        report.issue(by=author)
    return report


def _finding(world, where):
    from accountability.models import Finding

    return Finding.objects.create(report=_report(world, where), text="Pledges late").pk


def _action(world, where):
    """An action on the cadre in township 1 by the inspector (in), or on the outsider in county B (out)."""
    from tests import factories as f

    if where == "in":
        return f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)
    return f.AccountabilityActionFactory(subject_cadre=world.outsider, region=world.county_b, created_by=world.admin)


def _exemption(world, where):
    from accountability.models import ExemptionRequest

    action = _action(world, where)
    return ExemptionRequest.objects.create(action=action, requested_by=action.subject_cadre.user, grounds="Storm").pk


def _notice(world, where):
    from accountability.models import Notice

    creator, region = (world.inspector, world.t1) if where == "in" else (world.admin, world.county_b)
    notice = Notice.objects.create(
        region=region, number=f"No. {where}", title="Notice", issuer="Commission", body="Text",
        issued_on=timezone.localdate(), created_by=creator,
    )
    notice.actions.set([_action(world, where)])
    return notice.pk


def on_draft(*, ok=200, inspector=403, admin=403):
    """A draft report (or its finding) in township 1 (in) or county B (out): read by the scopes
    over it, not yet by the cadres it names; written by the supervisors over it only (``ok``)."""
    return {
        "anonymous": {"in": 302, "out": 302},
        "cadre": {"in": 404, "out": 404},
        "supervisor": {"in": ok, "out": 404},
        "inspector": {"in": inspector, "out": 404},
        "outsider": {"in": 404, "out": ok},
        "admin": {"in": admin, "out": admin},
    }


def on_action(*, inspector, cadre=403, supervisor=403, outsider_out=403, admin=403):
    """An action on the cadre (in) or on the outsider (out): the subject and the scopes over the
    region see it; the inspector over it acts."""
    return {
        "anonymous": {"in": 302, "out": 302},
        "cadre": {"in": cadre, "out": 404},
        "supervisor": {"in": supervisor, "out": 404},
        "inspector": {"in": inspector, "out": 404},
        "outsider": {"in": 404, "out": outsider_out},
        "admin": {"in": admin, "out": admin},
    }


REPORTS = {where: (lambda w, where=where: _report(w, where).pk) for where in ("in", "out")}
FINDINGS = {where: (lambda w, where=where: _finding(w, where)) for where in ("in", "out")}
ACTIONS = {where: (lambda w, where=where: _action(w, where).pk) for where in ("in", "out")}
EXEMPTIONS = {where: (lambda w, where=where: _exemption(w, where)) for where in ("in", "out")}
NOTICES = {where: (lambda w, where=where: _notice(w, where)) for where in ("in", "out")}
# Written by supervisors (reports) or discipline inspectors (actions, notices); read by all
# signed-in users, each seeing what their scope and their own name allow.
MATRIX |= {
    "supervision_report_list": Row(everyone(200, anonymous=302)),
    "supervision_report_create": (
        Row(everyone(403, anonymous=302, supervisor=200, outsider=200)),
        Row(everyone(403, anonymous=302, supervisor=400, outsider=400), method="post", data={"title": ""}),
    ),
    "supervision_report_detail": Row(on_draft(inspector=200, admin=200), objects=REPORTS),
    "supervision_report_edit": (
        Row(on_draft(), objects=REPORTS),
        Row(on_draft(ok=400), method="post", objects=REPORTS, data={"title": ""}),
    ),
    "supervision_report_issue": Row(on_draft(ok=302), method="post", objects=REPORTS),
    "finding_create": (
        Row(on_draft(), objects=REPORTS),
        Row(on_draft(ok=302), method="post", objects=REPORTS, data={"text": "Late", "save": "1"}),
    ),
    "finding_edit": (
        Row(on_draft(), objects=FINDINGS),
        Row(on_draft(ok=302), method="post", objects=FINDINGS, data={"text": "Late", "save": "1"}),
    ),
    "finding_delete": Row(on_draft(ok=302), method="post", objects=FINDINGS),
    "action_list": Row(everyone(200, anonymous=302)),
    "action_create": (
        Row(everyone(403, anonymous=302, inspector=200)),
        # No subject named: the inspector is asked for one.
        Row(everyone(403, anonymous=302, inspector=200), method="post"),
    ),
    "action_detail": Row(scoped(), objects=ACTIONS),
    "action_edit": (
        Row(on_action(inspector=200), objects=ACTIONS),
        Row(on_action(inspector=400), method="post", objects=ACTIONS, data={"grounds": ""}),
    ),
    "action_transition": Row(
        on_action(inspector=302),
        method="post",
        objects=ACTIONS,
        data={"to": "decided", "decided_on": timezone.localdate().isoformat(), "deciding_body": "Commission"},
    ),
    # The subject cadre or a supervisor over them asks; an inspector over the region decides.
    "exemption_create": Row(
        on_action(inspector=403, cadre=302, supervisor=302, outsider_out=302),
        method="post",
        objects=ACTIONS,
        data={"grounds": "Waiting for the county's approval"},
    ),
    "exemption_decide": Row(
        on_action(inspector=302), method="post", objects=EXEMPTIONS, data={"decision": "granted", "note": "Justified"}
    ),
    "notice_list": Row(everyone(200, anonymous=302)),
    "notice_create": (
        Row(everyone(403, anonymous=302, inspector=200)),
        Row(everyone(403, anonymous=302, inspector=400), method="post", data={"number": ""}),
    ),
    "notice_detail": Row(scoped(), objects=NOTICES),
    # A cadre's performance archive: themself and the scopes over them.
    "cadre_archive": Row(scoped(), objects={"in": lambda w: w.cadre.pk, "out": lambda w: w.outsider.pk}),
}

# Django's admin: staff only. Its index and every registered model's list are checked below.
ADMIN_EXPECT = everyone(302, admin=200)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Wrong resident codes are counted per address in the cache: start every case at zero."""
    from django.core.cache import cache

    cache.clear()


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if ns == "admin":
                continue
            yield from _url_names(pattern.url_patterns, f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_in_the_matrix():
    names = set(_url_names(get_resolver().url_patterns))
    assert names - set(MATRIX) == set(), "URLs missing from the permission matrix"
    assert set(MATRIX) - names == set(), "matrix rows for URLs that no longer exist"


def _client_for(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _rows(name):
    rows = MATRIX[name]
    return rows if isinstance(rows, tuple) else (rows,)


def _cases():
    for name in MATRIX:
        for index, row in enumerate(_rows(name)):
            label = f"{name}-{row.method}" if isinstance(MATRIX[name], tuple) else name
            for role in ROLES:
                if row.objects:
                    for obj_name in row.objects:
                        yield pytest.param(name, index, role, obj_name, id=f"{label}-{role}-{obj_name}")
                else:
                    yield pytest.param(name, index, role, None, id=f"{label}-{role}")


@pytest.mark.parametrize(("name", "index", "role", "obj_name"), list(_cases()))
def test_permission_matrix(client, world, name, index, role, obj_name):
    row = _rows(name)[index]
    obj = row.objects[obj_name](world) if obj_name else None
    expected = row.expect[role][obj_name] if obj_name else row.expect[role]
    if callable(row.data):
        args, data = [], row.data(world, obj)
    else:
        args, data = ([obj] if obj_name else []), row.data
    client = _client_for(client, world, role)
    extra = {"content_type": "application/json"} if row.json else {}
    response = getattr(client, row.method)(reverse(name, args=args), data, **extra)
    assert response.status_code == expected


def _admin_urls():
    yield "admin:index"
    for model in admin.site._registry:
        yield f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(client, world, role):
    client = _client_for(client, world, role)
    for url_name in _admin_urls():
        response = client.get(reverse(url_name))
        assert response.status_code == ADMIN_EXPECT[role], url_name
