"""Visit photos: checked by content, size-limited, resized and stripped of metadata (EXIF, GPS).

A photo that arrives with a form that fails validation is processed at once and held as a
pending file for that user, so the cadre does not have to pick it again. The offline outbox sends
a visit's photos with it to the API, checked the same way.
"""

import io
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import Visit, VisitPhoto

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PHOTOS = 6
JPEG_QUALITY = 85


def photo_process(upload) -> bytes:
    """JPEG bytes of the photo, at most MAX_SIDE pixels a side, with no metadata."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("“%(name)s” is larger than 10 MB.") % {"name": upload.name})
    try:
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            # A fresh RGB image carries none of the original's metadata.
            image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(_("“%(name)s” is not a photo.") % {"name": upload.name}) from error
    return out.getvalue()


def photos_process(uploads, *, held: int = 0) -> tuple[list[bytes], list[str]]:
    """Each upload processed (``photo_process``), and the messages of those refused. More than
    MAX_PHOTOS with the ``held`` ones already kept is refused whole (ValidationError)."""
    if len(uploads) + held > MAX_PHOTOS:
        raise ValidationError(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    processed, errors = [], []
    for upload in uploads:
        try:
            processed.append(photo_process(upload))
        except ValidationError as error:
            errors.extend(error.messages)
    return processed, errors


def _pending_name(user, token: str) -> str:
    return f"pending/{user.pk}/{token}.jpg"


def photo_hold(user, data: bytes) -> str:
    """Keep a processed photo for the user's next submission; returns its token."""
    token = secrets.token_hex(16)
    default_storage.save(_pending_name(user, token), ContentFile(data))
    return token


def photo_tokens_valid(user, tokens) -> list[str]:
    """The tokens that name photos held for this user (others' or made-up tokens are dropped)."""
    return [t for t in tokens if t.isalnum() and len(t) == 32 and default_storage.exists(_pending_name(user, t))]


def visit_attach_photos(*, visit: Visit, user, processed: list[bytes], tokens: list[str]) -> list[VisitPhoto]:
    """Attach new photos and held ones to the visit; held files are then removed."""
    photos = [VisitPhoto.objects.create(visit=visit, image=ContentFile(data, name="photo.jpg")) for data in processed]
    for token in photo_tokens_valid(user, tokens):
        name = _pending_name(user, token)
        with default_storage.open(name) as held:
            photos.append(VisitPhoto.objects.create(visit=visit, image=ContentFile(held.read(), name="photo.jpg")))
        default_storage.delete(name)
    return photos
