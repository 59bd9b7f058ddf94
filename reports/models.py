import uuid
from decimal import Decimal, InvalidOperation
from string import Formatter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from missions.models import Phase

# Placeholders a question's concern sentence may use; the statement fills them in.
SENTENCE_PLACEHOLDERS = {"concerns", "stations", "clear"}


def sentence_problem(text: str) -> str | None:
    """What keeps a statement sentence from being filled in: bad braces or an unknown name."""
    try:
        names = {name for _literal, name, _spec, _conv in Formatter().parse(text)}
    except ValueError:
        return _("Unbalanced braces.")
    unknown = sorted(name for name in names - SENTENCE_PLACEHOLDERS if name is not None)
    if unknown:
        return _("Unknown placeholder {%(name)s}.") % {"name": unknown[0]}
    return None


def localized(instance: models.Model, field: str, language: str | None) -> str:
    """A translated field of `instance` in `language`, with the model's fallback rule.

    The plain attribute reads the active language (reports.translation and the other apps'
    translation.py); this reads any language without changing the active one for the caller.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        return getattr(instance, field)


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    SERIOUS = "serious", _("Serious")
    CRITICAL = "critical", _("Critical")


class Checklist(models.Model):
    """One version of a mission's question set for a phase.

    A version that any visit has used is frozen: its questions are what those visits were
    answered against. Editing a frozen version means making the next version
    (`checklist_new_version` in reports.services). Once frozen it stays so (`frozen` is set
    the first time the filing pages find it used), even if its visits were deleted: the
    observer pages keep a frozen version and its form per process (reports.checklist_cache).
    """

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="checklists",
        verbose_name=_("mission"),
    )
    code = models.SlugField(
        _("code"), max_length=50, help_text=_("Stays the same across versions, e.g. “voting”.")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    description = models.TextField(_("description"), blank=True)
    rules = models.JSONField(
        _("rules between answers"),
        default=list,
        blank=True,
        help_text=_(
            "Checks across questions, as the checklist file writes them (see "
            "docs/checklists.md), e.g. complaints recorded = yes needs a count above 0."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    frozen = models.BooleanField(_("frozen"), default=False, editable=False)

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["mission", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "code", "version"],
                name="checklist_unique_version",
                violation_error_message=_("This checklist already has that version."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(title)s (v%(version)d)") % {"title": self.title, "version": self.version}

    @property
    def is_frozen(self) -> bool:
        return self.pk is not None and (self.frozen or self.visits.exists())


class Section(models.Model):
    checklist = models.ForeignKey(
        Checklist, on_delete=models.CASCADE, related_name="sections", verbose_name=_("checklist")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["checklist", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        YES_NO = "yes_no", _("Yes / no")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        NUMBER = "number", _("Number")
        TIME = "time", _("Time")
        TEXT = "text", _("Text")

    checklist = models.ForeignKey(
        Checklist, on_delete=models.CASCADE, related_name="questions", verbose_name=_("checklist")
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="questions", verbose_name=_("section")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.SlugField(_("code"), max_length=50)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    not_observed = models.BooleanField(
        _("may be answered “not observed”"),
        default=False,
        help_text=_(
            "The observer may say they could not observe this; findings then count the station "
            "neither as clear nor as a concern."
        ),
    )
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For choice questions: a list of [value, label] pairs."),
    )
    concern_answers = models.JSONField(
        _("answers that signal a concern"),
        default=list,
        blank=True,
        help_text=_('Values, e.g. ["no"] for a yes/no question.'),
    )
    concern_above = models.DecimalField(
        _("concern above"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For number questions: a value above this signals a concern."),
    )
    min_value = models.DecimalField(
        _("smallest allowed"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("largest allowed"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    severity = models.CharField(
        _("severity of a concern"), max_length=20, choices=Severity.choices, default=Severity.MINOR
    )
    reference = models.CharField(_("legal reference or standard"), max_length=500, blank=True)
    clear_sentence = models.TextField(
        _("statement sentence when every station was clear"), blank=True
    )
    clear_item = models.CharField(
        _("what every clear station had"),
        max_length=300,
        blank=True,
        help_text=_(
            "A short noun phrase the statement lists with the section's other clear checks, "
            "e.g. “the required information and reference materials” or “no overcrowding”."
        ),
    )
    concern_sentence = models.TextField(
        _("statement sentence when some were not"),
        blank=True,
        help_text=_(
            "May use {concerns} (stations with a concern), {stations} (stations visited) and "
            "{clear} (stations without)."
        ),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["checklist", "section__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["checklist", "code"],
                name="question_unique_code_per_checklist",
                violation_error_message=_("This checklist already has a question with this code."),
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="question_range_is_ordered",
                violation_error_message=_("The smallest allowed value exceeds the largest."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    def localized(self, field: str, language: str | None) -> str:
        """The question's text, help or sentence in the language, else in English."""
        return localized(self, field, language)

    @property
    def english_choices(self) -> list:
        """The [value, label] pairs as English writes them: the values every language shares."""
        return getattr(self, build_localized_fieldname("choices", settings.LANGUAGE_CODE)) or []

    @property
    def choice_values(self) -> list[str]:
        if self.kind == self.Kind.YES_NO:
            return ["yes", "no"]
        return [str(value) for value, _label in self.english_choices]

    def choice_labels(self, language: str | None = None) -> list[tuple[str, str]]:
        """The choices as (value, label) in `language` (the active one if None): the English
        values in their order, each labelled in that language or else in English."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        english = self.english_choices
        try:
            translated = getattr(self, build_localized_fieldname("choices", language)) or []
        except AttributeError:
            translated = []
        labels = {
            str(value): label
            for value, label in translated
            if isinstance(translated, list) and label
        }
        return [(str(value), labels.get(str(value), label)) for value, label in english]

    def _translated_choices_errors(self) -> dict[str, str]:
        """Labels in another language must be [value, label] pairs for English's values."""
        values = {str(value) for value, _label in self.english_choices}
        errors = {}
        for language, _name in settings.LANGUAGES:
            if language == settings.LANGUAGE_CODE:
                continue
            column = build_localized_fieldname("choices", language)
            pairs = getattr(self, column) or []
            valid = isinstance(pairs, list) and all(
                isinstance(pair, list | tuple) and len(pair) == 2 for pair in pairs
            )
            if not valid:
                errors[column] = _("A choice question needs a list of [value, label] pairs.")
            elif unknown := [value for value, _label in pairs if str(value) not in values]:
                errors[column] = _("“%(answer)s” is not one of the answers.") % {
                    "answer": unknown[0]
                }
        return errors

    def clean(self) -> None:
        errors = {}
        if self.section_id and self.checklist_id and self.section.checklist_id != self.checklist_id:
            errors["section"] = _("This section belongs to another checklist.")
        choices = self.english_choices
        if self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE):
            valid = isinstance(choices, list) and all(
                isinstance(pair, list | tuple) and len(pair) == 2 for pair in choices
            )
            if not valid or not choices:
                errors["choices"] = _("A choice question needs a list of [value, label] pairs.")
            else:
                errors.update(self._translated_choices_errors())
        elif choices:
            errors["choices"] = _("Only choice questions have choices.")
        if not isinstance(self.concern_answers, list):
            errors["concern_answers"] = _("Give a list of answers.")
        elif "choices" not in errors:
            unknown = [a for a in self.concern_answers if str(a) not in self.choice_values]
            if unknown and self.kind in (self.Kind.YES_NO, self.Kind.SINGLE, self.Kind.MULTIPLE):
                errors["concern_answers"] = _("“%(answer)s” is not one of the answers.") % {
                    "answer": unknown[0]
                }
            elif self.concern_answers and self.kind not in (
                self.Kind.YES_NO,
                self.Kind.SINGLE,
                self.Kind.MULTIPLE,
            ):
                errors["concern_answers"] = _("Only yes/no and choice answers signal concerns.")
        if self.kind != self.Kind.NUMBER:
            for name in ("concern_above", "min_value", "max_value"):
                if getattr(self, name) is not None:
                    errors[name] = _("Only number questions have limits and thresholds.")
        for field in ("clear_sentence", "concern_sentence"):
            problem = sentence_problem(getattr(self, field))
            if problem:
                errors[field] = problem
        if errors:
            raise ValidationError(errors)

    def signals_concern(self, value) -> bool:
        """Tell whether an answer to this question is a concern."""
        if value is None or value == "" or value == []:
            return False
        if self.kind == self.Kind.NUMBER:
            if self.concern_above is None:
                return False
            try:
                return Decimal(str(value)) > self.concern_above
            except InvalidOperation:
                return False
        concerns = {str(answer) for answer in self.concern_answers}
        if self.kind == self.Kind.MULTIPLE:
            return any(str(item) in concerns for item in value)
        return str(value) in concerns


