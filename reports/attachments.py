"""What an observer may attach to a visit: photos and scanned documents, checked by content."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

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
