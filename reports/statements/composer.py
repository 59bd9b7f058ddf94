"""Compose a mission's statements from its records, its findings and its authored texts.

The composer builds a plain Document (reports.statements.document); renderers turn it into HTML, PDF
and DOCX. Every sentence built from data comes from a translatable template with correct
plurals and is written in the statement's language; every paragraph built from the findings
carries its evidence. Authored sections are Markdown written by coordinators, read into the
same paragraphs and lists, so nothing they type becomes markup.
"""

import datetime
from collections.abc import Iterable, Sequence

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from markdown_it import MarkdownIt

from missions.models import (
    Candidate,
    Mission,
    Office,
    Party,
    Phase,
    ReferendumQuestion,
)
from observers.models import Delegation, Participation
from reports.models import Incident, Statement, StatementText
from reports.statements.document import Block, Document, ListBlock, Paragraph, Run, Section
from reports.statements.findings import ELECTION_DAY_PHASES, AreaCoverage, Evidence, Findings
from reports.statements.periods import period
from reports.statements.selectors import StatementInputs, statement_inputs

Kind = Statement.Kind
Assessment = Statement.Assessment
Text = StatementText.Section

# Observed and announced turnout that differ by no more than this many points "correspond".
TURNOUT_TOLERANCE = 3

_markdown = MarkdownIt("commonmark", {"html": False})


def statement_compose(
    *,
    mission: Mission,
    kind: str,
    language: str,
    findings: Findings,
    dated_on: datetime.date,
    place: str = "",
    assessment: str = "",
) -> Document:
    """Read what the mission's statement prints (reports.statements.selectors), then compose it."""
    return compose(
        statement_inputs(mission=mission),
        kind=kind,
        language=language,
        findings=findings,
        dated_on=dated_on,
        place=place,
        assessment=assessment,
    )


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
        composer = _Composer(inputs, language, findings, dated_on, place, assessment)
        if kind == Kind.FINAL:
            return composer.final_statement()
        if kind == Kind.PRELIMINARY:
            return composer.preliminary_statement()
        if kind == Kind.BRIEFING:
            return composer.press_briefing()
    raise ValueError(f"unknown statement kind {kind!r}")


# ---------------------------------------------------------------------------------------
# Wording helpers, each in the active language


def spelled(number: int) -> str:
    """Spell out one to ten, as a statement does; larger numbers stay figures."""
    words = {
        1: pgettext("count", "one"),
        2: pgettext("count", "two"),
        3: pgettext("count", "three"),
        4: pgettext("count", "four"),
        5: pgettext("count", "five"),
        6: pgettext("count", "six"),
        7: pgettext("count", "seven"),
        8: pgettext("count", "eight"),
        9: pgettext("count", "nine"),
        10: pgettext("count", "ten"),
    }
    return words.get(number, figure(number))


def figure(number: int) -> str:
    return formats.number_format(number, force_grouping=True)


def day(date: datetime.date) -> str:
    # Translators: how a statement writes a date, in Django's date format: j the day, E the
    # month's name as a date says it, n the month's number, Y the year (e.g. "Y年n月j日").
    return formats.date_format(date, pgettext("statement date format", "j E Y"))


def day_and_month(date: datetime.date) -> str:
    # Translators: a date without its year, in Django's date format (see "j E Y").
    return formats.date_format(date, pgettext("statement day and month format", "j E"))


def _writes_chinese() -> bool:
    return (translation.get_language() or "").startswith("zh")


def sentences_joined(sentences: Iterable[str]) -> str:
    """Sentences one after another: a space between them, none in Chinese."""
    return ("" if _writes_chinese() else " ").join(sentences)


def full_stop() -> str:
    """The full stop of the statement's language (Chinese has its own)."""
    return "。" if _writes_chinese() else "."


def without_full_stop(text: str) -> str:
    """A sentence without its full stop, whichever script wrote it, to go on with a clause."""
    return text.rstrip(".。")


