"""The visit form an observer fills in at a polling station, built from a checklist version."""

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from missions.models import Mission
from observers.models import Participation
from reports.models import Checklist, Incident, Question, Severity, Visit
from reports.services import IncidentData, VisitData, answers_errors, visit_times_errors
from stations.models import PollingStation

ANSWER_PREFIX = "q_"
# A checkbox beside a question whose checklist lets the observer say they could not observe it.
NOT_OBSERVED_PREFIX = "n_"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ToggleButtons(forms.widgets.ChoiceWidget):
    """Radio choices as buttons big enough to tap with a thumb."""

    input_type = "radio"
    template_name = "reports/widgets/toggle_buttons.html"
    option_template_name = "reports/widgets/toggle_button_option.html"

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["class"] = "btn-check"
        return option


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def answer_field(question: Question) -> forms.Field:
    """Return the form field that asks this question, with the widget its type needs."""
    language = translation.get_language()
    # crispy-forms prints labels and help texts as they are (|safe); a checklist file comes
    # from outside the mission, so its texts are escaped here, once, as safe strings.
    common: dict[str, Any] = {
        "label": escape(question.localized("text", language)),
        # A question that may be "not observed" is required in clean(): either way will do.
        "required": question.required and not question.not_observed,
        "help_text": escape(question.localized("help_text", language)),
    }
    kind = question.kind
    if kind == Question.Kind.YES_NO:
        # Translated now, as the question's texts are: a form is built in one language, and
        # each form made from a kept one copies its choices (plain strings copy cheaply).
        return forms.ChoiceField(
            choices=[("yes", gettext("Yes")), ("no", gettext("No"))],
            widget=ToggleButtons,
            **common,
        )
    if kind == Question.Kind.SINGLE:
        return forms.ChoiceField(
            choices=question.choice_labels(language),
            widget=ToggleButtons,
            **common,
        )
    if kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=question.choice_labels(language),
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == Question.Kind.NUMBER:
        return forms.DecimalField(
            min_value=question.min_value,
            max_value=question.max_value,
            decimal_places=2,
            widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
            **common,
        )
    if kind == Question.Kind.TIME:
        return forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), **common)
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, **common)


def answer_fields(questions: list[Question]) -> dict[str, forms.Field]:
    """The answer fields of a checklist's questions, each followed by its "not observed" box."""
    fields: dict[str, forms.Field] = {}
    for question in questions:
        fields[ANSWER_PREFIX + question.code] = answer_field(question)
        if question.not_observed:
            fields[NOT_OBSERVED_PREFIX + question.code] = forms.BooleanField(
                label=gettext("Not observed"), required=False
            )
    return fields


def answer_to_json(question: Question, value: Any) -> Any:
    if value in (None, "", []):
        return None
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def answer_from_json(question: Question, value: Any) -> Any:
    if question.kind == Question.Kind.TIME and isinstance(value, str):
        return datetime.time.fromisoformat(value)
    return value


