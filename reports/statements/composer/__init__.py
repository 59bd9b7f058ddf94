"""Compose a mission's statements from its records, its findings and its authored texts.

The composer builds a plain Document (reports.statements.document); renderers turn it into
HTML, PDF and DOCX. Every sentence built from data comes from a translatable template with correct
plurals and is written in the statement's language; every paragraph built from the findings
carries its evidence. Authored sections are Markdown written by coordinators, read into the
same paragraphs and lists, so nothing they type becomes markup.

The package, by section: `wording` (numbers, dates, lists in each language), `markdown`
(authored texts), `base` (shared pieces), `members` (1), `activities` (2), `preparations`
(3–5), `ballot` (6), `monitoring` (7–8), `conclusions` (9), and `documents` (the three kinds).
`compose` is a pure function of what `reports.statements.selectors.statement_inputs` read:
it asks the database nothing.
"""

import datetime

from django.utils import translation

from missions.models import Mission
from reports.models import Statement
from reports.statements.composer.documents import StatementComposer
from reports.statements.composer.markdown import markdown_blocks
from reports.statements.composer.wording import figure, spelled
from reports.statements.document import Document
from reports.statements.findings import Findings
from reports.statements.selectors import StatementInputs, statement_inputs

__all__ = ["compose", "figure", "markdown_blocks", "spelled", "statement_compose"]

Kind = Statement.Kind


def statement_compose(*, mission: Mission, **options) -> Document:
    """Read what the mission's statement prints (reports.statements.selectors), then compose
    it: `options` are `compose`'s (kind, language, findings, dated_on, place, assessment)."""
    return compose(statement_inputs(mission=mission), **options)


def compose(
    inputs: StatementInputs,
    *,
    kind: str,
    language: str,
    findings: Findings,
    dated_on: datetime.date,
    place: str = "",
    assessment: str = "",
) -> Document:
    """Compose one statement in the given language from its inputs and findings.

    A pure function of its arguments: it asks the database nothing.
    """
    with translation.override(language):
        composer = StatementComposer(inputs, language, findings, dated_on, place, assessment)
        if kind == Kind.FINAL:
            return composer.final_statement()
        if kind == Kind.PRELIMINARY:
            return composer.preliminary_statement()
        if kind == Kind.BRIEFING:
            return composer.press_briefing()
    raise ValueError(f"unknown statement kind {kind!r}")
