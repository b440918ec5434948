"""Product images: an upload is checked by decoding it, then stored re-encoded, never as sent.

What is stored is a WebP of at most `image_side` pixels on the long side and a thumbnail of at
most `thumbnail_side`, both without metadata (EXIF with its GPS position, XMP, ICC profile) and
turned the way the camera's orientation tag says. A file is judged by what Pillow finds inside,
not by its name or the browser's content type, and its pixel count is checked from the header
before anything is decoded, so a small file that unpacks to gigabytes is refused cheaply.
"""

import struct
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
OUTPUT_FORMAT, OUTPUT_EXTENSION = "WEBP", "webp"
QUALITY = 82


@dataclass(frozen=True)
class PreparedImage:
    """The encoded files of one upload, ready to be written to storage."""

    image: bytes
    thumbnail: bytes
    thumbnail_size: tuple[int, int]


def prepare_product_image(upload) -> PreparedImage:
    """Decodes an uploaded file and re-encodes it; a ValidationError says what is wrong with it."""
    limits = settings.PRODUCT_IMAGE_LIMITS
    if upload.size > limits["file_bytes"]:
        raise ValidationError(
            _("The file is %(size)s; images can be at most %(limit)s. Choose a smaller photo or save it smaller."),
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limits["file_bytes"])},
            code="file_size",
        )
    picture = _open(upload, max_pixels=limits["pixels"])
    try:
        picture = _upright_without_metadata(picture)
    except (OSError, SyntaxError, ValueError, TypeError, struct.error):  # a malformed EXIF block or mode
        raise _damaged() from None
    large = picture  # a fresh image already: resized in place
    large.thumbnail((limits["image_side"], limits["image_side"]), Image.Resampling.LANCZOS)
    small = large.copy()
    small.thumbnail((limits["thumbnail_side"], limits["thumbnail_side"]), Image.Resampling.LANCZOS)
    return PreparedImage(image=_encode(large), thumbnail=_encode(small), thumbnail_size=small.size)


def _damaged() -> ValidationError:
    return ValidationError(
        _("The image could not be read; the file may be damaged or cut short. Save it again and retry."),
        code="damaged",
    )


def _open(upload, *, max_pixels: int) -> Image.Image:
    not_an_image = ValidationError(
        _("This file is not a JPEG, PNG or WebP image, whatever its name says. Choose a photo in one of those."),
        code="format",
    )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; here any bomb is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(upload, formats=sorted(ACCEPTED_FORMATS))
            if picture.width * picture.height > max_pixels:
                raise _too_many_pixels(picture.size, max_pixels)
            if picture.format == "JPEG":
                # Decode a large JPEG at a reduced scale: the stored image is small anyway.
                side = settings.PRODUCT_IMAGE_LIMITS["image_side"]
                picture.draft("RGB", (side, side))
            picture.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, max_pixels) from None
    except UnidentifiedImageError:
        raise not_an_image from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _damaged() from None
    return picture


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> ValidationError:
    limit = f"{max_pixels / 1_000_000:g}"
    if size is None:
        return ValidationError(
            _("The image has too many pixels; the limit is %(limit)s megapixels."),
            params={"limit": limit},
            code="pixels",
        )
    return ValidationError(
        _("The image is %(width)d × %(height)d pixels; the limit is %(limit)s megapixels. Make it smaller first."),
        params={"width": size[0], "height": size[1], "limit": limit},
        code="pixels",
    )


def _upright_without_metadata(picture: Image.Image) -> Image.Image:
    picture = ImageOps.exif_transpose(picture)  # a new image, turned as the orientation tag says
    has_alpha = picture.mode in {"RGBA", "LA", "PA"} or "transparency" in picture.info
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(picture.mode, picture.size)  # a fresh image carries no info, EXIF or profile
    clean.paste(picture)
    return clean


def _encode(picture: Image.Image) -> bytes:
    buffer = BytesIO()
    picture.save(buffer, OUTPUT_FORMAT, quality=QUALITY, method=4)
    return buffer.getvalue()
