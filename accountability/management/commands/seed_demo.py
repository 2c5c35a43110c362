"""``manage.py seed_demo``: a realistic demo county for a first look and for tests.

Content comes from a fixed random seed; dates are laid out backwards from the start of today,
so that overdue items are overdue by days, weeks and months whenever the command runs. The
demo is created once: if its city exists the command says so and changes nothing.
"""

import math
import random
import time as clock
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import StringIO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accountability import seeding
from accountability.models import AccountabilityAction, ExemptionRequest, Finding, Notice, SupervisionReport
from accountability.services import digest_send, escalations_send_all, escalations_sweep
from cadres.models import Cadre, ContactPoint, Pairing, Posting, Scope, Unit
from casework.calendar import WorkingCalendar
from casework.models import (
    Commitment,
    CommitmentProgress,
    CommitmentRequest,
    Concern,
    PetitionCase,
    PetitionEvent,
    PetitionUnit,
    ResidentCode,
    Urgency,
)
from casework.services import DeadlinePolicies
from households.models import Household, HouseholdTag, Member, Region, mask_phone
from visits.models import Visit, VisitAmendment

SEED = 20261121
DEMO_PASSWORD = "grassroots-demo"
CITY = ("青溪市", "339900000000", 30.25, 120.15)
COUNTY = ("云溪县", "339921000000", 30.20, 120.10)
# (name, township digits of the code, centroid offset from the county, villages; 社区 first).
TOWNSHIPS = [
    (
        "城关镇",
        "100",
        (0.0, 0.0),
        ["城东社区", "城西社区", "城南社区", "溪口村", "新桥村", "杨家村", "后山村", "前湾村"],
    ),
    ("青山镇", "101", (0.08, -0.06), ["枫林村", "竹坞村", "梅岭村", "陈家村", "茶园村", "石塘村", "东岙村", "高坪村"]),
    ("桃源镇", "102", (-0.07, -0.05), ["桃源村", "桑园村", "荷塘村", "柳溪村", "凤凰村", "龙井村", "里坑村", "金竹村"]),
    ("白沙乡", "200", (0.05, 0.09), ["白沙村", "沙溪村", "白鹤村", "双溪村", "黄泥村", "西坞村", "南垄村", "银杏村"]),
    ("石门乡", "201", (-0.09, 0.07), ["石门村", "古樟村", "北坑村", "大园村", "小岭村", "三墩村", "五联村", "七星村"]),
]
DEMO_TOWNSHIP = "青山镇"
DEMO_VILLAGE = "枫林村"

L = Cadre.Level
COUNTY_UNITS = [
    (
        "xw",
        "中共云溪县委",
        [
            ("县委副书记", L.DIVISION, True),
            ("县委常委、组织部部长", L.DIVISION, True),
            ("组织部副部长", L.SECTION, True),
        ],
    ),
    (
        "mzj",
        "云溪县民政局",
        [("局长", L.SECTION, True), ("副局长", L.SECTION, True), ("社会救助股股长", L.STAFF, False)],
    ),
    (
        "rsj",
        "云溪县人力资源和社会保障局",
        [("局长", L.SECTION, True), ("副局长", L.SECTION, True), ("就业促进股股长", L.STAFF, False)],
    ),
    (
        "zjj",
        "云溪县住房和城乡建设局",
        [("局长", L.SECTION, True), ("副局长", L.SECTION, True), ("村镇建设股股长", L.STAFF, False)],
    ),
    (
        "jw",
        "云溪县纪委监委",
        [
            ("县纪委副书记、县监委副主任", L.SECTION, True),
            ("第一监督检查室主任", L.SECTION, False),
            ("第二监督检查室主任", L.SECTION, False),
        ],
    ),
]
COUNTY_STAFF = ["科员", "一级科员", "四级主任科员", "办事员"]
TOWNSHIP_STAFF = ["农业农村办工作人员", "社会事务办工作人员", "综治中心工作人员", "便民服务中心工作人员", "驻村干部"]
CADRES_PER_COUNTY_UNIT = 8
CADRES_PER_TOWNSHIP = 22  # 5 × 22 + 5 × 8 = 150
# Which county unit shares a petition case, by category (the township government leads).
SECONDARY_UNIT = {"housing": "zjj", "infrastructure": "zjj", "employment": "rsj", "social-assistance": "mzj"}

S = Commitment.Status


def _township_kind(name: str) -> str:
    return "乡" if name.endswith("乡") else "镇"


@dataclass
class PlannedConcern:
    concern: Concern
    visit: Visit | None
    outcome: str = Concern.Outcome.NONE
    at: datetime | None = None
    note: str = ""
    scenario: str = "auto"  # what becomes of the commitment, if pledged
    sent_back: bool = False  # first judged not actionable, then sent back by the supervisor
    petition_case: PetitionCase | None = None


@dataclass
class PlannedCommitment:
    commitment: Commitment
    transitions: list = field(default_factory=list)  # (to, at, by, reason)
    requests: list = field(default_factory=list)
    progress: list = field(default_factory=list)
    codes: list = field(default_factory=list)


