"""The head of mission's assessment, approval and publication of a compiled statement.

A statement compiles to READY; the head of mission then picks the overall assessment and
approves it, and a coordinator or the head publishes it, at once or under embargo. The
assessment is checked against the findings as they stand at approval: "no violations" cannot
be approved while serious concerns are on file, unless a coordinator has recorded why it
stands anyway. So are the sections coordinators wrote: a sentence saying "no complaints",
"no violations", "all polling stations" or "transparent" beside findings that say otherwise is
quoted as a warning, and approval with warnings needs the same recorded reason.

From approval on a statement is what the mission said: no service here changes its content,
documents or assessment. Each write is a conditional UPDATE on the status it starts from, so a
double click or two people acting at once change a statement at most once.
"""

import datetime
import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from modeltranslation.utils import build_localized_fieldname

from audit.services import audit_event
from missions.permissions import ASSESS, MANAGE, may
from reports.models import Severity, Statement, StatementText
from reports.statements import press_cache
from reports.statements.findings import Findings, findings_for_statement
from reports.statements.jobs import statement_enqueue


class StatementRefused(Exception):
    """The user may not do this to the statement, or not now; the message says why."""


def _concern_counts(findings: Findings, severity: str) -> list[str]:
    """Describe what is on file at one severity: stations with concerns, incidents."""
    parts = []
    stations = findings.stations_with_concern_by_severity.get(severity, 0)
    incidents = sum(i.incidents for i in findings.incidents if i.severity == severity)
    if severity == Severity.CRITICAL:
        if stations:
            parts.append(
                ngettext(
                    "%(count)d polling station with critical concerns",
                    "%(count)d polling stations with critical concerns",
                    stations,
                )
                % {"count": stations}
            )
        if incidents:
            parts.append(
                ngettext("%(count)d critical incident", "%(count)d critical incidents", incidents)
                % {"count": incidents}
            )
    else:
        if stations:
            parts.append(
                ngettext(
                    "%(count)d polling station with serious concerns",
                    "%(count)d polling stations with serious concerns",
                    stations,
                )
                % {"count": stations}
            )
        if incidents:
            parts.append(
                ngettext("%(count)d serious incident", "%(count)d serious incidents", incidents)
                % {"count": incidents}
            )
    return parts


def assessment_contradiction(*, assessment: str, findings: Findings) -> str | None:
    """Return why the findings contradict the assessment, naming what is on file, or None.

    "No violations" is contradicted by any serious or critical concern or incident and by any
    complaint; "minor shortcomings" by a critical concern or incident; "serious violations"
    by nothing.
    """
    if assessment == Statement.Assessment.NO_VIOLATIONS:
        parts = _concern_counts(findings, Severity.CRITICAL) + _concern_counts(
            findings, Severity.SERIOUS
        )
        if findings.complaints:
            parts.append(
                ngettext("%(count)d complaint", "%(count)d complaints", findings.complaints)
                % {"count": findings.complaints}
            )
    elif assessment == Statement.Assessment.MINOR_SHORTCOMINGS:
        parts = _concern_counts(findings, Severity.CRITICAL)
    else:
        return None
    if not parts:
        return None
    return _("The findings contradict “%(assessment)s”: on file are %(evidence)s.") % {
        "assessment": Statement.Assessment(assessment).label,
        "evidence": get_text_list(parts, _("and")),
    }


# What an authored sentence may claim that the findings can contradict, per language: the
# words to look for (lower case), and which finding contradicts them.
CLAIMS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "en": [
        ("grave", ("no violation", "without violation", "no irregularit")),
        ("complaints", ("no complaint", "not receive any", "no remarks")),
        ("concerns", ("all polling stations", "every polling station")),
        ("grave", ("transparent",)),
    ],
    "ru": [
        (
            "grave",
            ("нарушений не", "без нарушений", "не выявлено нарушений", "не выявила нарушений"),
        ),
        ("complaints", ("жалоб не", "без жалоб", "не поступало жалоб", "не поступило жалоб")),
        ("concerns", ("на всех избирательных участках", "на всех участках", "все участки")),
        ("grave", ("прозрачн",)),
    ],
    "zh": [
        ("grave", ("没有违规", "未发现违规", "无违规", "没有违反", "未发现违反")),
        ("complaints", ("没有投诉", "未收到投诉", "无投诉", "没有收到投诉")),
        ("concerns", ("所有投票站", "各投票站均", "每个投票站")),
        ("grave", ("透明",)),
    ],
}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
_MARKUP = re.compile(r"[*_#>`]+")


