"""Files she might upload, built byte by byte: a JPEG and a PNG carrying metadata (where
the photo was taken), a PDF, and an executable renamed to look like one of them."""

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

GPS = b"GPSLatitude 40.6782 N GPSLongitude 73.9442 W Canon EOS serial 0042"


def _segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg(exif=True):
    """A JPEG's segments: JFIF, an EXIF block (with ``GPS``) and a comment, then the image."""
    parts = [b"\xff\xd8", _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")]
    if exif:
        parts += [_segment(0xE1, b"Exif\x00\x00" + GPS), _segment(0xFE, b"taken at home")]
    parts += [
        _segment(0xDB, bytes(65)),  # quantisation table
        _segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"),  # 1x1, one component
        _segment(0xC4, bytes(29)),  # Huffman table
        _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),  # start of scan
        b"\x12\x34\x56\x78",  # the image data
        b"\xff\xd9",
    ]
    return b"".join(parts)


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(text=True):
    """A 1x1 PNG, with a text chunk and an EXIF chunk (``GPS``) unless ``text`` is false."""
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))]
    if text:
        parts += [_chunk(b"tEXt", b"Comment\x00" + GPS), _chunk(b"eXIf", GPS)]
    parts += [_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")), _chunk(b"IEND", b"")]
    return b"".join(parts)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(200)


def upload(data, name="report.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)
