"""Section 6 of a statement: candidates, parties and lists, referendum questions or offices."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from missions.models import (
    Candidate,
    Office,
    Party,
    ReferendumQuestion,
)
from reports.statements.composer.wording import (
    alternatives,
    capitalised,
    figure,
    semicolon_list,
    spelled,
)
from reports.statements.document import Block, ListBlock, Paragraph, Section


class BallotMixin:
    """Section 6: what the ballot put to voters."""

    # -- 6. what the ballot put to voters --------------------------------------------------

    @property
    def ballot(self) -> dict[str, list]:
        """What the election put to voters, each kind in its ballot order."""
        inputs = self.inputs
        return {
            "candidates": inputs.candidates,
            "parties": inputs.parties,
            "questions": inputs.questions,
            "offices": inputs.offices,
        }

    def ballot_title(self) -> str:
        titles = {
            "presidential": _("Candidates"),
            "parliamentary": _("Parties and candidates"),
            "referendum": _("Questions put to voters"),
            "local": _("Offices and candidates"),
        }
        return titles.get(self.election.kind, _("Candidates"))

    def candidates_section(self, number: int) -> Section:
        """Section 6: what the ballot put to voters, whatever the kind of election."""
        section = Section(number=number, title=self.ballot_title())
        ballot = self.ballot
        if ballot["offices"]:
            section.blocks.append(self._offices_paragraph(ballot["offices"]))
        if ballot["questions"]:
            section.blocks.extend(self._questions_blocks(ballot["questions"]))
        if ballot["parties"]:
            parties = ballot["parties"]
            section.blocks.append(
                Paragraph.of(
                    ngettext(
                        "The %(count)s party or list was on the ballot papers:",
                        "The %(count)s parties and lists were on the ballot papers in the "
                        "following order:",
                        len(parties),
                    )
                    % {"count": spelled(len(parties))},
                    id=self._id("candidates"),
                )
            )
            section.blocks.append(
                ListBlock(items=[Paragraph.of(self._party(p)) for p in parties], ordered=True)
            )
        candidates = ballot["candidates"]
        if candidates:
            section.blocks.append(
                Paragraph.of(
                    ngettext(
                        "The %(count)s candidate was listed on the ballot papers:",
                        "The %(count)s candidates were listed on the ballot papers in the "
                        "following order:",
                        len(candidates),
                    )
                    % {"count": spelled(len(candidates))},
                    id=self._id("candidates"),
                )
            )
            section.blocks.append(
                ListBlock(
                    items=[Paragraph.of(self._candidate(c)) for c in candidates], ordered=True
                )
            )
        if self.election.has_against_all and (candidates or ballot["parties"]):
            if candidates:
                text = _(
                    "The ballot papers also included an “against all” option for voters who "
                    "did not support any of the candidates."
                )
            else:
                text = _(
                    "The ballot papers also included an “against all” option for voters who "
                    "did not support any of the parties or lists."
                )
            section.blocks.append(Paragraph.of(text, id=self._id("candidates")))
        return section

    def _offices_paragraph(self, offices: list[Office]) -> Paragraph:
        names = [
            office.name
            if office.seats == 1
            else ngettext(
                "%(office)s (%(count)s seat)", "%(office)s (%(count)s seats)", office.seats
            )
            % {"office": office.name, "count": figure(office.seats)}
            for office in offices
        ]
        return Paragraph.of(
            ngettext(
                "Voters elected %(offices)s.",
                "Voters elected %(count)s offices: %(offices)s.",
                len(offices),
            )
            % {"count": spelled(len(offices)), "offices": semicolon_list(names)},
            id=self._id("candidates"),
        )

    def _questions_blocks(self, questions: list[ReferendumQuestion]) -> list[Block]:
        lead = Paragraph.of(
            ngettext(
                "The ballot papers put %(count)s question to voters:",
                "The ballot papers put %(count)s questions to voters, in the following order:",
                len(questions),
            )
            % {"count": spelled(len(questions))},
            id=self._id("candidates"),
        )
        items = []
        for question in questions:
            options = [option.text for option in question.options.all()]
            if options:
                text = _("%(question)s Voters could answer %(options)s.") % {
                    "question": question.text.strip(),
                    "options": alternatives([f"“{o}”" for o in options]),
                }
            else:
                text = question.text.strip()
            items.append(Paragraph.of(text))
        return [lead, ListBlock(items=items, ordered=True)]

    @staticmethod
    def _party(party: Party) -> str:
        name = party.name
        if party.description:
            name = _("%(name)s, %(description)s") % {
                "name": party.name,
                "description": party.description,
            }
        candidates = list(party.candidates.all())
        if not candidates:
            return name
        return ngettext(
            "%(party)s: %(count)s candidate, %(first)s",
            "%(party)s: %(count)s candidates, led by %(first)s",
            len(candidates),
        ) % {"party": name, "count": figure(len(candidates)), "first": candidates[0].full_name}

    def ballot_sentence(self) -> str | None:
        """One sentence for the briefing: what the ballot put to voters."""
        ballot = self.ballot
        if ballot["questions"]:
            return ngettext(
                "Voters were asked %(count)s question.",
                "Voters were asked %(count)s questions.",
                len(ballot["questions"]),
            ) % {"count": spelled(len(ballot["questions"]))}
        if ballot["parties"]:
            return ngettext(
                "%(count)s party or list stood for election.",
                "%(count)s parties and lists stood for election.",
                len(ballot["parties"]),
            ) % {"count": capitalised(spelled(len(ballot["parties"])))}
        if ballot["offices"]:
            return self._offices_paragraph(ballot["offices"]).text
        if ballot["candidates"]:
            return ngettext(
                "%(count)s candidate stood for election.",
                "%(count)s candidates stood for election.",
                len(ballot["candidates"]),
            ) % {"count": capitalised(spelled(len(ballot["candidates"])))}
        return None

    @staticmethod
    def _candidate(candidate: Candidate) -> str:
        if candidate.description and candidate.nominated_by:
            return _("%(name)s, %(description)s, nominated by the %(body)s") % {
                "name": candidate.full_name,
                "description": candidate.description,
                "body": candidate.nominated_by,
            }
        if candidate.nominated_by:
            return _("%(name)s from the %(body)s") % {
                "name": candidate.full_name,
                "body": candidate.nominated_by,
            }
        if candidate.description:
            return _("%(name)s, %(description)s") % {
                "name": candidate.full_name,
                "description": candidate.description,
            }
        return candidate.full_name
