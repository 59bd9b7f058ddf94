from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import LPad
from django.utils.translation import gettext_lazy as _

from missions.models import Phase

PATH_SEPARATOR = " / "


class Area(models.Model):
    """An administrative area: region → city or district → …, within one election."""

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        OTHER = "other", _("Other")

    election = models.ForeignKey(
        "missions.Election",
        on_delete=models.CASCADE,
        related_name="areas",
        verbose_name=_("election"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    other_names = models.CharField(
        _("other spellings"),
        max_length=300,
        blank=True,
        help_text=_("Other spellings, separated by “;”, so a search finds them."),
    )
    # The names from the root down, kept so imports and lists resolve an area without
    # walking the tree; `area_save` in stations.services keeps it and the children's in step.
    path = models.CharField(_("path"), max_length=1000, editable=False)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["election", "path"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "name"],
                condition=Q(parent__isnull=True),
                name="area_unique_top_level_name",
                violation_error_message=_(
                    "This election already has a top-level area of that name."
                ),
            ),
            models.UniqueConstraint(
                fields=["election", "parent", "name"],
                condition=Q(parent__isnull=False),
                name="area_unique_name_within_parent",
                violation_error_message=_("This area already has a part of that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.path or self.name

    def clean(self) -> None:
        if PATH_SEPARATOR.strip() in self.name:
            raise ValidationError({"name": _("An area name cannot contain “/”.")})
        if self.parent_id is None:
            return
        if self.parent.election_id != self.election_id:
            raise ValidationError({"parent": _("The parent area belongs to another election.")})
        ancestor = self.parent
        while ancestor is not None:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("An area cannot be part of itself.")})
            ancestor = ancestor.parent

    def compute_path(self) -> str:
        # The path is in English whatever language the area is edited in: imports and
        # bundles find areas by it (stations.translation).
        name = getattr(self, "name_en", None) or self.name
        if self.parent is None:
            return name
        return f"{self.parent.path}{PATH_SEPARATOR}{name}"


class PollingStation(models.Model):
    election = models.ForeignKey(
        "missions.Election",
        on_delete=models.CASCADE,
        related_name="stations",
        verbose_name=_("election"),
    )
    number = models.CharField(
        _("number"), max_length=20, help_text=_("Unique within the election, e.g. 83 or 1-214.")
    )
    name = models.CharField(_("name"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="stations",
        verbose_name=_("area"),
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    is_abroad = models.BooleanField(_("abroad"), default=False)
    registered_voters = models.PositiveIntegerField(_("registered voters"), null=True, blank=True)

    class Meta:
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        ordering = ["election", "number"]
        indexes = [
            # The admin's list in natural order of numbers (stations.admin.station_number_order),
            # its last rows first among equals as the admin breaks ties: read a page, not sort
            # a country's stations.
            models.Index(
                LPad("number", 20, Value("0")), F("id").desc(), name="station_number_natural_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "number"],
                name="station_unique_number_per_election",
                violation_error_message=_(
                    "This election already has a polling station with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="station_coordinates_come_in_pairs",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="station_latitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="station_longitude_in_range",
            ),
        ]

    def __str__(self) -> str:
        return _("No. %(number)s") % {"number": self.number} + (
            f" — {self.name}" if self.name else ""
        )

    def clean(self) -> None:
        if self.area_id and self.election_id and self.area.election_id != self.election_id:
            raise ValidationError({"area": _("This area belongs to another election.")})


class Assignment(models.Model):
    """A team planned to observe a polling station on a date, in a phase."""

    team = models.ForeignKey(
        "observers.Team",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("team"),
    )
    station = models.ForeignKey(
        PollingStation,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("polling station"),
    )
    date = models.DateField(_("date"))
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    planned_time = models.TimeField(
        _("planned arrival"),
        null=True,
        blank=True,
        help_text=_(
            "In the mission's time zone. The operations room flags the station when this time "
            "(else the end of the day) passes without a visit."
        ),
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["date", "team", "station__number"]
        indexes = [
            # The admin's list: the plan of each day and phase in the order of its times.
            models.Index(
                fields=["date", "phase", "planned_time", "id"], name="assignment_plan_order_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "station", "date", "phase"],
                name="assignment_once_per_team_station_day_phase",
                violation_error_message=_("This team is already assigned there for that phase."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} → {self.station} ({self.date:%d.%m.%Y})"

    def clean(self) -> None:
        # An inline on a team being created has the team object but no team id yet.
        team = (
            getattr(self, "team", None)
            if self.team_id or "team" in self._state.fields_cache
            else None
        )
        if team is None or not self.station_id:
            return
        mission = team.mission
        if self.station.election.mission_id != mission.pk:
            raise ValidationError({"station": _("This polling station is not in this election.")})
        if self.date and not (mission.starts_on <= self.date <= mission.ends_on):
            raise ValidationError({"date": _("The date is outside the mission period.")})
