"""The composer's shared pieces: its inputs, paragraph ids, names, the opening and signature."""

from django.utils.translation import gettext as _

from observers.models import Participation
from reports.models import Statement, StatementText
from reports.statements.composer.markdown import markdown_blocks
from reports.statements.composer.wording import (
    day,
    evidence,
    person_phrase,
)
from reports.statements.document import Block, Paragraph
from reports.statements.findings import Evidence
from reports.statements.periods import period
from reports.statements.selectors import StatementInputs

Kind = Statement.Kind
Assessment = Statement.Assessment
Text = StatementText.Section

# Observed and announced turnout that differ by no more than this many points "correspond".
TURNOUT_TOLERANCE = 3


class ComposerBase:
    """What every section uses: the inputs, the findings, the ids of paragraphs."""

    def __init__(self, inputs: StatementInputs, language, findings, dated_on, place, assessment):
        mission = inputs.mission
        self.inputs = inputs
        self.mission = mission
        self.election = mission.election
        self.language = language
        self.findings = findings
        self.dated_on = dated_on
        self.place = place
        self.assessment = assessment
        self.org = mission.organisation_acronym or mission.organisation
        # Names and texts read in the statement's language (the active one): each translated
        # field has a column per language (missions.content_languages).
        self.texts = {text.section: text.body for text in inputs.texts}
        self.members = inputs.members
        self.head = next((m for m in self.members if m.role == Participation.Role.HEAD), None)
        self._ids: dict[str, int] = {}

    # -- shared pieces ---------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self._ids[prefix] = self._ids.get(prefix, 0) + 1
        return f"{prefix}-{self._ids[prefix]}"

    def generated(self, text: str, found: Evidence | None, prefix: str) -> Paragraph:
        """A sentence built from the findings, with the evidence behind it."""
        return Paragraph.of(
            text, evidence=evidence(found) if found is not None else None, id=self._id(prefix)
        )

    def authored(self, section: str) -> list[Block]:
        return markdown_blocks(self.texts.get(section, ""))

    def election_name(self) -> str:
        election = self.election
        names = {
            "presidential": _("the presidential election in the %(country)s"),
            "parliamentary": _("the parliamentary elections in the %(country)s"),
            "referendum": _("the referendum in the %(country)s"),
            "local": _("the local elections in the %(country)s"),
        }
        early = {
            "presidential": _("the early presidential election in the %(country)s"),
            "parliamentary": _("the early parliamentary elections in the %(country)s"),
            "referendum": _("the referendum in the %(country)s"),
            "local": _("the early local elections in the %(country)s"),
        }
        template = (early if election.is_early else names)[election.kind]
        return template % {"country": election.country}

    def mission_name(self) -> str:
        return _("the %(organisation)s Observer Mission") % {"organisation": self.org}

    def head_phrase(self) -> str:
        head = self.head
        if head is None:
            return ""
        position = head.observer.position
        return person_phrase(position, head.observer.full_name)

    def place_line(self) -> str:
        if self.place:
            return _("%(place)s, %(date)s") % {"place": self.place, "date": day(self.dated_on)}
        return day(self.dated_on)

    def signature(self) -> list[Block]:
        return [
            Paragraph.of(
                _("The %(organisation)s Observer Mission")
                % {"organisation": self.mission.organisation},
                style="signature",
            ),
            Paragraph.of(day(self.dated_on), style="signature"),
        ]

    def opening(self) -> Paragraph:
        mission = self.mission
        if mission.inviting_body:
            text = _(
                "The Observer Mission of the %(organisation)s (hereinafter referred to as the "
                "Mission), acting at the invitation of the %(inviter)s, carried out observation "
                "work during %(election)s, %(period)s."
            )
        else:
            text = _(
                "The Observer Mission of the %(organisation)s (hereinafter referred to as the "
                "Mission) carried out observation work during %(election)s, %(period)s."
            )
        return Paragraph.of(
            text
            % {
                "organisation": mission.organisation,
                "inviter": mission.inviting_body,
                "election": self.election_name(),
                "period": period(mission.starts_on, mission.ends_on),
            }
        )
