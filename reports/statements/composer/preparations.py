"""Sections 3–5 of a statement: what coordinators wrote, with the election's nationwide figures."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports.statements.composer.base import (
    Text,
)
from reports.statements.composer.wording import (
    figure,
    sentences_joined,
    spelled,
)
from reports.statements.document import Paragraph, Section


class PreparationsMixin:
    """Sections 3–5: authored, with the nationwide figures."""

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
