"""Section 9 of a statement: the head of mission's assessment, with the figures behind it."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports.statements.composer.base import (
    Assessment,
    Text,
)
from reports.statements.composer.wording import (
    figure,
)
from reports.statements.document import Paragraph, Section


class ConclusionsMixin:
    """Section 9: the overall assessment and what bears it out."""

    # -- 9. conclusions ----------------------------------------------------------------

    def assessment_paragraphs(self, prefix: str) -> list[Paragraph]:
        """The head of mission's overall assessment, with the figures behind it.

        Every figure is a count of distinct stations taken from the findings as it is. A
        sentence claiming an absence (no violations, no complaints) is written only when the
        findings hold a zero for it, and carries the visits it rests on.
        """
        election = self.election_name()
        country = self.election.country
        findings = self.findings
        if self.assessment == Assessment.NO_VIOLATIONS:
            paragraphs = [
                self.generated(
                    _(
                        "Members of the Mission hereby state that %(election)s met the "
                        "requirements of the legislation of the %(country)s and the country's "
                        "international obligations."
                    )
                    % {"election": election, "country": country},
                    findings.election_day_evidence,
                    prefix,
                )
            ]
            if findings.grave_stations:
                # The head's assessment stands (a recorded override), but the statement does
                # not claim what the findings contradict: it gives the count.
                paragraphs.append(self.grave_paragraph(prefix))
            elif not findings.complaints:
                paragraphs.append(
                    self.generated(
                        _(
                            "They noted no violations of national legislation, and no "
                            "complaints were recorded at the polling stations visited."
                        ),
                        findings.election_day_evidence,
                        prefix,
                    )
                )
            else:
                paragraphs.append(
                    self.generated(
                        _("They noted no violations of national legislation."),
                        findings.election_day_evidence,
                        prefix,
                    )
                )
            if findings.complaints:
                paragraphs.append(self.complaints_paragraph(prefix))
            return paragraphs
        if self.assessment == Assessment.MINOR_SHORTCOMINGS:
            paragraphs = [
                self.generated(
                    _(
                        "Members of the Mission state that %(election)s was held in accordance "
                        "with the legislation of the %(country)s."
                    )
                    % {"election": election, "country": country},
                    findings.election_day_evidence,
                    prefix,
                )
            ]
            stations = findings.minor_stations
            if stations:
                paragraphs.append(
                    self.generated(
                        ngettext(
                            "The observers noted minor shortcomings at %(count)s polling "
                            "station, which did not affect the outcome of the vote.",
                            "The observers noted minor shortcomings at %(count)s polling "
                            "stations, which did not affect the outcome of the vote.",
                            stations,
                        )
                        % {"count": figure(stations)},
                        findings.minor_evidence,
                        prefix,
                    )
                )
            if findings.grave_stations:
                paragraphs.append(self.grave_paragraph(prefix))
            return paragraphs
        if self.assessment == Assessment.SERIOUS_VIOLATIONS:
            return [self.grave_paragraph(prefix)]
        return [
            Paragraph.of(
                _("The head of mission has not yet given the Mission's overall assessment."),
                id=self._id(prefix),
            )
        ]

    def grave_paragraph(self, prefix: str) -> Paragraph:
        """Stations with a serious or critical concern or incident: each station once."""
        grave = self.findings.grave_stations
        return self.generated(
            ngettext(
                "The Mission recorded serious violations at %(count)s polling station "
                "during %(election)s.",
                "The Mission recorded serious violations at %(count)s polling stations "
                "during %(election)s.",
                grave,
            )
            % {"count": figure(grave), "election": self.election_name()},
            self.findings.grave_evidence,
            prefix,
        )

    def complaints_paragraph(self, prefix: str) -> Paragraph:
        complaints = self.findings.complaints
        return self.generated(
            ngettext(
                "%(count)s complaint was filed at the polling stations visited.",
                "%(count)s complaints were filed at the polling stations visited.",
                complaints,
            )
            % {"count": figure(complaints)},
            self.findings.complaint_evidence,
            prefix,
        )

    def review_note(self) -> Paragraph | None:
        """Say so when the statement counts visits the coordinators had not yet reviewed."""
        count = self.findings.visits_unreviewed_included
        if not count:
            return None
        return Paragraph.of(
            ngettext(
                "This preliminary statement also counts %(count)s observation report that the "
                "Mission's coordinators had not yet reviewed.",
                "This preliminary statement also counts %(count)s observation reports that the "
                "Mission's coordinators had not yet reviewed.",
                count,
            )
            % {"count": figure(count)},
            id=self._id("review"),
        )

    def conclusions_section(self, number: int, title: str | None = None) -> Section:
        section = Section(number=number, title=title or _("The main conclusions"))
        section.blocks.extend(self.assessment_paragraphs("conclusions"))
        section.blocks.extend(self.authored(Text.CONCLUSIONS))
        return section
