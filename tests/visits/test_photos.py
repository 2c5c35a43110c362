import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests import factories as f
from tests.visits.test_api import VISITS, api_client, body
from tests.visits.test_pages import form_data
from visits.models import Visit, VisitPhoto
from visits.photos import MAX_SIDE


@pytest.fixture
def category(db):
    return f.CategoryFactory()


def jpeg_with_gps(width=2400, height=1800) -> bytes:
    image = Image.new("RGB", (width, height), (120, 160, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (30, 15, 0), 4: (120, 9, 0)}  # GPS latitude / longitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_photo_is_resized_and_stripped_of_its_location(client, world, category):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif()
    client.force_login(world.cadre_user)
    response = client.post(reverse("visit_new"), form_data(world, category) | {"photos": [upload(original)]})
    assert response.status_code == 302
    photo = VisitPhoto.objects.get(visit=Visit.objects.get())
    with photo.image.open() as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) == MAX_SIDE
        assert not image.getexif()


def test_a_file_that_is_not_a_photo_is_refused_next_to_the_field(client, world, category, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.cadre_user)
    fake = upload(b"%PDF-1.4 not an image", name="scan.jpg")
    response = client.post(reverse("visit_new"), form_data(world, category) | {"photos": [fake]})
    assert response.status_code == 200
    assert "is not a photo" in str(response.context["form"].errors["photos"])
    assert not Visit.objects.exists()


def test_a_photo_over_10_mb_is_refused(client, world, category):
    client.force_login(world.cadre_user)
    big = upload(b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 1))
    response = client.post(reverse("visit_new"), form_data(world, category) | {"photos": [big]})
    assert "photos" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_a_photo_sent_with_a_failed_form_is_kept_for_the_next_try(client, world, category):
    client.force_login(world.cadre_user)
    data = form_data(world, category, household="")
    response = client.post(reverse("visit_new"), data | {"photos": [upload(jpeg_with_gps(300, 200))]})
    assert response.status_code == 200 and not Visit.objects.exists()
    held = response.context["form"]["held_photos"].value()
    assert held and 'data-testid="held-photos"' in response.content.decode()
    # Another user cannot claim it.
    intruder_data = form_data(world, category) | {"held_photos": held, "cadre": world.outsider.pk, "household": world.household_out.pk}
    client.force_login(world.outsider_user)
    client.post(reverse("visit_new"), intruder_data)
    assert not VisitPhoto.objects.exists()
    client.force_login(world.cadre_user)
    response = client.post(reverse("visit_new"), data | {"household": world.household_in.pk, "held_photos": held})
    assert response.status_code == 302
    assert VisitPhoto.objects.filter(visit__cadre=world.cadre).count() == 1
    assert not default_storage.exists(f"pending/{world.cadre_user.pk}/{held}.jpg")


def test_photos_sent_with_a_visit_to_the_api_are_checked_resized_and_kept_once(world, category):
    client = api_client(world.cadre_user)
    data = body(world, category)
    photos = [upload(jpeg_with_gps()), upload(jpeg_with_gps(300, 200), name="small.jpg")]
    response = client.post(VISITS, {"visit": json.dumps(data), "photos": photos}, format="multipart")
    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    stored = list(visit.photos.all())
    assert len(stored) == 2 and response.json()["photos"] == [photo.image.url for photo in stored]
    sizes = []
    for photo in stored:
        with photo.image.open() as file, Image.open(file) as image:
            assert image.format == "JPEG" and not image.getexif()
            sizes.append(max(image.size))
    assert sizes == [MAX_SIDE, 300]
    # Sent again, with its photos or without them: the same visit, the same photos.
    for photo in photos:
        photo.seek(0)
    again = client.post(VISITS, {"visit": json.dumps(data), "photos": photos}, format="multipart")
    assert again.status_code == 200 and again.content == response.content
    assert client.post(VISITS, data, format="json").content == response.content
    assert VisitPhoto.objects.count() == 2


def test_the_api_refuses_what_the_visit_form_refuses_and_saves_nothing(world, category):
    client = api_client(world.cadre_user)
    visit = json.dumps(body(world, category))
    photo = jpeg_with_gps(300, 200)
    cases = [
        ({"visit": visit, "photos": [upload(b"%PDF-1.4 not an image", name="scan.jpg")]}, {"photos": ["“scan.jpg” is not a photo."]}),
        ({"visit": visit, "photos": [upload(photo) for _ in range(7)]}, {"photos": ["At most 6 photos."]}),
        ({"visit": "{'id': 1,", "photos": [upload(photo)]}, {"detail": "The “visit” part must be the visit as JSON."}),
        ({"photos": [upload(photo)]}, {"detail": "The “visit” part must be the visit as JSON."}),
        ({"visit": "[1, 2]"}, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ]
    for data, errors in cases:
        response = client.post(VISITS, data, format="multipart")
        assert (response.status_code, response.json()) == (400, errors)
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()
