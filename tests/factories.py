"""Test data builders. Each builds a valid row with the fewest decisions made by the test."""

from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accountability.models import AccountabilityAction, Escalation, EscalationRule, SupervisionReport
from accountability.services import escalation_levels_repair
from cadres.models import Cadre, ContactPoint, Notification, Pairing, Posting, Scope, Unit
from casework.models import Category, Commitment, Concern, PetitionCase, ResidentCode
from households.models import Household, Member, Region
from visits.models import Visit

PASSWORD = "correct-horse-battery"


def region(name: str, code: str, parent: Region | None = None, **extra) -> Region:
    extra.setdefault("level", parent.level + 1 if parent else Region.Level.CITY)
    obj = Region(name=name, code=code, parent=parent, **extra)
    obj.set_path()
    obj.save()
    return obj


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"Unit {n}")
    code = factory.Sequence(lambda n: f"U{n:04d}")


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Cadre {n}")
    unit = factory.SubFactory(UnitFactory)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    head_name = factory.Sequence(lambda n: f"Head {n}")
    address = factory.Sequence(lambda n: f"{n} Main Street")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"Member {n}")
    relation = Member.Relation.CHILD
    sex = Member.Sex.FEMALE
    birth_year = 1990


def _start():
    return date.today() - timedelta(days=30)


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    start = factory.LazyFunction(_start)


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    start = factory.LazyFunction(_start)


class PostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Posting

    start = factory.LazyFunction(_start)


class ScopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scope

    kind = Scope.Kind.SUPERVISION
    start = factory.LazyFunction(_start)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["code"]

    code = "employment"
    name = "Employment"


class ConcernFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Concern

    category = factory.SubFactory(CategoryFactory)
    text = factory.Sequence(lambda n: f"Needs help {n}")
    village = factory.LazyAttribute(lambda o: o.household.village if o.household else None)
    household = None


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    concern = factory.SubFactory(ConcernFactory)
    household = factory.LazyAttribute(lambda o: o.concern.household)
    village = factory.LazyAttribute(lambda o: o.concern.village)
    category = factory.LazyAttribute(lambda o: o.concern.category)
    pledged_by = factory.LazyAttribute(lambda o: o.owner.user)
    text = factory.Sequence(lambda n: f"Will fix {n}")
    pledged_at = factory.LazyFunction(timezone.now)
    original_due_at = factory.LazyAttribute(lambda o: o.pledged_at + timedelta(days=10))
    due_at = factory.LazyAttribute(lambda o: o.original_due_at)


class PetitionCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PetitionCase

    petitioner_name = "Petitioner"
    channel = PetitionCase.Channel.LETTER
    subject = factory.Sequence(lambda n: f"Petition {n}")
    category = factory.SubFactory(CategoryFactory)
    content = "Details"
    registered_at = factory.LazyFunction(timezone.now)
    accept_due_at = factory.LazyAttribute(lambda o: o.registered_at + timedelta(days=15))


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    recorded_by = factory.LazyAttribute(lambda o: o.cadre.user)
    village = factory.LazyAttribute(lambda o: o.household.village)
    visited_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class ResidentCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentCode

    purpose = ResidentCode.Purpose.VISIT
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class EscalationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationRule
        django_get_or_create = ["code"]

    code = "overdue"
    name = "Overdue"
    subject = EscalationRule.Subject.COMMITMENT
    offset_days = 0
    audience = EscalationRule.Audience.SUPERVISOR


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Escalation

    rule = factory.SubFactory(EscalationRuleFactory)
    village = factory.LazyAttribute(lambda o: o.commitment.village)
    due_at = factory.LazyAttribute(lambda o: o.commitment.due_at)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        escalation = super()._create(model_class, *args, **kwargs)
        if escalation.commitment_id:
            # The commitment's kept level follows its rows, as the sweep keeps it.
            escalation_levels_repair(commitments=Commitment.objects.filter(pk=escalation.commitment_id))
        return escalation


class SupervisionReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionReport

    title = factory.Sequence(lambda n: f"Report {n}")
    period_start = factory.LazyFunction(lambda: date.today() - timedelta(days=90))
    period_end = factory.LazyFunction(date.today)


class AccountabilityActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountabilityAction

    form = AccountabilityAction.Form.REMINDER_TALK
    grounds = "Overdue pledges"


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    title = factory.Sequence(lambda n: f"Notice {n}")
