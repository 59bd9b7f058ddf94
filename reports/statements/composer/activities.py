"""Section 2 of a statement: the mission's activities, with the pre-election visits behind them."""

from django.utils.translation import gettext as _

from reports.statements.composer.base import (
    Text,
)
from reports.statements.composer.wording import (
    day,
    day_and_month,
    full_stop,
    station_numbers,
    without_full_stop,
)
from reports.statements.document import Paragraph, Section
from reports.statements.findings import Evidence


class ActivitiesMixin:
    """Section 2: what the mission did, day by day."""

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
