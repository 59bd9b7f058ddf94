"""What an observer may attach to a visit: photos and scanned documents, checked by content."""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

# Leading bytes of each allowed type. The name and the browser's declared type are not
# trusted: a file is what its content says it is.
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"%PDF-", 0, "application/pdf"),
)


def content_type_of(head: bytes) -> str | None:
    """Return the allowed content type that these first bytes belong to, if any."""
    for signature, offset, content_type in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def attachment_check(upload: UploadedFile) -> str:
    """Return the upload's real content type, or raise ValidationError saying what is wrong."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "attachments": _("“%(name)s” is %(size)s; the limit is %(limit)s.")
                % {
                    "name": upload.name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(limit),
                }
            }
        )
    if upload.size == 0:
        raise ValidationError({"attachments": _("“%(name)s” is empty.") % {"name": upload.name}})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = content_type_of(head)
    if content_type is None:
        raise ValidationError(
            {
                "attachments": _("“%(name)s” is not a photo (JPEG, PNG, WebP) or a PDF document.")
                % {"name": upload.name}
            }
        )
    return content_type


# A photo wider than this (about an 8K camera's) is refused before it is decoded: a tiny
# compressed file can claim an image that would fill the server's memory.
MAX_IMAGE_PIXELS = 60_000_000
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def attachment_clean(upload: UploadedFile) -> tuple[str, File]:
    """Return the upload's content type and the file to store, or raise ValidationError.

    A photo is decoded and written anew: what is stored is only its pixels, never the
    camera's EXIF block (which carries where it was taken) nor anything hidden after the
    image data. A PDF is kept as sent.
    """
    content_type = attachment_check(upload)
    if content_type not in _PILLOW_FORMATS:
        return content_type, upload
    return content_type, ContentFile(image_reencode(upload, content_type), name=upload.name)


def image_reencode(upload: UploadedFile, content_type: str) -> bytes:
    """Decode an uploaded photo and encode its pixels again, upright and without metadata."""
    unreadable = ValidationError(
        {"attachments": _("“%(name)s” is not a photo that can be read.") % {"name": upload.name}}
    )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    {
                        "attachments": _(
                            "“%(name)s” is %(width)d × %(height)d pixels; the limit is "
                            "%(limit)d million pixels."
                        )
                        % {
                            "name": upload.name,
                            "width": width,
                            "height": height,
                            "limit": MAX_IMAGE_PIXELS // 1_000_000,
                        }
                    }
                )
            image.load()
            # The EXIF orientation is about to be dropped: turn the pixels instead.
            upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise unreadable from None
    finally:
        upload.seek(0)
    output = io.BytesIO()
    pillow_format = _PILLOW_FORMATS[content_type]
    if pillow_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    upright.save(
        output, format=pillow_format, **({"quality": 90} if pillow_format != "PNG" else {})
    )
    return output.getvalue()
