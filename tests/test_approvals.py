"""Assessing, approving and publishing a statement (reports.statements.approvals).

The findings come from real visits filed with reports.services; the statements are rows with a
small document of their own, so nothing here waits for the compile job.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from missions.models import MissionMembership
from reports.models import Statement, Visit
from reports.services import IncidentData, VisitData, visit_restore
from reports.statements.approvals import (
    StatementRefused,
    assessment_contradiction,
    statement_approve,
    statement_assessment_set,
    statement_publish,
)
from reports.statements.document import Document, Paragraph, Section
from reports.statements.findings import findings_compute
from reports.statements.jobs import statement_request
from tests.factories import MembershipFactory, UserFactory
from tests.visits_support import election_day, make_checklist, station_of

NO_VIOLATIONS = Statement.Assessment.NO_VIOLATIONS
MINOR = Statement.Assessment.MINOR_SHORTCOMINGS
SERIOUS = Statement.Assessment.SERIOUS_VIOLATIONS


# -- building blocks (also used by test_statement_pages) ---------------------------------------


def make_head(mission, username: str = "head-a"):
    user = UserFactory(username=username)
    MembershipFactory(mission=mission, user=user, role=MissionMembership.Role.HEAD)
    return user


def file_visit(mission, checklist, participation, *, number: str, incidents=(), **answers):
    """File a visit to station `number`: every answer clear unless given otherwise."""
    values = {
        "info_materials": "yes",
        "evacuation_plan": "yes",
        "box_sealed": "yes",
        "atmosphere": "calm",
    }
    values.update(answers)
    questions = {q.code: q for q in checklist.questions.all()}
    station = station_of(mission, number)
    # Reviewed: only reviewed visits count in the findings.
    return visit_restore(
        review=Visit.Review.REVIEWED,
        participation=participation,
        data=VisitData(
            station=station,
            checklist=checklist,
            arrived_at=election_day(mission, 10),
            departed_at=election_day(mission, 11),
            answers={questions[code].pk: value for code, value in values.items()},
            incidents=list(incidents),
        ),
    )


def incident(severity: str = "minor", *, complaint: bool = False) -> IncidentData:
    return IncidentData(
        category="procedure",
        severity=severity,
        description="The voter list was not signed.",
        complaint_filed=complaint,
    )


def troubled_mission(mission, participation):
    """Three stations with a tense atmosphere (serious) and two complaints on minor incidents."""
    checklist = make_checklist(mission)
    visits = [
        file_visit(mission, checklist, participation, number="1", atmosphere="tense"),
        file_visit(mission, checklist, participation, number="2", atmosphere="tense"),
        file_visit(
            mission,
            checklist,
            participation,
            number="3",
            atmosphere="tense",
            incidents=[incident(complaint=True)],
        ),
        file_visit(
            mission, checklist, participation, number="4", incidents=[incident(complaint=True)]
        ),
        file_visit(mission, checklist, participation, number="5"),
    ]
    return checklist, visits


def small_document(evidence: dict | None = None) -> dict:
    return Document(
        title="Final statement of the Observer Mission",
        language="en",
        kind_label="Final statement",
        sections=[
            Section(
                number=8,
                title="Monitoring",
                blocks=[
                    Paragraph.of("The observers visited five polling stations."),
                    Paragraph.of(
                        "At three polling stations the atmosphere was tense.",
                        evidence=evidence or {"visits": [], "answers": [], "incidents": []},
                        id="monitoring-1",
                    ),
                ],
            )
        ],
    ).as_dict()


def make_statement(mission, *, status=Statement.Status.READY, version=1, **fields) -> Statement:
    fields.setdefault("kind", Statement.Kind.FINAL)
    fields.setdefault("language", "en")
    fields.setdefault("dated_on", mission.ends_on)
    if status not in (Statement.Status.QUEUED, Statement.Status.COMPILING):
        fields.setdefault("content", small_document())
        fields.setdefault("compiled_at", timezone.now())
    return Statement.objects.create(mission=mission, status=status, version=version, **fields)


# -- fixtures ----------------------------------------------------------------------------------


@dataclass
class Approvers:
    mission: object
    head: object
    coordinator: object
    press_officer: object
    outsider: object
    participation: object


@pytest.fixture
def people(personas) -> Approvers:
    return Approvers(
        mission=personas.mission_a,
        head=make_head(personas.mission_a),
        coordinator=personas.coordinator,
        press_officer=personas.press_officer,
        outsider=personas.outsider,
        participation=personas.observer_participation,
    )


@pytest.fixture
def troubled(people):
    """Mission A with serious concerns and complaints on file."""
    troubled_mission(people.mission, people.participation)
    return people.mission


@pytest.fixture
def clean(people):
    """Mission A where every visited station was clear."""
    checklist = make_checklist(people.mission)
    for number in ("1", "2", "3"):
        file_visit(people.mission, checklist, people.participation, number=number)
    return people.mission


# -- contradiction rules -----------------------------------------------------------------------


def test_no_violations_contradicts_serious_concerns_and_complaints_and_names_them(troubled):
    message = assessment_contradiction(
        assessment=NO_VIOLATIONS, findings=findings_compute(mission=troubled)
    )

    assert message == (
        "The findings contradict “In line with the law; no violations recorded”: on file are "
        "3 polling stations with serious concerns and 2 complaints."
    )


def test_minor_shortcomings_and_serious_violations_stand_with_serious_concerns(troubled):
    findings = findings_compute(mission=troubled)

    assert assessment_contradiction(assessment=MINOR, findings=findings) is None
    assert assessment_contradiction(assessment=SERIOUS, findings=findings) is None


def test_no_assessment_is_contradicted_when_every_station_was_clear(clean):
    findings = findings_compute(mission=clean)

    for assessment in Statement.Assessment.values:
        assert assessment_contradiction(assessment=assessment, findings=findings) is None


def test_a_single_complaint_contradicts_no_violations(people):
    checklist = make_checklist(people.mission)
    file_visit(
        people.mission,
        checklist,
        people.participation,
        number="1",
        incidents=[incident("minor", complaint=True)],
    )
    findings = findings_compute(mission=people.mission)

    message = assessment_contradiction(assessment=NO_VIOLATIONS, findings=findings)
    assert message.endswith("on file are 1 complaint.")
    assert assessment_contradiction(assessment=MINOR, findings=findings) is None


def test_a_serious_incident_contradicts_no_violations_but_not_minor_shortcomings(people):
    checklist = make_checklist(people.mission)
    file_visit(
        people.mission, checklist, people.participation, number="1", incidents=[incident("serious")]
    )
    findings = findings_compute(mission=people.mission)

    assert assessment_contradiction(assessment=NO_VIOLATIONS, findings=findings).endswith(
        "on file are 1 serious incident."
    )
    assert assessment_contradiction(assessment=MINOR, findings=findings) is None


def test_a_critical_concern_or_incident_contradicts_minor_shortcomings(people):
    checklist = make_checklist(people.mission)
    file_visit(people.mission, checklist, people.participation, number="1", box_sealed="no")
    file_visit(
        people.mission,
        checklist,
        people.participation,
        number="2",
        incidents=[incident("critical"), incident("critical")],
    )
    findings = findings_compute(mission=people.mission)

    expected = "on file are 1 polling station with critical concerns and 2 critical incidents."
    assert assessment_contradiction(assessment=MINOR, findings=findings).endswith(expected)
    assert assessment_contradiction(assessment=NO_VIOLATIONS, findings=findings).endswith(expected)
    assert assessment_contradiction(assessment=SERIOUS, findings=findings) is None


def test_minor_concerns_contradict_nothing(people):
    checklist = make_checklist(people.mission)
    file_visit(people.mission, checklist, people.participation, number="1", info_materials="no")
    findings = findings_compute(mission=people.mission)

    assert findings.worst_severity == "minor"
    for assessment in Statement.Assessment.values:
        assert assessment_contradiction(assessment=assessment, findings=findings) is None


# -- choosing the assessment -------------------------------------------------------------------


def test_the_head_chooses_the_assessment(people):
    statement = make_statement(people.mission)

    statement_assessment_set(statement=statement, assessment=SERIOUS, user=people.head)

    statement.refresh_from_db()
    assert statement.assessment == SERIOUS


@pytest.mark.parametrize("who", ["coordinator", "press_officer", "outsider"])
def test_only_the_head_chooses_the_assessment(people, who):
    statement = make_statement(people.mission)

    with pytest.raises(StatementRefused, match="Only the head of mission chooses"):
        statement_assessment_set(statement=statement, assessment=SERIOUS, user=getattr(people, who))

    statement.refresh_from_db()
    assert statement.assessment == ""


def test_a_coordinator_records_an_override_reason_with_their_name(people):
    statement = make_statement(people.mission, assessment=NO_VIOLATIONS)

    statement_assessment_set(
        statement=statement,
        assessment=NO_VIOLATIONS,
        user=people.coordinator,
        override_reason="  The tense atmosphere was a quarrel between two voters.  ",
    )

    statement.refresh_from_db()
    assert statement.assessment == NO_VIOLATIONS
    assert statement.override_reason == "The tense atmosphere was a quarrel between two voters."
    assert statement.override_by == people.coordinator


def test_a_press_officer_cannot_record_an_override(people):
    statement = make_statement(people.mission, assessment=NO_VIOLATIONS)

    with pytest.raises(StatementRefused):
        statement_assessment_set(
            statement=statement,
            assessment=NO_VIOLATIONS,
            user=people.press_officer,
            override_reason="We like it.",
        )

    statement.refresh_from_db()
    assert statement.override_reason == ""


def test_changing_the_assessment_drops_the_reason_given_for_the_previous_one(people):
    statement = make_statement(
        people.mission,
        assessment=NO_VIOLATIONS,
        override_reason="A quarrel.",
        override_by=people.coordinator,
    )

    statement_assessment_set(statement=statement, assessment=MINOR, user=people.head)

    statement.refresh_from_db()
    assert (statement.assessment, statement.override_reason, statement.override_by) == (
        MINOR,
        "",
        None,
    )


@pytest.mark.parametrize(
    "status",
    [
        Statement.Status.QUEUED,
        Statement.Status.COMPILING,
        Statement.Status.FAILED,
        Statement.Status.APPROVED,
        Statement.Status.PUBLISHED,
    ],
)
def test_the_assessment_is_set_only_while_ready(people, status):
    statement = make_statement(people.mission, status=status, assessment=SERIOUS)

    with pytest.raises(StatementRefused, match="only while the statement is ready"):
        statement_assessment_set(statement=statement, assessment=MINOR, user=people.head)

    statement.refresh_from_db()
    assert statement.assessment == SERIOUS


def test_an_unknown_assessment_is_refused(people):
    statement = make_statement(people.mission)

    with pytest.raises(StatementRefused):
        statement_assessment_set(statement=statement, assessment="splendid", user=people.head)


# -- approving ---------------------------------------------------------------------------------


def test_approving_no_violations_with_serious_concerns_is_refused_with_the_counts(troubled):
    head = make_head(troubled, "head-x")
    statement = make_statement(troubled, assessment=NO_VIOLATIONS)

    with pytest.raises(StatementRefused) as refused:
        statement_approve(statement=statement, user=head)

    assert "3 polling stations with serious concerns and 2 complaints" in str(refused.value)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY
    assert statement.approved_by is None


def test_an_override_reason_lets_the_contradicted_assessment_be_approved(troubled, people):
    statement = make_statement(troubled, assessment=NO_VIOLATIONS)
    statement_assessment_set(
        statement=statement,
        assessment=NO_VIOLATIONS,
        user=people.coordinator,
        override_reason="The complaints were withdrawn the same evening.",
    )

    assert statement_approve(statement=statement, user=people.head) is True

    statement.refresh_from_db()
    assert statement.status == Statement.Status.APPROVED
    assert statement.approved_by == people.head
    assert statement.approved_at is not None
    assert statement.override_by == people.coordinator


def test_the_findings_are_checked_again_at_approval(people):
    """A visit filed after the assessment was chosen still stops the approval."""
    checklist = make_checklist(people.mission)
    statement = make_statement(people.mission, assessment=NO_VIOLATIONS)
    file_visit(people.mission, checklist, people.participation, number="9", box_sealed="no")

    with pytest.raises(StatementRefused, match="1 polling station with critical concerns"):
        statement_approve(statement=statement, user=people.head)


def test_a_consistent_assessment_is_approved_without_an_override(troubled, people):
    statement = make_statement(troubled, assessment=SERIOUS)

    assert statement_approve(statement=statement, user=people.head) is True
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.APPROVED


@pytest.mark.parametrize("who", ["coordinator", "press_officer", "outsider"])
def test_only_the_head_approves(people, who):
    statement = make_statement(people.mission, assessment=SERIOUS)

    with pytest.raises(StatementRefused, match="Only the head of mission can approve"):
        statement_approve(statement=statement, user=getattr(people, who))

    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.READY


def test_a_superuser_may_approve(people):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    statement = make_statement(people.mission, assessment=SERIOUS)

    assert statement_approve(statement=statement, user=admin) is True


def test_the_head_of_another_mission_cannot_approve(people, personas):
    other_head = make_head(personas.mission_b, "head-b")
    statement = make_statement(people.mission, assessment=SERIOUS)

    with pytest.raises(StatementRefused):
        statement_approve(statement=statement, user=other_head)


def test_a_statement_without_an_assessment_is_not_approved(people):
    statement = make_statement(people.mission)

    with pytest.raises(StatementRefused, match="Choose the overall assessment"):
        statement_approve(statement=statement, user=people.head)


@pytest.mark.parametrize(
    "status", [Statement.Status.QUEUED, Statement.Status.COMPILING, Statement.Status.FAILED]
)
def test_only_a_ready_statement_is_approved(people, status):
    statement = make_statement(people.mission, status=status, assessment=SERIOUS)

    with pytest.raises(StatementRefused, match="Only a statement that is ready"):
        statement_approve(statement=statement, user=people.head)


def test_a_double_click_approves_once(people):
    statement = make_statement(people.mission, assessment=SERIOUS)
    # Two requests that loaded the statement while it was ready.
    first, second = Statement.objects.get(pk=statement.pk), Statement.objects.get(pk=statement.pk)
    other_head = make_head(people.mission, "deputy-head")

    assert statement_approve(statement=first, user=people.head) is True
    approved_at = Statement.objects.get(pk=statement.pk).approved_at
    assert statement_approve(statement=second, user=other_head) is False
    assert statement_approve(statement=first, user=other_head) is False

    statement.refresh_from_db()
    assert statement.status == Statement.Status.APPROVED
    assert statement.approved_by == people.head
    assert statement.approved_at == approved_at


def test_a_change_of_assessment_after_loading_stops_the_approval(troubled, people):
    """The head approves what they saw: an assessment changed meanwhile is not approved."""
    statement = make_statement(troubled, assessment=SERIOUS)
    stale = Statement.objects.get(pk=statement.pk)
    statement_assessment_set(statement=statement, assessment=MINOR, user=people.head)
    Statement.objects.filter(pk=statement.pk).update(assessment=NO_VIOLATIONS)

    with pytest.raises(StatementRefused, match="changed meanwhile"):
        statement_approve(statement=stale, user=people.head)

    # The new assessment sent the version back to be compiled with its conclusions.
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.QUEUED


# -- an approved statement is immutable --------------------------------------------------------


def test_an_approved_statement_keeps_its_assessment_and_content(people):
    statement = make_statement(people.mission, assessment=SERIOUS)
    stale = Statement.objects.get(pk=statement.pk)
    statement_approve(statement=statement, user=people.head)
    content = Statement.objects.get(pk=statement.pk).content

    # Through a fresh copy and through one loaded before the approval.
    for copy in (Statement.objects.get(pk=statement.pk), stale):
        with pytest.raises(StatementRefused):
            statement_assessment_set(
                statement=copy,
                assessment=NO_VIOLATIONS,
                user=people.head,
                override_reason="Changed my mind.",
            )

    statement.refresh_from_db()
    assert statement.assessment == SERIOUS
    assert statement.override_reason == ""
    assert statement.content == content
    assert statement.status == Statement.Status.APPROVED


# -- publishing --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "head"])
def test_a_coordinator_or_the_head_publishes_an_approved_statement(people, who):
    statement = make_statement(people.mission, status=Statement.Status.APPROVED)

    assert statement_publish(statement=statement, user=getattr(people, who)) is True

    statement.refresh_from_db()
    assert statement.status == Statement.Status.PUBLISHED
    assert statement.published_at is not None
    assert statement.embargo_until is None
    assert statement.is_released


@pytest.mark.parametrize("who", ["press_officer", "outsider"])
def test_others_cannot_publish(people, who):
    statement = make_statement(people.mission, status=Statement.Status.APPROVED)

    with pytest.raises(StatementRefused):
        statement_publish(statement=statement, user=getattr(people, who))

    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.APPROVED


def test_publishing_under_embargo_keeps_the_statement_unreleased_until_then(people):
    statement = make_statement(people.mission, status=Statement.Status.APPROVED)
    embargo = timezone.now() + datetime.timedelta(hours=3)

    statement_publish(statement=statement, user=people.coordinator, embargo_until=embargo)

    statement.refresh_from_db()
    assert statement.status == Statement.Status.PUBLISHED
    assert statement.embargo_until == embargo
    assert not statement.is_released


def test_an_embargo_in_the_past_is_refused(people):
    statement = make_statement(people.mission, status=Statement.Status.APPROVED)

    with pytest.raises(StatementRefused, match="embargo must end in the future"):
        statement_publish(
            statement=statement,
            user=people.coordinator,
            embargo_until=timezone.now() - datetime.timedelta(minutes=1),
        )

    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.APPROVED


@pytest.mark.parametrize("status", [Statement.Status.READY, Statement.Status.FAILED])
def test_only_an_approved_statement_is_published(people, status):
    statement = make_statement(people.mission, status=status, assessment=SERIOUS)

    with pytest.raises(StatementRefused, match="Only an approved statement"):
        statement_publish(statement=statement, user=people.head)


def test_publishing_twice_keeps_the_first_publication(people):
    statement = make_statement(people.mission, status=Statement.Status.APPROVED)
    stale = Statement.objects.get(pk=statement.pk)
    statement_publish(statement=statement, user=people.coordinator)
    published_at = Statement.objects.get(pk=statement.pk).published_at

    later = timezone.now() + datetime.timedelta(days=1)
    assert statement_publish(statement=stale, user=people.head, embargo_until=later) is False

    statement.refresh_from_db()
    assert statement.published_at == published_at
    assert statement.embargo_until is None


# -- the assessment shapes the conclusions -----------------------------------------------------


def test_choosing_the_assessment_compiles_the_version_again_with_it(
    people, django_capture_on_commit_callbacks
):
    statement = make_statement(people.mission)

    with django_capture_on_commit_callbacks() as callbacks:
        statement_assessment_set(statement=statement, assessment=SERIOUS, user=people.head)

    assert len(callbacks) == 1
    stored = Statement.objects.get(pk=statement.pk)
    assert (stored.status, stored.assessment) == (Statement.Status.QUEUED, SERIOUS)


def test_an_override_reason_alone_does_not_compile_again(
    people, django_capture_on_commit_callbacks
):
    statement = make_statement(people.mission, assessment=SERIOUS)

    with django_capture_on_commit_callbacks() as callbacks:
        statement_assessment_set(
            statement=statement,
            assessment=SERIOUS,
            user=people.coordinator,
            override_reason="Recorded for the file.",
        )

    assert callbacks == []
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.READY


def test_a_new_version_keeps_the_heads_assessment(people, django_capture_on_commit_callbacks):
    make_statement(people.mission, assessment=MINOR)

    with django_capture_on_commit_callbacks():
        again = statement_request(
            mission=people.mission, kind="final", language="en", requested_by=people.head
        )

    assert (again.version, again.assessment) == (2, MINOR)
