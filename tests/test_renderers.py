"""The statement renderers: the same document as HTML, PDF and DOCX."""

import hashlib
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser

import docx
import pytest
from django.template import Context, Template
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from pypdf import PdfReader

from reports.statements.document import Document, ListBlock, Paragraph, Run, Section
from reports.statements.renderers import (
    RENDERERS,
    document_checksum,
    render_docx,
    render_html,
    render_html_fragment,
    render_pdf,
)

HOSTILE_TEXT = "Observers quoted <script>alert(1)</script> & “quotes” on the wall."
CYRILLIC_TEXT = "Наблюдатели посетили избирательные участки в Астане."


def make_statement() -> Document:
    return Document(
        title="Statement of the SCO Observer Mission",
        language="en",
        kind_label="Final statement",
        place_line="Astana, 20 November 2022",
        author="Shanghai Cooperation Organisation",
        preamble=[
            Paragraph.of("The Mission carried out observation from 17 to 20 November 2022."),
        ],
        sections=[
            Section(
                number=1,
                title="Mission members",
                blocks=[
                    Paragraph(
                        [
                            Run("Eighteen observers", bold=True),
                            Run(" were accredited, "),
                            Run("in all", italic=True),
                            Run("."),
                        ]
                    ),
                    ListBlock(
                        ordered=True,
                        items=[
                            Paragraph.of("The Constitution of the Republic"),
                            Paragraph.of("The Constitutional Law on Elections"),
                        ],
                    ),
                ],
            ),
            Section(
                number=2,
                title="Activities of the Mission",
                blocks=[
                    Paragraph.of(CYRILLIC_TEXT),
                    ListBlock(
                        ordered=False,
                        items=[
                            Paragraph.of("Polling station 83"),
                            Paragraph.of("Polling station 58"),
                        ],
                    ),
                    Paragraph.of(HOSTILE_TEXT),
                ],
            ),
            Section(
                number=3,
                title="Monitoring the elections",
                blocks=[
                    Paragraph.of(
                        "Voting went calmly at 21 of the 22 polling stations visited.",
                        id="p-3-1",
                        evidence={"visits": [4, 7], "answers": [12], "incidents": []},
                    ),
                    ListBlock(
                        ordered=True,
                        items=[Paragraph.of("Open the polls"), Paragraph.of("Count the ballots")],
                    ),
                ],
            ),
        ],
        closing=[
            Paragraph.of(
                "The Shanghai Cooperation Organisation Observer Mission", style="signature"
            ),
            Paragraph.of("20 November 2022", style="signature"),
        ],
    )


def expected_lines(document: Document) -> list[str]:
    """The document's lines in reading order, as each format must show them."""
    return document.plain_text().split("\n")


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs, self.text = tag, attrs, ""


class ElementCollector(HTMLParser):
    """Every start tag with its attributes and the text inside it; checks that tags close."""

    VOID = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self, markup: str):
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1].tag == tag, f"</{tag}> closes nothing open"
        self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            element.text += data

    def all(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]


