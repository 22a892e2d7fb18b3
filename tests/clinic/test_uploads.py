"""What she uploads: a PDF, JPEG or PNG judged by content, images stripped of metadata, and
stored encrypted with the health-data keys (rotated with them)."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command

from clinic.services.labs import upload_report
from clinic.uploads import JPEG, PDF, PNG, clean_upload
from core.encryption import UndecryptableValue
from core.health_files import health_files
from orders.models import HealthFile
from tests.support.factories import make_paid_order
from tests.support.files import ELF, GPS, jpeg, png, upload
from tests.support.files import PDF as PDF_BYTES

pytestmark = pytest.mark.django_db

OLD, NEW = (Fernet.generate_key().decode() for _ in range(2))


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("labs.pdf", "application/pdf"), ("photo.jpg", "image/jpeg"), ("scan.png", "image/png")],
)
def test_a_renamed_executable_is_refused_whatever_its_name_and_declared_type(name, content_type):
    with pytest.raises(ValidationError, match="Upload a PDF, a JPEG or a PNG"):
        clean_upload(upload(ELF, name, content_type))


def test_the_type_comes_from_the_content_not_the_name():
    assert clean_upload(upload(png(text=False), "looks-like.pdf"))[1] == PNG
    assert clean_upload(upload(PDF_BYTES, "scan.jpg", "image/jpeg")) == (PDF_BYTES, PDF)


def test_exif_and_comments_are_stripped_from_a_jpeg_and_the_image_is_kept():
    data, kind = clean_upload(upload(jpeg(), "id.jpg", "image/jpeg"))
    assert kind == JPEG
    assert GPS not in data and b"Exif" not in data and b"taken at home" not in data
    assert data == jpeg(exif=False)  # every segment that draws the image, unchanged


def test_text_and_exif_chunks_are_stripped_from_a_png():
    data, kind = clean_upload(upload(png(), "id.png", "image/png"))
    assert kind == PNG and GPS not in data
    assert data == png(text=False)


@pytest.mark.parametrize(
    "data",
    [
        jpeg()[:40],  # cut inside a segment
        jpeg().replace(b"\xff\xd9", b""),  # no end of image
        b"\xff\xd8\xff\xe0\x00\x01",  # a length shorter than itself
        png()[:-5],  # cut inside the last chunk
        png().replace(b"IDAT", b"IDAx"),  # a chunk whose CRC no longer matches
        b"\x89PNG\r\n\x1a\n",  # a signature and nothing else
        b"%PDF-1.4 but nothing of a PDF after it",
        b"\xff\xd8\xffZ",  # a JPEG marker without its segment
        b"\xff\xd8\xff\xe0\x00\x04ab\x00junk",  # no marker where the next segment should be
        png()[:8] + b"\x00\x00\x10\x00IHDR" + bytes(20),  # a chunk longer than the file
    ],
)
def test_a_file_that_does_not_parse_is_refused(data):
    with pytest.raises(ValidationError):
        clean_upload(upload(data))


def test_the_jpeg_walk_skips_fill_bytes_and_markers_without_a_length():
    data = jpeg(exif=False)
    padded = data[:2] + b"\xff\xff\xd0" + data[2:]  # a fill byte, then a restart marker
    assert clean_upload(upload(padded, "a.jpg"))[0] == data


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.HEALTH_FILE_MAX_BYTES = 1024 * 1024
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        clean_upload(upload(PDF_BYTES + bytes(1024 * 1024)))


def test_a_file_larger_than_it_said_is_refused(settings):
    settings.HEALTH_FILE_MAX_BYTES = 1024 * 1024
    lying = upload(PDF_BYTES + bytes(1024 * 1024))
    lying.size = 10
    with pytest.raises(ValidationError, match="larger than"):
        clean_upload(lying)


def stored_bytes(health_file):
    return health_files().inner.open(health_file.file.name).read()


def test_a_stored_file_is_encrypted_has_no_url_and_reads_back(settings):
    order = make_paid_order()
    stored = upload_report(order, upload(PDF_BYTES), by=None)
    raw = stored_bytes(stored)
    assert PDF_BYTES not in raw and b"%PDF" not in raw
    assert HealthFile.objects.get(pk=stored.pk).file.open("rb").read() == PDF_BYTES
    assert stored.file.name.startswith("lab_report/") and stored.file.name.endswith(".pdf")
    assert str(settings.HEALTH_FILES_ROOT) not in str(settings.STATIC_ROOT)
    with pytest.raises(NotImplementedError, match="no URL"):
        stored.file.url  # noqa: B018
    assert health_files().exists(stored.file.name)
    assert health_files().size(stored.file.name) == len(PDF_BYTES)


def test_rotation_re_encrypts_stored_files_with_the_fields(
    settings, django_capture_on_commit_callbacks
):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    order = make_paid_order()
    stored = upload_report(order, upload(jpeg(), "id.jpg", "image/jpeg"), by=None)
    old_name = stored.file.name
    assert Fernet(OLD.encode()).decrypt(stored_bytes(stored)) == jpeg(exif=False)

    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_DECRYPTION_ONLY_KEYS = [NEW], [OLD]
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes after commit
        call_command("reencrypt_health_data", stdout=out)
    assert "orders.HealthFile: 1 files re-encrypted" in out.getvalue()
    stored.refresh_from_db()
    assert not health_files().exists(old_name)
    assert Fernet(NEW.encode()).decrypt(stored_bytes(stored)) == jpeg(exif=False)

    settings.FIELD_DECRYPTION_ONLY_KEYS = []  # the old key dropped: the file still reads
    assert stored.file.open("rb").read() == jpeg(exif=False)
    settings.FIELD_ENCRYPTION_KEYS = [OLD]  # a file no key decrypts fails loudly
    with pytest.raises(UndecryptableValue, match="reencrypt_health_data"):
        HealthFile.objects.get(pk=stored.pk).file.open("rb")


def test_a_bucket_is_used_when_one_is_set(settings):
    from core.health_files import S3_BACKEND, inner_config

    settings.HEALTH_FILES_BUCKET = "oana-health-files"
    settings.HEALTH_FILES_ENDPOINT_URL = "https://s3.example.com"
    backend, options = inner_config()
    assert backend == S3_BACKEND == "storages.backends.s3.S3Storage"
    assert dict(options) == {
        "bucket_name": "oana-health-files",
        "endpoint_url": "https://s3.example.com",
        "region_name": None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
