"""``manage.py seed_scale``: a city at the design's scale target, generated inside PostgreSQL.

Every row is computed by ``INSERT … SELECT … FROM generate_series(…)``: foreign keys by integer
arithmetic on the row number, and "random" choices by hashing the row number
(``hashint8extended``), so that the same ``--households`` gives the same rows. Visits raise
concerns and concerns become commitments by selecting from the rows just inserted. Secondary
indexes, unique and foreign-key constraints of the big tables are dropped for the load and
rebuilt afterwards, all in one transaction: a failed run leaves the database as it was.

Deadlines are counted in calendar days (working days × 7/5), not on the official calendar:
the figures and the overdue sweep only read due dates.
"""

import math
import time
from datetime import datetime
from datetime import time as clock_time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accountability import seeding
from casework.services import DeadlinePolicies
from households.models import Region

CITY_CODE = "339800000000"
# The accounts seed_scale (sc0000001, …) and seed_demo (c0001, …, demo-…) create; --reset deletes them.
USERNAME_PATTERN = "^(sc[0-9]{7}|c[0-9]{4}|demo-(supervisor|inspector|cadre))$"
# Loaded with their secondary indexes and constraints dropped, then rebuilt.
BIG_TABLES = [
    "households_household",
    "households_member",
    "households_householdtag",
    "cadres_pairing",
    "visits_visit",
    "visits_visit_concerns",
    "casework_concern",
    "casework_commitment",
]
APPS = ("households", "cadres", "casework", "visits", "accountability")
PLACE_NAMES = [
    "枫林",
    "竹坞",
    "梅岭",
    "茶园",
    "石塘",
    "东岙",
    "高坪",
    "溪口",
    "新桥",
    "后山",
    "前湾",
    "桃源",
    "桑园",
    "荷塘",
    "柳溪",
    "凤凰",
    "龙井",
    "里坑",
    "金竹",
    "白沙",
    "沙溪",
    "白鹤",
    "双溪",
    "黄泥",
    "西坞",
    "南垄",
    "银杏",
    "石门",
    "古樟",
    "北坑",
    "大园",
    "小岭",
    "三墩",
    "五联",
    "七星",
    "青山",
    "云溪",
    "清河",
    "长乐",
    "永安",
]
UNIT_NAMES = [
    "县委办公室",
    "县政府办公室",
    "县委组织部",
    "县纪委监委",
    "县民政局",
    "县人力资源和社会保障局",
    "县卫生健康局",
    "县教育局",
    "县住房和城乡建设局",
    "县农业农村局",
]
POSITIONS = ["科员", "一级科员", "四级主任科员", "办事员", "驻村干部", "社会事务办工作人员", "农业农村办工作人员"]
LEADING_POSITIONS = ["副镇长", "党委委员", "副局长", "局长", "党委副书记"]
# Rows carry a hash of their number in [0, 1): u(row, salt). Immutable SQL, so it is inlined.
HASH_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.u(bigint, bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (hashint8extended($1, $2) & 9223372036854775807)::double precision / 9223372036854775808.0 $$
"""


class Layout:
    """How many of each, and the id each generated row gets (ids follow any rows already there)."""

    def __init__(self, households: int, offsets: dict):
        self.n = households
        self.villages = max(1, round(households / 333))
        self.townships = max(1, math.ceil(self.villages / 15))
        self.counties = max(1, math.ceil(self.townships / 20))
        self.cadres = max(self.villages + 2 * self.counties + 10, households // 28)
        self.units = 10 * self.counties + self.townships
        self.visits = 5 * households
        self.offsets = offsets
        r0 = offsets["households_region"]
        self.city_id = r0 + 1
        self.county0 = r0 + 2  # county c has id county0 + c
        self.township0 = self.county0 + self.counties
        self.village0 = self.township0 + self.townships

    def sql(self, text: str) -> str:
        """Fill in the layout's integers (never user input) as {names} in ``text``."""
        o = self.offsets
        return text.format(
            N=self.n,
            V=self.villages,
            T=self.townships,
            C=self.counties,
            K=self.cadres,
            city=self.city_id,
            county0=self.county0,
            township0=self.township0,
            village0=self.village0,
            unit0=o["cadres_unit"] + 1,
            user0=o["auth_user"] + 1,
            cadre0=o["cadres_cadre"] + 1,
            household0=o["households_household"] + 1,
            concern0=o["casework_concern"] + 1,
        )


class Command(BaseCommand):
    help = (
        "Generate a city at scale on PostgreSQL: households (default 2,000,000) with proportional villages, "
        "townships, counties, units, cadres, pairings, contact points, ~5 visits and ~1.25 concerns per household, "
        "and ~1 commitment per household with a realistic spread of due dates."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=2_000_000)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First empty every table of the five apps (demo data included) and delete the accounts the seeds "
            "created (not admin).",
        )
        parser.add_argument("--no-vacuum", action="store_true", help="Skip VACUUM ANALYZE of the big tables.")

    def handle(self, *args, households, reset, no_vacuum, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale generates its rows inside PostgreSQL; DATABASE_URL names another database.")
        if not 1_000 <= households <= 4_000_000:
            raise CommandError("--households must be between 1,000 and 4,000,000 (the division codes run out above).")
        self.verbosity = options["verbosity"]
        started = time.monotonic()
        if reset:
            self.step("reset", self.reset)
        elif Region.objects.filter(code=CITY_CODE).exists():
            raise CommandError("The scale city is already there; pass --reset to generate it again.")
        self.counts = {}
        with transaction.atomic(), connection.cursor() as cursor:
            self.cursor = cursor
            # Session settings for the load; the cluster's own settings are in docs/benchmarks.md.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(HASH_FUNCTION)
            reference = seeding.seed_reference_data()
            layout = Layout(households, self.offsets())
            self.stdout.write(
                f"Generating {layout.n:,} households in {layout.villages:,} villages, {layout.townships:,} townships, "
                f"{layout.counties:,} counties, with {layout.cadres:,} cadres."
            )
            restore = self.step("drop indexes", self.drop_indexes)
            self.step("regions", self.load_regions, layout)
            self.step("units", self.load_units, layout)
            self.step("users", self.load_users, layout)
            self.step("cadres", self.load_cadres, layout)
            self.step("households", self.load_households, layout)
            self.step("members", self.load_members, layout)
            self.step("household tags", self.load_household_tags, layout, reference)
            self.step("assignments", self.load_assignments, layout)
            for first in range(0, layout.visits, 2_000_000):
                stop = min(first + 2_000_000, layout.visits)
                self.step(f"visits {first:,}–{stop:,}", self.load_visits, layout, first, stop)
            self.step("concerns", self.load_concerns, layout, reference)
            self.step("commitments", self.load_commitments, layout, reference)
            self.step("sequences", self.reset_sequences)
            self.step("rebuild indexes", self.rebuild, restore)
        if not no_vacuum:
            self.step("vacuum analyze", self.vacuum)
        self.stdout.write("\nRows generated:")
        for table, rows in self.counts.items():
            self.stdout.write(f"  {table:32} {rows:>12,}")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))

    # --- plumbing ----------------------------------------------------------------------

    def step(self, name, function, *args):
        started = time.monotonic()
        result = function(*args)
        self.stdout.write(f"  {name:24} {time.monotonic() - started:8.1f} s")
        return result

    def insert(self, table: str, statement: str, params=None) -> int:
        self.cursor.execute(statement, params)
        rows = self.cursor.rowcount
        self.counts[table] = self.counts.get(table, 0) + rows
        if self.verbosity > 1:
            self.stdout.write(f"    {table}: {rows:,} rows")
        return rows

    def offsets(self) -> dict:
        """The highest id in each table whose ids the load computes: generated ids follow it."""
        offsets = {}
        for table in (
            "households_region",
            "cadres_unit",
            "auth_user",
            "cadres_cadre",
            "households_household",
            "casework_concern",
        ):
            self.cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            offsets[table] = self.cursor.fetchone()[0]
        return offsets

    def reset(self):
        from django.apps import apps

        tables = [
            model._meta.db_table
            for label in APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            cursor.execute(f"DELETE FROM {get_user_model()._meta.db_table} WHERE username ~ %s", [USERNAME_PATTERN])

    def drop_indexes(self) -> list[str]:
        """Drop the big tables' keys, secondary indexes and foreign keys; return how to rebuild them."""
        cursor = self.cursor
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
            FROM pg_constraint
            WHERE (contype IN ('p', 'u', 'f') AND conrelid = ANY(%(tables)s::regclass[]))
               OR (contype = 'f' AND confrelid = ANY(%(tables)s::regclass[]))
            ORDER BY contype DESC, conrelid::regclass::text, conname
            """,
            {"tables": BIG_TABLES},
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%(tables)s::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))
            ORDER BY 1
            """,
            {"tables": BIG_TABLES},
        )
        indexes = cursor.fetchall()
        quote = connection.ops.quote_name
        # Foreign keys first (they depend on the keys), then keys and indexes.
        for table, name, _definition, _kind in sorted(constraints, key=lambda c: c[3] != "f"):
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        keys = [f"ALTER TABLE {t} ADD CONSTRAINT {quote(n)} {d}" for t, n, d, kind in constraints if kind != "f"]
        foreign = [f"ALTER TABLE {t} ADD CONSTRAINT {quote(n)} {d}" for t, n, d, kind in constraints if kind == "f"]
        declared = self.declared_indexes()
        return keys + [declared.get(name.split(".")[-1], definition) for name, definition in indexes] + foreign

    def declared_indexes(self) -> dict[str, str]:
        """The SQL Django's migrations use for the models' named indexes and partial unique
        constraints, so that they come back exactly as migrated (pg_get_indexdef would
        restate partial-index conditions in another, equivalent, form)."""
        from django.apps import apps
        from django.db.models import UniqueConstraint

        editor = connection.schema_editor(collect_sql=True)
        declared = {}
        for model in apps.get_models():
            if model._meta.db_table not in BIG_TABLES:
                continue
            for index in model._meta.indexes:
                declared[index.name] = str(index.create_sql(model, editor))
            for constraint in model._meta.constraints:
                if isinstance(constraint, UniqueConstraint) and constraint.condition is not None:
                    declared[constraint.name] = str(constraint.create_sql(model, editor))
        return declared

    def rebuild(self, statements: list[str]):
        for statement in statements:
            started = time.monotonic()
            self.cursor.execute(statement)
            if self.verbosity > 1:
                self.stdout.write(f"    {time.monotonic() - started:6.1f} s  {statement[:110]}")

    def reset_sequences(self):
        for table in (
            "households_region",
            "cadres_unit",
            "auth_user",
            "cadres_cadre",
            "households_household",
            "casework_concern",
        ):
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )

    def vacuum(self):
        """Outside the transaction: sets hint bits and the visibility map, so that the first
        benchmark after the load does not pay for them (and index-only scans work)."""
        with connection.cursor() as cursor:
            for table in BIG_TABLES + ["auth_user", "cadres_cadre", "cadres_contactpoint", "households_region"]:
                cursor.execute(f"VACUUM (ANALYZE) {table}")

    # --- the load ----------------------------------------------------------------------

    def load_regions(self, layout: Layout):
        self.insert(
            "households_region",
            layout.sql(
                "INSERT INTO households_region (id, name, code, level, parent_id, path, latitude, longitude) "
                "VALUES ({city}, '规模测试市', '339800000000', 1, NULL, '339800000000/', 30.000000, 120.000000)"
            ),
        )
        # Counties 3398cc000000, townships 3398ccttt000 (ttt numbered across the city), villages 3398cctttvvv.
        self.insert(
            "households_region",
            layout.sql(
                """
                INSERT INTO households_region (id, name, code, level, parent_id, path, latitude, longitude)
                SELECT {county0} + c, (%(names)s::text[])[1 + mod(c, 40)] || '县',
                       '3398' || lpad((c + 1)::text, 2, '0') || '000000', 2, {city},
                       '339800000000/3398' || lpad((c + 1)::text, 2, '0') || '000000/',
                       29.5 + mod(c, 10) * 0.2, 119.0 + (c / 10) * 0.2
                FROM generate_series(0, {C} - 1) c
                """
            ),
            {"names": PLACE_NAMES},
        )
        self.insert(
            "households_region",
            layout.sql(
                """
                INSERT INTO households_region (id, name, code, level, parent_id, path, latitude, longitude)
                SELECT {township0} + t, (%(names)s::text[])[1 + mod(t * 7, 40)] || CASE WHEN mod(t, 3) = 0 THEN '乡' ELSE '镇' END,
                       left(p.code, 6) || lpad((t + 1)::text, 3, '0') || '000', 3, p.id,
                       p.path || left(p.code, 6) || lpad((t + 1)::text, 3, '0') || '000/',
                       p.latitude + mod(t, 5) * 0.03, p.longitude + mod(t / 5, 5) * 0.03
                FROM generate_series(0, {T} - 1) t
                JOIN households_region p ON p.id = {county0} + t * {C} / {T}
                """
            ),
            {"names": PLACE_NAMES},
        )
        # Villages: v_local numbers a village within its township (the first village of
        # township t is ceil(t * V / T)).
        self.insert(
            "households_region",
            layout.sql(
                """
                INSERT INTO households_region (id, name, code, level, parent_id, path, latitude, longitude)
                SELECT {village0} + v, (%(names)s::text[])[1 + mod(v * 13, 40)] || '村',
                       left(p.code, 9) || lpad((v - (t * {V} + {T} - 1) / {T} + 1)::text, 3, '0'), 4, p.id,
                       p.path || left(p.code, 9) || lpad((v - (t * {V} + {T} - 1) / {T} + 1)::text, 3, '0') || '/',
                       29.5 + mod(v, 80) * 0.02, 119.0 + mod(v / 80, 80) * 0.02
                FROM (SELECT v, v::bigint * {T} / {V} AS t FROM generate_series(0, {V} - 1) v) s
                JOIN households_region p ON p.id = {township0} + s.t
                """
            ),
            {"names": PLACE_NAMES},
        )

    def load_units(self, layout: Layout):
        self.insert(
            "cadres_unit",
            layout.sql(
                """
                INSERT INTO cadres_unit (id, name, code, region_id)
                SELECT {unit0} + c * 10 + j, r.name || (%(units)s::text[])[1 + j], r.code || '-' || j, r.id
                FROM generate_series(0, {C} - 1) c CROSS JOIN generate_series(0, 9) j
                JOIN households_region r ON r.id = {county0} + c
                """
            ),
            {"units": UNIT_NAMES},
        )
        self.insert(
            "cadres_unit",
            layout.sql(
                """
                INSERT INTO cadres_unit (id, name, code, region_id)
                SELECT {unit0} + 10 * {C} + t, r.name || '人民政府', r.code || '-gov', r.id
                FROM generate_series(0, {T} - 1) t JOIN households_region r ON r.id = {township0} + t
                """
            ),
        )

    def load_users(self, layout: Layout):
        # Unusable passwords ("!" and then anything), as Django's set_unusable_password() stores.
        self.insert(
            "auth_user",
            layout.sql(
                """
                INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,
                                       is_active, date_joined)
                SELECT {user0} + k, '!' || md5('scale-user' || k), false, 'sc' || lpad((k + 1)::text, 7, '0'), '', '', '',
                       false, true, %(now)s
                FROM generate_series(0, {K} - 1) k
                """
            ),
            {"now": timezone.now()},
        )

    def load_cadres(self, layout: Layout):
        """Cadre k lives by village k mod V; three in five work for its township, the rest for the county."""
        self.insert(
            "cadres_cadre",
            layout.sql(
                """
                INSERT INTO cadres_cadre (id, user_id, name, unit_id, position, level, is_leading, phone_masked, is_active)
                SELECT {cadre0} + k, {user0} + k,
                       (%(surnames)s::text[])[1 + floor(pg_temp.u(k, 1) * %(ns)s)::int]
                         || (%(given)s::text[])[1 + floor(pg_temp.u(k, 2) * %(ng)s)::int],
                       CASE WHEN mod(k / {V}, 5) < 3 THEN {unit0} + 10 * {C} + t ELSE {unit0} + 10 * (t * {C} / {T}) + mod(k, 10) END,
                       CASE WHEN is_lead THEN (%(leading_positions)s::text[])[1 + mod(k, 5)]
                            ELSE (%(positions)s::text[])[1 + mod(k, 7)] END,
                       CASE WHEN is_lead THEN 'section' ELSE 'staff' END, is_lead,
                       '1' || (13 + mod(k, 7))::text || '****' || lpad(mod(k * 7919, 10000)::text, 4, '0'), true
                FROM (
                    SELECT k, mod(k, {V})::bigint * {T} / {V} AS t, mod(k / {V}, 12) = 0 AS is_lead
                    FROM generate_series(0, {K} - 1) k
                ) s
                """
            ),
            self.name_params(),
        )

    def name_params(self) -> dict:
        surnames = list(seeding.SURNAMES)
        given = [a + b for a in seeding.GIVEN_MALE[:20] for b in seeding.GIVEN_FEMALE[:10]] + list(seeding.GIVEN_MALE)
        return {
            "surnames": surnames,
            "ns": len(surnames),
            "given": given,
            "ng": len(given),
            "positions": POSITIONS,
            "leading_positions": LEADING_POSITIONS,
        }

    def load_households(self, layout: Layout):
        """Household h lives in village h * V / N: about 333 to a village, in blocks."""
        self.insert(
            "households_household",
            layout.sql(
                """
                INSERT INTO households_household (id, village_id, head_name, address, phone_masked, status, notes,
                                                  created_at, updated_at)
                SELECT {household0} + h, {village0} + h * {V} / {N},
                       (%(surnames)s::text[])[1 + floor(pg_temp.u(h, 11) * %(ns)s)::int]
                         || (%(given)s::text[])[1 + floor(pg_temp.u(h, 12) * %(ng)s)::int],
                       (1 + mod(h, 9)) || '组' || (1 + mod(h / 9, 150)) || '号',
                       CASE WHEN pg_temp.u(h, 13) < 0.9
                            THEN '1' || (35 + mod(h, 5))::text || '****' || lpad(mod(h * 7907, 10000)::text, 4, '0')
                            ELSE '' END,
                       CASE WHEN mod(h, 50) = 7 THEN 'moved_out' WHEN mod(h, 200) = 13 THEN 'dissolved' ELSE 'active' END,
                       '', %(now)s, %(now)s
                FROM generate_series(0::bigint, {N} - 1) h
                """
            ),
            {**self.name_params(), "now": timezone.now()},
        )

    def load_members(self, layout: Layout):
        """The head, and a spouse in four households out of five."""
        self.insert(
            "households_member",
            layout.sql(
                """
                INSERT INTO households_member (household_id, name, relation, sex, birth_year, id_number_masked,
                                               id_number_hash, phone_masked)
                SELECT h.id,
                       CASE WHEN s = 0 THEN h.head_name
                            ELSE (%(surnames)s::text[])[1 + floor(pg_temp.u(h.id, 21) * %(ns)s)::int]
                                 || (%(given)s::text[])[1 + floor(pg_temp.u(h.id, 22) * %(ng)s)::int] END,
                       CASE WHEN s = 0 THEN 'head' ELSE 'spouse' END,
                       CASE WHEN (s = 0) = (mod(h.id, 7) > 0) THEN 'M' ELSE 'F' END,
                       1940 + mod(h.id, 50) + s * (mod(h.id, 5) - 2),
                       '339800********' || lpad(mod(h.id * 31 + s, 10000)::text, 4, '0'),
                       md5('id' || h.id || '-' || s) || md5('number' || h.id || '-' || s),
                       CASE WHEN s = 0 THEN h.phone_masked ELSE '' END
                FROM households_household h CROSS JOIN generate_series(0, 1) s
                WHERE h.id >= {household0} AND (s = 0 OR mod(h.id, 5) > 0)
                """
            ),
            self.name_params(),
        )

    def load_household_tags(self, layout: Layout, reference: dict):
        tags = [tag.pk for tag in reference["tags"].values()]
        monitored = reference["tags"]["monitored"].pk
        self.insert(
            "households_householdtag",
            layout.sql(
                """
                INSERT INTO households_householdtag (household_id, tag_id, detail)
                SELECT {household0} + h, tag, CASE WHEN tag = %(monitored)s THEN (%(risks)s::text[])[1 + mod(h, 6)] ELSE '' END
                FROM (SELECT h, (%(tags)s::bigint[])[1 + mod(h / 5, %(ntags)s)] AS tag
                      FROM generate_series(0::bigint, {N} - 1) h WHERE mod(h, 5) = 0) s
                """
            ),
            {"tags": tags, "ntags": len(tags), "monitored": monitored, "risks": seeding.RISK_TYPES},
        )

    def load_assignments(self, layout: Layout):
        today = timezone.localdate()
        params = {"start": today.replace(year=today.year - 1), "now": timezone.now()}
        # Every village has its cadre k = v; most other cadres have a contact village too.
        self.insert(
            "cadres_contactpoint",
            layout.sql(
                """
                INSERT INTO cadres_contactpoint (cadre_id, village_id, start, "end", created_at)
                SELECT {cadre0} + k, {village0} + mod(k, {V}), %(start)s, NULL, %(now)s
                FROM generate_series(0, {K} - 1) k WHERE k < {V} OR mod(k, 10) < 8
                """
            ),
            params,
        )
        # First secretaries in one village out of four, from the last cadres.
        self.insert(
            "cadres_posting",
            layout.sql(
                """
                INSERT INTO cadres_posting (cadre_id, village_id, title, start, "end", created_at)
                SELECT {cadre0} + {K} - 1 - v / 4, {village0} + v, '', %(start)s, NULL, %(now)s
                FROM generate_series(0, {V} - 1) v WHERE mod(v, 4) = 1
                """
            ),
            params,
        )
        # One household in four is paired, with one of its village's cadres (k = v + V * m).
        self.insert(
            "cadres_pairing",
            layout.sql(
                """
                INSERT INTO cadres_pairing (cadre_id, household_id, start, "end", created_at)
                SELECT {cadre0} + v + {V} * mod(h / 4, ({K} - 1 - v) / {V} + 1), {household0} + h, %(start)s, NULL, %(now)s
                FROM (SELECT h, h * {V} / {N} AS v FROM generate_series(0::bigint, {N} - 1) h WHERE mod(h, 4) = 0) s
                """
            ),
            params,
        )
        # Each township's first cadre supervises it; two cadres per county supervise and inspect it.
        self.insert(
            "cadres_scope",
            layout.sql(
                """
                INSERT INTO cadres_scope (user_id, kind, region_id, unit_id, start, "end", created_at)
                SELECT {user0} + (t * {V} + {T} - 1) / {T}, 'supervision', {township0} + t, NULL::bigint, %(start)s::date, NULL::date, %(now)s::timestamptz
                FROM generate_series(0, {T} - 1) t
                UNION ALL
                SELECT {user0} + {V} + c, 'supervision', {county0} + c, NULL, %(start)s, NULL, %(now)s
                FROM generate_series(0, {C} - 1) c
                UNION ALL
                SELECT {user0} + {V} + {C} + c, 'inspection', {county0} + c, NULL, %(start)s, NULL, %(now)s
                FROM generate_series(0, {C} - 1) c
                """
            ),
            params,
        )

    def load_visits(self, layout: Layout, first: int, stop: int):
        """Visits first … stop-1 over the last 365 days; visit i goes to household u(i) * N.

        The visiting cadre is the household's paired cadre three times in four, otherwise one
        of its village's cadres. The OFFSET 0 keeps each hash computed once per row.
        """
        today = timezone.localdate()
        midnight = timezone.make_aware(datetime.combine(today, clock_time.min))
        self.insert(
            "visits_visit",
            layout.sql(
                """
                INSERT INTO visits_visit (id, cadre_id, recorded_by_id, household_id, village_id, kind, visited_at,
                    received_at, backdate_reason, latitude, longitude, accuracy_m, companions, thoughts, wants, hopes,
                    complaints, policies_explained, help_delivered, resident_code_id, flag_proxy, flag_backdated,
                    flag_far, flag_burst, flag_copied, summary_hash, payload_hash, updated_at)
                SELECT md5('scale-visit-' || i)::uuid, {cadre0} + k,
                       CASE WHEN proxy THEN {user0} + v ELSE {user0} + k END,
                       CASE WHEN kind = 'forum' THEN NULL ELSE {household0} + h END,
                       {village0} + v, kind, visited_at, visited_at + (3 + floor(pg_temp.u(i, 9) * 117)) * interval '1 minute',
                       '',
                       CASE WHEN located THEN round((29.5 + mod(v, 80) * 0.02 + (pg_temp.u(i, 10) - 0.5) * 0.006)::numeric, 6) END,
                       CASE WHEN located THEN round((119.0 + mod(v / 80, 80) * 0.02 + (pg_temp.u(i, 11) - 0.5) * 0.006)::numeric, 6) END,
                       CASE WHEN located THEN 5 + floor(pg_temp.u(i, 12) * 55)::int END,
                       CASE WHEN kind = 'phone' THEN 0 ELSE floor(pg_temp.u(i, 13) ^ 2 * 5)::int END,
                       (%(thoughts)s::text[])[1 + floor(pg_temp.u(i, 14) * %(n_thoughts)s)::int],
                       CASE WHEN pg_temp.u(i, 15) < 0.7 THEN (%(wants)s::text[])[1 + floor(pg_temp.u(i, 16) * %(n_wants)s)::int] ELSE '' END,
                       CASE WHEN pg_temp.u(i, 17) < 0.6 THEN (%(hopes)s::text[])[1 + floor(pg_temp.u(i, 18) * %(n_hopes)s)::int] ELSE '' END,
                       CASE WHEN pg_temp.u(i, 19) < 0.35 THEN (%(complaints)s::text[])[1 + floor(pg_temp.u(i, 20) * %(n_complaints)s)::int] ELSE '' END,
                       CASE WHEN pg_temp.u(i, 21) < 0.7 THEN (%(policies)s::text[])[1 + floor(pg_temp.u(i, 22) * %(n_policies)s)::int] ELSE '' END,
                       CASE WHEN pg_temp.u(i, 23) < 0.3 THEN (%(help)s::text[])[1 + floor(pg_temp.u(i, 24) * %(n_help)s)::int] ELSE '' END,
                       NULL, proxy, false, false, false, false, '', '', %(now)s
                FROM (
                    SELECT i, h, v, kind, visited_at,
                           CASE WHEN mod(h, 4) = 0 AND pg_temp.u(i, 5) < 0.75
                                THEN v + {V} * mod(h / 4, ({K} - 1 - v) / {V} + 1)
                                ELSE v + {V} * floor(pg_temp.u(i, 6) * (({K} - 1 - v) / {V} + 1))::bigint END AS k,
                           kind = 'home' AND pg_temp.u(i, 7) < 0.7 AS located,
                           kind <> 'phone' AND pg_temp.u(i, 8) < 0.01 AS proxy
                    FROM (
                        SELECT i, h, h * {V} / {N} AS v,
                               CASE WHEN r < 0.85 THEN 'home' WHEN r < 0.95 THEN 'phone'
                                    WHEN r < 0.98 THEN 'forum' ELSE 'reception' END AS kind,
                               %(midnight)s::timestamptz - (1 + floor(pg_temp.u(i, 3) * 365)) * interval '1 day'
                                 + (8 + pg_temp.u(i, 4) * 10) * interval '1 hour' AS visited_at
                        FROM (
                            SELECT i, floor(pg_temp.u(i, 1) * {N})::bigint AS h, pg_temp.u(i, 2) AS r
                            FROM generate_series(%(first)s::bigint, %(stop)s::bigint - 1) i
                        ) a OFFSET 0
                    ) b OFFSET 0
                ) c
                """
            ),
            {
                "first": first,
                "stop": stop,
                "midnight": midnight,
                "now": timezone.now(),
                **{name: values for name, values in self.phrases().items()},
                **{f"n_{name}": len(values) for name, values in self.phrases().items()},
            },
        )

    def phrases(self) -> dict:
        return {
            "thoughts": seeding.THOUGHTS,
            "wants": seeding.WANTS,
            "hopes": seeding.HOPES,
            "complaints": seeding.COMPLAINTS,
            "policies": seeding.POLICIES,
            "help": seeding.HELP,
        }

    def load_concerns(self, layout: Layout, reference: dict):
        """One visit in four raised a concern, linked to it; most reached an outcome.

        Outcomes: within a week of being raised half have none yet; older ones were pledged
        (82 %), resolved on the spot (11 %), judged not actionable (3 %) or have none (4 %:
        "recorded but never acted on").
        """
        categories = list(reference["categories"].values())
        bag = [c.pk for c in categories for _ in range(seeding.CONCERN_WEIGHTS.get(c.code, 1))]
        width = max(len(texts) for texts in seeding.CONCERN_TEXTS.values())
        texts = [
            [seeding.CONCERN_TEXTS[c.code][i % len(seeding.CONCERN_TEXTS[c.code])] for i in range(width)]
            for c in categories
        ]
        rows = self.insert(
            "casework_concern",
            layout.sql(
                """
                WITH src AS MATERIALIZED (
                    SELECT id AS visit_id, household_id, village_id, cadre_id, visited_at,
                           {concern0} - 1 + row_number() OVER () AS concern_id
                    FROM visits_visit
                    WHERE village_id BETWEEN {village0} AND {village0} + {V} - 1 AND (hashtext(id::text) & 3) = 0
                ), concerns AS (
                    INSERT INTO casework_concern (id, household_id, village_id, channel, category_id, urgency, text,
                        raised_by_id, raised_at, outcome, outcome_note, outcome_at, outcome_by_id, petition_case_id)
                    SELECT concern_id, household_id, village_id, 'visit', category_id, urgency,
                           (%(texts)s::text[])[array_position(%(category_ids)s::bigint[], category_id)][1 + floor(pg_temp.u(concern_id, 3) * %(width)s)::int],
                           cadre_id, visited_at, outcome,
                           CASE outcome WHEN 'resolved' THEN (%(resolved)s::text[])[1 + mod(concern_id, %(n_resolved)s)]
                                        WHEN 'not_actionable' THEN (%(not_actionable)s::text[])[1 + mod(concern_id, %(n_not_actionable)s)]
                                        ELSE '' END,
                           CASE outcome WHEN 'none' THEN NULL
                                        WHEN 'not_actionable' THEN least(visited_at + interval '2 days', %(midnight)s::timestamptz - interval '1 hour')
                                        ELSE visited_at + interval '30 minutes' END,
                           CASE WHEN outcome <> 'none' THEN cadre_id - {cadre0} + {user0} END,
                           NULL
                    FROM (
                        SELECT src.*,
                               (%(bag)s::bigint[])[1 + floor(pg_temp.u(concern_id, 1) * %(n_bag)s)::int] AS category_id,
                               CASE WHEN r_urgency < 0.8 THEN 'normal' WHEN r_urgency < 0.97 THEN 'urgent' ELSE 'critical' END AS urgency,
                               CASE WHEN visited_at > %(midnight)s::timestamptz - interval '7 days'
                                    THEN CASE WHEN r < 0.5 THEN 'none' WHEN r < 0.85 THEN 'pledged' ELSE 'resolved' END
                                    ELSE CASE WHEN r < 0.82 THEN 'pledged' WHEN r < 0.93 THEN 'resolved'
                                              WHEN r < 0.96 THEN 'not_actionable' ELSE 'none' END END AS outcome
                        FROM (SELECT src.*, pg_temp.u(concern_id, 2) AS r, pg_temp.u(concern_id, 4) AS r_urgency FROM src) src
                        OFFSET 0
                    ) s
                )
                INSERT INTO visits_visit_concerns (visit_id, concern_id) SELECT visit_id, concern_id FROM src
                """
            ),
            {
                "bag": bag,
                "n_bag": len(bag),
                "category_ids": [c.pk for c in categories],
                "texts": texts,
                "width": width,
                "resolved": seeding.RESOLVED_NOTES,
                "n_resolved": len(seeding.RESOLVED_NOTES),
                "not_actionable": seeding.NOT_ACTIONABLE_NOTES,
                "n_not_actionable": len(seeding.NOT_ACTIONABLE_NOTES),
                "midnight": timezone.make_aware(datetime.combine(timezone.localdate(), clock_time.min)),
            },
        )
        # The statement's count is of its last insert (the links); the concerns are as many.
        self.counts["casework_concern"] = rows
        self.counts["visits_visit_concerns"] = rows

    def load_commitments(self, layout: Layout, reference: dict):
        """A commitment for every pledged concern, due by its deadline policy.

        Past its due date a commitment is still open with probability 0.6·e^(−days overdue / 90),
        so about 15 % of all are open and overdue, most of them recently. 1 % of the overdue
        ones fell due within the last five minutes (the sweep's newest work); 6 % of the open
        ones were extended by two weeks.
        """
        deadlines = DeadlinePolicies()
        policy = [
            (c.pk, urgency, deadlines.working_days(c.pk, urgency), seeding.PLEDGES[c.code])
            for c in reference["categories"].values()
            for urgency in ("normal", "urgent", "critical")
        ]
        category_ids, urgencies, days, pledges = (list(column) for column in zip(*policy, strict=True))
        self.insert(
            "casework_commitment",
            layout.sql(
                """
                INSERT INTO casework_commitment (concern_id, household_id, village_id, owner_id, pledged_by_id, text,
                    category_id, urgency, pledged_at, original_due_at, due_at, extension_count, status,
                    status_changed_at, last_progress_at, closed_at, petition_case_id)
                SELECT id, household_id, village_id, raised_by_id, raised_by_id - {cadre0} + {user0}, pledge,
                       category_id, urgency, pledged_at, original_due_at, due_at,
                       CASE WHEN due_at > original_due_at THEN 1 ELSE 0 END, status, changed_at,
                       CASE WHEN status IN ('pledged', 'cancelled') THEN NULL ELSE changed_at END,
                       CASE WHEN status IN ('confirmed', 'cancelled') THEN changed_at END,
                       NULL
                FROM (
                    SELECT d.*,
                           CASE WHEN status IN ('confirmed', 'cancelled')
                                     THEN least(pledged_at + (original_due_at - pledged_at) * (0.3 + 0.9 * pg_temp.u(id, 36)),
                                                %(now)s::timestamptz - interval '1 hour')
                                WHEN status = 'pledged' THEN pledged_at
                                ELSE pledged_at + (least(due_at, %(now)s::timestamptz) - pledged_at) * pg_temp.u(id, 37)
                           END AS changed_at
                    FROM (
                        SELECT c.*,
                               CASE WHEN status IN ('confirmed', 'cancelled') THEN original_due_at
                                    WHEN original_due_at <= %(now)s::timestamptz AND pg_temp.u(id, 34) < 0.01
                                         THEN greatest(original_due_at, %(now)s::timestamptz - pg_temp.u(id, 35) * interval '5 minutes')
                                    WHEN pg_temp.u(id, 33) < 0.06 THEN original_due_at + interval '14 days'
                                    ELSE original_due_at END AS due_at
                        FROM (
                            SELECT b.*,
                                   CASE WHEN original_due_at > %(now)s::timestamptz
                                        THEN CASE WHEN r < 0.35 THEN 'pledged' WHEN r < 0.8 THEN 'in_progress'
                                                  WHEN r < 0.93 THEN 'reported_done' WHEN r < 0.98 THEN 'confirmed'
                                                  ELSE 'cancelled' END
                                        WHEN r < 0.6 * exp(-extract(epoch FROM %(now)s::timestamptz - original_due_at) / 86400.0 / 90)
                                        THEN CASE WHEN r2 < 0.15 THEN 'pledged' WHEN r2 < 0.65 THEN 'in_progress'
                                                  WHEN r2 < 0.8 THEN 'reported_done' ELSE 'reopened' END
                                        ELSE CASE WHEN r2 < 0.95 THEN 'confirmed' ELSE 'cancelled' END END AS status
                            FROM (
                                SELECT concern.id, concern.household_id, concern.village_id, concern.raised_by_id,
                                       concern.category_id, concern.urgency, policy.pledge, concern.outcome_at AS pledged_at,
                                       concern.outcome_at + ceil(policy.days * 7 / 5.0) * interval '1 day' AS original_due_at,
                                       pg_temp.u(concern.id, 31) AS r, pg_temp.u(concern.id, 32) AS r2
                                FROM casework_concern concern
                                JOIN unnest(%(category_ids)s::bigint[], %(urgencies)s::text[], %(days)s::int[], %(pledges)s::text[])
                                     AS policy (category_id, urgency, days, pledge)
                                  ON policy.category_id = concern.category_id AND policy.urgency = concern.urgency
                                WHERE concern.id >= {concern0} AND concern.outcome = 'pledged'
                            ) b OFFSET 0
                        ) c OFFSET 0
                    ) d OFFSET 0
                ) e
                """
            ),
            {
                "now": timezone.now(),
                "category_ids": category_ids,
                "urgencies": urgencies,
                "days": days,
                "pledges": pledges,
            },
        )
