"""Frozen checklist versions, their questions and their visit forms, kept per process.

On election night every submission and every visit page reads the same checklist version, its
questions and sections, and builds the same form fields. A version that visits have used is
frozen (`Checklist.frozen`, set here the first time a used version is loaded, and never unset):
its questions, sections and rules no longer change, since editing means making the next
version, which has its own id. So a frozen version is read from the database once per process
and kept; a version not frozen yet is read afresh every time, so that what a coordinator edits
before the first visit is what the next observer sees.

What is kept is found by the version's id and served only for the mission it belongs to: a
request naming another mission's checklist gets what it would get from the database (404).
"""

import threading
from dataclasses import dataclass, field

from django.http import Http404
from django.utils import translation

from reports.forms import VisitForm, incident_question_choices, visit_form_class
from reports.models import Checklist, Question
from reports.selectors import QUESTION_ORDER, questions_of


@dataclass
class FrozenChecklist:
    checklist: Checklist
    questions: list[Question]
    by_pk: dict[int, Question]
    # One form class per language: the fields carry the questions' texts in it; the same
    # for the questions an incident may relate to.
    form_classes: dict[str, type[VisitForm]] = field(default_factory=dict)
    incident_choices: dict[str, list] = field(default_factory=dict)


_frozen: dict[int, FrozenChecklist] = {}
_lock = threading.Lock()


def _load(
    checklist: Checklist, *, used: bool = False, questions: list[Question] | None = None
) -> tuple[list[Question], FrozenChecklist | None]:
    if questions is None:
        questions = questions_of(checklist)
    if not checklist.frozen:
        if not used and not checklist.visits.exists():
            return questions, None
        # Used: frozen from now on, in every process, even if its visits go away.
        Checklist.objects.filter(pk=checklist.pk).update(frozen=True)
        checklist.frozen = True
    entry = FrozenChecklist(
        checklist=checklist, questions=questions, by_pk={q.pk: q for q in questions}
    )
    with _lock:
        _frozen.setdefault(checklist.pk, entry)
    return questions, entry


def _kept(pk: int, mission_id: int) -> FrozenChecklist | None:
    entry = _frozen.get(pk)
    if entry is not None and entry.checklist.mission_id == mission_id:
        return entry
    return None


def checklist_of(*, mission_id: int, pk: int) -> tuple[Checklist, list[Question]]:
    """The mission's checklist version `pk` and its questions; Http404 if the mission has no
    such version."""
    entry = _kept(pk, mission_id)
    if entry is not None:
        return entry.checklist, entry.questions
    checklist = Checklist.objects.filter(pk=pk, mission_id=mission_id).first()
    if checklist is None:
        raise Http404
    questions, _entry = _load(checklist)
    return checklist, questions


def used_questions(checklist: Checklist) -> list[Question]:
    """The questions of a version a visit used (so frozen), in order, kept from now on."""
    entry = _kept(checklist.pk, checklist.mission_id)
    if entry is None:
        questions, entry = _load(checklist, used=True)
        return questions
    return entry.questions


def used_version(*, mission_id: int, pk: int) -> tuple[Checklist, list[Question]]:
    """The mission's version `pk` that a visit used (so frozen) and its questions, kept from
    now on: a visit's page needs no join to its checklist. The first time in the process, the
    version is read with its questions, in one query when it has any."""
    entry = _kept(pk, mission_id)
    if entry is not None:
        return entry.checklist, entry.questions
    questions = list(
        Question.objects.filter(checklist_id=pk)
        .select_related("section", "checklist")
        .order_by(*QUESTION_ORDER)
    )
    if questions:
        checklist = questions[0].checklist
        for question in questions:
            question.checklist = checklist
    else:
        checklist = Checklist.objects.get(pk=pk, mission_id=mission_id)
    questions, _entry = _load(checklist, used=True, questions=questions)
    return checklist, questions


def form_class(checklist: Checklist, questions: list[Question]) -> type[VisitForm]:
    """The visit form of this version in the current language: kept when the version is."""
    entry = _kept(checklist.pk, checklist.mission_id)
    if entry is None or entry.questions is not questions:
        return VisitForm
    language = translation.get_language() or ""
    form = entry.form_classes.get(language)
    if form is None:
        form = visit_form_class(checklist, questions)
        with _lock:
            form = entry.form_classes.setdefault(language, form)
    return form


def incident_form_kwargs(checklist: Checklist, questions: list[Question]) -> dict:
    """What each incident form of a visit of this version takes: its questions, and the
    choices they make in the current language, kept when the version is."""
    kwargs: dict = {"questions": questions}
    entry = _kept(checklist.pk, checklist.mission_id)
    if entry is not None and entry.questions is questions:
        language = translation.get_language() or ""
        choices = entry.incident_choices.get(language)
        if choices is None:
            choices = incident_question_choices(questions)
            with _lock:
                choices = entry.incident_choices.setdefault(language, choices)
        # Each form gets its own list: a field's choices are its own.
        kwargs["question_choices"] = list(choices)
    return kwargs


def forget() -> None:
    """Drop everything kept (tests that reuse ids across databases)."""
    with _lock:
        _frozen.clear()