def _on_file(findings: Findings, claim: str) -> str | None:
    """What is on file against a claim of this kind, or None if nothing is."""
    if claim == "grave" and findings.grave_stations:
        return ngettext(
            "%(count)d polling station with serious or critical concerns or incidents",
            "%(count)d polling stations with serious or critical concerns or incidents",
            findings.grave_stations,
        ) % {"count": findings.grave_stations}
    if claim == "complaints" and findings.complaints:
        return ngettext("%(count)d complaint", "%(count)d complaints", findings.complaints) % {
            "count": findings.complaints
        }
    if claim == "concerns":
        stations = findings.grave_stations or findings.minor_stations
        if stations:
            return _("polling stations with concerns on file")
    return None


def authored_warnings(*, statement: Statement, findings: Findings) -> list[str]:
    """Sentences of the mission's authored sections (in the statement's language) that state
    the opposite of the findings, each quoted with what is on file against it."""
    language = statement.language
    claims = CLAIMS.get(language) or CLAIMS.get(language.split("-")[0]) or CLAIMS["en"]
    warnings = []
    body = build_localized_fieldname("body", language)
    for text in StatementText.objects.filter(mission=statement.mission).order_by("section"):
        # The section as written in this language, without falling back on another.
        for sentence in _SENTENCE_END.split(_MARKUP.sub("", getattr(text, body) or "")):
            sentence = " ".join(sentence.split())
            lowered = sentence.lower()
            for claim, words in claims:
                if not any(word in lowered for word in words):
                    continue
                evidence = _on_file(findings, claim)
                if evidence:
                    warnings.append(
                        _("“%(sentence)s” (%(section)s) — on file: %(evidence)s.")
                        % {
                            "sentence": sentence,
                            "section": text.get_section_display(),
                            "evidence": evidence,
                        }
                    )
                    break
    return warnings


def statement_assessment_set(
    *,
    statement: Statement,
    assessment: str,
    user: AbstractBaseUser,
    override_reason: str = "",
) -> None:
    """Record the overall assessment of a READY statement, and optionally an override reason.

    Only the head of mission chooses the assessment. A coordinator (or the head) may record a
    reason for keeping an assessment the findings contradict; it is stored with who recorded
    it, and approval then lets that assessment stand. Changing the assessment drops a reason
    given for the previous one. Raise StatementRefused otherwise.
    """
    if assessment not in Statement.Assessment.values:
        raise StatementRefused(_("Choose one of the assessments."))
    override_reason = override_reason.strip()
    changes_assessment = assessment != statement.assessment
    if changes_assessment and not may(user, ASSESS, statement.mission):
        raise StatementRefused(_("Only the head of mission chooses the overall assessment."))
    if override_reason and not may(user, MANAGE, statement.mission):
        raise StatementRefused(
            _("Only the mission's coordinators can record a reason for an override.")
        )
    if statement.status != Statement.Status.READY:
        raise StatementRefused(_("The assessment can be set only while the statement is ready."))

    fields: dict = {"assessment": assessment}
    if changes_assessment:
        # The conclusions are written from the assessment: the version is compiled again
        # before it can be approved.
        fields.update(status=Statement.Status.QUEUED, lease_until=None, progress="")
    if override_reason:
        fields.update(override_reason=override_reason, override_by=user)
    elif changes_assessment:
        # The reason was given for the assessment being replaced, not for this one.
        fields.update(override_reason="", override_by=None)
    # Conditional on READY: an approval that committed meanwhile wins, and the approved
    # assessment is never changed after the fact.
    with transaction.atomic():
        changed = Statement.objects.filter(pk=statement.pk, status=Statement.Status.READY).update(
            **fields
        )
        if not changed:
            raise StatementRefused(
                _("The assessment can be set only while the statement is ready.")
            )
        audit_event(
            instance=statement,
            changes={
                name: [getattr(statement, name), value]
                for name, value in fields.items()
                if name in ("assessment", "status", "override_reason", "override_by")
            },
            actor=user,
            note="assessment",
        )
        if changes_assessment:
            statement_enqueue(statement.pk)
    for name, value in fields.items():
        setattr(statement, name, value)


