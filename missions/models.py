import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    """The stage of the electoral process an observation belongs to."""

    PRE_ELECTION = "pre_election", _("Pre-election visit")
    OPENING = "opening", _("Opening")
    VOTING = "voting", _("Voting")
    CLOSING = "closing", _("Closing and counting")
    OTHER = "other", _("Other")


class Mission(models.Model):
    class Status(models.TextChoices):
        FORMING = "forming", _("Forming")
        DEPLOYED = "deployed", _("Deployed")
        CONCLUDED = "concluded", _("Concluded")

    organisation = models.CharField(_("organisation"), max_length=200)
    organisation_acronym = models.CharField(_("organisation acronym"), max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.FORMING
    )
    starts_on = models.DateField(_("first day of the mission"))
    ends_on = models.DateField(_("last day of the mission"))
    inviting_body = models.CharField(_("inviting body"), max_length=300, blank=True)
    invited_on = models.DateField(_("invitation date"), null=True, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        help_text=_(
            "Where the election takes place, e.g. Asia/Almaty: observers' times are in it."
        ),
    )
    formed_on = models.DateField(
        _("formation date"),
        null=True,
        blank=True,
        help_text=_("The day the organisation began forming the mission."),
    )
    preliminary_includes_unreviewed = models.BooleanField(
        _("preliminary statement counts visits awaiting review"),
        default=False,
        help_text=_(
            "On election night a preliminary statement may count visits the coordinators have "
            "not reviewed yet; the statement then says so. Visits sent back for correction "
            "never count, and other statements count reviewed visits only."
        ),
    )

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="mission_period_ends_after_it_starts",
                violation_error_message=_("The mission cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": _("Not a known time zone, e.g. Asia/Almaty.")})
        if self.formed_on and self.invited_on and self.formed_on < self.invited_on:
            raise ValidationError(
                {"formed_on": _("A mission is formed after the invitation, not before it.")}
            )


