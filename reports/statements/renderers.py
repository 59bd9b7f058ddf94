"""Renderers: turn a statement's plain `Document` into the bytes the press office downloads.

One HTML builder serves the HTML download, the fragment embedded in the site's pages and the
PDF (WeasyPrint lays the same HTML out under its print rules), so the formats cannot drift
apart. The DOCX is built with python-docx from the same `Document`, block by block, with Word's
own styles (Title, Heading 1, List Number, List Bullet) so the press office can restyle it.

Every piece of text comes from coordinators and observers: it is escaped on its way into HTML
and never becomes markup or CSS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
from collections.abc import Callable, Iterable, Iterator
from string import Template

import docx
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph as WordParagraph

from reports.statements.document import Block, Document, ListBlock, Paragraph, Run

# Characters XML 1.0 cannot hold (python-docx refuses them, and they are parse errors in HTML):
# C0 controls except tab, newline and carriage return, DEL, lone surrogates, U+FFFE and U+FFFF.
# Text pasted from other programs carries them now and then (Word's vertical tab, for one).
_UNREPRESENTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

_LATIN_CYRILLIC_SERIF = '"DejaVu Serif", serif'
_LATIN_CYRILLIC_SANS = '"DejaVu Sans", sans-serif'
# Chinese comes first from Debian's fonts-noto-cjk, each family standing in for the other;
# DejaVu stays behind them for any character they lack.
_CJK_SERIF = '"Noto Serif CJK SC", "Noto Sans CJK SC"'
_CJK_SANS = '"Noto Sans CJK SC", "Noto Serif CJK SC"'

# The languages Word's proofing tools know a statement's languages by (settings.LANGUAGES).
_WORD_LANGUAGES = {"en": "en-GB", "ru": "ru-RU", "zh-hans": "zh-CN"}


def _clean(text: str) -> str:
    return _UNREPRESENTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _is_chinese(language: str) -> bool:
    return language.lower().startswith("zh")


def _page_footer(language: str) -> list[tuple[str, str]]:
    """Return the translated page footer as ("text", …) and ("page"|"pages", "") pieces."""
    with translation.override(language or None):
        # Translators: the footer of every page of a statement's PDF and Word document.
        # Keep {page} and {pages}: they become the page number and the number of pages.
        template = pgettext("statement page footer", "Page {page} of {pages}")
    pieces: list[tuple[str, str]] = []
    for piece in re.split(r"(\{pages?\})", template):
        if piece in ("{page}", "{pages}"):
            pieces.append((piece[1:-1], ""))
        elif piece:
            pieces.append(("text", piece))
    return pieces


# HTML ------------------------------------------------------------------------------------------


def _text_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in _clean(text).split("\n"))


def _run_html(run: Run) -> str:
    markup = _text_html(run.text)
    if run.italic:
        markup = f"<em>{markup}</em>"
    if run.bold:
        markup = f"<strong>{markup}</strong>"
    return markup


def _has_evidence(paragraph: Paragraph) -> bool:
    return bool(paragraph.evidence) and any(paragraph.evidence.values())


EvidenceUrl = Callable[[str], str] | None


def _paragraph_html(paragraph: Paragraph, tag: str = "p", evidence_url: EvidenceUrl = None) -> str:
    attributes = ""
    if paragraph.style == "signature":
        attributes += ' class="signature"'
    if paragraph.id:
        attributes += f' id="{html.escape(_clean(paragraph.id))}"'
    # An attribute only: the coordinator's page turns it into a link to the evidence, while
    # the press office's copy shows nothing of it.
    if _has_evidence(paragraph):
        attributes += ' data-evidence="1"'
    runs = "".join(_run_html(run) for run in paragraph.runs if run.text)
    if evidence_url is not None and paragraph.id and _has_evidence(paragraph):
        href = html.escape(evidence_url(paragraph.id))
        title = html.escape(pgettext("statement", "Show the evidence"))
        runs = f'<a class="evidence-link" href="{href}" title="{title}">{runs}</a>'
    return f"<{tag}{attributes}>{runs}</{tag}>"


def _blocks_html(blocks: Iterable[Block], evidence_url: EvidenceUrl) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, ListBlock):
            tag = "ol" if block.ordered else "ul"
            yield f"<{tag}>"
            yield from (_paragraph_html(item, "li", evidence_url) for item in block.items)
            yield f"</{tag}>"
        else:
            yield _paragraph_html(block, "p", evidence_url)


def _article_html(document: Document, evidence_url: EvidenceUrl = None) -> Iterator[str]:
    yield '<article class="statement">'
    yield '<header class="statement-header">'
    yield f"<h1>{_text_html(document.title)}</h1>"
    if document.kind_label:
        yield f'<p class="statement-kind">{_text_html(document.kind_label)}</p>'
    if document.place_line:
        yield f'<p class="statement-place">{_text_html(document.place_line)}</p>'
    yield "</header>"
    if document.preamble:
        yield '<div class="statement-preamble">'
        yield from _blocks_html(document.preamble, evidence_url)
        yield "</div>"
    for section in document.sections:
        yield '<section class="statement-section">'
        yield f"<h2>{_text_html(section.heading)}</h2>"
        yield from _blocks_html(section.blocks, evidence_url)
        yield "</section>"
    if document.closing:
        yield '<div class="statement-closing">'
        yield from _blocks_html(document.closing, evidence_url)
        yield "</div>"
    yield "</article>"


def render_html_fragment(document: Document, evidence_url: EvidenceUrl = None) -> SafeString:
    """Return the statement as an HTML fragment (no <html>/<head>) for a Django template.

    With `evidence_url` (a paragraph id → address), each paragraph that has evidence links to
    it: the coordinator's copy. Safe to output unescaped: every piece of text is escaped here.
    """
    return mark_safe("\n".join(_article_html(document, evidence_url)))


_STYLESHEET = Template(
    """