def _visit_key() -> uuid.UUID:
    return uuid.uuid4()


class Visit(models.Model):
    """A team's observation of one polling station, filed from the checklist of a phase."""

    class Review(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting review")
        RETURNED = "returned", _("Sent back for correction")
        REVIEWED = "reviewed", _("Reviewed")

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="visits",
        verbose_name=_("mission"),
    )
    station = models.ForeignKey(
        "stations.PollingStation",
        on_delete=models.RESTRICT,
        related_name="visits",
        verbose_name=_("polling station"),
    )
    checklist = models.ForeignKey(
        Checklist, on_delete=models.RESTRICT, related_name="visits", verbose_name=_("checklist")
    )
    filed_by = models.ForeignKey(
        "observers.Participation",
        on_delete=models.RESTRICT,
        related_name="visits_filed",
        verbose_name=_("filed by"),
    )
    observers = models.ManyToManyField(
        "observers.Participation",
        related_name="visits",
        blank=True,
        verbose_name=_("observers"),
    )
    # The key the form carried when it was first shown: a retried or doubled submission
    # finds the visit it already created instead of making a second one.
    key = models.UUIDField(_("submission key"), unique=True, default=_visit_key, editable=False)
    arrived_at = models.DateTimeField(_("arrived"))
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    voters_on_list = models.PositiveIntegerField(_("voters on the list"), null=True, blank=True)
    ballots_issued = models.PositiveIntegerField(_("ballots issued so far"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    review = models.CharField(
        _("review"), max_length=20, choices=Review.choices, default=Review.SUBMITTED
    )
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    # The questions of the visit's checklist version it has no observed answer to (skipped,
    # or "not observed"): kept with the visit so the findings count each question's observed
    # stations without reading every answer.
    unobserved = models.JSONField(_("questions not observed"), default=list, editable=False)
    # [question id, answer id] of each answer that signals a concern: the findings read the
    # concerns (and their evidence) from the visits, never from the four million answers.
    concerns = models.JSONField(_("concern answers"), default=list, editable=False)
    has_concerns = models.BooleanField(
        _("has concerns"),
        default=False,
        help_text=_("Any answer signals a concern or any incident was reported."),
    )
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-arrived_at", "-pk"]
        indexes = [
            models.Index(fields=["mission", "review"]),
            models.Index(fields=["mission", "-arrived_at"]),
            # The admin's list, newest first, with or without a mission filter.
            models.Index(fields=["-arrived_at", "-id"], name="visit_arrived_desc_idx"),
            models.Index(
                fields=["mission", "-arrived_at", "-id"], name="visit_mission_arrived_idx"
            ),
            # The operations room: stations visited per checklist, the review queue oldest
            # first, the feed newest first, and each observer's last visit.
            models.Index(
                fields=["mission", "station", "checklist"], name="visit_mission_station_idx"
            ),
            models.Index(fields=["mission", "review", "created_at"], name="visit_review_queue_idx"),
            models.Index(fields=["mission", "-created_at"], name="visit_mission_filed_idx"),
            models.Index(fields=["filed_by", "-created_at"], name="visit_filer_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(departed_at__isnull=True) | Q(departed_at__gte=F("arrived_at")),
                name="visit_departs_after_arriving",
                violation_error_message=_("Departure cannot be before arrival."),
            ),
            models.CheckConstraint(
                condition=Q(ballots_issued__isnull=True)
                | Q(voters_on_list__isnull=True)
                | Q(ballots_issued__lte=F("voters_on_list")),
                name="visit_ballots_within_voters",
                violation_error_message=_(
                    "More ballots issued than voters on the list: check both counts."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("Visit %(pk)s to %(station)s") % {"pk": self.pk or "—", "station": self.station}

    @property
    def phase(self) -> str:
        return self.checklist.phase

    @property
    def is_editable(self) -> bool:
        return self.review != self.Review.REVIEWED


class Answer(models.Model):
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="answers", verbose_name=_("visit")
    )
    question = models.ForeignKey(
        Question, on_delete=models.RESTRICT, related_name="answers", verbose_name=_("question")
    )
    value = models.JSONField(_("answer"), null=True, blank=True)
    # Kept with the answer (the question version is frozen once used) so findings count
    # concerns with one aggregate query.
    is_concern = models.BooleanField(_("concern"), default=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["visit", "question__section__position", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "question"], name="answer_once_per_question"),
        ]
        indexes = [
            models.Index(fields=["question", "is_concern"]),
            # Concerns are a few per cent of answers: the operations room reads only them.
            models.Index(
                fields=["visit", "question"],
                condition=Q(is_concern=True),
                name="answer_concern_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.display_value}"

    @property
    def display_value(self) -> str:
        value = self.value
        if value is None:
            # Stored only for a question the observer marked as not observed.
            return str(_("Not observed"))
        if value == "":
            return "—"
        if self.question.kind == Question.Kind.YES_NO:
            return str(_("Yes") if value == "yes" else _("No"))
        labels = dict(self.question.choice_labels())
        if isinstance(value, list):
            return ", ".join(str(labels.get(item, item)) for item in value)
        return str(labels.get(value, value))


class Incident(models.Model):
    class Category(models.TextChoices):
        PROCEDURE = "procedure", _("Procedure not followed")
        VOTER_LIST = "voter_list", _("Voter list")
        SECRECY = "secrecy", _("Secrecy of the vote")
        BALLOT_BOX = "ballot_box", _("Ballot box")
        CAMPAIGNING = "campaigning", _("Campaigning at the station")
        INTERFERENCE = "interference", _("Outside interference or tension")
        OVERCROWDING = "overcrowding", _("Overcrowding")
        ACCESSIBILITY = "accessibility", _("Accessibility")
        OBSERVERS = "observers", _("Observers hindered")
        OTHER = "other", _("Other")

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("visit")
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    description = models.TextField(_("description"))
    complaint_filed = models.BooleanField(_("a complaint was filed"), default=False)
    question = models.ForeignKey(
        Question,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("related question"),
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["visit", "pk"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.get_severity_display()})"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The server chooses the stored name; what the observer's phone called the file is kept
    # only as `original_name`, for display.
    return f"attachments/{instance.visit.mission_id}/{uuid.uuid4().hex}{instance.extension}"


class Attachment(models.Model):
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("visit")
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"), validators=[MinValueValidator(1)])
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    EXTENSIONS = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["visit", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class VisitRevision(models.Model):
    """One change to a filed visit: who, when and what (field → [before, after])."""

    class Action(models.TextChoices):
        FILED = "filed", _("Filed")
        CORRECTED = "corrected", _("Corrected")
        REVIEWED = "reviewed", _("Marked reviewed")
        SENT_BACK = "sent_back", _("Sent back for correction")

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("visit")
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("visit revision")
        verbose_name_plural = _("visit history")
        ordering = ["visit", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.changed_at:%d.%m.%Y %H:%M}"


class StatementText(models.Model):
    """A section of the mission's statements written by its coordinators (Markdown)."""

    class Section(models.TextChoices):
        INTRODUCTION = "introduction", _("Introduction")
        ACTIVITIES = "activities", _("Activities: how the mission worked")
        LEGAL_BASIS = "legal_basis", _("Legal basis and the calling of the election")
        PUBLIC_AWARENESS = "public_awareness", _("Public awareness")
        PREPARATIONS = "preparations", _("Preparations for the election")
        DISABILITIES = "disabilities", _("Electoral rights of people with disabilities")
        MONITORING = "monitoring", _("Monitoring: the observers' impressions")
        CONCLUSIONS = "conclusions", _("Main conclusions: closing words")
        BRIEFING = "briefing", _("Press briefing: remarks of the head of mission")

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="statement_texts",
        verbose_name=_("mission"),
    )
    section = models.CharField(_("section"), max_length=30, choices=Section.choices)
    # One column per language (reports.translation): body_en, body_ru, body_zh_hans.
    body = models.TextField(
        _("text"), blank=True, help_text=_("Markdown: paragraphs, lists, **bold**, *italics*.")
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("statement text")
        verbose_name_plural = _("statement texts")
        ordering = ["mission", "section"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "section"],
                name="statement_text_once_per_section",
                violation_error_message=_("This mission already has a text for this section."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_section_display())


class Statement(models.Model):
    """One version of one of the mission's statements, compiled from its findings."""

    class Kind(models.TextChoices):
        PRELIMINARY = "preliminary", _("Preliminary statement")
        FINAL = "final", _("Final statement")
        BRIEFING = "briefing", _("Press briefing")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        COMPILING = "compiling", _("Compiling")
        READY = "ready", _("Ready for approval")
        FAILED = "failed", _("Failed")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")

    class Assessment(models.TextChoices):
        NO_VIOLATIONS = "no_violations", _("In line with the law; no violations recorded")
        MINOR_SHORTCOMINGS = "minor", _("In line with the law; minor shortcomings noted")
        SERIOUS_VIOLATIONS = "serious", _("Serious violations recorded")

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="statements",
        verbose_name=_("mission"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    place = models.CharField(_("place"), max_length=100, blank=True)
    dated_on = models.DateField(_("dated"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    # A worker holds the job until this moment; a redelivered task or the sweep may take
    # it over only after it passes, so a killed worker's job is redone, never done twice.
    lease_until = models.DateTimeField(_("worker lease until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A step code (see PROGRESS), stored untranslated: the worker writes it, and whoever
    # reads it sees it in their own language.
    progress = models.CharField(_("progress"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    compiled_at = models.DateTimeField(_("compiled"), null=True, blank=True)
    content = models.JSONField(_("document"), default=dict, blank=True, editable=False)
    assessment = models.CharField(
        _("overall assessment"), max_length=20, choices=Assessment.choices, blank=True
    )
    override_reason = models.TextField(
        _("reason for keeping an assessment the findings contradict"), blank=True
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("override recorded by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    # The evidence rule the version was compiled under: the visits it counted (ids), and how
    # many it left out. An approved version keeps them, whatever is reviewed or corrected later.
    visit_ids = models.JSONField(_("visits counted"), default=list, blank=True, editable=False)
    unreviewed_included = models.PositiveIntegerField(
        _("visits awaiting review counted"), default=0
    )
    awaiting_review_left_out = models.PositiveIntegerField(
        _("visits awaiting review left out"), default=0
    )
    sent_back_left_out = models.PositiveIntegerField(_("visits sent back left out"), default=0)
    # Whether the version kept its evidence as it used it (StatementEvidence): versions
    # compiled before it did show their evidence as it is today.
    evidence_kept = models.BooleanField(_("evidence kept"), default=False, editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    embargo_until = models.DateTimeField(_("embargoed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["mission", "kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "kind", "language", "version"],
                name="statement_unique_version",
            ),
        ]
        indexes = [models.Index(fields=["status", "lease_until"])]

    def __str__(self) -> str:
        return _("%(kind)s, version %(version)d (%(language)s)") % {
            "kind": self.get_kind_display(),
            "version": self.version,
            "language": self.language,
        }

    PROGRESS = {
        "findings": _("Computing the findings"),
        "render:html": _("Rendering the HTML document"),
        "render:pdf": _("Rendering the PDF document"),
        "render:docx": _("Rendering the DOCX document"),
        "retry": _("Waiting to try again"),
        "waiting": _("Waiting for a worker"),
        "unsent": _(
            "Queued. The workers cannot be reached right now; the statement will be compiled "
            "as soon as they can."
        ),
    }
    # What a coordinator is told when a version is recorded but the broker is down.
    UNSENT_MESSAGE = PROGRESS["unsent"]

    @property
    def progress_label(self) -> str:
        return str(self.PROGRESS.get(self.progress, self.progress))

    @property
    def is_released(self) -> bool:
        """Published and past any embargo: anyone may read it."""
        return self.status == self.Status.PUBLISHED and (
            self.embargo_until is None or self.embargo_until <= timezone.now()
        )


class StatementEvidence(models.Model):
    """One visit as a version of a statement used it, kept when the version is compiled.

    The station, checklist, observers, review state, and the answers and incidents the
    version's sentences cite, as they were then: a statement approved yesterday shows
    exactly its evidence after a visit is corrected, reviewed again or removed. Texts are
    kept in the statement's language.
    """

    statement = models.ForeignKey(
        Statement,
        on_delete=models.CASCADE,
        related_name="evidence_visits",
        verbose_name=_("statement"),
    )
    # The visit's id, kept as a number: the record outlives the visit.
    visit_ref = models.PositiveBigIntegerField(_("visit"))
    station = models.CharField(_("polling station"), max_length=300)
    area = models.CharField(_("area"), max_length=300, blank=True)
    checklist = models.CharField(_("checklist"), max_length=300)
    arrived_at = models.DateTimeField(_("arrived"))
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    review = models.CharField(_("review"), max_length=20, choices=Visit.Review.choices)
    observers = models.TextField(_("observers"), blank=True)
    counted = models.BooleanField(_("counted"), default=True)
    # [{"id", "question", "value", "shown"}]: each cited answer, its question's text and its
    # value as stored and as the statement's language shows it.
    answers = models.JSONField(_("answers"), default=list, blank=True)
    # [{"id", "category", "severity", "complaint", "description"}]: each cited incident.
    incidents = models.JSONField(_("incidents"), default=list, blank=True)

    class Meta:
        verbose_name = _("kept evidence")
        verbose_name_plural = _("kept evidence")
        ordering = ["statement", "arrived_at", "visit_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "visit_ref"], name="statement_evidence_once_per_visit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement} · {self.station}"


class HeadAssessment(models.Model):
    """The overall assessment the head of mission gave for one kind of statement.

    A mission's record (its bundle) carries it, so a version compiled from the record states
    the head's conclusions at once; approval still governs every version.
    """

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="head_assessments",
        verbose_name=_("mission"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Statement.Kind.choices)
    assessment = models.CharField(
        _("overall assessment"), max_length=20, choices=Statement.Assessment.choices
    )
    given_by = models.ForeignKey(
        "observers.Participation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("given by"),
    )

    class Meta:
        verbose_name = _("head of mission's assessment")
        verbose_name_plural = _("head of mission's assessments")
        ordering = ["mission", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "kind"],
                name="head_assessment_once_per_kind",
                violation_error_message=_("This kind of statement already has an assessment."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_assessment_display()}"


class StatementDocument(models.Model):
    class Format(models.TextChoices):
        HTML = "html", "HTML"
        PDF = "pdf", "PDF"
        DOCX = "docx", "DOCX"

    CONTENT_TYPES = {
        "html": "text/html; charset=utf-8",
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="documents", verbose_name=_("statement")
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    file = models.FileField(_("file"), upload_to="statements/")
    checksum = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement document")
        verbose_name_plural = _("statement documents")
        ordering = ["statement", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "format"], name="statement_document_once_per_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement} — {self.get_format_display()}"

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.format]


class ExportJob(models.Model):
    """An export too large to write while the analyst waits (over OPERATIONS_EXPORT_JOB_ROWS
    rows): a worker writes the file, counting its rows as it goes, and keeps it here."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Being written")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("mission"),
    )
    kind = models.CharField(_("export"), max_length=20)
    format = models.CharField(_("format"), max_length=10)
    # The language of the requester's page: the file's headings and labels are in it.
    language = models.CharField(_("language"), max_length=10)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.mission} — {self.kind}.{self.format}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
