"""The press page in a real browser: each download link is named for a screen reader."""

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from reports.models import Statement, StatementDocument
from tests.factories import MissionFactory
from tests.test_approvals import small_document


def test_each_download_link_names_the_statement_language_and_format(
    page_for, live_server, artefacts
):
    mission = MissionFactory(name="SCO Observer Mission to Kazakhstan")
    for language in ("en", "ru"):
        statement = Statement.objects.create(
            mission=mission,
            kind=Statement.Kind.FINAL,
            language=language,
            version=1,
            dated_on=mission.ends_on,
            content=small_document(),
            compiled_at=timezone.now(),
            status=Statement.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        for file_format in ("html", "pdf", "docx"):
            StatementDocument.objects.create(
                statement=statement,
                format=file_format,
                file=ContentFile(b"x", name=f"statements/{statement.pk}-{file_format}.bin"),
                checksum="0" * 64,
                size=1,
            )

    page = page_for()
    page.goto(live_server.url + reverse("press:list"))
    page.screenshot(path=artefacts / "press.png", full_page=True)

    for name in (
        "Final statement in English, PDF",
        "Final statement in English, DOCX",
        "Final statement in Russian, HTML",
    ):
        assert page.get_by_role("link", name=name, exact=True).is_visible()
    assert page.get_by_role("link", name="PDF", exact=True).count() == 0
