"""A statement's file as HTTP serves a static one: validators, conditional answers, ranges, and
optionally the front server sending the bytes.

The caller decides who may have the file; this module only decides how it is sent:

- `ETag` is the stored SHA-256 of the file, `Last-Modified` the moment the file was made;
  `If-None-Match` / `If-Modified-Since` answer 304 without opening the file.
- A released statement's file never changes under its address (a correction is a new
  version, with a new address), so it is `public, immutable`; one seen before its release (by
  the mission's press officers or coordinators) is `private` and revalidated every time.
- `Range: bytes=…` (one range) answers 206 with that part, or 416 when it lies past the end;
  `If-Range` that no longer matches gets the whole file.
- With DOWNLOAD_OFFLOAD set to "x-accel-redirect" (nginx) or "x-sendfile" (Apache, lighttpd),
  the response carries no body but a header naming the file, and the front server sends it
  (ranges included), so a slow reader does not hold a worker.
"""

import re
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe

from reports.models import StatementDocument

IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "private, no-cache"
CHUNK = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
OFFLOADS = {"x-accel-redirect": "X-Accel-Redirect", "x-sendfile": "X-Sendfile"}


def _validators(document: StatementDocument, *, public: bool) -> dict[str, str]:
    return {
        "ETag": f'"{document.checksum}"',
        "Last-Modified": http_date(document.created_at.timestamp()),
        "Cache-Control": IMMUTABLE if public else PRIVATE,
        "Accept-Ranges": "bytes",
    }


def _byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(first, last) of a single byte range; None to send the whole file; False if unsatisfiable.

    A header this does not understand (several ranges, another unit, bad syntax) is ignored,
    as RFC 9110 allows: the whole file is sent.
    """
    match = RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None  # syntactically invalid: ignored
    if start >= size:
        return False
    return start, end


def _if_range_holds(request: HttpRequest, validators: dict[str, str], modified: int) -> bool:
    condition = request.headers.get("If-Range")
    if condition is None:
        return True
    condition = condition.strip()
    if condition.startswith(('"', "W/")):
        return condition == validators["ETag"]  # strong comparison only
    return parse_http_date_safe(condition) == modified


def _chunks(document: StatementDocument, start: int, length: int) -> Iterator[bytes]:
    with document.file.open("rb") as file:
        file.seek(start)
        while length > 0:
            data = file.read(min(CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data


def download_response(
    request: HttpRequest, document: StatementDocument, *, file_name: str, public: bool
) -> HttpResponse:
    """The document's file for a reader already allowed to have it."""
    validators = _validators(document, public=public)
    modified = int(document.created_at.timestamp())
    not_modified = get_conditional_response(
        request, etag=validators["ETag"], last_modified=modified
    )
    if not_modified is not None:
        for name, value in validators.items():
            not_modified[name] = value
        return not_modified

    disposition = content_disposition_header(as_attachment=True, filename=file_name)
    offload = OFFLOADS.get(settings.DOWNLOAD_OFFLOAD)
    if offload is not None:
        response = HttpResponse(content_type=document.content_type)
        if offload == "X-Sendfile":
            response[offload] = document.file.path
        else:
            response[offload] = settings.DOWNLOAD_OFFLOAD_PREFIX + quote(document.file.name)
    elif request.headers.get("Range") and _if_range_holds(request, validators, modified):
        size = document.file.size
        wanted = _byte_range(request.headers["Range"], size)
        if wanted is False:
            response = HttpResponse(status=416, content_type=document.content_type)
            response["Content-Range"] = f"bytes */{size}"
        elif wanted is None:
            response = FileResponse(document.file.open("rb"), content_type=document.content_type)
        else:
            first, last = wanted
            length = last - first + 1
            response = StreamingHttpResponse(
                _chunks(document, first, length), status=206, content_type=document.content_type
            )
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
            response["Content-Length"] = str(length)
    else:
        response = FileResponse(document.file.open("rb"), content_type=document.content_type)
    response["Content-Disposition"] = disposition
    for name, value in validators.items():
        response[name] = value
    return response
