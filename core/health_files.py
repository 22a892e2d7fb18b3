"""Health files (lab reports, ID photos) encrypted at rest, through Django's storage API.

``EncryptedStorage`` (``STORAGES["health_files"]``) wraps another storage: local files under
``HEALTH_FILES_ROOT`` by default (never under STATIC_ROOT, so whitenoise cannot serve them,
and with no URL of their own), or an S3-compatible bucket (``HEALTH_FILES_BUCKET``, through
django-storages: docs/operations.md). What the wrapped storage holds is a Fernet token of the
file made with the health-data key ring (``core.encryption.key_ring``): the same keys, the
same two-phase rotation as the encrypted fields. ``rotate`` moves a file to the first key
(``manage.py reencrypt_health_data`` calls it for every stored file).

A file is read whole into memory to encrypt or decrypt it: uploads are capped at
``HEALTH_FILE_MAX_BYTES`` (a few megabytes) before they reach here.
"""

from functools import lru_cache

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string

from core.encryption import UndecryptableValue, key_ring

S3_BACKEND = "storages.backends.s3.S3Storage"


def inner_config():
    """(backend path, options) of the storage that holds the encrypted bytes, from settings."""
    bucket = settings.HEALTH_FILES_BUCKET
    if bucket:  # the bucket's storage is made (and boto3 imported) only when first used
        return S3_BACKEND, (
            ("bucket_name", bucket),
            ("endpoint_url", settings.HEALTH_FILES_ENDPOINT_URL or None),
            ("region_name", settings.HEALTH_FILES_REGION or None),
            ("default_acl", "private"),
            ("querystring_auth", True),
            ("file_overwrite", False),
        )
    return "django.core.files.storage.FileSystemStorage", (
        ("location", str(settings.HEALTH_FILES_ROOT)),
        ("base_url", None),
    )


@lru_cache(maxsize=4)
def _inner(backend, options):
    return import_string(backend)(**dict(options))


@deconstructible(path="core.health_files.EncryptedStorage")
class EncryptedStorage(Storage):
    """Files encrypted with the health-data keys, stored by the storage of ``inner_config``
    (read from settings on each call, so a test or a deploy may point it elsewhere)."""

    @property
    def inner(self):
        return _inner(*inner_config())

    def _open(self, name, mode="rb"):
        with self.inner.open(name, "rb") as stored:
            token = stored.read()
        try:
            data = key_ring().decrypt(token)
        except InvalidToken as error:
            raise UndecryptableValue(
                f"No health-data key decrypts the stored file {name}: was a key removed before "
                "`manage.py reencrypt_health_data` moved the files to the new one?"
            ) from error
        return ContentFile(data, name=name)

    def _save(self, name, content):
        content.seek(0)
        token = key_ring().encrypt(content.read())
        return self.inner.save(name, ContentFile(token))

    def rotate(self, name):
        """Store ``name`` again encrypted with the first key; returns the new name (the old
        file is left for the caller to delete once the new name is recorded)."""
        with self.inner.open(name, "rb") as stored:
            token = key_ring().rotate(stored.read())
        return self.inner.save(name, ContentFile(token))

    def delete(self, name):
        self.inner.delete(name)

    def exists(self, name):
        return self.inner.exists(name)

    def size(self, name):
        return len(self.open(name).read())

    def url(self, name):
        raise NotImplementedError(
            "Health files have no URL: they are served only through the access-logged view."
        )

    def get_available_name(self, name, max_length=None):
        return self.inner.get_available_name(name, max_length=max_length)


def health_files():
    """The health files' storage (``STORAGES["health_files"]``): a FileField's ``storage``."""
    return storages["health_files"]
