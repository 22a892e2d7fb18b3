"""Images staff upload for the public (a clinician's photo, a product photo): resized and
re-encoded into modern formats, kept in the public media storage (``STORAGES["public_media"]``),
which holds nothing about a patient.

Re-encoding drops whatever the upload carried besides pixels (camera data, location), and a
file that is not an image Pillow can read is refused with a message. Each stored name carries a
hash of its pixels, so a new photo gets a new URL and browsers may cache them for ever."""

import hashlib
import io

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils.html import format_html
from PIL import Image, ImageOps, UnidentifiedImageError

# Formats written, best first: a <picture> offers them in this order.
FORMATS = (("avif", "AVIF", "image/avif"), ("webp", "WEBP", "image/webp"))
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Larger than any image's pixels we accept (a decompression bomb is refused, not decoded).
MAX_PIXELS = 40_000_000


def storage():
    return storages["public_media"]


def _open(upload):
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError("This image is over 10 MB: upload a smaller one.")
    try:
        image = Image.open(upload)
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError("This image is too large: upload one under 40 megapixels.")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError("This file is not an image we can read (JPEG, PNG, WebP).") from error
    return ImageOps.exif_transpose(image).convert("RGB")


def store(upload, *, folder, size):
    """Crop ``upload`` to ``size`` (width, height), write it in every format of ``FORMATS``
    under ``folder``, and return the stored name without its extension (what a model keeps:
    ``urls(name)`` gives the URLs). Raises ``ValidationError`` for anything but an image."""
    image = ImageOps.fit(_open(upload), size, Image.Resampling.LANCZOS)
    digest = hashlib.sha256(image.tobytes()).hexdigest()[:16]
    stem = f"{folder}/{digest}-{size[0]}x{size[1]}"
    for extension, pil_format, _ in FORMATS:
        buffer = io.BytesIO()
        image.save(buffer, pil_format, quality=70)
        name = f"{stem}.{extension}"
        if not storage().exists(name):
            storage().save(name, ContentFile(buffer.getvalue()))
    return stem


def sources(stem):
    """[(URL, MIME type)] of a stored image, best format first; [] for no image."""
    if not stem:
        return []
    return [(storage().url(f"{stem}.{extension}"), mime) for extension, _, mime in FORMATS]


class PhotoForm(forms.ModelForm):
    """An admin form with a photo to upload (checked here, stored by ``save_photo`` when the
    admin saves) or to remove."""

    photo_upload = forms.FileField(
        label="Upload a photo",
        required=False,
        help_text="JPEG, PNG or WebP. It is cropped, resized and published in modern formats.",
    )
    remove_photo = forms.BooleanField(label="Remove the photo", required=False)

    def clean_photo_upload(self):
        upload = self.cleaned_data.get("photo_upload")
        if upload:
            _open(upload)
            upload.seek(0)
        return upload


def save_photo(obj, form, *, folder, size):
    """Apply ``form``'s (a ``PhotoForm``) upload or removal to ``obj.photo``; the caller saves."""
    if form.cleaned_data.get("remove_photo"):
        obj.photo = ""
    elif form.cleaned_data.get("photo_upload"):
        obj.photo = store(form.cleaned_data["photo_upload"], folder=folder, size=size)


def preview(stem, alt):
    """The stored image as the admin shows it (or a dash)."""
    found = sources(stem)
    if not found:
        return "-"
    return format_html('<img src="{}" alt="{}" width="96" height="96">', found[-1][0], alt)
