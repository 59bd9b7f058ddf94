"""The demo's compiled statements say what the mission's published texts say, in every format
the press office downloads: the HTML, the text of the PDF and the DOCX."""

import datetime
import html
import io
import re
from io import StringIO

import docx
import pytest
from django.core.management import call_command
from pypdf import PdfReader

from missions.demo import DEMO_SLUG
from missions.models import Mission
from reports.models import Statement
from reports.statements.jobs import statement_compile
from tests.statement_facts import BRIEFING_FACTS, FINAL_FACTS, missing


@pytest.fixture(autouse=True)
def fresh_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def compiled(kind: str, dated_on: datetime.date) -> Statement:
    call_command("load_demo", stdout=StringIO())
    mission = Mission.objects.get(slug=DEMO_SLUG)
    statement = Statement.objects.create(
        mission=mission,
        kind=kind,
        language="en",
        version=1,
        dated_on=dated_on,
        assessment=Statement.Assessment.NO_VIOLATIONS,
    )
    statement_compile(statement_id=statement.pk)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY, statement.error
    return statement


def stored(statement: Statement, file_format: str) -> bytes:
    with statement.documents.get(format=file_format).file.open("rb") as handle:
        return handle.read()


def html_text(data: bytes) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", data.decode("utf-8")))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    return "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)


EXTRACT = {"html": html_text, "pdf": pdf_text, "docx": docx_text}


@pytest.fixture
def final_statement(db) -> Statement:
    return compiled(Statement.Kind.FINAL, datetime.date(2022, 11, 20))


@pytest.fixture
def press_briefing(db) -> Statement:
    return compiled(Statement.Kind.BRIEFING, datetime.date(2022, 11, 21))


def test_every_format_of_the_final_statement_states_the_facts_of_the_sources(final_statement):
    for file_format, extract in EXTRACT.items():
        text = extract(stored(final_statement, file_format))
        assert missing(FINAL_FACTS, text) == [], file_format


def test_every_format_of_the_press_briefing_states_the_facts_of_the_briefing(press_briefing):
    for file_format, extract in EXTRACT.items():
        text = extract(stored(press_briefing, file_format))
        assert missing(BRIEFING_FACTS, text) == [], file_format


def test_the_pdf_is_real_text_on_numbered_pages(final_statement):
    reader = PdfReader(io.BytesIO(stored(final_statement, "pdf")))

    assert len(reader.pages) >= 3
    assert "Page 1 of" in reader.pages[0].extract_text()
    assert "Mission members" in reader.pages[0].extract_text()


def test_each_document_is_stored_with_the_checksum_of_its_bytes(final_statement):
    import hashlib

    for document in final_statement.documents.all():
        with document.file.open("rb") as handle:
            data = handle.read()
        assert document.checksum == hashlib.sha256(data).hexdigest()
        assert document.size == len(data)