def pdf_text(pdf: bytes) -> list[str]:
    """Each page's text, with hyphenated line ends joined and whitespace collapsed."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        text = re.sub(r"[-\u2010]\n", "", page.extract_text())
        pages.append(" ".join(text.split()))
    return pages


@pytest.fixture(scope="module")
def statement() -> Document:
    return make_statement()


@pytest.fixture(scope="module")
def statement_pdf(statement) -> bytes:
    return render_pdf(statement)


# HTML ------------------------------------------------------------------------------------------


def test_html_page_is_a_complete_utf8_document_in_the_statements_language(statement):
    page = render_html(statement).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    parsed = ElementCollector(page)
    assert not parsed.open, "every element is closed"
    assert parsed.all("html")[0].attrs["lang"] == "en"
    assert parsed.all("meta")[0].attrs == {"charset": "utf-8"}
    assert parsed.all("title")[0].text == statement.title
    assert parsed.all("h1")[0].text == statement.title
    assert "<link" not in page and "src=" not in page and "url(" not in page


def test_html_shows_every_paragraph_and_numbered_section_heading(statement):
    parsed = ElementCollector(render_html(statement).decode())
    texts = [element.text for element in parsed.elements]
    for paragraph in statement.paragraphs():
        assert paragraph.text in texts
    assert [h2.text for h2 in parsed.all("h2")] == [
        "1. Mission members",
        "2. Activities of the Mission",
        "3. Monitoring the elections",
    ]
    assert "Final statement" in texts
    assert "Astana, 20 November 2022" in texts


def test_html_escapes_text_so_nothing_from_the_document_becomes_markup(statement):
    page = render_html(statement).decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; “quotes”" in page
    assert "<script" not in page
    parsed = ElementCollector(page)
    assert not parsed.all("script")
    assert HOSTILE_TEXT in [p.text for p in parsed.all("p")]


def test_html_escapes_title_id_and_language_too():
    document = Document(
        title='A "quoted" <title>',
        language='en" onload="x',
        preamble=[Paragraph.of("Text", id='p"1><b>')],
    )
    parsed = ElementCollector(render_html(document).decode())
    assert parsed.all("title")[0].text == 'A "quoted" <title>'
    assert parsed.all("html")[0].attrs == {"lang": 'en" onload="x'}
    assert parsed.all("p")[0].attrs["id"] == 'p"1><b>'
    assert not parsed.all("b")


def test_html_draws_lists_and_styled_runs(statement):
    parsed = ElementCollector(render_html(statement).decode())
    ordered, bulleted = parsed.all("ol"), parsed.all("ul")
    assert len(ordered) == 2 and len(bulleted) == 1
    items = [li.text for li in parsed.all("li")]
    assert items == [
        "The Constitution of the Republic",
        "The Constitutional Law on Elections",
        "Polling station 83",
        "Polling station 58",
        "Open the polls",
        "Count the ballots",
    ]
    assert [s.text for s in parsed.all("strong")] == ["Eighteen observers"]
    assert [e.text for e in parsed.all("em")] == ["in all"]


def test_html_marks_the_evidence_paragraph_with_attributes_only(statement):
    parsed = ElementCollector(render_html(statement).decode())
    marked = [p for p in parsed.all("p") if "data-evidence" in p.attrs]
    assert len(marked) == 1
    assert marked[0].attrs == {"id": "p-3-1", "data-evidence": "1"}
    assert marked[0].text == "Voting went calmly at 21 of the 22 polling stations visited."


def test_html_does_not_mark_a_paragraph_whose_evidence_is_empty():
    document = Document(
        title="T",
        language="en",
        preamble=[Paragraph.of("No finding", id="p-1", evidence={"visits": [], "answers": []})],
    )
    paragraph = ElementCollector(render_html(document).decode()).all("p")[0]
    assert paragraph.attrs == {"id": "p-1"}


def test_html_right_aligns_the_signature_lines(statement):
    page = render_html(statement).decode()
    signatures = [p for p in ElementCollector(page).all("p") if p.attrs.get("class") == "signature"]
    assert [p.text for p in signatures] == [
        "The Shanghai Cooperation Organisation Observer Mission",
        "20 November 2022",
    ]
    assert re.search(r"\.signature \{ text-align: right;", page)


def test_html_of_the_same_document_is_byte_for_byte_the_same(statement):
    assert render_html(statement) == render_html(make_statement())


def test_html_fragment_is_the_body_only_and_safe_in_a_template(statement):
    fragment = render_html_fragment(statement)
    assert not re.search(r"<(html|head|body|style)[\s>]", fragment)
    assert fragment.startswith('<article class="statement">')
    assert fragment in render_html(statement).decode()
    # Already escaped: a template outputs it as it is, without escaping it a second time.
    assert Template("{{ fragment }}").render(Context({"fragment": fragment})) == fragment


def test_html_lists_the_cjk_fonts_first_only_for_chinese(statement):
    english = render_html(statement).decode()
    chinese = render_html(Document(title="上海合作组织观察团声明", language="zh-hans")).decode()
    assert "Noto" not in english
    assert 'html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "DejaVu Serif"' in chinese
    assert '<html lang="zh-hans">' in chinese


def test_html_and_docx_drop_characters_xml_cannot_hold():
    document = Document(title="T", language="en", preamble=[Paragraph.of("line\x0bbreak\x00.")])
    assert "<p>linebreak.</p>" in render_html(document).decode()
    assert docx.Document(io.BytesIO(render_docx(document))).paragraphs[1].text == "linebreak."


# PDF -------------------------------------------------------------------------------------------


def test_pdf_has_real_text_with_title_headings_and_lists(statement, statement_pdf):
    assert statement_pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(statement_pdf))
    assert len(reader.pages) >= 1
    assert reader.metadata.title == statement.title
    assert reader.metadata.subject == "Final statement"
    text = " ".join(pdf_text(statement_pdf))
    for line in expected_lines(statement):
        assert line in text
    assert "Наблюдатели посетили избирательные участки" in text
    assert "1. Mission members" in text
    assert "Polling station 58" in text


def test_pdf_shows_the_hostile_text_as_text(statement_pdf):
    assert "<script>alert(1)</script> & “quotes”" in " ".join(pdf_text(statement_pdf))


def test_pdf_of_a_long_statement_runs_over_numbered_pages():
    document = make_statement()
    document.sections[1].blocks.extend(
        Paragraph.of(f"Finding number {n}: the polling station opened on time and voting was calm.")
        for n in range(200)
    )
    pages = pdf_text(render_pdf(document))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    # The running header repeats the title from the second page on.
    assert document.title in pages[1]
    assert "Finding number 199" in pages[-1]


# DOCX ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def word(statement):
    return docx.Document(io.BytesIO(render_docx(statement)))


def test_docx_has_the_same_texts_in_order(statement, word):
    assert [p.text for p in word.paragraphs] == expected_lines(statement)


def test_docx_uses_words_own_styles(word):
    styles = {p.text: p.style.name for p in word.paragraphs}
    assert styles["Statement of the SCO Observer Mission"] == "Title"
    assert styles["1. Mission members"] == "Heading 1"
    assert styles["3. Monitoring the elections"] == "Heading 1"
    assert styles["The Constitution of the Republic"] == "List Number"
    assert styles["Polling station 83"] == "List Bullet"
    assert styles[CYRILLIC_TEXT] == "Normal"


def test_docx_keeps_bold_and_italic_runs(word):
    runs = next(p for p in word.paragraphs if p.text.startswith("Eighteen")).runs
    assert [(r.text, r.bold, r.italic) for r in runs] == [
        ("Eighteen observers", True, None),
        (" were accredited, ", None, None),
        ("in all", None, True),
        (".", None, None),
    ]


def test_docx_numbers_each_ordered_list_from_one(word):
    def num_id(text):
        paragraph = next(p for p in word.paragraphs if p.text == text)
        return paragraph._p.pPr.numPr.numId.val

    first, second = num_id("The Constitution of the Republic"), num_id("Open the polls")
    assert num_id("The Constitutional Law on Elections") == first
    assert first != second
    numbering = word.part.numbering_part.element
    for list_num_id in (first, second):
        num = numbering.num_having_numId(list_num_id)
        assert num.xpath("w:lvlOverride/w:startOverride/@w:val") == ["1"]


def test_docx_right_aligns_the_signature_lines(word):
    first, last = word.paragraphs[-2:]
    assert [first.alignment, last.alignment] == [WD_ALIGN_PARAGRAPH.RIGHT] * 2
    assert first.paragraph_format.keep_with_next is True
    assert word.paragraphs[-3].alignment is None


def test_docx_is_a4_with_page_numbers_and_document_properties(statement, word):
    section = word.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    footer = section.footer.paragraphs[0]
    assert [f.get(qn("w:instr")) for f in footer._p.findall(qn("w:fldSimple"))] == [
        " PAGE ",
        " NUMPAGES ",
    ]
    assert footer.text.startswith("Page ")
    properties = word.core_properties
    assert properties.title == statement.title
    assert properties.language == "en"
    assert properties.author == "Shanghai Cooperation Organisation"
    assert properties.last_modified_by == "Shanghai Cooperation Organisation"


# Documents anyone can read ---------------------------------------------------------------------


def structure_tags(pdf: bytes) -> list[str]:
    """The PDF's structure tree as a screen reader walks it: each element's tag, in order."""
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    tags: list[str] = []

    def walk(node) -> None:
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if "/S" in node:
            tags.append(str(node["/S"]))
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object"):
                walk(kid)

    walk(root["/StructTreeRoot"])
    return tags


def test_the_pdf_is_tagged_with_headings_paragraphs_and_lists(statement_pdf):
    root = PdfReader(io.BytesIO(statement_pdf)).trailer["/Root"]
    tags = structure_tags(statement_pdf)

    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert tags.count("/H1") == 1  # the title
    assert tags.count("/H2") == 3  # the three sections
    assert "/P" in tags
    assert tags.count("/L") == 3 and tags.count("/LI") == 6


def test_the_pdf_names_its_title_author_and_subject(statement, statement_pdf):
    metadata = PdfReader(io.BytesIO(statement_pdf)).metadata

    assert metadata.title == statement.title
    assert metadata.author == "Shanghai Cooperation Organisation"
    assert metadata.subject == "Final statement"


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_finds_the_pdf_sound(statement_pdf, tmp_path):
    path = tmp_path / "statement.pdf"
    path.write_bytes(statement_pdf)

    result = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


# Registry --------------------------------------------------------------------------------------


def test_every_renderer_returns_bytes_with_a_sha256_checksum(statement):
    assert set(RENDERERS) == {"html", "pdf", "docx"}
    for render in RENDERERS.values():
        data = render(statement)
        assert isinstance(data, bytes) and data
        assert document_checksum(data) == hashlib.sha256(data).hexdigest()
