"""The image of each product on its page and its cards: the photo staff uploaded in the admin
(``core.public_images``, AVIF and WebP), else the drawn illustration of its form
(``static/img/products/<form>.svg``: one style for all). Always 4:3, with its size and alt
text, so the page never shifts while it loads."""

from dataclasses import dataclass

from django.templatetags.static import static

from core import public_images

SIZE = (640, 480)  # stored photo; shown at 320 x 240 CSS pixels, sharp at 2x
WIDTH, HEIGHT = 320, 240
FOLDER = "products"

WHAT_IT_LOOKS_LIKE = {
    "oral": "a bottle of tablets",
    "topical": "a bottle of topical medicine with a pump, and a tube",
    "pack": "a box holding a month of each treatment in the pack",
}


@dataclass(frozen=True)
class ProductImage:
    src: str
    sources: tuple  # ((url, mime type), ...) offered before src; () for the illustration
    alt: str
    width: int = WIDTH
    height: int = HEIGHT


def product_image(treatment):
    found = public_images.sources(treatment.photo)
    if found:
        return ProductImage(
            src=found[-1][0], sources=tuple(found[:-1]), alt=f"Photo of {treatment.name}"
        )
    looks = WHAT_IT_LOOKS_LIKE.get(treatment.form, WHAT_IT_LOOKS_LIKE["oral"])
    return ProductImage(
        src=static(f"img/products/{treatment.form}.svg"),
        sources=(),
        alt=f"Illustration of {treatment.name}: {looks}",
    )