class DemoCounty:
    """Builds the demo in memory with one random generator, writing in bulk where it is big."""

    def __init__(self, *, households: int):
        self.rng = random.Random(SEED)
        self.n_households = households
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate()
        # Every generated event happens before the start of today: the content's "now".
        self.now = datetime.combine(self.today, time.min, tzinfo=self.tz)
        self.users = {}

    # --- helpers -----------------------------------------------------------------------

    def day_at(self, days_ago: float, start_hour: float = 8, end_hour: float = 18) -> datetime:
        return self.now - timedelta(days=days_ago) + timedelta(hours=self.rng.uniform(start_hour, end_hour))

    def at_18(self, day) -> datetime:
        return datetime.combine(day, time(18), tzinfo=self.tz)

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def code(self) -> str:
        return "".join(self.rng.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(8))

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def supervisor_of(self, village) -> object:
        return self.township_supervisor[village.parent_id]

    # --- build -------------------------------------------------------------------------

    def build(self):
        reference = seeding.seed_reference_data()
        self.tags = reference["tags"]
        self.categories = reference["categories"]
        self.calendar = WorkingCalendar()
        self.deadlines = DeadlinePolicies()
        self.make_regions()
        self.make_units()
        self.make_people()
        self.make_households()
        self.make_assignments()
        self.make_visits()
        self.make_concerns()
        self.make_petition_cases()
        self.apply_outcomes()
        self.make_commitments()
        self.make_oversight()

    def make_regions(self):
        rng = self.rng
        name, code, lat, lng = CITY
        self.city = Region(
            name=name,
            code=code,
            level=Region.Level.CITY,
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lng:.6f}"),
        )
        self.city.set_path()
        self.city.save()
        name, code, lat, lng = COUNTY
        self.county = Region(
            name=name,
            code=code,
            level=Region.Level.COUNTY,
            parent=self.city,
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lng:.6f}"),
        )
        self.county.set_path()
        self.county.save()
        self.townships, self.villages = [], []
        for t_name, digits, (dlat, dlng), village_names in TOWNSHIPS:
            t_lat, t_lng = COUNTY[2] + dlat, COUNTY[3] + dlng
            township = Region(
                name=t_name,
                code=f"339921{digits}000",
                level=Region.Level.TOWNSHIP,
                parent=self.county,
                latitude=Decimal(f"{t_lat:.6f}"),
                longitude=Decimal(f"{t_lng:.6f}"),
            )
            township.set_path()
            township.save()
            self.townships.append(township)
            communities = 0
            for index, v_name in enumerate(village_names):
                if v_name.endswith("社区"):
                    communities += 1
                    v_digits = f"{communities:03d}"
                else:
                    v_digits = f"{201 + index - communities:03d}"
                village = Region(
                    name=v_name,
                    code=f"339921{digits}{v_digits}",
                    level=Region.Level.VILLAGE,
                    parent=township,
                    latitude=Decimal(f"{t_lat + rng.uniform(-0.03, 0.03):.6f}"),
                    longitude=Decimal(f"{t_lng + rng.uniform(-0.03, 0.03):.6f}"),
                )
                village.set_path()
                self.villages.append(village)
        Region.objects.bulk_create(self.villages)
        self.township_by_name = {t.name: t for t in self.townships}
        self.demo_township = self.township_by_name[DEMO_TOWNSHIP]
        self.demo_village = next(v for v in self.villages if v.name == DEMO_VILLAGE)
        self.villages_of = {t.pk: [v for v in self.villages if v.parent_id == t.pk] for t in self.townships}

    def make_units(self):
        units = [Unit(name=name, code=f"339921-{code}", region=self.county) for code, name, _heads in COUNTY_UNITS]
        units += [Unit(name=f"{t.name}人民政府", code=f"339921-{t.code[6:9]}", region=t) for t in self.townships]
        Unit.objects.bulk_create(units)
        self.units = {unit.code.split("-")[1]: unit for unit in units}
        self.township_unit = {t.pk: self.units[t.code[6:9]] for t in self.townships}

    def make_people(self):
        """150 numbered cadres (no password), then the four demo accounts."""
        rng = self.rng
        User = get_user_model()
        rows = []  # (unit, position, level, leading, township or None)
        for code, _name, heads in COUNTY_UNITS:
            for i in range(CADRES_PER_COUNTY_UNIT):
                position, level, leading = heads[i] if i < len(heads) else (rng.choice(COUNTY_STAFF), L.STAFF, False)
                rows.append((self.units[code], position, level, leading, None))
        for township in self.townships:
            kind = _township_kind(township.name)
            heads = [
                ("党委书记", L.SECTION, True),
                (f"{kind}长", L.SECTION, True),
                ("党委副书记", L.SECTION, True),
                (f"副{kind}长", L.SECTION, True),
                (f"副{kind}长", L.SECTION, True),
                ("党委委员", L.SECTION, True),
                ("党政办主任", L.STAFF, False),
                ("社会事务办主任", L.STAFF, False),
            ]
            for i in range(CADRES_PER_TOWNSHIP):
                position, level, leading = heads[i] if i < len(heads) else (rng.choice(TOWNSHIP_STAFF), L.STAFF, False)
                rows.append((self.township_unit[township.pk], position, level, leading, township))
        users = [User(username=f"c{i + 1:04d}", password=make_password(None)) for i in range(len(rows))]
        User.objects.bulk_create(users)
        self.cadres = []
        for user, (unit, position, level, leading, _township) in zip(users, rows, strict=True):
            sex = "M" if rng.random() < 0.7 else "F"
            self.cadres.append(
                Cadre(
                    user=user,
                    name=seeding.chinese_name(rng, sex=sex),
                    unit=unit,
                    position=position,
                    level=level,
                    is_leading=leading,
                    phone_masked=mask_phone(seeding.phone_number(rng)),
                )
            )
        Cadre.objects.bulk_create(self.cadres)
        self.cadre_township = {c.pk: row[4] for c, row in zip(self.cadres, rows, strict=True)}

        # An administrator created before the demo (createsuperuser) is kept as it is.
        admin = User.objects.filter(username="admin").first()
        self.admin_existed = admin is not None
        self.users["admin"] = admin or User.objects.create_superuser("admin", password=DEMO_PASSWORD, email="")
        for username in ("demo-supervisor", "demo-inspector", "demo-cadre"):
            self.users[username] = User.objects.create_user(username, password=DEMO_PASSWORD)
        gov = self.township_unit[self.demo_township.pk]
        self.demo_supervisor = Cadre.objects.create(
            user=self.users["demo-supervisor"],
            name="周建华",
            unit=gov,
            position="党委副书记（分管走访工作）",
            level=L.SECTION,
            is_leading=True,
            phone_masked=mask_phone("13905718826"),
        )
        self.demo_cadre = Cadre.objects.create(
            user=self.users["demo-cadre"],
            name="林晓燕",
            unit=gov,
            position="农业农村办工作人员",
            level=L.STAFF,
            is_leading=False,
            phone_masked=mask_phone("15858130417"),
        )
        self.cadre_township[self.demo_supervisor.pk] = self.demo_township
        self.cadre_township[self.demo_cadre.pk] = self.demo_township
        self.cadre_by_pk = {c.pk: c for c in [*self.cadres, self.demo_supervisor, self.demo_cadre]}

        # Supervisors and inspectors: the demo accounts cover one township, others the rest.
        self.secretary = {}  # township pk -> its party secretary
        for cadre in self.cadres:
            township = self.cadre_township[cadre.pk]
            if township and cadre.position == "党委书记":
                self.secretary[township.pk] = cadre
        self.county_leader = self.cadres[0]  # 县委副书记
        jw = [c for c in self.cadres if c.unit.code.endswith("-jw")]
        self.county_inspector = jw[1]  # 第一监督检查室主任
        self.township_supervisor = {t.pk: self.secretary[t.pk].user for t in self.townships}
        self.township_supervisor[self.demo_township.pk] = self.users["demo-supervisor"]
        start = self.today - timedelta(days=400)
        scopes = [
            Scope(
                user=self.users["demo-supervisor"], kind=Scope.Kind.SUPERVISION, region=self.demo_township, start=start
            ),
            Scope(
                user=self.users["demo-inspector"], kind=Scope.Kind.INSPECTION, region=self.demo_township, start=start
            ),
            Scope(user=self.county_leader.user, kind=Scope.Kind.SUPERVISION, region=self.county, start=start),
            Scope(user=self.county_inspector.user, kind=Scope.Kind.INSPECTION, region=self.county, start=start),
            # A supervisor who moved on: history is kept by ending, never deleting.
            Scope(
                user=jw[0].user,
                kind=Scope.Kind.SUPERVISION,
                region=self.demo_township,
                start=self.today - timedelta(days=900),
                end=self.today - timedelta(days=401),
            ),
        ]
        scopes += [
            Scope(user=self.secretary[t.pk].user, kind=Scope.Kind.SUPERVISION, region=t, start=start)
            for t in self.townships
        ]
        Scope.objects.bulk_create(scopes)

    def make_households(self):
        rng = self.rng
        weights = [1.5 if v.name.endswith("社区") else rng.uniform(0.6, 1.4) for v in self.villages]
        shares = [w / sum(weights) * self.n_households for w in weights]
        counts = [int(s) for s in shares]
        for index in sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])[: self.n_households - sum(counts)]:
            counts[index] += 1
        unique_surnames = sorted(set(seeding.SURNAMES))
        households, members_of, tags_of = [], [], []
        this_year = self.today.year
        for village, count in zip(self.villages, counts, strict=True):
            clan = [village.name[0]] if village.name[1] == "家" else rng.sample(unique_surnames, 2)
            for _ in range(count):
                surname = rng.choice(clan) if rng.random() < 0.5 else rng.choice(seeding.SURNAMES)
                head_sex = "M" if rng.random() < 0.85 else "F"
                head_born = rng.randint(1940, 1992)
                people = [("head", head_sex, head_born, seeding.chinese_name(rng, sex=head_sex, surname=surname))]
                others = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5])
                if rng.random() < 0.85:
                    sex = "F" if head_sex == "M" else "M"
                    people.append(("spouse", sex, head_born + rng.randint(-3, 3), seeding.chinese_name(rng, sex=sex)))
                while len(people) <= others:
                    sex = rng.choice("MF")
                    options = ["child", "child", "child", "other"]
                    if head_born <= 1970:
                        options += ["grandchild", "grandchild"]
                    if head_born >= 1962:
                        options += ["parent"]
                    if rng.random() < 0.05:
                        options = ["sibling"]
                    relation = rng.choice(options)
                    born = {
                        "child": head_born + rng.randint(22, 34),
                        "grandchild": head_born + rng.randint(46, 60),
                        "parent": head_born - rng.randint(22, 32),
                        "sibling": head_born + rng.randint(-8, 8),
                        "other": rng.randint(1950, 2010),
                    }[relation]
                    born = min(born, this_year)
                    name_surname = surname if relation in ("child", "grandchild", "sibling") else None
                    people.append((relation, sex, born, seeding.chinese_name(rng, sex=sex, surname=name_surname)))
                members, head_phone = [], ""
                for relation, sex, born, name in people:
                    member = Member(name=name, relation=relation, sex=sex, birth_year=born)
                    if rng.random() < 0.95:
                        member.set_id_number(
                            seeding.id_number(rng, region_prefix=village.code, birth_year=born, sex=sex)
                        )
                    age = this_year - born
                    if (relation == "head" and rng.random() < 0.9) or (18 <= age <= 70 and rng.random() < 0.4):
                        member.phone_masked = mask_phone(seeding.phone_number(rng))
                        head_phone = head_phone or (member.phone_masked if relation == "head" else "")
                    members.append(member)
                if village.name.endswith("社区"):
                    address = (
                        f"{village.name[:2]}路{rng.randint(1, 200)}号{rng.randint(1, 6)}幢{rng.randint(101, 1804)}室"
                    )
                else:
                    address = f"{village.name}{rng.randint(1, 9)}组{rng.randint(1, 120)}号"
                r = rng.random()
                status = (
                    Household.Status.ACTIVE
                    if r < 0.965
                    else Household.Status.MOVED_OUT
                    if r < 0.99
                    else Household.Status.DISSOLVED
                )
                households.append(
                    Household(
                        village=village, head_name=people[0][3], address=address, phone_masked=head_phone, status=status
                    )
                )
                members_of.append(members)
                tags_of.append(self.pick_tags(head_born, people))
        Household.objects.bulk_create(households, batch_size=1000)
        for household, members in zip(households, members_of, strict=True):
            for member in members:
                member.household = household
        Member.objects.bulk_create([m for ms in members_of for m in ms], batch_size=2000)
        HouseholdTag.objects.bulk_create(
            [
                HouseholdTag(household=household, tag=self.tags[code], detail=detail)
                for household, tags in zip(households, tags_of, strict=True)
                for code, detail in tags
            ],
            batch_size=2000,
        )
        self.households = households
        self.active_households = [h for h in households if h.status == Household.Status.ACTIVE]
        self.tag_codes = {h.pk: {code for code, _ in tags} for h, tags in zip(households, tags_of, strict=True)}
        self.households_of = {}
        for household in households:
            self.households_of.setdefault(household.village_id, []).append(household)

    def pick_tags(self, head_born: int, people) -> list[tuple[str, str]]:
        rng, tags = self.rng, []
        old = head_born <= 1960
        young = any(rel in ("child", "grandchild") and self.today.year - born < 16 for rel, _s, born, _n in people)
        odds = [
            ("needy", 0.08, True),
            ("dibao", 0.05, True),
            ("wubao", 0.02, old),
            ("out-of-poverty", 0.12, True),
            ("monitored", 0.03, True),
            ("petitioner", 0.005, True),
            ("veteran-party-member", 0.12, old),
            ("retired-cadre", 0.03, old),
            ("model-worker", 0.01, True),
            ("left-behind-elderly", 0.15, old),
            ("left-behind-child", 0.1, young),
            ("disability", 0.05, True),
        ]
        for code, chance, eligible in odds:
            if eligible and rng.random() < chance:
                tags.append((code, rng.choice(seeding.RISK_TYPES) if code == "monitored" else ""))
        if not {"needy", "dibao", "wubao", "monitored"} & {code for code, _ in tags} and rng.random() < 0.05:
            tags.append(("well-off", ""))
        return tags

    NEEDY = {"needy", "dibao", "wubao", "out-of-poverty", "monitored", "left-behind-elderly", "disability"}

    def make_assignments(self):
        """Contact points (every village covered), first secretaries, pairings (with some history)."""
        rng = self.rng
        contact_points, postings, pairings = [], [], []
        self.village_cadres = {v.pk: [] for v in self.villages}
        villages_of_cadre = {}
        long_ago = self.today - timedelta(days=rng.randint(500, 900))

        def contact(cadre, village, start):
            contact_points.append(ContactPoint(cadre=cadre, village=village, start=start))
            self.village_cadres[village.pk].append(cadre)
            villages_of_cadre.setdefault(cadre.pk, []).append(village)

        rural = [v for v in self.villages if not v.name.endswith("社区")]
        for township in self.townships:
            villages = self.villages_of[township.pk]
            staff = [c for c in self.cadres if self.cadre_township[c.pk] == township]
            for index, cadre in enumerate(staff):
                if index < len(villages) or rng.random() < 0.85:
                    contact(cadre, villages[index % len(villages)], self.today - timedelta(days=rng.randint(420, 1100)))
        county_staff = [c for c in self.cadres if self.cadre_township[c.pk] is None]
        secretaries = [c for c in county_staff if not c.is_leading and c.position in COUNTY_STAFF][::4][:6]
        for cadre, village in zip(secretaries, rng.sample(rural, len(secretaries)), strict=True):
            postings.append(
                Posting(cadre=cadre, village=village, start=self.today - timedelta(days=rng.randint(420, 700)))
            )
            self.village_cadres[village.pk].append(cadre)
            villages_of_cadre.setdefault(cadre.pk, []).append(village)
        # One first secretary whose posting ended, so the history is not empty.
        postings.append(
            Posting(
                cadre=county_staff[-1], village=rng.choice(rural), start=long_ago, end=self.today - timedelta(days=430)
            )
        )
        for cadre in county_staff:
            if cadre not in secretaries and (cadre.is_leading or rng.random() < 0.4):
                contact(cadre, rng.choice(self.villages), self.today - timedelta(days=rng.randint(420, 1100)))
        contact(self.demo_cadre, self.demo_village, self.today - timedelta(days=600))
        contact(self.demo_supervisor, self.villages_of[self.demo_township.pk][3], self.today - timedelta(days=500))
        # A contact point that ended when its cadre changed village.
        contact_points.append(
            ContactPoint(cadre=self.cadres[-1], village=rural[0], start=long_ago, end=self.today - timedelta(days=420))
        )

        self.pairs_of = {}  # household pk -> current paired cadres
        scale = min(1.0, self.n_households / 4000)
        for cadre in [*self.cadres, self.demo_cadre]:
            villages = villages_of_cadre.get(cadre.pk) or [rng.choice(self.villages)]
            pool = [
                h for v in villages for h in self.households_of.get(v.pk, ()) if h.status == Household.Status.ACTIVE
            ]
            rng.shuffle(pool)
            pool.sort(key=lambda h: (len(self.pairs_of.get(h.pk, ())), not (self.tag_codes[h.pk] & self.NEEDY)))
            k = 8 if cadre is self.demo_cadre else max(1, round(rng.randint(3, 8) * scale))
            for household in pool[:k]:
                pairings.append(
                    Pairing(cadre=cadre, household=household, start=self.today - timedelta(days=rng.randint(400, 1100)))
                )
                self.pairs_of.setdefault(household.pk, []).append(cadre)
            if rng.random() < 0.06 and len(pool) > k:
                # Paired once with another household, ended when it moved or graduated from help.
                pairings.append(
                    Pairing(
                        cadre=cadre,
                        household=pool[k],
                        start=long_ago,
                        end=self.today - timedelta(days=rng.randint(90, 360)),
                    )
                )
        ContactPoint.objects.bulk_create(contact_points)
        Posting.objects.bulk_create(postings)
        Pairing.objects.bulk_create(pairings, batch_size=2000)
        self.demo_households = [p.household for p in pairings if p.cadre is self.demo_cadre and p.end is None]
        self.staff_of_township = {
            t.pk: [c for c in self.cadres if self.cadre_township[c.pk] == t and not c.is_leading]
            for t in self.townships
        }
        self.office_head = {
            t.pk: next(c for c in self.cadres if self.cadre_township[c.pk] == t and c.position == "党政办主任")
            for t in self.townships
        }

    # --- visits ------------------------------------------------------------------------

    def visiting_cadre(self, household):
        rng = self.rng
        paired = self.pairs_of.get(household.pk)
        if paired and (rng.random() < 0.75 or self.demo_cadre in paired):
            return rng.choice(paired)
        contacts = self.village_cadres[household.village_id]
        if contacts:
            return rng.choice(contacts)
        return rng.choice(self.staff_of_township[household.village.parent_id])

    def new_visit(self, *, cadre, village, household, kind, visited_at, companions=None) -> Visit:
        rng = self.rng
        visit = Visit(
            id=self.uuid(),
            cadre=cadre,
            recorded_by=cadre.user,
            household=household,
            village=village,
            kind=kind,
            visited_at=visited_at,
            companions=companions if companions is not None else rng.choices(range(5), weights=[35, 35, 18, 8, 4])[0],
        )
        days_ago = (self.now - visited_at).days
        if days_ago > 10 and rng.random() < 0.02:
            visit.received_at = visited_at + timedelta(days=rng.randint(2, 8), minutes=rng.randint(0, 600))
            visit.flag_backdated = True
            visit.backdate_reason = rng.choice(["山区信号差，回镇后补录", "手机故障，事后补录"])
        else:
            visit.received_at = visited_at + timedelta(minutes=rng.randint(3, 120))
        if kind != Visit.Kind.PHONE_CALLBACK and rng.random() < 0.02:
            visit.recorded_by = self.office_head[village.parent_id].user
            visit.flag_proxy = visit.recorded_by_id != cadre.user_id
        if kind in (Visit.Kind.HOME, Visit.Kind.PETITION) and rng.random() < 0.75:
            far = rng.random() < 0.01
            spread = 0.12 if far else 0.003
            visit.latitude = Decimal(f"{float(village.latitude) + rng.gauss(0, spread):.6f}")
            visit.longitude = Decimal(f"{float(village.longitude) + rng.gauss(0, spread):.6f}")
            visit.accuracy_m = rng.randint(5, 60)
            visit.flag_far = far
        if kind == Visit.Kind.PHONE_CALLBACK:
            visit.companions = 0
            visit.thoughts = rng.choice(seeding.THOUGHTS)
            visit.policies_explained = "电话回访，了解近况"
            return visit
        pick = rng.choice
        visit.thoughts = pick(seeding.THOUGHTS) if rng.random() < 0.8 else ""
        visit.wants = pick(seeding.WANTS) if rng.random() < 0.7 else ""
        visit.hopes = pick(seeding.HOPES) if rng.random() < 0.6 else ""
        visit.complaints = pick(seeding.COMPLAINTS) if rng.random() < 0.35 else ""
        visit.policies_explained = pick(seeding.POLICIES) if rng.random() < 0.7 else ""
        visit.help_delivered = pick(seeding.HELP) if rng.random() < 0.3 else ""
        return visit

    def make_visits(self):
        rng = self.rng
        self.visits = []
        self.visits_of_household = {}
        for household in self.households:
            active = household.status == Household.Status.ACTIVE
            count = rng.choice([2, 2, 3, 3, 3, 4]) if active else rng.choice([0, 1])
            for _ in range(count):
                days_ago = rng.randint(1, 365) if active else rng.randint(200, 365)
                r = rng.random()
                kind = Visit.Kind.HOME if r < 0.88 else Visit.Kind.PHONE_CALLBACK if r < 0.97 else Visit.Kind.RECEPTION
                visited_at = (
                    self.day_at(days_ago, 9, 20) if kind == Visit.Kind.PHONE_CALLBACK else self.day_at(days_ago)
                )
                cadre = self.visiting_cadre(household)
                self.add_visit(
                    self.new_visit(
                        cadre=cadre, village=household.village, household=household, kind=kind, visited_at=visited_at
                    )
                )
        for village in self.villages:
            cadres = self.village_cadres[village.pk] or self.staff_of_township[village.parent_id]
            for _ in range(rng.randint(2, 5)):
                visit = self.new_visit(
                    cadre=rng.choice(cadres),
                    village=village,
                    household=None,
                    kind=Visit.Kind.FORUM,
                    visited_at=self.day_at(rng.randint(1, 365), 9, 17),
                    companions=rng.randint(1, 4),
                )
                visit.thoughts = "村民代表座谈：" + visit.thoughts
                self.add_visit(visit)
        # The demo cadre's scripted visits, each of which raises a concern (see make_concerns).
        self.scripted = []
        script = [
            # (days ago, category, urgency, outcome, commitment scenario)
            (75, "infrastructure", Urgency.URGENT, Concern.Outcome.PLEDGED, S.IN_PROGRESS),  # overdue by months
            (26, "employment", Urgency.NORMAL, Concern.Outcome.PLEDGED, S.PLEDGED),  # overdue by weeks
            (17, "social-assistance", Urgency.NORMAL, Concern.Outcome.PLEDGED, S.REPORTED_DONE),  # overdue by days
            (40, "healthcare", Urgency.NORMAL, Concern.Outcome.PLEDGED, S.REOPENED),
            (4, "education", Urgency.NORMAL, Concern.Outcome.PLEDGED, S.IN_PROGRESS),  # due in about two weeks
            (2, "policy-question", Urgency.NORMAL, Concern.Outcome.PLEDGED, S.PLEDGED),
            (20, "housing", Urgency.NORMAL, Concern.Outcome.PLEDGED, "extended_open"),
            # Waiting in the supervisor's approvals queue.
            (12, "infrastructure", Urgency.NORMAL, Concern.Outcome.PLEDGED, "pending_extension"),
            (15, "environment", Urgency.NORMAL, Concern.Outcome.PLEDGED, "pending_cancellation"),
            (60, "employment", Urgency.NORMAL, Concern.Outcome.PLEDGED, S.CONFIRMED),
            (130, "healthcare", Urgency.URGENT, Concern.Outcome.PLEDGED, S.CONFIRMED),
            (90, "dispute", Urgency.NORMAL, Concern.Outcome.PLEDGED, S.CANCELLED),
            (45, "other", Urgency.NORMAL, Concern.Outcome.NONE, None),  # recorded but never acted on
            (33, "policy-question", Urgency.NORMAL, Concern.Outcome.RESOLVED, None),
            (50, "land", Urgency.NORMAL, Concern.Outcome.NOT_ACTIONABLE, None),
        ]
        for index, (days_ago, category, urgency, outcome, scenario) in enumerate(script):
            household = self.demo_households[index % len(self.demo_households)]
            visit = self.new_visit(
                cadre=self.demo_cadre,
                village=household.village,
                household=household,
                kind=Visit.Kind.HOME,
                visited_at=self.day_at(days_ago),
            )
            visit.recorded_by, visit.flag_proxy = self.demo_cadre.user, False
            self.add_visit(visit)
            self.scripted.append((visit, category, urgency, outcome, scenario))
        # Residents confirm some recent visits with a one-time code.
        codes = []
        for visit in self.visits:
            if visit.kind == Visit.Kind.HOME and (self.now - visit.visited_at).days < 90 and rng.random() < 0.2:
                code = ResidentCode(
                    code=self.code(),
                    purpose=ResidentCode.Purpose.VISIT,
                    created_at=visit.received_at,
                    expires_at=visit.received_at + timedelta(days=7),
                )
                used_at = visit.received_at + timedelta(hours=rng.uniform(0.2, 48))
                if rng.random() < 0.6 and used_at < self.now:
                    code.used_at = used_at
                    code.rating = rng.choices(["satisfied", "basically", "dissatisfied"], weights=[80, 17, 3])[0]
                codes.append(code)
                visit.resident_code = code
        ResidentCode.objects.bulk_create(codes, batch_size=2000)
        self.visits.sort(key=lambda v: v.visited_at)
        Visit.objects.bulk_create(self.visits, batch_size=1000)

    def add_visit(self, visit):
        self.visits.append(visit)
        if visit.household is not None:
            self.visits_of_household.setdefault(visit.household.pk, []).append(visit)

    # --- concerns and their outcomes -----------------------------------------------------

    def outcome_time(self, raised_at, low_hours, high_hours) -> datetime:
        at = raised_at + timedelta(hours=self.rng.uniform(low_hours, high_hours))
        return min(at, self.now - timedelta(hours=2))

    def plan_outcome(self, plan: PlannedConcern):
        rng, concern = self.rng, plan.concern
        age = (self.now - concern.raised_at).days
        outcomes = Concern.Outcome
        if age <= 7:
            choices, weights = [outcomes.NONE, outcomes.PLEDGED, outcomes.RESOLVED], [55, 30, 15]
        else:
            choices = [outcomes.PLEDGED, outcomes.RESOLVED, outcomes.NOT_ACTIONABLE, outcomes.NONE]
            weights = [52, 29, 7, 6]
        outcome = rng.choices(choices, weights=weights)[0]
        self.set_plan_outcome(plan, outcome)

    def set_plan_outcome(self, plan: PlannedConcern, outcome: str):
        rng, raised_at = self.rng, plan.concern.raised_at
        plan.outcome = outcome
        if outcome == Concern.Outcome.PLEDGED:
            plan.at = (
                raised_at + timedelta(minutes=rng.randint(5, 40))
                if rng.random() < 0.6
                else self.outcome_time(raised_at, 12, 72)
            )
        elif outcome == Concern.Outcome.RESOLVED:
            plan.at = raised_at + timedelta(minutes=rng.randint(5, 60))
            plan.note = rng.choice(seeding.RESOLVED_NOTES)
        elif outcome == Concern.Outcome.NOT_ACTIONABLE:
            plan.at = self.outcome_time(raised_at, 24, 24 * 7)
            plan.note = rng.choice(seeding.NOT_ACTIONABLE_NOTES)
        elif outcome == Concern.Outcome.REFERRED:
            plan.at = self.outcome_time(raised_at, 24, 24 * 4)

    def new_concern(
        self, *, household, village, category, urgency, raised_by, raised_at, channel=Concern.Channel.VISIT
    ):
        return Concern(
            household=household,
            village=village,
            channel=channel,
            category=self.categories[category],
            urgency=urgency,
            text=self.rng.choice(seeding.CONCERN_TEXTS[category]),
            raised_by=raised_by,
            raised_at=raised_at,
        )

    def make_concerns(self):
        rng = self.rng
        categories, weights = zip(*seeding.CONCERN_WEIGHTS.items(), strict=True)
        scripted_visits = {visit.pk for visit, *_ in self.scripted}
        self.plans = []
        for visit in self.visits:
            if visit.pk in scripted_visits:
                continue
            chance = {Visit.Kind.FORUM: 0.4, Visit.Kind.PHONE_CALLBACK: 0.05}.get(visit.kind, 0.25)
            if rng.random() >= chance:
                continue
            for _ in range(2 if rng.random() < 0.1 else 1):
                urgency = rng.choices(list(Urgency), weights=[80, 17, 3])[0]
                concern = self.new_concern(
                    household=visit.household,
                    village=visit.village,
                    category=rng.choices(categories, weights)[0],
                    urgency=urgency,
                    raised_by=visit.cadre,
                    raised_at=visit.visited_at,
                )
                self.plans.append(PlannedConcern(concern=concern, visit=visit))
        # Concerns that came by phone or the online platform, not on a visit.
        for household in rng.sample(self.active_households, len(self.active_households) // 30):
            category = rng.choices(categories, weights)[0]
            concern = self.new_concern(
                household=household,
                village=household.village,
                category=category,
                urgency=Urgency.NORMAL,
                raised_by=None,
                raised_at=self.day_at(rng.randint(1, 365)),
                channel=rng.choice([Concern.Channel.PHONE, Concern.Channel.ONLINE]),
            )
            self.plans.append(PlannedConcern(concern=concern, visit=None))
        for plan in self.plans:
            self.plan_outcome(plan)
        # Referrals to petition cases: disputes and land first, raised long enough ago.
        candidates = [p for p in self.plans if p.concern.household and (self.now - p.concern.raised_at).days > 20]
        candidates.sort(
            key=lambda p: (p.concern.category.code not in ("dispute", "land", "social-assistance"), rng.random())
        )
        for plan in candidates[: max(3, self.n_households // 500)]:
            plan.scenario = "auto"
            self.set_plan_outcome(plan, Concern.Outcome.REFERRED)
        # A few "not actionable" that the supervisor sent back, and that were then pledged.
        sent_back = [
            p for p in self.plans if p.outcome == Concern.Outcome.NOT_ACTIONABLE and p.at < self.now - timedelta(days=5)
        ]
        for plan in sent_back[:3]:
            plan.sent_back = True
        for visit, category, urgency, outcome, scenario in self.scripted:
            concern = self.new_concern(
                household=visit.household,
                village=visit.village,
                category=category,
                urgency=urgency,
                raised_by=self.demo_cadre,
                raised_at=visit.visited_at,
            )
            plan = PlannedConcern(concern=concern, visit=visit, scenario=scenario or "auto")
            self.set_plan_outcome(plan, outcome)
            if outcome == Concern.Outcome.PLEDGED:
                plan.at = concern.raised_at + timedelta(minutes=20)
            self.plans.append(plan)
        Concern.objects.bulk_create([p.concern for p in self.plans], batch_size=1000)
        Visit.concerns.through.objects.bulk_create(
            [Visit.concerns.through(visit_id=p.visit.pk, concern_id=p.concern.pk) for p in self.plans if p.visit],
            batch_size=2000,
        )

    def make_petition_cases(self):
        """Cases for the referred concerns and a few that came by letter or online."""
        rng = self.rng
        referred = [p for p in self.plans if p.outcome == Concern.Outcome.REFERRED]
        sources = [
            (p.concern.household, p.concern.category, p.concern.text, p.at, PetitionCase.Channel.FORWARDED, p, None)
            for p in referred
        ]
        # Cases by letter or online, held at the states that referrals may not reach by chance:
        # one just registered, one past its 15-day acceptance clock, one replied.
        for days_ago, stop_at in ((5, None), (24, PetitionCase.Status.REGISTERED), (80, PetitionCase.Status.REPLIED)):
            household = rng.choice(self.active_households)
            category = self.categories[rng.choice(["land", "social-assistance", "environment"])]
            sources.append(
                (
                    household,
                    category,
                    rng.choice(seeding.CONCERN_TEXTS[category.code]),
                    self.day_at(days_ago),
                    rng.choice([PetitionCase.Channel.LETTER, PetitionCase.Channel.ONLINE]),
                    None,
                    stop_at,
                )
            )
        sources.sort(key=lambda s: s[3])
        leaders = [c for c in self.cadres if c.is_leading]
        self.cases = []
        petition_visits = []
        for household, category, text, registered_at, channel, plan, stop_at in sources:
            village = household.village
            leader = rng.choice(
                [self.secretary[village.parent_id]] + [c for c in leaders if self.cadre_township[c.pk] is None][:4]
            )
            head = household.members.filter(relation=Member.Relation.HEAD).first()
            case = PetitionCase.objects.create(
                petitioner_name=household.head_name,
                petitioner_household=household,
                petitioner_phone_masked=household.phone_masked,
                village=village,
                channel=channel,
                subject=f"反映{text}",
                category=category,
                content=f"{household.head_name}（{head.birth_year}年生）{text}，请求协调解决。",
                registered_at=registered_at,
                accept_due_at=registered_at + timedelta(days=PetitionCase.ACCEPT_DAYS),
                owning_leader=leader,
            )
            if plan:
                plan.petition_case = case
            self.cases.append(case)
            petition_visits += self.advance_case(case, leader, stop_at=stop_at)
        # A repeat petition: the same person on the same matter, after the first reply.
        first = next((c for c in self.cases if c.status in ("replied", "closed", "under_review")), None)
        if first is not None:
            at = min(first.replied_at + timedelta(days=20), self.now - timedelta(hours=1))
            repeat = PetitionCase.objects.create(
                petitioner_name=first.petitioner_name,
                petitioner_household=first.petitioner_household,
                petitioner_phone_masked=first.petitioner_phone_masked,
                village=first.village,
                channel=PetitionCase.Channel.VISIT,
                subject=first.subject,
                category=first.category,
                content=first.content + "对答复不满意，再次反映。",
                registered_at=at,
                accept_due_at=at + timedelta(days=PetitionCase.ACCEPT_DAYS),
                owning_leader=first.owning_leader,
                repeat_of=first,
            )
            self.cases.append(repeat)
            petition_visits += self.advance_case(repeat, first.owning_leader)
        Visit.objects.bulk_create([visit for visit, _case in petition_visits])
        Visit.followed_petitions.through.objects.bulk_create(
            [
                Visit.followed_petitions.through(visit_id=visit.pk, petitioncase_id=case.pk)
                for visit, case in petition_visits
            ]
        )
        for visit, _case in petition_visits:
            self.add_visit(visit)

    def advance_case(self, case, leader, *, stop_at=None) -> list:
        """Move a case along its statutory clocks as far as its age allows (or ``stop_at``).

        Returns the (petition visit, case) pairs to insert.
        """
        rng, by, age = self.rng, leader.user, (self.now - case.registered_at).days
        end = self.now - timedelta(hours=3)
        units = [
            PetitionUnit(
                case=case,
                unit=self.township_unit[case.village.parent_id],
                role=PetitionUnit.Role.PRIMARY,
                due_at=case.registered_at + timedelta(days=50),
            )
        ]
        secondary = SECONDARY_UNIT.get(case.category.code)
        if secondary:
            units.append(
                PetitionUnit(
                    case=case,
                    unit=self.units[secondary],
                    role=PetitionUnit.Role.SECONDARY,
                    due_at=case.registered_at + timedelta(days=40),
                )
            )
        visits = []
        if stop_at == PetitionCase.Status.REGISTERED or age < 10 or (age < 40 and rng.random() < 0.3):
            PetitionUnit.objects.bulk_create(units)
            return visits  # still registered (some already past the 15-day acceptance clock)
        if rng.random() < 0.12:
            case.transition(
                PetitionCase.Status.DECLINED,
                by=by,
                at=case.registered_at + timedelta(days=rng.randint(3, 12)),
                note="不属于信访事项受理范围，已告知通过诉讼途径解决",
            )
            PetitionUnit.objects.bulk_create(units[:1])
            return visits
        accepted_at = case.registered_at + timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 8))
        case.accepted_at, case.handle_due_at = accepted_at, accepted_at + timedelta(days=PetitionCase.HANDLE_DAYS)
        for unit in units:
            unit.due_at = case.handle_due_at - timedelta(days=10)
        case.save(update_fields=["accepted_at", "handle_due_at"])
        case.transition(PetitionCase.Status.ACCEPTED, by=by, at=accepted_at)
        visit_at = accepted_at + timedelta(days=rng.randint(2, 10), hours=rng.randint(1, 6))
        if visit_at < end:
            visit = self.new_visit(
                cadre=leader,
                village=case.village,
                household=case.petitioner_household,
                kind=Visit.Kind.PETITION,
                visited_at=visit_at,
                companions=rng.randint(1, 3),
            )
            visit.recorded_by, visit.flag_proxy = leader.user, False
            visit.help_delivered = "包案领导带案下访，当面听取诉求"
            visits.append((visit, case))
            PetitionEvent.objects.create(
                case=case, kind=PetitionEvent.Kind.NOTE, by=by, at=visit_at, note="带案下访，与信访人面谈"
            )
        replied_at = accepted_at + timedelta(days=rng.randint(20, 55))
        if replied_at >= end or (stop_at is None and rng.random() < 0.15):
            # Still being handled; some are past the 60-day handling clock.
            PetitionUnit.objects.bulk_create(units)
            return visits
        case.replied_at, case.review_due_at = replied_at, replied_at + timedelta(days=PetitionCase.REVIEW_DAYS)
        case.reply = "经调查核实，已协调相关部门依政策办理，并书面答复信访人。"
        case.evaluation = rng.choices(["satisfied", "basically", "dissatisfied"], weights=[55, 30, 15])[0]
        case.save(update_fields=["replied_at", "review_due_at", "reply", "evaluation"])
        for unit in units:
            unit.done_at = replied_at - timedelta(days=rng.randint(1, 5))
        PetitionUnit.objects.bulk_create(units)
        case.transition(PetitionCase.Status.REPLIED, by=by, at=replied_at)
        closes_at = case.review_due_at + timedelta(days=1)
        if stop_at == PetitionCase.Status.REPLIED:
            return visits
        if case.evaluation == "dissatisfied" and replied_at + timedelta(days=10) < end:
            case.transition(
                PetitionCase.Status.UNDER_REVIEW,
                by=by,
                at=replied_at + timedelta(days=rng.randint(3, 10)),
                note="信访人对答复不满意，申请复查",
            )
        elif closes_at < end:
            case.transition(PetitionCase.Status.CLOSED, by=by, at=closes_at)
        return visits

    def apply_outcomes(self):
        """Through Concern.set_outcome, so that each outcome has its history row."""
        for plan in self.plans:
            if plan.outcome == Concern.Outcome.NONE:
                continue
            concern, by = plan.concern, self.outcome_user(plan)
            if plan.sent_back:
                supervisor = self.supervisor_of(concern.village)
                concern.set_outcome(Concern.Outcome.NOT_ACTIONABLE, by=by, note=plan.note, at=plan.at)
                back_at = plan.at + timedelta(days=2)
                concern.set_outcome(Concern.Outcome.NONE, by=supervisor, note="理由不充分，请重新研判", at=back_at)
                plan.outcome, plan.at, plan.note = Concern.Outcome.PLEDGED, back_at + timedelta(days=1), ""
            concern.set_outcome(plan.outcome, by=by, note=plan.note, petition_case=plan.petition_case, at=plan.at)

    def outcome_user(self, plan):
        if plan.concern.raised_by is not None:
            return plan.concern.raised_by.user
        return self.office_head[plan.concern.village.parent_id].user

    # --- commitments -------------------------------------------------------------------

    def make_commitments(self):
        rng = self.rng
        planned = []
        for plan in self.plans:
            if plan.outcome != Concern.Outcome.PLEDGED:
                continue
            concern = plan.concern
            owner = concern.raised_by or rng.choice(
                self.village_cadres[concern.village_id] or self.staff_of_township[concern.village.parent_id]
            )
            days = self.deadlines.working_days(concern.category_id, concern.urgency)
            pledged_at = plan.at
            due = self.at_18(self.calendar.add(timezone.localdate(pledged_at), days))
            commitment = Commitment(
                concern=concern,
                household=concern.household,
                village=concern.village,
                owner=owner,
                pledged_by=owner.user,
                text=seeding.PLEDGES[concern.category.code],
                category=concern.category,
                urgency=concern.urgency,
                pledged_at=pledged_at,
                original_due_at=due,
                due_at=due,
                status=S.PLEDGED,
                status_changed_at=pledged_at,
            )
            scenario = plan.scenario if plan.scenario != "auto" else self.pick_scenario(due)
            planned.append(self.plan_commitment(commitment, scenario))
        Commitment.objects.bulk_create([p.commitment for p in planned], batch_size=1000)
        requests, progress, codes, follow_ups = [], [], [], []
        for plan in planned:
            commitment = plan.commitment
            for to, at, by, reason in plan.transitions:
                commitment.transition(to, by=by, reason=reason, at=at)
            requests += plan.requests
            progress += plan.progress
            codes += plan.codes
            for visit in self.visits_of_household.get(commitment.household_id, ()):
                if visit.cadre_id == commitment.owner_id and visit.visited_at > commitment.pledged_at + timedelta(
                    days=1
                ):
                    follow_ups.append(
                        Visit.followed_commitments.through(visit_id=visit.pk, commitment_id=commitment.pk)
                    )
                    break
        CommitmentRequest.objects.bulk_create(requests, batch_size=1000)
        CommitmentProgress.objects.bulk_create(progress, batch_size=1000)
        ResidentCode.objects.bulk_create(codes, batch_size=1000)
        Visit.followed_commitments.through.objects.bulk_create(follow_ups, batch_size=2000)
        self.commitments = [p.commitment for p in planned]

    def pick_scenario(self, due) -> str:
        """What becomes of a commitment, by how long ago it fell due.

        The longer past due, the likelier it was closed: overdue items thin out with age
        (half still open just after the due date, about a fifth after three months).
        """
        rng = self.rng
        if due > self.now:
            choices = {
                S.PLEDGED: 30,
                S.IN_PROGRESS: 40,
                S.REPORTED_DONE: 15,
                S.CONFIRMED: 8,
                S.CANCELLED: 2,
                "pending_extension": 4,
                "pending_cancellation": 1,
            }
        elif rng.random() < 0.5 * math.exp(-(self.now - due).days / 60):
            choices = {
                S.PLEDGED: 2,
                S.IN_PROGRESS: 6,
                S.REPORTED_DONE: 2,
                S.REOPENED: 3,
                "refused_extension": 2,
                "pending_extension": 1,
                "pending_cancellation": 1,
            }
        else:
            choices = {"on_time": 70, "late": 12, "reopened_then_confirmed": 5, S.CANCELLED: 4, "extended_confirmed": 4}
            if (self.now - due).days < 20:
                choices["extended_open"] = 8
        return rng.choices(list(choices), weights=list(choices.values()))[0]

    def plan_commitment(self, commitment, scenario) -> PlannedCommitment:
        """The transitions, requests, progress and resident codes that lead to ``scenario``."""
        rng, plan = self.rng, PlannedCommitment(commitment=commitment)
        owner = commitment.owner.user
        supervisor = self.supervisor_of(commitment.village)
        start = commitment.pledged_at + timedelta(minutes=30)
        end = self.now - timedelta(minutes=rng.randint(10, 60))
        due = commitment.original_due_at

        if scenario == "pending_cancellation":
            plan.requests.append(
                CommitmentRequest(
                    commitment=commitment,
                    kind=CommitmentRequest.Kind.CANCELLATION,
                    reason=rng.choice(seeding.CANCEL_REASONS),
                    requested_by=owner,
                    requested_at=self.between(max(start, end - timedelta(days=5)), end),
                )
            )
            scenario = S.IN_PROGRESS
        if scenario in ("extended_open", "extended_confirmed", "pending_extension", "refused_extension"):
            if scenario == "pending_extension":  # waiting in the supervisor's queue since a few days
                asked = self.between(max(start, end - timedelta(days=5)), end)
            else:
                asked = self.between(start, min(due, end))
            new_due = self.at_18(timezone.localdate(max(due, self.now)) + timedelta(days=rng.randint(7, 25)))
            if scenario == "extended_confirmed":
                new_due = due + timedelta(days=rng.randint(7, 20))
            request = CommitmentRequest(
                commitment=commitment,
                kind=CommitmentRequest.Kind.EXTENSION,
                reason=rng.choice(seeding.EXTENSION_REASONS),
                proposed_due_at=new_due,
                requested_by=owner,
                requested_at=asked,
            )
            if scenario != "pending_extension":
                request.decided_by, request.decided_at = (
                    supervisor,
                    min(asked + timedelta(hours=rng.randint(2, 48)), end),
                )
                request.decision = "refused" if scenario == "refused_extension" else "approved"
                if request.decision == "refused":
                    request.decision_note = "理由不充分，请按原期限办结"
            if request.decision == "approved":
                commitment.due_at, commitment.extension_count = new_due, 1
            plan.requests.append(request)
            if scenario == "extended_confirmed":
                # Done within the extension, after it was granted.
                scenario, due, start = "on_time", min(new_due, end), request.decided_at
            else:
                scenario = rng.choice([S.PLEDGED, S.IN_PROGRESS, S.IN_PROGRESS])

        if scenario in ("on_time", "late", "reopened_then_confirmed", S.CONFIRMED):
            if scenario == "late" and due + timedelta(hours=2) < end:
                closed = self.between(due + timedelta(hours=1), min(due + timedelta(days=40), end))
            else:
                closed = self.between(start + (min(due, end) - start) * 0.3, min(due, end))
            path = [S.IN_PROGRESS, S.REPORTED_DONE] if rng.random() < 0.75 else [S.REPORTED_DONE]
            if scenario == "reopened_then_confirmed":
                path = [S.IN_PROGRESS, S.REPORTED_DONE, S.REOPENED, S.IN_PROGRESS, S.REPORTED_DONE]
            path.append(S.CONFIRMED)
        elif scenario == S.CANCELLED:
            closed = self.between(start, end)
            path = [S.IN_PROGRESS, S.CANCELLED] if rng.random() < 0.5 else [S.CANCELLED]
        else:
            closed = end
            path = {
                S.PLEDGED: [],
                S.IN_PROGRESS: [S.IN_PROGRESS],
                S.REPORTED_DONE: [S.IN_PROGRESS, S.REPORTED_DONE],
                S.REOPENED: [S.IN_PROGRESS, S.REPORTED_DONE, S.REOPENED],
            }[scenario]
        # Event times in order, the closing one last.
        times = sorted(self.between(start, closed) for _ in path)
        if path and path[-1] in (S.CONFIRMED, S.CANCELLED):
            times[-1] = closed
        reported_at = None
        for to, at in zip(path, times, strict=True):
            by, reason = owner, ""
            if to == S.REPORTED_DONE:
                reported_at = at
                plan.progress.append(
                    CommitmentProgress(commitment=commitment, author=owner, at=at, text="已办结，等待群众确认")
                )
            elif to == S.IN_PROGRESS:
                plan.progress.append(
                    CommitmentProgress(
                        commitment=commitment, author=owner, at=at, text=rng.choice(seeding.PROGRESS_TEXTS)
                    )
                )
            elif to in (S.CONFIRMED, S.REOPENED):
                satisfied = to == S.CONFIRMED
                if rng.random() < 0.6 or not satisfied:
                    code = ResidentCode(
                        code=self.code(),
                        purpose=ResidentCode.Purpose.COMMITMENT,
                        commitment=commitment,
                        created_at=reported_at,
                        expires_at=max(reported_at + timedelta(days=30), at + timedelta(days=1)),
                        used_at=at,
                        rating=rng.choice(["satisfied", "satisfied", "basically"]) if satisfied else "dissatisfied",
                    )
                    plan.codes.append(code)
                    by = None  # the resident, through the code
                    reason = "群众扫码确认" if satisfied else rng.choice(seeding.REOPEN_REASONS)
                else:
                    by, reason = supervisor, "镇里现场核实，已办结"
            elif to == S.CANCELLED:
                reason = rng.choice(seeding.CANCEL_REASONS)
                plan.requests.append(
                    CommitmentRequest(
                        commitment=commitment,
                        kind=CommitmentRequest.Kind.CANCELLATION,
                        reason=reason,
                        requested_by=owner,
                        requested_at=max(start, at - timedelta(days=1)),
                        decision="approved",
                        decided_by=supervisor,
                        decided_at=at,
                    )
                )
                by = supervisor
            plan.transitions.append((to, at, by, reason))
        if plan.progress:
            commitment.last_progress_at = max(p.at for p in plan.progress)
        return plan

    # --- oversight ---------------------------------------------------------------------

    def make_oversight(self):
        """Supervision reports, findings, accountability actions and an exemption request."""
        now = self.now
        overdue = sorted((c for c in self.commitments if c.is_open and c.due_at < now), key=lambda c: c.due_at)
        in_demo = [
            c for c in overdue if c.village.parent_id == self.demo_township.pk and c.owner_id != self.demo_cadre.pk
        ]
        elsewhere = [c for c in overdue if c.village.parent_id != self.demo_township.pk]
        quarter_start = datetime(now.year, 3 * ((now.month - 1) // 3) + 1, 1).date()
        period_end = quarter_start - timedelta(days=1)
        period_start = datetime(period_end.year, period_end.month - 2, 1).date()

        supervisor = self.users["demo-supervisor"]
        report = SupervisionReport.objects.create(
            author=supervisor,
            region=self.demo_township,
            title=f"{self.demo_township.name}{period_end:%Y}年第{(period_end.month - 1) // 3 + 1}季度走访工作督查报告",
            period_start=period_start,
            period_end=period_end,
            summary="抽查走访记录和承诺事项办理情况。总体按期推进，个别承诺事项逾期未办结，部分走访记录内容雷同。",
            rectification_due=self.today + timedelta(days=20),
            created_at=now - timedelta(days=12),
        )
        findings = [
            Finding(report=report, text="承诺事项逾期未办结，未申请延期", cadre=c.owner, commitment=c)
            for c in in_demo[:2]
        ]
        flagged = next(
            (v for v in self.visits if v.flag_backdated and v.village.parent_id == self.demo_township.pk), None
        )
        if flagged:
            findings.append(Finding(report=report, text="走访记录事后多日补录", cadre=flagged.cadre, visit=flagged))
        Finding.objects.bulk_create(findings)
        report.issue(by=supervisor, at=now - timedelta(days=10))
        SupervisionReport.objects.create(
            author=self.county_leader.user,
            region=self.county,
            title=f"{self.county.name}大走访活动督查（草稿）",
            period_start=period_start,
            period_end=period_end,
            summary="正在汇总各乡镇自查情况。",
            created_at=now - timedelta(days=3),
        )

        inspector = self.users["demo-inspector"]
        for items, created_by, form, deciding in (
            (in_demo, inspector, AccountabilityAction.Form.REMINDER_TALK, f"{self.demo_township.name}纪委"),
            (elsewhere, self.county_inspector.user, AccountabilityAction.Form.CRITICISM, "县纪委监委"),
        ):
            if not items:
                continue
            subject = items[0].owner
            action = AccountabilityAction.objects.create(
                subject_cadre=subject,
                region=items[0].village.parent,
                form=form,
                deciding_body=deciding,
                grounds=f"承诺事项逾期{items[0].overdue_days(now)}天未办结，经督办仍未推进。",
                created_by=created_by,
                created_at=now - timedelta(days=8),
            )
            action.commitments.set([c for c in items if c.owner_id == subject.pk][:3])
            if form == AccountabilityAction.Form.REMINDER_TALK:
                action.findings.set(findings[:1])
            action.decided_on = self.today - timedelta(days=5)
            action.save(update_fields=["decided_on"])
            action.transition(AccountabilityAction.Status.DECIDED, by=created_by, at=now - timedelta(days=5))
            if form == AccountabilityAction.Form.CRITICISM:
                action.transition(AccountabilityAction.Status.EXECUTED, by=created_by, at=now - timedelta(days=2))
            else:
                ExemptionRequest.objects.create(
                    action=action,
                    requested_by=subject.user,
                    requested_at=now - timedelta(days=4),
                    grounds="逾期系上级部门审批流程较长所致，本人已多次督促并如实记录进展，申请容错免责。",
                )
        self.make_notice(in_demo)
        amended = [v for v in self.visits if v.kind == Visit.Kind.HOME and (now - v.received_at).days > 2][
            :: max(1, len(self.visits) // 3)
        ][:3]
        VisitAmendment.objects.bulk_create(
            [
                VisitAmendment(
                    visit=v,
                    by=v.recorded_by,
                    at=v.received_at + timedelta(days=2),
                    reason="补充群众反映的情况",
                    changes={"hopes": [v.hopes, v.hopes + "；盼望尽快落实"]},
                )
                for v in amended
            ]
        )

    def make_notice(self, in_demo):
        """Circulated criticism of another overdue cadre of the demo township, carried out, and
        the township commission's notice that circulates it."""
        inspector, now = self.users["demo-inspector"], self.now
        others = [c for c in in_demo if c.owner_id != in_demo[0].owner_id] if in_demo else []
        if not others:
            return
        subject = others[0].owner
        action = AccountabilityAction.objects.create(
            subject_cadre=subject,
            region=self.demo_township,
            form=AccountabilityAction.Form.CIRCULATED,
            deciding_body=f"{self.demo_township.name}纪委",
            grounds=f"承诺事项逾期{others[0].overdue_days(now)}天未办结，提醒谈话后仍未推进，也未申请延期。",
            created_by=inspector,
            created_at=now - timedelta(days=6),
            decided_on=self.today - timedelta(days=3),
        )
        action.commitments.set([c for c in others if c.owner_id == subject.pk][:3])
        action.transition(AccountabilityAction.Status.DECIDED, by=inspector, at=now - timedelta(days=3))
        action.transition(AccountabilityAction.Status.EXECUTED, by=inspector, at=now - timedelta(days=1))
        notice = Notice.objects.create(
            region=self.demo_township,
            number=f"{self.demo_township.name[:2]}纪通〔{self.today:%Y}〕1号",
            title="关于走访承诺事项逾期未办结问题的通报",
            issuer=f"中共{self.demo_township.name}纪律检查委员会",
            body=(
                "近期，镇纪委对全镇干部下基层走访承诺事项办理情况开展了监督检查，发现个别干部对群众反映的问题"
                "承诺后不跟进、不办结，“只记不办”。现将有关问题通报如下。\n"
                "各村（社区）、各部门要引以为戒，对照检查承诺事项办理情况，确保件件有着落、事事有回音。"
            ),
            issued_on=self.today - timedelta(days=1),
            created_by=inspector,
            created_at=now - timedelta(days=1),
        )
        notice.actions.set([action])


def demo_row_counts() -> dict[str, int]:
    """Rows of every model in the five apps, and users: what the demo adds."""
    labels = ("households", "cadres", "casework", "visits", "accountability")
    counts = {"auth.User": get_user_model().objects.count()}
    for label in labels:
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model.objects.count()
            for m2m in model._meta.local_many_to_many:
                if m2m.remote_field.through._meta.auto_created:
                    through = m2m.remote_field.through
                    counts[through._meta.label] = through.objects.count()
    return counts


class Command(BaseCommand):
    help = (
        "Create a demo county (5 townships, 40 villages, households, cadres, a year of visits and casework) "
        f"and the accounts admin, demo-supervisor, demo-inspector and demo-cadre (password {DEMO_PASSWORD}). "
        "Changes nothing if the demo is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=4000, help="How many households (default 4,000).")

    def handle(self, *args, households, **options):
        if households < 200:
            raise CommandError("--households must be at least 200.")
        if Region.objects.filter(code=CITY[1]).exists():
            self.stdout.write(f"The demo county is already there (region {CITY[1]} {CITY[0]}); nothing changed.")
            return
        started = clock.monotonic()
        county = DemoCounty(households=households)
        with transaction.atomic():
            county.build()
        if connection.vendor == "postgresql":
            # Planner statistics now, not when autovacuum gets round to it: on a fresh database
            # without them, the dashboard's lists were planned as nested loops taking minutes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # What the background jobs would do within minutes of the first start: escalate what is
        # overdue, deliver it and write today's digests, so the inboxes are there at first sign-in.
        escalated = escalations_sweep().total
        delivered = escalations_send_all(max_batches=10_000)
        digests = digest_send()
        # The dashboard's rollups, for every period of the demo (by name: reports sits above).
        call_command("refresh_rollups", "--all", stdout=StringIO())
        elapsed = clock.monotonic() - started
        counts = demo_row_counts()
        self.stdout.write(self.style.SUCCESS(f"Demo county created in {elapsed:.1f} s."))
        for label in (
            "households.Household",
            "households.Member",
            "cadres.Cadre",
            "visits.Visit",
            "casework.Concern",
            "casework.Commitment",
            "casework.PetitionCase",
        ):
            self.stdout.write(f"  {label:28} {counts[label]:>8,}")
        self.stdout.write(f"  {'escalations (delivered)':28} {escalated:>8,} ({delivered:,})")
        self.stdout.write(f"  {'daily digests':28} {digests:>8,}")
        self.stdout.write(f"\nAccounts (password for all: {DEMO_PASSWORD}):")
        for username, role in (
            ("admin", "administrator (superuser)"),
            ("demo-supervisor", f"supervisor of {DEMO_TOWNSHIP}, a leading cadre"),
            ("demo-inspector", f"discipline inspector of {DEMO_TOWNSHIP}"),
            ("demo-cadre", f"cadre paired with households in {DEMO_VILLAGE}, {DEMO_TOWNSHIP}"),
        ):
            password = (
                "(unchanged: the account was already there)"
                if username == "admin" and county.admin_existed
                else DEMO_PASSWORD
            )
            self.stdout.write(f"  {username:16} {role:55} {password}")