class VisitForm(forms.Form):
    # A visit the observer filed that this one likely repeats, once the service said so.
    duplicate: Visit | None = None
    # True in a class made by visit_form_class: its answer fields are declared, not built.
    answers_declared = False

    key = forms.UUIDField(widget=forms.HiddenInput)
    station = forms.CharField(
        label=_("Polling station No."),
        max_length=20,
        widget=forms.TextInput(attrs={"list": "station-numbers", "autocomplete": "off"}),
    )
    arrived_at = forms.DateTimeField(label=_("Arrived"), widget=DateTimeLocalInput())
    departed_at = forms.DateTimeField(
        label=_("Departed"), required=False, widget=DateTimeLocalInput()
    )
    voters_on_list = forms.IntegerField(
        label=_("Voters on the list"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    ballots_issued = forms.IntegerField(
        label=_("Ballots issued so far"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Sent by the "File a second visit" button once the observer saw the likely duplicate.
    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)
    attachments = MultipleFileField(
        label=_("Photos or documents"),
        required=False,
        help_text=_("JPEG, PNG, WebP or PDF."),
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )

    def __init__(
        self,
        *args,
        checklist: Checklist,
        questions: list[Question],
        participation: Participation,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.checklist = checklist
        self.questions = questions
        self.participation = participation
        mission = participation.mission
        for name in ("arrived_at", "departed_at"):
            self.fields[name].widget.attrs.update(
                min=f"{mission.starts_on:%Y-%m-%d}T00:00", max=f"{mission.ends_on:%Y-%m-%d}T23:59"
            )
        if not self.answers_declared:
            self.fields.update(answer_fields(questions))

    @classmethod
    def initial_for_new(cls, mission: Mission, station: PollingStation | None = None) -> dict:
        # The key is made when the form is first shown and travels with every resubmission.
        initial: dict[str, Any] = {"key": uuid.uuid4()}
        if station is not None:
            initial["station"] = station.number
        now = timezone.localtime().replace(second=0, microsecond=0)
        if mission.starts_on <= now.date() <= mission.ends_on:
            initial["arrived_at"] = now
        return initial

    @classmethod
    def initial_for_visit(cls, visit: Visit) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "key": visit.key,
            "station": visit.station.number,
            "arrived_at": timezone.localtime(visit.arrived_at),
            "departed_at": visit.departed_at and timezone.localtime(visit.departed_at),
            "voters_on_list": visit.voters_on_list,
            "ballots_issued": visit.ballots_issued,
            "notes": visit.notes,
        }
        for answer in visit.answers.all():
            if answer.value is None:
                initial[NOT_OBSERVED_PREFIX + answer.question.code] = True
                continue
            initial[ANSWER_PREFIX + answer.question.code] = answer_from_json(
                answer.question, answer.value
            )
        return initial

    def sections(self) -> list[tuple[str, list[tuple[forms.BoundField, forms.BoundField | None]]]]:
        """The answer fields, each with its "not observed" box if it has one, grouped under
        their checklist sections, in order."""
        grouped: dict[int, tuple[str, list]] = {}
        for question in self.questions:
            _title, fields = grouped.setdefault(question.section_id, (question.section.title, []))
            box = NOT_OBSERVED_PREFIX + question.code
            fields.append(
                (self[ANSWER_PREFIX + question.code], self[box] if box in self.fields else None)
            )
        return list(grouped.values())

    def _answers(self) -> tuple[dict[int, Any], set[int]]:
        cleaned = self.cleaned_data
        answers = {
            question.pk: answer_to_json(question, cleaned.get(ANSWER_PREFIX + question.code))
            for question in self.questions
        }
        not_observed = {
            question.pk
            for question in self.questions
            if question.not_observed and cleaned.get(NOT_OBSERVED_PREFIX + question.code)
        }
        return answers, not_observed

    def clean_station(self) -> PollingStation:
        number = self.cleaned_data["station"].strip()
        election_id = self.participation.mission.election.pk
        # A number is unique in its election: one row or none, nothing to sort.
        station = next(
            iter(
                PollingStation.objects.filter(election_id=election_id, number=number).order_by()[:1]
            ),
            None,
        )
        if station is None:
            raise ValidationError(
                _("There is no polling station No. %(number)s in this election."),
                params={"number": number},
                code="unknown_station",
            )
        return station

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Checked here as well as when filing, so every mistake shows in the same round.
        times = visit_times_errors(
            mission=self.participation.mission,
            arrived_at=cleaned.get("arrived_at"),
            departed_at=cleaned.get("departed_at"),
        )
        for name, message in times.items():
            self.add_error(name, message)
        voters, ballots = cleaned.get("voters_on_list"), cleaned.get("ballots_issued")
        if voters is not None and ballots is not None and ballots > voters:
            self.add_error("ballots_issued", _("More ballots issued than voters on the list."))
        answers, not_observed = self._answers()
        for question in self.questions:
            name = ANSWER_PREFIX + question.code
            if (
                question.required
                and question.not_observed
                and name not in self.errors
                and answers[question.pk] is None
                and question.pk not in not_observed
            ):
                self.add_error(name, _("Answer this question, or mark it “Not observed”."))
        # Rules between answers, where the answers they compare were readable.
        for name, message in answers_errors(
            checklist=self.checklist,
            questions=self.questions,
            answers=answers,
            not_observed=not_observed,
            language=translation.get_language(),
        ).items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def visit_data(self, incidents: list[IncidentData]) -> VisitData:
        cleaned = self.cleaned_data
        answers, not_observed = self._answers()
        return VisitData(
            station=cleaned["station"],
            checklist=self.checklist,
            arrived_at=cleaned["arrived_at"],
            departed_at=cleaned.get("departed_at"),
            voters_on_list=cleaned.get("voters_on_list"),
            ballots_issued=cleaned.get("ballots_issued"),
            notes=cleaned.get("notes", ""),
            answers=answers,
            not_observed=not_observed,
            incidents=incidents,
            questions=self.questions,
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's field errors beside the fields they concern."""
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


def incident_question_choices(questions: list[Question]) -> list[tuple[Any, str]]:
    """The questions an incident may relate to, in the current language. The observer knows a
    question by its text; codes are for coordinators' files."""
    language = translation.get_language()
    return [("", "—")] + [
        (question.pk, Truncator(question.localized("text", language)).chars(90))
        for question in questions
    ]


class IncidentForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What happened"), choices=[("", "—"), *Incident.Category.choices], required=False
    )
    severity = forms.ChoiceField(
        label=_("How serious"), choices=[("", "—"), *Severity.choices], required=False
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    complaint_filed = forms.BooleanField(label=_("A complaint was filed"), required=False)
    question = forms.TypedChoiceField(
        label=_("Related question"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args,
        questions: list[Question],
        question_choices: list[tuple[Any, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.questions_by_pk = {question.pk: question for question in questions}
        if question_choices is None:
            question_choices = incident_question_choices(questions)
        self.fields["question"].choices = question_choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        filled = [cleaned.get(name) for name in ("category", "severity", "description")]
        if any(filled) or cleaned.get("complaint_filed"):
            for name in ("category", "severity", "description"):
                if not cleaned.get(name):
                    self.add_error(name, _("Needed to report an incident."))
        return cleaned

    def incident(self) -> IncidentData | None:
        cleaned = self.cleaned_data
        if not cleaned.get("category"):
            return None
        return IncidentData(
            category=cleaned["category"],
            severity=cleaned["severity"],
            description=cleaned["description"],
            complaint_filed=cleaned.get("complaint_filed", False),
            question=self.questions_by_pk.get(cleaned.get("question")),
        )


class BaseIncidentFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this incident")

    def incidents(self) -> list[IncidentData]:
        return [
            item
            for form in self.forms
            if not self._should_delete_form(form) and (item := form.incident()) is not None
        ]


# The page adds and removes incidents with static/observa/visit_form.js; without JavaScript
# one empty incident is offered, and a saved visit can be corrected to add more.
IncidentFormSet = forms.formset_factory(
    IncidentForm,
    formset=BaseIncidentFormSet,
    extra=1,
    max_num=50,
    validate_max=True,
    can_delete=True,
)


def incident_initial(visit: Visit) -> list[dict[str, Any]]:
    return [
        {
            "category": incident.category,
            "severity": incident.severity,
            "description": incident.description,
            "complaint_filed": incident.complaint_filed,
            "question": incident.question_id,
        }
        for incident in visit.incidents.all()
    ]


def visit_form_class(checklist: Checklist, questions: list[Question]) -> type[VisitForm]:
    """A VisitForm with the checklist's answer fields declared, in the current language.

    Built once per frozen checklist version and language (reports.checklist_cache): each form
    made from it gets its own copies of the fields, as of any declared field.
    """
    return type(
        f"VisitForm{checklist.pk}",
        (VisitForm,),
        {"answers_declared": True, **answer_fields(questions)},
    )
