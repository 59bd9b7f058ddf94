"""Section 1 of a statement: the mission's members, by delegation."""

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from observers.models import Delegation, Participation
from reports.statements.composer.wording import (
    figure,
    full_stop,
    listing,
    person_phrase,
)
from reports.statements.document import Paragraph, Section


class MembersMixin:
    """Section 1: who the mission was."""

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
        return person_phrase(position, member.observer.full_name)

    @staticmethod
    def _semicolons(phrases: Sequence[str]) -> str:
        if len(phrases) == 1:
            return phrases[0]
        return _("%(items)s; and %(last)s") % {
            "items": pgettext("between members of a list", "; ").join(phrases[:-1]),
            "last": phrases[-1],
        }