def listing(items: Sequence[str]) -> str:
    """Join items as a sentence does: “A, B and C”."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    separator = pgettext("between items of a list", ", ")
    return _("%(items)s and %(last)s") % {"items": separator.join(items[:-1]), "last": items[-1]}


def alternatives(items: Sequence[str]) -> str:
    """Join choices as a sentence offers them: “A, B or C”."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    separator = pgettext("between items of a list", ", ")
    return _("%(items)s or %(last)s") % {"items": separator.join(items[:-1]), "last": items[-1]}


def _semicolon_list(items: Sequence[str]) -> str:
    if len(items) < 3:
        return listing(items)
    return _("%(items)s; and %(last)s") % {
        "items": pgettext("between members of a list", "; ").join(items[:-1]),
        "last": items[-1],
    }


def printed(sections: list[Section]) -> list[Section]:
    """The sections with something to say, numbered in order: none is printed empty."""
    kept = [section for section in sections if section.blocks]
    for number, section in enumerate(kept, start=1):
        section.number = number
    return kept


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def station_numbers(numbers: Sequence[str]) -> str:
    return ngettext("No. %(numbers)s", "Nos %(numbers)s", len(numbers)) % {
        "numbers": listing(numbers)
    }


def percent(value) -> str:
    return _("%(value)s per cent") % {"value": formats.number_format(value, 2)}


def coverage_phrase(coverage: Iterable[AreaCoverage]) -> str:
    """“four districts of Astana and one district of Akmola Region”."""
    parts = []
    for cover in coverage:
        if cover.districts:
            parts.append(
                ngettext(
                    "%(count)s district of %(area)s",
                    "%(count)s districts of %(area)s",
                    len(cover.districts),
                )
                % {"count": spelled(len(cover.districts)), "area": cover.parent}
            )
        else:
            parts.append(cover.parent)
    return listing(parts)


def area_names(areas: Iterable[tuple[str, str]]) -> str:
    """“Almaty District and Yesil District of Astana and Tselinograd District of Akmola
    Region”: the areas named, grouped under their parent area."""
    grouped: dict[str, list[str]] = {}
    for parent, area in areas:
        grouped.setdefault(parent, []).append(area)
    parts = []
    for parent, names in grouped.items():
        if parent:
            parts.append(
                pgettext("areas of a parent area", "%(areas)s of %(parent)s")
                % {"areas": listing(names), "parent": parent}
            )
        else:
            parts.extend(names)
    return listing(parts)


def _person(position: str, name: str) -> str:
    """A person as a statement names them: “SCO Secretary-General Zhang Ming”."""
    if not position:
        return name
    return pgettext("position and name", "%(position)s %(name)s") % {
        "position": position,
        "name": name,
    }


def evidence(found: Evidence) -> dict[str, list[int]]:
    return found.as_dict()


# ---------------------------------------------------------------------------------------
# Markdown written by coordinators → paragraphs and lists


def markdown_blocks(text: str) -> list[Block]:
    """Read Markdown into paragraphs and lists; any HTML in it stays plain text."""
    tokens = _markdown.parse(text or "")
    blocks: list[Block] = []
    lists: list[ListBlock] = []
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(ListBlock(items=[], ordered=token.type == "ordered_list_open"))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            finished = lists.pop()
            if lists:
                # A nested list is flattened into its parent: statements keep one level.
                lists[-1].items.extend(finished.items)
            else:
                blocks.append(finished)
        elif token.type == "inline":
            paragraph = Paragraph(runs=_runs(token.children or []))
            if not paragraph.text.strip():
                continue
            if lists:
                lists[-1].items.append(paragraph)
            else:
                blocks.append(paragraph)
        elif token.type in ("fence", "code_block", "html_block"):
            blocks.append(Paragraph.of(token.content.strip()))
    return blocks


def _runs(children) -> list[Run]:
    runs: list[Run] = []
    bold = italic = False
    for child in children:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("softbreak", "hardbreak"):
            runs.append(Run(" ", bold, italic))
        elif child.type in ("text", "code_inline", "html_inline"):
            runs.append(Run(child.content, bold, italic))
    merged: list[Run] = []
    for run in runs:
        if merged and (merged[-1].bold, merged[-1].italic) == (run.bold, run.italic):
            merged[-1] = Run(merged[-1].text + run.text, run.bold, run.italic)
        else:
            merged.append(run)
    return merged