@page {
  size: A4;
  margin: 22mm 20mm 22mm 22mm;
  @top-center {
    content: string(statement-title);
    font-family: $sans; font-size: 8pt; color: #555;
    width: 100%; text-align: center;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  }
  @bottom-center {
    content: $footer;
    font-family: $sans; font-size: 8pt; color: #555;
  }
}
@page :first { @top-center { content: none; } }
html { font-family: $serif; font-size: 11pt; line-height: 1.45; color: #111; background: #fff; }
body { margin: 0; }
h1, h2, .statement-kind { font-family: $sans; }
h1 {
  font-size: 1.6em; line-height: 1.25; margin: 0 0 0.35em;
  string-set: statement-title content(text);
}
.statement-kind { font-size: 1em; color: #444; margin: 0 0 0.3em; }
.statement-place { font-style: italic; margin: 0 0 1.6em; }
h2 { font-size: 1.15em; line-height: 1.3; margin: 1.5em 0 0.5em; break-after: avoid; }
p { margin: 0 0 0.6em; orphans: 2; widows: 2; }
ol, ul { margin: 0 0 0.6em; padding-left: 2em; }
li { margin: 0 0 0.3em; orphans: 2; widows: 2; }
.signature { text-align: right; margin: 0; }
.signature:first-child, :not(.signature) + .signature { margin-top: 2em; }
.signature + .signature { break-before: avoid; }
@media screen {
  html { font-size: 112.5%; }
  .statement { max-width: 44em; margin: 2.5em auto; padding: 0 1.25em; }
}
@media print {
  /* Ragged right, never hyphenated: journalists copy names and figures out of the PDF,
     and a word broken across lines would come out broken. */
  p, li { text-align: left; hyphens: manual; }
  .signature { text-align: right; }
}
"""
)


def _css_string(text: str) -> str:
    # Escape what could end the string or the <style> element; \3c is "<" in CSS.
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return '"' + escaped.replace("<", "\\3c ") + '"'


def _stylesheet(language: str) -> str:
    serif, sans = _LATIN_CYRILLIC_SERIF, _LATIN_CYRILLIC_SANS
    if _is_chinese(language):
        serif, sans = f"{_CJK_SERIF}, {serif}", f"{_CJK_SANS}, {sans}"
    footer = " ".join(
        _css_string(value) if kind == "text" else f"counter({kind})"
        for kind, value in _page_footer(language)
    )
    return _STYLESHEET.substitute(serif=serif, sans=sans, footer=footer or "none")


def _page_html(document: Document) -> str:
    language = html.escape(_clean(document.language))
    lang_attribute = f' lang="{language}"' if language else ""
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(_clean(document.title))}</title>",
        '<meta name="generator" content="Observa">',
    ]
    if document.author:
        # WeasyPrint writes the author into the PDF's Author.
        head.append(f'<meta name="author" content="{html.escape(_clean(document.author))}">')
    if document.kind_label:
        # WeasyPrint writes the description into the PDF's Subject.
        description = html.escape(_clean(document.kind_label))
        head.append(f'<meta name="description" content="{description}">')
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f"<html{lang_attribute}>",
            "<head>",
            *head,
            f"<style>{_stylesheet(document.language)}</style>",
            "</head>",
            "<body>",
            render_html_fragment(document),
            "</body>",
            "</html>",
            "",
        ]
    )


def render_html(document: Document) -> bytes:
    """Return the statement as a standalone HTML5 page in UTF-8, styled for screen and print."""
    return _page_html(document).encode("utf-8")


# PDF -------------------------------------------------------------------------------------------


def render_pdf(document: Document) -> bytes:
    """Return the statement as an A4 PDF with real text, laid out from the HTML page."""
    # Imported here: importing WeasyPrint takes most of a second, which every process that
    # merely imports this module (the web server, management commands) would otherwise pay.
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    # The page needs nothing from outside (its text is escaped, its CSS embedded), so fetching
    # is refused outright. A font configuration takes ~3 ms to build; a fresh one per call keeps
    # Pango's font map out of reach of other threads.
    page = HTML(string=_page_html(document), url_fetcher=URLFetcher(allowed_protocols=()))
    # Tagged (PDF/UA-1): headings, paragraphs and lists in a structure tree, the language and
    # the title declared, so a screen reader can follow the statement.
    return page.write_pdf(font_config=FontConfiguration(), pdf_variant="pdf/ua-1")


# DOCX ------------------------------------------------------------------------------------------


def render_docx(document: Document) -> bytes:
    """Return the statement as a Word document built on Word's own styles."""
    word = docx.Document()
    _docx_prepare(word, document)
    word.add_paragraph(_clean(document.title), style="Title")
    if document.kind_label:
        word.add_paragraph(_clean(document.kind_label), style="Subtitle")
    if document.place_line:
        word.add_paragraph().add_run(_clean(document.place_line)).italic = True
    _docx_blocks(word, document.preamble)
    for section in document.sections:
        word.add_heading(_clean(section.heading), level=1)
        _docx_blocks(word, section.blocks)
    _docx_blocks(word, document.closing)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _docx_prepare(word: WordDocument, document: Document) -> None:
    properties = word.core_properties
    properties.title = _clean(document.title)
    properties.subject = _clean(document.kind_label)
    properties.language = _clean(document.language)
    # Replace the python-docx template's own author, description and 2013 dates.
    properties.author = _clean(document.author)
    properties.comments = ""
    properties.last_modified_by = _clean(document.author)
    properties.revision = 1
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    properties.created = properties.modified = now

    # The template carries a thumbnail of an empty page; a file manager would show it.
    package_rels = word.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package_rels[rel_id]

    # Proofing language, so Word spell-checks in the statement's language.
    word_language = _WORD_LANGUAGES.get(document.language.lower(), document.language)
    for lang in word.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        lang.set(qn("w:val"), word_language)
        if _is_chinese(document.language):
            lang.set(qn("w:eastAsia"), word_language)

    # Fonts per script, so Word shows Cyrillic and Chinese with fonts that have them (no
    # boxes): w:eastAsia is the font Word uses for Chinese characters in any run.
    _docx_fonts(word)

    # The template is US Letter; the press office prints on A4.
    for section in word.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(22)
        section.left_margin, section.right_margin = Mm(22), Mm(20)
        _docx_page_footer(section.footer.paragraphs[0], document.language)


# Word's fonts for each script: Latin and Cyrillic (ascii, hAnsi, cs), Chinese (eastAsia).
_DOCX_FONTS = {
    "w:ascii": "DejaVu Serif",
    "w:hAnsi": "DejaVu Serif",
    "w:cs": "DejaVu Serif",
    "w:eastAsia": "Noto Serif CJK SC",
}
_DOCX_HEADING_FONTS = {
    "w:ascii": "DejaVu Sans",
    "w:hAnsi": "DejaVu Sans",
    "w:cs": "DejaVu Sans",
    "w:eastAsia": "Noto Sans CJK SC",
}


def _docx_set_fonts(r_pr, fonts: dict[str, str]) -> None:
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, r_fonts)
    for attribute in list(r_fonts.attrib):
        # Theme fonts would win over the named ones; the theme's are Latin only.
        if attribute.lower().endswith("theme"):
            del r_fonts.attrib[attribute]
    for name, font in fonts.items():
        r_fonts.set(qn(name), font)


def _docx_fonts(word: WordDocument) -> None:
    styles = word.styles.element
    for r_pr in styles.xpath("w:docDefaults/w:rPrDefault/w:rPr"):
        _docx_set_fonts(r_pr, _DOCX_FONTS)
    # Every style's fonts, table styles' conditional ones included.
    for r_fonts in list(styles.iter(qn("w:rFonts"))):
        style = next((a for a in r_fonts.iterancestors() if a.tag == qn("w:style")), None)
        style_id = style.get(qn("w:styleId")) if style is not None else ""
        is_heading = (style_id or "").startswith(("Heading", "Title"))
        _docx_set_fonts(r_fonts.getparent(), _DOCX_HEADING_FONTS if is_heading else _DOCX_FONTS)


def _docx_page_footer(paragraph: WordParagraph, language: str) -> None:
    """Write "Page N of M" with Word fields, which Word fills in when it lays the pages out."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, value in _page_footer(language):
        if kind == "text":
            paragraph.add_run(value)
            continue
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), " PAGE " if kind == "page" else " NUMPAGES ")
        placeholder = OxmlElement("w:r")
        placeholder_text = OxmlElement("w:t")
        placeholder_text.text = "1"
        placeholder.append(placeholder_text)
        field.append(placeholder)
        paragraph._p.append(field)


def _docx_blocks(word: WordDocument, blocks: Iterable[Block]) -> None:
    previous_style, previous_paragraph = "", None
    for block in blocks:
        if isinstance(block, ListBlock):
            restart = _docx_restarted_numbering(word) if block.ordered else None
            for item in block.items:
                paragraph = word.add_paragraph(
                    style="List Number" if block.ordered else "List Bullet"
                )
                if restart is not None:
                    restart(paragraph)
                _docx_runs(paragraph, item.runs)
            previous_style = "list"
            continue
        paragraph = word.add_paragraph()
        _docx_runs(paragraph, block.runs)
        if block.style == "signature":
            _docx_signature(paragraph, first=previous_style != "signature")
            if previous_style == "signature":
                # The signature lines stay together on one page.
                previous_paragraph.paragraph_format.keep_with_next = True
        previous_style, previous_paragraph = block.style, paragraph


def _docx_runs(paragraph: WordParagraph, runs: Iterable[Run]) -> None:
    for run in runs:
        if not run.text:
            continue
        added = paragraph.add_run(_clean(run.text))
        # Left unset otherwise, so a plain run follows its paragraph style.
        if run.bold:
            added.bold = True
        if run.italic:
            added.italic = True


def _docx_signature(paragraph: WordParagraph, *, first: bool) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.paragraph_format.space_after = Pt(0)
    if first:
        paragraph.paragraph_format.space_before = Pt(24)


def _docx_restarted_numbering(word: WordDocument) -> Callable[[WordParagraph], None]:
    """Return a function that numbers a paragraph in a new list starting again at 1.

    Every "List Number" paragraph shares the style's one numbering instance, so a second
    ordered list would go on from where the first stopped. A new <w:num> on the same abstract
    definition, with its start overridden, begins a fresh count in the same look.
    """
    style_num_id = word.styles["List Number"].element.pPr.numPr.numId.val
    numbering = word.part.numbering_part.element
    abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)

    def number(paragraph: WordParagraph) -> None:
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num.numId

    return number


# ------------------------------------------------------------------------------------------------

RENDERERS: dict[str, Callable[[Document], bytes]] = {
    "html": render_html,
    "pdf": render_pdf,
    "docx": render_docx,
}


def document_checksum(data: bytes) -> str:
    """Return the SHA-256 of a rendered document's bytes, in hex."""
    return hashlib.sha256(data).hexdigest()
