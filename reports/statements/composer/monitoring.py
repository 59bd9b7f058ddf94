"""Sections 7 and 8 of a statement: the findings in sentences, each with its evidence."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from missions.models import (
    Phase,
)
from reports.models import Incident
from reports.statements.composer.base import (
    TURNOUT_TOLERANCE,
    Text,
)
from reports.statements.composer.wording import (
    area_names,
    coverage_phrase,
    figure,
    full_stop,
    listing,
    percent,
    sentences_joined,
    spelled,
    without_full_stop,
)
from reports.statements.document import Paragraph, Section
from reports.statements.findings import ELECTION_DAY_PHASES, Evidence


class MonitoringMixin:
    """Sections 7–8: the findings in sentences."""

    # -- findings → sentences ----------------------------------------------------------

    def question_paragraphs(
        self,
        checklists: set[str] | None,
        phases: Iterable[str],
        prefix: str,
        lead: str | None = None,
    ):
        """Sentences for every checked question: concerns first, gravest first, each with
        its own evidence, count and areas; then what every station had, one sentence per
        checklist listing each clear check's short phrase (`clear_item`)."""
        phases = set(phases)
        chosen = [
            q
            for q in self.findings.questions
            if q.phase in phases
            and (checklists is None or q.checklist in checklists)
            and q.can_signal_concern
        ]
        severity_rank = {"critical": 0, "serious": 1, "minor": 2}
        paragraphs: list[Paragraph] = []
        for question in sorted(
            (q for q in chosen if q.stations_with_concern),
            key=lambda q: (severity_rank.get(q.severity, 3), -q.stations_with_concern),
        ):
            paragraphs.append(
                self.generated(self.concern_sentence(question), question.evidence, prefix)
            )

        # Per checklist: the phrases observed at every station, those observed at only some
        # (grouped by how many), and the sentences of checks without a phrase.
        groups: dict[str, tuple[dict[str, list[str]], dict[int, list[str]], list[str]]] = {}
        for question in chosen:
            if question.stations_with_concern or not question.observed:
                continue
            full, partial, sentences = groups.setdefault(question.checklist, ({}, {}, []))
            item = question.localized("clear_item", self.language)
            if item:
                visited = self.findings.stations_checked(question.checklist)
                if question.observed >= visited:
                    section = full.setdefault(question.section, [])
                    if item not in section:
                        section.append(item)
                else:
                    partial.setdefault(question.observed, []).append(item)
                continue
            clear_sentence = question.localized("clear_sentence", self.language)
            if clear_sentence:
                text = clear_sentence.format(
                    concerns=0,
                    stations=figure(question.observed),
                    clear=figure(question.observed),
                )
                if text not in sentences:
                    sentences.append(text)
        phase_of = {q.checklist: q.phase for q in chosen}
        for checklist, (full, partial, sentences) in groups.items():
            visited = self.findings.stations_checked(checklist)
            text = self.clear_sentence(phase_of[checklist], full, partial, visited, lead)
            found = Evidence(visit_ids=self.findings.visit_ids_in(phases, [checklist]))
            paragraphs.append(
                self.generated(sentences_joined(filter(None, [text, *sentences])), found, prefix)
            )
        return paragraphs

    def clear_sentence(
        self,
        phase: str,
        full: dict[str, list[str]],
        partial: dict[int, list[str]],
        visited: int,
        lead: str | None,
    ) -> str:
        """“During the voting, all polling stations visited had A, B and C; D and E; and, at
        the 3 of 22 polling stations where this was observed, F.”: the phrases of each
        checklist section together, the sections apart."""
        if not full and not partial:
            return ""
        clauses = [
            ngettext(
                "at the %(observed)s of %(visited)s polling stations where this was observed, "
                "%(items)s",
                "at the %(observed)s of %(visited)s polling stations where this was observed, "
                "%(items)s",
                observed,
            )
            % {"observed": figure(observed), "visited": figure(visited), "items": listing(items)}
            for observed, items in sorted(partial.items(), reverse=True)
        ]
        if not full:
            text = _("The observers found %(items)s.") % {
                "items": pgettext("between clauses of a list", "; ").join(clauses)
            }
            return text
        items = self._semicolons([listing(phrases) for phrases in full.values()])
        for clause in clauses:
            items = _("%(items)s and, %(clause)s") % {"items": items, "clause": clause}
        leads = {
            Phase.OPENING: _("At the opening, all polling stations observed had %(items)s."),
            Phase.VOTING: _("During the voting, all polling stations visited had %(items)s."),
            Phase.CLOSING: _(
                "At the closing and the count, all polling stations observed had %(items)s."
            ),
        }
        template = lead or leads.get(phase) or _("All polling stations visited had %(items)s.")
        return template % {"items": items}

    def concern_sentence(self, question) -> str:
        """A concern's own sentence: how many stations, out of how many, and where."""
        visited = self.findings.stations_checked(question.checklist)
        observed = question.observed or question.stations_answered
        template = question.localized("concern_sentence", self.language)
        if template:
            text = template.format(
                concerns=figure(question.stations_with_concern),
                stations=figure(observed),
                clear=figure(observed - question.stations_with_concern),
            ).rstrip()
            if observed < visited:
                text = _(
                    "%(sentence)s (this was observed at %(observed)s of the %(visited)s "
                    "polling stations visited)"
                ) % {
                    "sentence": without_full_stop(text),
                    "observed": figure(observed),
                    "visited": figure(visited),
                }
        elif observed < visited:
            text = ngettext(
                "Concerns about “%(question)s” were noted at %(concerns)s of the %(stations)s "
                "polling station where this was observed (of %(visited)s visited)",
                "Concerns about “%(question)s” were noted at %(concerns)s of the %(stations)s "
                "polling stations where this was observed (of %(visited)s visited)",
                observed,
            ) % {
                "question": question.localized("text", self.language),
                "concerns": figure(question.stations_with_concern),
                "stations": figure(observed),
                "visited": figure(visited),
            }
        else:
            text = ngettext(
                "Concerns about “%(question)s” were noted at %(concerns)s of the "
                "%(stations)s polling station visited.",
                "Concerns about “%(question)s” were noted at %(concerns)s of the "
                "%(stations)s polling stations visited.",
                observed,
            ) % {
                "question": question.localized("text", self.language),
                "concerns": figure(question.stations_with_concern),
                "stations": figure(observed),
            }
        if question.concern_areas:
            text = _("%(sentence)s, in %(areas)s") % {
                "sentence": without_full_stop(text),
                "areas": area_names(question.concern_areas),
            }
        return without_full_stop(text) + full_stop()

    def incident_paragraphs(self, prefix: str) -> list[Paragraph]:
        findings = self.findings
        paragraphs = []
        if not findings.incidents:
            paragraphs.append(
                self.generated(
                    _("The observers reported no incidents."),
                    findings.election_day_evidence,
                    prefix,
                )
            )
        else:
            labels = dict(Incident.Category.choices)
            severities = dict(Incident._meta.get_field("severity").choices)
            for row in findings.incidents:
                paragraphs.append(
                    self.generated(
                        ngettext(
                            "%(count)s incident of this kind (%(category)s, %(severity)s) was "
                            "reported at %(stations)s.",
                            "%(count)s incidents of this kind (%(category)s, %(severity)s) were "
                            "reported at %(stations)s.",
                            row.incidents,
                        )
                        % {
                            "count": figure(row.incidents),
                            "category": str(labels.get(row.category, row.category)).lower(),
                            "severity": str(severities.get(row.severity, row.severity)).lower(),
                            "stations": ngettext(
                                "%(count)s polling station",
                                "%(count)s polling stations",
                                row.stations,
                            )
                            % {"count": figure(row.stations)},
                        },
                        findings.incident_evidence_for(row.category, row.severity),
                        prefix,
                    )
                )
        if findings.complaints:
            paragraphs.append(
                self.generated(
                    ngettext(
                        "%(count)s complaint was filed at the polling stations visited.",
                        "%(count)s complaints were filed at the polling stations visited.",
                        findings.complaints,
                    )
                    % {"count": figure(findings.complaints)},
                    findings.complaint_evidence,
                    prefix,
                )
            )
        else:
            paragraphs.append(
                self.generated(
                    _(
                        "No complaints were filed with the observers at the polling stations "
                        "visited."
                    ),
                    findings.election_day_evidence,
                    prefix,
                )
            )
        return paragraphs

    def coverage_paragraph(self, prefix: str) -> Paragraph | None:
        findings = self.findings
        if not findings.election_day_stations:
            return None
        return self.generated(
            ngettext(
                "On election day, members of the Mission worked at %(count)s polling station "
                "in %(areas)s.",
                "On election day, members of the Mission worked at %(count)s polling stations "
                "in %(areas)s.",
                findings.election_day_stations,
            )
            % {
                "count": figure(findings.election_day_stations),
                "areas": coverage_phrase(findings.coverage),
            },
            findings.election_day_evidence,
            prefix,
        )

    def phases_paragraph(self, prefix: str) -> Paragraph | None:
        parts = []
        opening = self.findings.phase(Phase.OPENING)
        voting = self.findings.phase(Phase.VOTING)
        closing = self.findings.phase(Phase.CLOSING)
        if opening:
            parts.append(
                ngettext(
                    "the opening at %(count)s polling station",
                    "the opening at %(count)s polling stations",
                    opening.stations,
                )
                % {"count": spelled(opening.stations)}
            )
        if voting:
            parts.append(
                ngettext(
                    "the voting at %(count)s polling station",
                    "the voting at %(count)s polling stations",
                    voting.stations,
                )
                % {"count": spelled(voting.stations)}
            )
        if closing:
            parts.append(
                ngettext(
                    "the closing and the count at %(count)s polling station",
                    "the closing and the count at %(count)s polling stations",
                    closing.stations,
                )
                % {"count": spelled(closing.stations)}
            )
        if len(parts) < 2:
            return None
        return self.generated(
            _("They observed %(parts)s.") % {"parts": listing(parts)},
            self.findings.election_day_evidence,
            prefix,
        )

    def turnout_paragraph(self, prefix: str) -> Paragraph | None:
        turnout = self.findings.turnout
        observed = turnout.observed
        if observed is None:
            return None
        if turnout.phase == Phase.CLOSING:
            text = ngettext(
                "At the %(count)s polling station where the observers followed the count, "
                "%(observed)s of the voters on the list had voted.",
                "At the %(count)s polling stations where the observers followed the count, "
                "%(observed)s of the voters on the lists had voted.",
                turnout.stations,
            )
        else:
            text = ngettext(
                "By the time of the observers' visits, %(observed)s of the voters on the list "
                "had received a ballot at the %(count)s polling station visited.",
                "By the time of the observers' visits, %(observed)s of the voters on the lists "
                "had received a ballot at the %(count)s polling stations visited.",
                turnout.stations,
            )
        sentences = [text % {"count": figure(turnout.stations), "observed": percent(observed)}]
        if turnout.official is not None:
            if (
                turnout.phase == Phase.CLOSING
                and abs(observed - turnout.official) <= TURNOUT_TOLERANCE
            ):
                sentences.append(
                    _(
                        "The voter turnout announced by the %(commission)s, %(official)s, "
                        "corresponds to what the observers saw."
                    )
                    % {
                        "commission": self.election.commission,
                        "official": percent(turnout.official),
                    }
                )
            else:
                sentences.append(
                    _("The %(commission)s announced a turnout of %(official)s.")
                    % {
                        "commission": self.election.commission,
                        "official": percent(turnout.official),
                    }
                )
        return self.generated(sentences_joined(sentences), self.findings.turnout_evidence, prefix)

    def monitoring_section(self, number: int) -> Section:
        section = Section(number=number, title=_("Monitoring the elections"))
        coverage = self.coverage_paragraph("monitoring")
        if coverage:
            section.blocks.append(coverage)
        phases = self.phases_paragraph("monitoring")
        if phases:
            section.blocks.append(phases)
        section.blocks.extend(self.authored(Text.MONITORING))
        section.blocks.extend(
            self.question_paragraphs(
                checklists={c for c in self._checklists() if c != "accessibility"},
                phases=ELECTION_DAY_PHASES,
                prefix="monitoring",
            )
        )
        section.blocks.extend(self.incident_paragraphs("monitoring"))
        turnout = self.turnout_paragraph("monitoring")
        if turnout:
            section.blocks.append(turnout)
        return section

    def _checklists(self) -> set[str]:
        return {q.checklist for q in self.findings.questions}

    def disabilities_section(self, number: int) -> Section:
        section = self.authored_section(
            number,
            _("Guaranteeing the electoral rights of people with disabilities"),
            Text.DISABILITIES,
        )
        checked = self.findings.stations_checked("accessibility")
        if checked:
            section.blocks.append(
                self.generated(
                    ngettext(
                        "The observers checked access for voters with disabilities at %(count)s "
                        "polling station.",
                        "The observers checked access for voters with disabilities at %(count)s "
                        "polling stations.",
                        checked,
                    )
                    % {"count": spelled(checked)},
                    self.findings.checklist_evidence("accessibility"),
                    "disabilities",
                )
            )
            section.blocks.extend(
                self.question_paragraphs(
                    {"accessibility"},
                    Phase.values,
                    "disabilities",
                    lead=_("All polling stations where access was checked had %(items)s."),
                )
            )
        return section
