"""The three kinds of statement, each assembled from the sections."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from observers.models import Delegation
from reports.statements.composer.activities import ActivitiesMixin
from reports.statements.composer.ballot import BallotMixin
from reports.statements.composer.base import (
    ComposerBase,
    Kind,
    Text,
)
from reports.statements.composer.conclusions import ConclusionsMixin
from reports.statements.composer.members import MembersMixin
from reports.statements.composer.monitoring import MonitoringMixin
from reports.statements.composer.preparations import PreparationsMixin
from reports.statements.composer.wording import (
    coverage_phrase,
    day,
    figure,
    listing,
    printed,
    sentences_joined,
)
from reports.statements.document import Block, Document, Paragraph, Section
from reports.statements.periods import period


class StatementComposer(
    ConclusionsMixin,
    MonitoringMixin,
    BallotMixin,
    PreparationsMixin,
    ActivitiesMixin,
    MembersMixin,
    ComposerBase,
):
    """Composes one statement: the final, the preliminary or the press briefing."""

    # -- the three kinds ----------------------------------------------------------------

    def title(self, kind_label: str) -> str:
        return _(
            "%(kind)s by the %(organisation)s Observer Mission on the results of monitoring "
            "%(election)s"
        ) % {
            "kind": kind_label,
            "organisation": self.org,
            "election": self.election_name(),
        }

    def final_statement(self) -> Document:
        document = Document(
            title=self.title(_("Statement")),
            language=self.language,
            kind_label=str(Kind.FINAL.label),
            place_line=self.place_line(),
            author=self.mission.organisation or self.org,
        )
        document.preamble = [self.opening(), *self.authored(Text.INTRODUCTION)]
        document.sections = [
            self.members_section(1),
            self.activities_section(2),
            self.authored_section(
                3, _("Legal basis and the calling of the election"), Text.LEGAL_BASIS
            ),
            self.authored_section(4, _("Public awareness"), Text.PUBLIC_AWARENESS),
            self.preparations_section(5),
            self.candidates_section(6),
            self.disabilities_section(7),
            self.monitoring_section(8),
            self.conclusions_section(9),
        ]
        document.sections = printed(document.sections)
        document.closing = self.signature()
        return document

    def preliminary_statement(self) -> Document:
        document = Document(
            title=self.title(_("Preliminary statement")),
            language=self.language,
            kind_label=str(Kind.PRELIMINARY.label),
            place_line=self.place_line(),
            author=self.mission.organisation or self.org,
        )
        document.preamble = [self.opening(), *self.authored(Text.INTRODUCTION)]
        note = self.review_note()
        if note is not None:
            document.preamble.append(note)
        members = self.members_section(1)
        document.sections = [
            Section(number=1, title=members.title, blocks=members.blocks[:2]),
            self.activities_section(2),
            self.monitoring_section(3),
            self.conclusions_section(4, _("Preliminary conclusions")),
        ]
        document.sections = printed(document.sections)
        document.closing = self.signature()
        return document

    def press_briefing(self) -> Document:
        mission = self.mission
        findings = self.findings
        document = Document(
            title=_("%(organisation)s Observer Mission to %(election)s: results")
            % {"organisation": self.org, "election": self.election_name()},
            language=self.language,
            kind_label=str(Kind.BRIEFING.label),
            place_line=self.place_line(),
            author=self.mission.organisation or self.org,
        )
        blocks: list[Block] = []
        if self.head is not None:
            blocks.append(
                Paragraph.of(
                    _(
                        "On %(date)s, %(head)s made a statement for the media on the results of "
                        "the work of %(mission)s at %(election)s."
                    )
                    % {
                        "date": day(self.dated_on),
                        "head": self.head_phrase(),
                        "mission": self.mission_name(),
                        "election": self.election_name(),
                    },
                    id=self._id("briefing"),
                )
            )
        bodies = [d.name for d in self._delegations() if d.kind == Delegation.Kind.BODY]
        sentences = [
            _("%(mission)s carried out its task %(period)s.")
            % {
                "mission": self.mission_name()[:1].upper() + self.mission_name()[1:],
                "period": period(mission.starts_on, mission.ends_on),
            },
            ngettext(
                "The Mission comprised %(count)s accredited observer.",
                "The Mission comprised %(count)s accredited observers, including "
                "representatives of the %(organisation)s member states%(bodies)s.",
                len(self.members),
            )
            % {
                "count": figure(len(self.members)),
                "organisation": self.org,
                "bodies": (
                    _(", as well as officials from %(bodies)s")
                    % {"bodies": listing([_("the %(body)s") % {"body": b} for b in bodies])}
                )
                if bodies
                else "",
            },
        ]
        coverage = None
        if findings.election_day_stations:
            sentences.append(
                ngettext(
                    "The Mission visited %(count)s polling station in %(areas)s to monitor the "
                    "voting.",
                    "The Mission visited %(count)s polling stations in %(areas)s to monitor the "
                    "voting.",
                    findings.election_day_stations,
                )
                % {
                    "count": figure(findings.election_day_stations),
                    "areas": coverage_phrase(findings.coverage),
                }
            )
            coverage = findings.election_day_evidence
        ballot = self.ballot_sentence()
        if ballot:
            sentences.insert(2, ballot)
        blocks.append(self.generated(sentences_joined(sentences), coverage, "briefing"))
        blocks.extend(self.authored(Text.BRIEFING))
        blocks.extend(self.assessment_paragraphs("briefing"))
        turnout = self.turnout_paragraph("briefing")
        if turnout:
            blocks.append(turnout)
        document.preamble = blocks
        document.closing = [
            Paragraph.of(
                self.title(_("Statement")) + " — " + day(mission.ends_on),
                style="signature",
            )
        ]
        return document
