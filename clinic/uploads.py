"""What she uploads (a lab report, a photo of her ID): a PDF, JPEG or PNG, judged by its
content, never by its name or the type her browser claims, and stripped of metadata.

``clean_upload`` reads the file (refusing more than ``HEALTH_FILE_MAX_BYTES``), recognises it
by its first bytes, then walks its structure: a JPEG segment by segment, a PNG chunk by chunk
(each chunk's CRC checked). Whatever does not parse is refused, so a renamed executable or a
truncated file never reaches the storage. Images are rebuilt without their metadata: a JPEG
keeps only the segments needed to draw it (no EXIF, XMP, comments or maker notes: an EXIF
block can hold where and when the photo was taken), a PNG only its critical chunks and
those describing colour. We parse by hand rather than re-encode with an imaging library: the
pixels are kept as she took them and no new dependency decodes untrusted images.
"""

import struct
import zlib

from django.conf import settings
from django.core.exceptions import ValidationError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG chunks kept: the critical ones and those that say how to show the colours.
PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP"}
# JPEG markers without a length (start of image, restart markers).
JPEG_STANDALONE = {0xD8, *range(0xD0, 0xD8), 0x01}
# JPEG application segments kept: APP0 (JFIF) and APP14 (Adobe colour transform); every other
# APPn (EXIF, XMP, ICC with vendor data, maker notes) and comments go.
JPEG_KEPT_APP = {0xE0, 0xEE}
NOT_ACCEPTED = "Upload a PDF, a JPEG or a PNG file (photos from a phone are fine)."
DAMAGED = "This file could not be read: it may be damaged. Try saving or exporting it again."


def clean_upload(uploaded):
    """``(bytes, content type)`` of the Django ``UploadedFile`` ``uploaded``, checked and, for
    an image, without metadata. Raises ``ValidationError`` with a message she can act on."""
    limit = settings.HEALTH_FILE_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(f"This file is larger than {limit // (1024 * 1024)} MB.")
    data = uploaded.read(limit + 1)
    if len(data) > limit:  # the size said less than it held
        raise ValidationError(f"This file is larger than {limit // (1024 * 1024)} MB.")
    kind = sniff(data)
    if kind == JPEG:
        return strip_jpeg(data), JPEG
    if kind == PNG:
        return strip_png(data), PNG
    check_pdf(data)
    return data, PDF


def sniff(data):
    """The content type the first bytes of ``data`` say (PDF, JPEG or PNG), or refuse."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(PNG_SIGNATURE):
        return PNG
    raise ValidationError(NOT_ACCEPTED)


def check_pdf(data):
    """A PDF ends with an end-of-file marker (in its last kilobyte): a header on anything
    else is not a PDF."""
    if b"%%EOF" not in data[-1024:]:
        raise ValidationError(DAMAGED)


def strip_jpeg(data):
    """``data`` (a JPEG) rebuilt without its metadata segments."""
    out, at = [b"\xff\xd8"], 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            raise ValidationError(DAMAGED)
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in JPEG_STANDALONE:
            at += 2
            continue
        if at + 4 > len(data):
            raise ValidationError(DAMAGED)
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise ValidationError(DAMAGED)
        segment = data[at:end]
        if marker == 0xDA:  # start of scan: the image data runs to the end marker
            tail = data.rfind(b"\xff\xd9")
            if tail < end:
                raise ValidationError(DAMAGED)
            out += [segment, data[end : tail + 2]]
            return b"".join(out)
        if marker == 0xFE or (0xE0 <= marker <= 0xEF and marker not in JPEG_KEPT_APP):
            at = end  # a comment or a metadata segment: dropped
            continue
        out.append(segment)
        at = end


def strip_png(data):
    """``data`` (a PNG) rebuilt with its critical and colour chunks only."""
    out, at = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        end = at + 12 + length
        if end > len(data):
            raise ValidationError(DAMAGED)
        body = data[at + 8 : end - 4]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise ValidationError(DAMAGED)
        if kind in PNG_KEPT:
            out.append(data[at:end])
        if kind == b"IEND":
            return b"".join(out)
        at = end
    raise ValidationError(DAMAGED)
