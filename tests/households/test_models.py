import pytest
from django.db import IntegrityError, transaction

from households.models import Member, Region, hash_id_number, mask_id_number, mask_phone
from tests import factories as f


def test_phones_and_id_numbers_are_masked():
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_id_number("330102199001011234") == "330102********1234"
    assert mask_id_number("33010219900101123x") == "330102********123X"


def test_an_id_number_is_stored_only_as_a_mask_and_a_keyed_hash(world):
    member = f.MemberFactory(household=world.household_in)
    member.set_id_number("330102199001011234")
    member.save()
    member.refresh_from_db()
    assert "19900101" not in member.id_number_masked
    assert member.id_number_hash == hash_id_number("330102199001011234 ")
    assert member.id_number_hash != hash_id_number("330102199001011235")


def test_a_region_path_makes_subtrees_a_prefix_match(world):
    assert world.v1.path == "330100000000/330102000000/330102001000/330102001001/"
    assert set(Region.objects.subtree(world.t1)) == {world.t1, world.v1, world.v2}
    assert list(world.v1.ancestors()) == [world.city, world.county_a, world.t1]
    assert world.county_a.contains(world.v1) and not world.county_b.contains(world.v1)


def test_only_a_city_may_be_a_root(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.region("Orphan village", "999", None, level=Region.Level.VILLAGE)


def test_a_household_has_at_most_one_head(world):
    f.MemberFactory(household=world.household_in, relation=Member.Relation.HEAD)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.MemberFactory(household=world.household_in, relation=Member.Relation.HEAD)


def test_birth_years_are_bounded(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.MemberFactory(household=world.household_in, birth_year=1800)


def test_the_admin_refuses_a_region_out_of_level_next_to_the_field(client, world):
    from django.urls import reverse

    client.force_login(world.admin)
    url = reverse("admin:households_region_add")
    response = client.post(url, {"name": "Skipped", "code": "330100999000", "level": 4, "parent": world.city.pk})
    assert response.status_code == 200
    assert "level" in response.context["adminform"].form.errors
    assert response.context["adminform"].form["name"].value() == "Skipped"
    assert not Region.objects.filter(code="330100999000").exists()
    response = client.post(url, {"name": "New county", "code": "330104000000", "level": 2, "parent": world.city.pk})
    assert response.status_code == 302
    assert Region.objects.get(code="330104000000").path == "330100000000/330104000000/"