class Election(models.Model):
    class Kind(models.TextChoices):
        PRESIDENTIAL = "presidential", _("Presidential")
        PARLIAMENTARY = "parliamentary", _("Parliamentary")
        REFERENDUM = "referendum", _("Referendum")
        LOCAL = "local", _("Local")

    mission = models.OneToOneField(
        Mission, on_delete=models.CASCADE, related_name="election", verbose_name=_("mission")
    )
    country = models.CharField(_("country"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    is_early = models.BooleanField(_("early election"), default=False)
    election_day = models.DateField(_("election day"))
    commission = models.CharField(
        _("election commission"),
        max_length=300,
        blank=True,
        help_text=_("The body that runs the election and accredits observers."),
    )
    # Nationwide figures the statement cites; blank until the commission publishes them.
    stations_total = models.PositiveIntegerField(_("polling stations"), null=True, blank=True)
    stations_abroad = models.PositiveIntegerField(
        _("polling stations abroad"), null=True, blank=True
    )
    stations_abroad_countries = models.PositiveIntegerField(
        _("countries with polling stations abroad"), null=True, blank=True
    )
    registered_voters = models.PositiveBigIntegerField(
        _("registered voters"), null=True, blank=True
    )
    observers_from_organisations = models.PositiveIntegerField(
        _("accredited observers from international organisations"), null=True, blank=True
    )
    organisations_count = models.PositiveIntegerField(
        _("international organisations with accredited observers"), null=True, blank=True
    )
    observers_from_states = models.PositiveIntegerField(
        _("accredited observers from foreign states"), null=True, blank=True
    )
    states_count = models.PositiveIntegerField(
        _("foreign states with accredited observers"), null=True, blank=True
    )
    official_turnout = models.DecimalField(
        _("official turnout (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("As announced by the election commission."),
    )
    has_against_all = models.BooleanField(_("ballot offers “against all”"), default=False)

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        constraints = [
            models.CheckConstraint(
                condition=Q(stations_abroad__isnull=True)
                | Q(stations_total__isnull=True)
                | Q(stations_abroad__lte=F("stations_total")),
                name="election_stations_abroad_within_total",
                violation_error_message=_(
                    "Polling stations abroad cannot outnumber all polling stations."
                ),
            ),
            models.CheckConstraint(
                condition=Q(official_turnout__isnull=True)
                | Q(official_turnout__gte=0, official_turnout__lte=100),
                name="election_turnout_is_a_percentage",
                violation_error_message=_("Turnout is a percentage between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.country}, {self.election_day:%d.%m.%Y}"

    @property
    def stations_at_home(self) -> int | None:
        if self.stations_total is None:
            return None
        return self.stations_total - (self.stations_abroad or 0)

    @property
    def observers_accredited(self) -> int | None:
        parts = (self.observers_from_organisations, self.observers_from_states)
        if all(part is None for part in parts):
            return None
        return sum(part or 0 for part in parts)


class Candidate(models.Model):
    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("election")
    )
    ballot_position = models.PositiveSmallIntegerField(
        _("position on the ballot"), validators=[MinValueValidator(1)]
    )
    full_name = models.CharField(_("full name"), max_length=200)
    nominated_by = models.CharField(_("nominated by"), max_length=400, blank=True)
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
        help_text=_("How the statement introduces the candidate, e.g. “the incumbent President”."),
    )

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["election", "ballot_position"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "ballot_position"],
                name="candidate_unique_ballot_position",
                violation_error_message=_("Two candidates cannot share a ballot position."),
            ),
            models.CheckConstraint(
                condition=Q(ballot_position__gte=1),
                name="candidate_ballot_position_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_position}. {self.full_name}"


class Party(models.Model):
    """A party, bloc or list on a parliamentary ballot, with its candidates in list order."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="parties", verbose_name=_("election")
    )
    ballot_position = models.PositiveSmallIntegerField(
        _("position on the ballot"), validators=[MinValueValidator(1)]
    )
    name = models.CharField(_("name"), max_length=300)
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
        help_text=_("How the statement introduces the party, e.g. “the governing party”."),
    )

    class Meta:
        verbose_name = _("party or list")
        verbose_name_plural = _("parties and lists")
        ordering = ["election", "ballot_position"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "ballot_position"],
                name="party_unique_ballot_position",
                violation_error_message=_("Two parties or lists cannot share a ballot position."),
            ),
            models.CheckConstraint(
                condition=Q(ballot_position__gte=1), name="party_ballot_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_position}. {self.name}"


class PartyCandidate(models.Model):
    """A candidate on a party's list."""

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("party or list")
    )
    list_position = models.PositiveSmallIntegerField(
        _("position on the list"), validators=[MinValueValidator(1)]
    )
    full_name = models.CharField(_("full name"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("candidate on a list")
        verbose_name_plural = _("candidates on a list")
        ordering = ["party", "list_position"]
        constraints = [
            models.UniqueConstraint(
                fields=["party", "list_position"],
                name="party_candidate_unique_list_position",
                violation_error_message=_("Two candidates cannot share a place on a list."),
            ),
            models.CheckConstraint(
                condition=Q(list_position__gte=1), name="party_candidate_list_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.list_position}. {self.full_name}"


class ReferendumQuestion(models.Model):
    """A question a referendum puts to voters; its options are what voters may mark."""

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        related_name="referendum_questions",
        verbose_name=_("election"),
    )
    position = models.PositiveSmallIntegerField(
        _("position on the ballot"), validators=[MinValueValidator(1)]
    )
    text = models.TextField(_("question"))

    class Meta:
        verbose_name = _("referendum question")
        verbose_name_plural = _("referendum questions")
        ordering = ["election", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "position"],
                name="referendum_question_unique_position",
                violation_error_message=_("Two questions cannot share a ballot position."),
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="referendum_question_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class ReferendumOption(models.Model):
    question = models.ForeignKey(
        ReferendumQuestion,
        on_delete=models.CASCADE,
        related_name="options",
        verbose_name=_("referendum question"),
    )
    position = models.PositiveSmallIntegerField(_("position"), validators=[MinValueValidator(1)])
    text = models.CharField(_("option"), max_length=300)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "position"],
                name="referendum_option_unique_position",
                violation_error_message=_("Two options cannot share a position."),
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="referendum_option_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Office(models.Model):
    """An office a local election fills, e.g. “Mayor of Bishkek” or a council of 45 seats."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="offices", verbose_name=_("election")
    )
    position = models.PositiveSmallIntegerField(
        _("position"),
        validators=[MinValueValidator(1)],
        help_text=_("The order the statement names the offices in."),
    )
    name = models.CharField(_("office"), max_length=300)
    seats = models.PositiveSmallIntegerField(
        _("seats"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["election", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "position"],
                name="office_unique_position",
                violation_error_message=_("Two offices cannot share a position."),
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="office_position_positive"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="office_has_a_seat"),
        ]

    def __str__(self) -> str:
        return self.name


class MissionActivity(models.Model):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        PREPARATORY_VISIT = "visit", _("Preparatory visit to polling stations")
        BRIEFING = "briefing", _("Briefing")
        OTHER = "other", _("Other")

    mission = models.ForeignKey(
        Mission, on_delete=models.CASCADE, related_name="activities", verbose_name=_("mission")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(
        _("description"),
        help_text=_(
            "Written to follow “On 19 November,”, e.g. “the head of mission met the election "
            "commission.” Where the stations visited should be named, write {stations}."
        ),
    )
    stations = models.ManyToManyField(
        "stations.PollingStation",
        through="ActivityStation",
        blank=True,
        related_name="activities",
        verbose_name=_("polling stations visited"),
    )

    class Meta:
        verbose_name = _("mission activity")
        verbose_name_plural = _("mission activities")
        ordering = ["mission", "date", "pk"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} — {self.get_kind_display()}"


class ActivityStation(models.Model):
    """A polling station visited during an activity, in the order the statement names them."""

    activity = models.ForeignKey(
        MissionActivity, on_delete=models.CASCADE, related_name="station_visits"
    )
    station = models.ForeignKey(
        "stations.PollingStation",
        on_delete=models.CASCADE,
        related_name="activity_visits",
        verbose_name=_("polling station"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("polling station visited")
        verbose_name_plural = _("polling stations visited")
        ordering = ["activity", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "station"], name="activity_station_once_per_activity"
            ),
        ]

    def __str__(self) -> str:
        return str(self.station)

    def clean(self) -> None:
        # An inline on an activity being added has the activity object but no id yet.
        activity = (
            self.activity if self.activity_id or "activity" in self._state.fields_cache else None
        )
        if activity is None or not self.station_id or not activity.mission_id:
            return
        if self.station.election.mission_id != activity.mission_id:
            raise ValidationError({"station": _("This polling station is not in this election.")})


class MissionMembership(models.Model):
    """A user's staff role in a mission; observers are linked through their participation."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        HEAD = "head", _("Head of mission")
        PRESS_OFFICER = "press", _("Press officer")

    mission = models.ForeignKey(
        Mission, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("mission")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mission_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("mission membership")
        verbose_name_plural = _("mission memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "user", "role"], name="membership_unique_role_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class UserPreference(models.Model):
    """What a user chose for themselves: the language every page is shown in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the language the browser asks for."),
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return str(self.user)
