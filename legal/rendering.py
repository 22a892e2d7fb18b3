"""A legal document as the public reads it: the entity's name, address and contacts filled
in from settings, and its plain text cut into headings and paragraphs."""

from django.conf import settings


def contacts():
    """What ``{name}`` stands for in a document's text (``legal/texts.py``)."""
    return {
        "legal_entity": settings.LEGAL_ENTITY_NAME,
        "legal_address": settings.LEGAL_ENTITY_ADDRESS,
        "privacy_email": settings.PRIVACY_EMAIL,
        "support_email": settings.SUPPORT_EMAIL,
        "support_phone": settings.SUPPORT_PHONE,
    }


def filled(body):
    """``body`` with each known ``{name}`` replaced; any other brace is left as it is (not
    ``str.format``: a document may contain braces of its own)."""
    for name, value in contacts().items():
        body = body.replace("{" + name + "}", value)
    return body


def blocks(body):
    """[(kind, text)]: "heading" for a paragraph starting with "## ", else "paragraph"."""
    result = []
    for block in filled(body).replace("\r\n", "\n").split("\n\n"):
        block = block.strip()
        if block.startswith("## "):
            result.append(("heading", block[3:].strip()))
        elif block:
            result.append(("paragraph", block))
    return result