# ---------------------------------------------------------------------------------------


class _Composer:
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
        return _person(position, head.observer.full_name)

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

    # -- 1. members ----------------------------------------------------------------

    def members_section(self, number: int) -> Section:
        section = Section(number=number, title=_("Mission members"))
        members = self.members
        bodies = [d for d in self._delegations() if d.kind == Delegation.Kind.BODY and self._of(d)]
        commission = self.election.commission or _("the election commission")
        if bodies:
            text = ngettext(
                "Representatives of the %(organisation)s member states, as well as officials of "
                "%(bodies)s, %(count)s observer in all, were accredited to the Mission by the "
                "%(commission)s.",
                "Representatives of the %(organisation)s member states, as well as officials of "
                "%(bodies)s, %(count)s observers in all, were accredited to the Mission by the "
                "%(commission)s.",
                len(members),
            )
        else:
            text = ngettext(
                "Representatives of the %(organisation)s member states, %(count)s observer in "
                "all, were accredited to the Mission by the %(commission)s.",
                "Representatives of the %(organisation)s member states, %(count)s observers in "
                "all, were accredited to the Mission by the %(commission)s.",
                len(members),
            )
        section.blocks.append(
            Paragraph.of(
                text
                % {
                    "organisation": self.org,
                    "bodies": listing([_("the %(body)s") % {"body": d.name} for d in bodies]),
                    "count": figure(len(members)),
                    "commission": commission,
                },
                id=self._id("members"),
            )
        )
        if self.head is not None:
            section.blocks.append(
                Paragraph.of(
                    _("The Mission was headed by %(head)s.") % {"head": self.head_phrase()},
                    id=self._id("members"),
                )
            )
        state_members = [
            self._member_phrase(m)
            for m in members
            if m.delegation.kind != Delegation.Kind.BODY and m.role != Participation.Role.HEAD
        ]
        if state_members:
            section.blocks.append(
                Paragraph.of(
                    _(
                        "The %(organisation)s member states were represented in the Mission as "
                        "follows: %(members)s."
                    )
                    % {"organisation": self.org, "members": self._semicolons(state_members)},
                    id=self._id("members"),
                )
            )
        for delegation in bodies:
            phrases = [self._member_phrase(m) for m in self._of(delegation) if m.role != "head"]
            if not phrases:
                continue
            section.blocks.append(Paragraph.of(_("From the %(body)s:") % {"body": delegation.name}))
            section.blocks.append(
                Paragraph.of(self._semicolons(phrases) + full_stop(), id=self._id("members"))
            )
        return section

    def _delegations(self) -> list[Delegation]:
        seen: dict[int, Delegation] = {}
        for member in self.members:
            seen.setdefault(member.delegation_id, member.delegation)
        return list(seen.values())

    def _of(self, delegation: Delegation) -> list[Participation]:
        return [m for m in self.members if m.delegation_id == delegation.pk]

    @staticmethod
    def _member_phrase(member: Participation) -> str:
        position = member.observer.position
        return _person(position, member.observer.full_name)

    @staticmethod
    def _semicolons(phrases: Sequence[str]) -> str:
        if len(phrases) == 1:
            return phrases[0]
        return _("%(items)s; and %(last)s") % {
            "items": pgettext("between members of a list", "; ").join(phrases[:-1]),
            "last": phrases[-1],
        }

    # -- 2. activities --------------------------------------------------------------

    def activities_section(self, number: int) -> Section:
        section = Section(number=number, title=_("Activities of the Mission"))
        section.blocks.extend(self.authored(Text.ACTIVITIES))
        mission = self.mission
        if mission.formed_on:
            if mission.inviting_body:
                text = _(
                    "On %(date)s, after receiving an invitation from the %(inviter)s, the "
                    "%(organisation)s began to form the Mission."
                )
            else:
                text = _("On %(date)s, the %(organisation)s began to form the Mission.")
            section.blocks.append(
                Paragraph.of(
                    text
                    % {
                        "date": day(mission.formed_on),
                        "inviter": mission.inviting_body,
                        "organisation": self.org,
                    },
                    id=self._id("activities"),
                )
            )
        activities = [a for a in self.inputs.activities if a.date <= self.dated_on]
        for activity in activities:
            numbers = [visit.station.number for visit in activity.station_visits.all()]
            description = activity.description.strip()
            if numbers:
                stations = station_numbers(numbers)
                if "{stations}" in description:
                    description = description.replace("{stations}", stations)
                else:
                    description = (
                        _("%(description)s (polling stations %(stations)s)")
                        % {
                            "description": without_full_stop(description),
                            "stations": stations,
                        }
                        + full_stop()
                    )
            # Descriptions are written to follow “On 19 November,”.
            same_year = activity.date.year == self.dated_on.year
            text = _("On %(date)s, %(description)s") % {
                "date": day_and_month(activity.date) if same_year else day(activity.date),
                "description": description,
            }
            found = None
            if numbers:
                visits = self.inputs.pre_election_visits
                found = Evidence(
                    visit_ids=[
                        pk
                        for number in numbers
                        for pk, day in visits.get(number, [])
                        if day == activity.date
                    ]
                )
            section.blocks.append(self.generated(text, found, "activities"))
        return section

    # -- 3–5. authored, with the nationwide figures --------------------------------------

    def authored_section(self, number: int, title: str, text: str) -> Section:
        return Section(number=number, title=title, blocks=self.authored(text))

    def preparations_section(self, number: int) -> Section:
        section = self.authored_section(
            number, _("Preparations for the election"), Text.PREPARATIONS
        )
        election = self.election
        sentences = []
        if election.stations_total:
            if election.stations_abroad:
                sentences.append(
                    ngettext(
                        "In all, %(total)s polling stations were established, including "
                        "%(abroad)s polling station abroad in %(countries)s.",
                        "In all, %(total)s polling stations were established, including "
                        "%(abroad)s polling stations abroad in %(countries)s.",
                        election.stations_abroad,
                    )
                    % {
                        "total": figure(election.stations_total),
                        "abroad": figure(election.stations_abroad),
                        "countries": ngettext(
                            "%(count)s country",
                            "%(count)s countries",
                            election.stations_abroad_countries or 0,
                        )
                        % {"count": figure(election.stations_abroad_countries or 0)},
                    }
                )
            else:
                sentences.append(
                    _("In all, %(total)s polling stations were established.")
                    % {"total": figure(election.stations_total)}
                )
        if election.observers_accredited:
            sentences.append(
                _(
                    "The %(commission)s accredited %(total)s observers, including %(orgs)s from "
                    "%(org_count)s and %(states)s from %(state_count)s."
                )
                % {
                    "commission": election.commission or _("election commission"),
                    "total": figure(election.observers_accredited),
                    "orgs": figure(election.observers_from_organisations or 0),
                    "org_count": ngettext(
                        "%(count)s international organisation",
                        "%(count)s international organisations",
                        election.organisations_count or 0,
                    )
                    % {"count": spelled(election.organisations_count or 0)},
                    "states": figure(election.observers_from_states or 0),
                    "state_count": ngettext(
                        "%(count)s foreign state",
                        "%(count)s foreign states",
                        election.states_count or 0,
                    )
                    % {"count": spelled(election.states_count or 0)},
                }
            )
        if election.registered_voters:
            sentences.append(
                _("In all, %(voters)s voters were listed.")
                % {"voters": figure(election.registered_voters)}
            )
        if sentences:
            section.blocks.append(Paragraph.of(sentences_joined(sentences), id=self._id("figures")))
        return section

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
            % {"count": spelled(len(offices)), "offices": _semicolon_list(names)},
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
            ) % {"count": _capital(spelled(len(ballot["parties"])))}
        if ballot["offices"]:
            return self._offices_paragraph(ballot["offices"]).text
        if ballot["candidates"]:
            return ngettext(
                "%(count)s candidate stood for election.",
                "%(count)s candidates stood for election.",
                len(ballot["candidates"]),
            ) % {"count": _capital(spelled(len(ballot["candidates"])))}
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
