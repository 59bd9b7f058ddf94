from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Observer(models.Model):
    """A person who serves on one or more missions."""

    full_name = models.CharField(_("full name"), max_length=200)
    other_names = models.CharField(
        _("other spellings"),
        max_length=300,
        blank=True,
        help_text=_("Other spellings of the name, separated by “;”, so a search finds them."),
    )
    position = models.CharField(_("position"), max_length=400, blank=True)
    institution = models.CharField(_("institution"), max_length=300, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("observer")
        verbose_name_plural = _("observers")
        ordering = ["full_name"]
        indexes = [models.Index(fields=["full_name"], name="observer_name_idx")]

    def __str__(self) -> str:
        return self.full_name


class Delegation(models.Model):
    """A member state's delegation, or a body such as the Secretariat, within a mission."""

    class Kind(models.TextChoices):
        MEMBER_STATE = "state", _("Member state delegation")
        BODY = "body", _("Body of the organisation")
        OTHER = "other", _("Other")

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="delegations",
        verbose_name=_("mission"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in the list of mission members.")
    )

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["mission", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "name"],
                name="delegation_unique_name_per_mission",
                violation_error_message=_("This mission already has a delegation of that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Participation(models.Model):
    """An observer's place in one mission: delegation, role and accreditation."""

    class Role(models.TextChoices):
        HEAD = "head", _("Head of mission")
        OBSERVER = "observer", _("Observer")
        EXPERT = "expert", _("Expert")
        ADMINISTRATIVE_AIDE = "aide", _("Administrative aide")

    class Accreditation(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCREDITED = "accredited", _("Accredited")
        REVOKED = "revoked", _("Revoked")

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name=_("mission"),
    )
    observer = models.ForeignKey(
        Observer,
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("observer"),
    )
    delegation = models.ForeignKey(
        Delegation,
        on_delete=models.RESTRICT,
        related_name="participations",
        verbose_name=_("delegation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OBSERVER)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order within the delegation.")
    )
    accreditation = models.CharField(
        _("accreditation"),
        max_length=20,
        choices=Accreditation.choices,
        default=Accreditation.REQUESTED,
    )
    accreditation_number = models.CharField(_("accreditation number"), max_length=50, blank=True)
    accredited_on = models.DateField(_("accreditation date"), null=True, blank=True)
    accredited_by = models.CharField(_("issuing body"), max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
        verbose_name=_("user account"),
    )

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["mission", "delegation__position", "position", "observer__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "observer"],
                name="participation_once_per_mission",
                violation_error_message=_("This observer is already on this mission."),
            ),
            models.UniqueConstraint(
                fields=["mission"],
                condition=Q(role="head"),
                name="participation_one_head_per_mission",
                violation_error_message=_("This mission already has a head."),
            ),
            models.UniqueConstraint(
                fields=["mission", "accreditation_number"],
                condition=~Q(accreditation_number=""),
                name="participation_unique_accreditation_number",
                violation_error_message=_("This accreditation number is already in use."),
            ),
            models.UniqueConstraint(
                fields=["mission", "user"],
                condition=Q(user__isnull=False),
                name="participation_one_per_user_and_mission",
                violation_error_message=_("This user account already belongs to an observer."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.observer} ({self.mission})"

    @property
    def is_accredited(self) -> bool:
        return self.accreditation == self.Accreditation.ACCREDITED

    def clean(self) -> None:
        if self.delegation_id and self.mission_id and self.delegation.mission_id != self.mission_id:
            raise ValidationError({"delegation": _("This delegation is not in this mission.")})


class Team(models.Model):
    """Observers who visit polling stations together, usually two."""

    mission = models.ForeignKey(
        "missions.Mission",
        on_delete=models.CASCADE,
        related_name="teams",
        verbose_name=_("mission"),
    )
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        Participation, related_name="teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["mission", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "name"],
                name="team_unique_name_per_mission",
                violation_error_message=_("This mission already has a team of that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name
