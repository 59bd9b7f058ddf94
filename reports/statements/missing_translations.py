"""What a mission's statement would print in English for want of a translation.

A statement in Russian or Chinese reads every name and text in that language; a field not
written in it falls back to English (an authored section is left out instead). Before
compiling, the coordinator sees the list here, on the statements page, for each language.

Only what statements print is checked: the mission's organisation and inviting body, the
election's country and commission, candidates, the parties and their lists, referendum
questions and options and the offices of a local election, activities, delegations, the accredited
members' names and positions, the areas where visits took place, what the statement prints of
the questions of the newest version of each checklist (`QUESTION_FIELDS`), and the authored
sections.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import Max, Q
from django.urls import reverse

from missions.content_languages import DEFAULT_LANGUAGE, in_language, other_languages
from missions.models import (
    Candidate,
    Election,
    Mission,
    MissionActivity,
    Office,
    Party,
    PartyCandidate,
    ReferendumOption,
    ReferendumQuestion,
)
from observers.models import Delegation, Observer, Participation
from reports.models import Checklist, Question, StatementText, Visit
from stations.models import Area

# What a statement prints of a question: its text (quoted in a concern without a sentence of
# its own), its two sentences, and the short phrase listed among what every station had.
QUESTION_FIELDS = ("text", "clear_sentence", "clear_item", "concern_sentence")


@dataclass(frozen=True)
class MissingTranslation:
    """One field written in English and not in the language asked for."""

    kind: str  # the model's name, e.g. “observer”
    name: str  # the object as English names it, e.g. “Zhang Ming”
    field: str  # the field's name, e.g. “position”
    url: str  # where a coordinator writes it: the object's admin page

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.name} — {self.field}"


def _admin_url(instance: models.Model) -> str:
    meta = instance._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[instance.pk])


@dataclass
class _Printed:
    objects: list[models.Model]
    fields: tuple[str, ...]
    name: Callable[[models.Model], str] | None = None
    page: Callable[[models.Model], models.Model] | None = None

    def missing(self, language: str) -> list[MissingTranslation]:
        found = []
        for instance in self.objects:
            for field in self.fields:
                english = in_language(instance, field, DEFAULT_LANGUAGE)
                if english and not in_language(instance, field, language):
                    meta = instance._meta
                    found.append(
                        MissingTranslation(
                            kind=str(meta.verbose_name),
                            name=self.name(instance)
                            if self.name
                            else str(in_language(instance, self.fields[0], DEFAULT_LANGUAGE)),
                            field=str(meta.get_field(field).verbose_name),
                            url=_admin_url(self.page(instance) if self.page else instance),
                        )
                    )
        return found


def _printed(mission: Mission) -> list[_Printed]:
    """What the mission's statements print, read once: fourteen queries."""
    printed = [
        _Printed(
            [mission],
            ("organisation", "organisation_acronym", "inviting_body"),
            name=lambda m: m.name_en,
        )
    ]
    election = Election.objects.filter(mission=mission).first()
    if election is not None:
        printed += [
            _Printed([election], ("country", "commission"), name=lambda e: e.country_en),
            _Printed(
                list(Candidate.objects.filter(election=election).order_by("ballot_position")),
                ("full_name", "nominated_by", "description"),
                page=lambda candidate: election,
            ),
            _Printed(
                list(Party.objects.filter(election=election).order_by("ballot_position")),
                ("name", "description"),
            ),
            _Printed(
                list(
                    PartyCandidate.objects.filter(party__election=election)
                    .select_related("party")
                    .order_by("party__ballot_position", "list_position")
                ),
                ("full_name", "description"),
                page=lambda candidate: candidate.party,
            ),
            _Printed(
                list(ReferendumQuestion.objects.filter(election=election).order_by("position")),
                ("text",),
            ),
            _Printed(
                list(
                    ReferendumOption.objects.filter(question__election=election)
                    .select_related("question")
                    .order_by("question__position", "position")
                ),
                ("text",),
                page=lambda option: option.question,
            ),
            _Printed(
                list(Office.objects.filter(election=election).order_by("position")),
                ("name",),
                page=lambda office: election,
            ),
        ]
    members = Participation.objects.filter(
        mission=mission, accreditation=Participation.Accreditation.ACCREDITED
    )
    visited = Visit.objects.filter(mission=mission).values("station__area")
    newest = Checklist.objects.filter(
        mission=mission,
        version=models.Subquery(
            Checklist.objects.filter(mission=mission, code=models.OuterRef("code"))
            .values("code")
            .annotate(newest=Max("version"))
            .values("newest")
        ),
    )
    printed += [
        _Printed(
            list(MissionActivity.objects.filter(mission=mission).order_by("date", "pk")),
            ("description",),
            name=lambda activity: activity.date.isoformat(),
        ),
        _Printed(
            list(Delegation.objects.filter(mission=mission).order_by("position", "pk")),
            ("name",),
        ),
        _Printed(
            list(
                Observer.objects.filter(participations__in=members).order_by(
                    "participations__delegation__position", "participations__position", "pk"
                )
            ),
            ("full_name", "position"),
        ),
        _Printed(
            list(
                Area.objects.filter(Q(pk__in=visited) | Q(children__in=visited))
                .distinct()
                .order_by("path")
            ),
            ("name",),
            name=lambda area: area.path,
        ),
        _Printed(
            list(
                Question.objects.filter(checklist__in=newest)
                .select_related("checklist")
                .order_by("checklist__code", "section__position", "position", "pk")
            ),
            QUESTION_FIELDS,
            name=lambda question: f"{question.checklist.code}/{question.code}",
        ),
        _Printed(
            list(StatementText.objects.filter(mission=mission).order_by("section")),
            ("body",),
            name=lambda text: str(text.get_section_display()),
        ),
    ]
    return printed


def missing_translations(*, mission: Mission, language: str) -> list[MissingTranslation]:
    """Every printed field of the mission written in English but not in `language`."""
    if language == DEFAULT_LANGUAGE:
        return []
    return [item for printed in _printed(mission) for item in printed.missing(language)]


def missing_translations_by_language(*, mission: Mission) -> dict[str, list[MissingTranslation]]:
    """The same for every language but English, reading the mission once (fourteen queries)."""
    printed = _printed(mission)
    return {
        language: [item for part in printed for item in part.missing(language)]
        for language in other_languages()
    }