def statement_approve(*, statement: Statement, user: AbstractBaseUser) -> bool:
    """Approve a READY statement as the head of mission; return whether this call approved it.

    The assessment is checked against the findings computed now. A statement approved
    already (a double click, a second tab) is left as it is and False is returned. Raise
    StatementRefused if the user is not the head of mission, if the statement is not ready or
    has no assessment, or if the findings contradict the assessment and no override reason is
    recorded.
    """
    if not may(user, ASSESS, statement.mission):
        raise StatementRefused(_("Only the head of mission can approve a statement."))
    if statement.status in (Statement.Status.APPROVED, Statement.Status.PUBLISHED):
        return False
    if statement.status != Statement.Status.READY:
        raise StatementRefused(_("Only a statement that is ready can be approved."))
    if not statement.assessment:
        raise StatementRefused(_("Choose the overall assessment before approving."))
    findings = findings_for_statement(statement=statement)
    contradiction = assessment_contradiction(assessment=statement.assessment, findings=findings)
    if contradiction and not statement.override_reason:
        raise StatementRefused(
            _(
                "%(contradiction)s Choose another assessment, or have a coordinator record "
                "why this one stands."
            )
            % {"contradiction": contradiction}
        )
    warnings = authored_warnings(statement=statement, findings=findings)
    if warnings and not statement.override_reason:
        raise StatementRefused(
            _(
                "Written sections state the opposite of the findings: %(warnings)s Correct "
                "them, or have a coordinator record why the statement stands as written."
            )
            % {"warnings": " ".join(warnings)}
        )

    now = timezone.now()
    # The status and the assessment that were checked must still hold: a concurrent
    # approval, or a change of assessment, makes this update touch nothing.
    changed = Statement.objects.filter(
        pk=statement.pk,
        status=Statement.Status.READY,
        assessment=statement.assessment,
        override_reason=statement.override_reason,
    ).update(status=Statement.Status.APPROVED, approved_by=user, approved_at=now)
    if changed:
        audit_event(
            instance=statement,
            changes={
                "status": [statement.status, Statement.Status.APPROVED],
                "approved_by": ["", user],
                "approved_at": ["", now.isoformat()],
                "assessment": [statement.assessment, statement.assessment],
            },
            actor=user,
            note="approval",
        )
    statement.refresh_from_db(
        fields=["status", "assessment", "override_reason", "approved_by", "approved_at"]
    )
    if changed:
        return True
    if statement.status in (Statement.Status.APPROVED, Statement.Status.PUBLISHED):
        return False
    raise StatementRefused(_("The statement changed meanwhile; look at it again and approve."))


def statement_publish(
    *,
    statement: Statement,
    user: AbstractBaseUser,
    embargo_until: datetime.datetime | None = None,
) -> bool:
    """Publish an APPROVED statement, optionally under an embargo; return whether this call did.

    The mission's coordinators and head may publish. An embargo must end in the future; until
    it ends only the mission's press officers see the statement. A statement published already
    is left as it is and False is returned. Raise StatementRefused otherwise.
    """
    if not may(user, MANAGE, statement.mission):
        raise StatementRefused(_("Only the mission's coordinators can publish a statement."))
    if statement.status == Statement.Status.PUBLISHED:
        return False
    if statement.status != Statement.Status.APPROVED:
        raise StatementRefused(_("Only an approved statement can be published."))
    now = timezone.now()
    if embargo_until is not None and embargo_until <= now:
        raise StatementRefused(_("An embargo must end in the future."))
    changed = Statement.objects.filter(pk=statement.pk, status=Statement.Status.APPROVED).update(
        status=Statement.Status.PUBLISHED, published_at=now, embargo_until=embargo_until
    )
    if changed:
        audit_event(
            instance=statement,
            changes={
                "status": [Statement.Status.APPROVED, Statement.Status.PUBLISHED],
                "published_at": ["", now.isoformat()],
                "embargo_until": ["", embargo_until.isoformat() if embargo_until else ""],
            },
            actor=user,
            note="publishing",
        )
        # An update() sends no signal: the public's press list is forgotten here.
        press_cache.invalidate()
    statement.refresh_from_db(fields=["status", "published_at", "embargo_until"])
    return bool(changed)
