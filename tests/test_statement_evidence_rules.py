"""Which evidence a statement counts, what it may claim, and what the approver is warned of."""

import ast
import datetime
import re
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from missions.demo import DEMO_SLUG
from missions.models import Mission
from reports.models import HeadAssessment, Statement, StatementEvidence, StatementText, Visit
from reports.services import VisitData, visit_mark_reviewed, visit_send_back, visit_update
from reports.statements import composer as composer_module
from reports.statements.approvals import StatementRefused, authored_warnings, statement_approve
from reports.statements.composer import statement_compose
from reports.statements.findings import findings_compute
from reports.statements.jobs import statement_compile, statement_request
from tests.conftest import make_coordinator
from tests.factories import UserFactory
from tests.statement_facts import normalised
from tests.test_approvals import file_visit, incident
from tests.test_statement_pages import visible_text
from tests.visits_support import make_checklist


@pytest.fixture(autouse=True)
def fresh_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def mission(personas):
    return personas.mission_a


def compose(mission, kind="final", assessment="serious", **options):
    return normalised(
        statement_compose(
            mission=mission,
            kind=kind,
            language="en",
            findings=findings_compute(mission=mission, **options),
            dated_on=mission.ends_on,
            assessment=assessment,
        ).plain_text()
    )


def test_a_station_with_a_serious_and_a_critical_concern_is_one_station_in_every_kind(
    personas, mission
):
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    first = file_visit(
        mission, checklist, participation, number="1", box_sealed="no", atmosphere="tense"
    )
    again = file_visit(mission, checklist, participation, number="9", box_sealed="no")
    Visit.objects.filter(pk=again.pk).update(station=first.station)
    file_visit(mission, checklist, participation, number="2")

    findings = findings_compute(mission=mission)

    assert findings.grave_stations == 1
    assert findings.stations_with_concern_by_severity == {"minor": 0, "serious": 1, "critical": 1}
    for kind in ("final", "preliminary", "briefing"):
        text = compose(mission, kind)
        assert "serious violations at 1 polling station during" in text, kind


def test_sent_back_and_unreviewed_visits_never_count_unless_the_mission_allows_it(
    personas, mission
):
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    file_visit(mission, checklist, participation, number="1")
    waiting = file_visit(mission, checklist, participation, number="2", box_sealed="no")
    doubled = file_visit(mission, checklist, participation, number="3", box_sealed="no")
    Visit.objects.filter(pk=waiting.pk).update(review=Visit.Review.SUBMITTED)
    Visit.objects.filter(pk=doubled.pk).update(review=Visit.Review.RETURNED)

    strict = findings_compute(mission=mission)
    lenient = findings_compute(mission=mission, include_awaiting_review=True)

    assert (strict.stations, strict.grave_stations) == (1, 0)
    assert (strict.visits_awaiting_review, strict.visits_sent_back) == (1, 1)
    assert (lenient.stations, lenient.grave_stations) == (2, 1)
    assert lenient.visits_unreviewed_included == 1
    text = compose(mission, "preliminary", include_awaiting_review=True)
    assert "also counts 1 observation report that the Mission's coordinators had not" in text
    assert "not yet reviewed" not in compose(mission, "preliminary")


def test_a_preliminary_statement_counts_visits_awaiting_review_only_if_the_mission_says_so(
    personas, mission
):
    checklist = make_checklist(mission)
    waiting = file_visit(mission, checklist, personas.observer_participation, number="2")
    Visit.objects.filter(pk=waiting.pk).update(review=Visit.Review.SUBMITTED)
    for allowed, counted in ((False, []), (True, [waiting.pk])):
        Mission.objects.filter(pk=mission.pk).update(preliminary_includes_unreviewed=allowed)
        for kind in ("preliminary", "final"):
            statement = statement_request(
                mission=Mission.objects.get(pk=mission.pk), kind=kind, requested_by=None
            )
            statement_compile(statement_id=statement.pk)
            statement.refresh_from_db()
            assert statement.visit_ids == (counted if kind == "preliminary" else []), kind
            assert statement.awaiting_review_left_out == (
                0 if allowed and kind == "preliminary" else 1
            )


def test_the_pages_show_what_is_left_out_and_each_visits_review_state(personas, mission):
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    counted = file_visit(mission, checklist, participation, number="1", box_sealed="no")
    waiting = file_visit(mission, checklist, participation, number="2")
    Visit.objects.filter(pk=waiting.pk).update(review=Visit.Review.SUBMITTED)
    client = Client()
    client.force_login(personas.coordinator)
    listing = client.get(reverse("statements:list", args=[mission.slug])).content.decode()
    assert "1 visit awaits review and is left out." in listing
    assert f"mission__id__exact={mission.pk}&amp;review__exact=submitted" in listing

    statement = statement_request(mission=mission, kind="final", requested_by=None)
    statement_compile(statement_id=statement.pk)
    statement.refresh_from_db()
    assert statement.visit_ids == [counted.pk]
    page = client.get(reverse("statements:detail", args=[mission.slug, statement.pk]))
    assert "1 visit awaits review and is left out." in page.content.decode()

    paragraph = next(p for p in statement_paragraphs(statement) if "box" in p.text and p.evidence)
    # The coordinator reopens the visit after the version was compiled: the version still
    # shows it as its evidence, with its review state today and the change.
    Visit.objects.filter(pk=counted.pk).update(
        updated_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    visit_send_back(visit=counted, reviewer=personas.coordinator, comment="Check the seal.")
    evidence = client.get(
        reverse("statements:evidence", args=[mission.slug, statement.pk, paragraph.id])
    ).content.decode()
    assert "Sent back for correction" in evidence
    assert "changed after this version was compiled" in evidence
    statement.refresh_from_db()
    assert statement.visit_ids == [counted.pk]


def evidence_page(client, statement, paragraph) -> str:
    return visible_text(
        client.get(
            reverse(
                "statements:evidence", args=[statement.mission.slug, statement.pk, paragraph.id]
            )
        )
    )


def citing(statement, answer_ids):
    """The first paragraph of the version whose evidence cites one of these answers."""
    return next(
        p
        for p in statement_paragraphs(statement)
        if p.evidence and set(p.evidence.get("answers", [])) & set(answer_ids)
    )


def send_back_and_correct(personas, visit, *, problems):
    """The coordinator sends the visit back; its observer corrects the problems seen through
    the correction form's service, every other answer clear."""
    visit_send_back(visit=visit, reviewer=personas.coordinator, comment="Which problems?")
    questions = {q.code: q for q in visit.checklist.questions.all()}
    answers = {
        "info_materials": "yes",
        "evacuation_plan": "yes",
        "box_sealed": "yes",
        "atmosphere": "calm",
        "problems": problems,
    }
    visit_update(
        visit=visit,
        participation=personas.observer_participation,
        data=VisitData(
            station=visit.station,
            checklist=visit.checklist,
            arrived_at=visit.arrived_at,
            departed_at=visit.departed_at,
            answers={questions[code].pk: value for code, value in answers.items()},
        ),
        user=personas.observer,
    )


def test_a_version_shows_the_evidence_it_used_after_the_visit_is_corrected(personas, mission):
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    visit = file_visit(mission, checklist, participation, number="1", problems=["secrecy"])
    first = statement_request(mission=mission, kind="final", requested_by=None)
    statement_compile(statement_id=first.pk)
    first.refresh_from_db()
    first_answer = visit.answers.get(question__code="problems").pk
    first_paragraph = citing(first, [first_answer])

    # Sent back, corrected by its observer through the correction form's service, reviewed
    # again: the answer is now another one, with another value.
    send_back_and_correct(personas, visit, problems=["queue", "secrecy"])
    visit_mark_reviewed(visit=visit, reviewer=personas.coordinator)
    second = statement_request(mission=mission, kind="final", requested_by=None)
    statement_compile(statement_id=second.pk)
    second.refresh_from_db()
    second_answer = visit.answers.get(question__code="problems").pk
    assert second_answer != first_answer
    client = Client()
    client.force_login(personas.coordinator)

    old = evidence_page(client, first, first_paragraph)
    assert "Problems seen — Secrecy" in old
    assert "Long queue" not in old
    # What the version saw, and what has happened since.
    assert "Reviewed" in old
    assert "changed after this version was compiled" in old
    new = evidence_page(client, second, citing(second, [second_answer]))
    assert "Problems seen — Long queue, Secrecy" in new
    assert "changed after this version was compiled" not in new
    kept = StatementEvidence.objects.get(statement=first, visit_ref=visit.pk)
    assert [a["value"] for a in kept.answers] == [["secrecy"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_correction_made_while_the_statement_is_composed_stays_out_of_its_evidence(
    personas, mission, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the snapshot is PostgreSQL's REPEATABLE READ")
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    visit = file_visit(mission, checklist, participation, number="1", problems=["secrecy"])
    compose = composer_module.statement_compose

    def compose_while_the_visit_is_corrected(**options):
        # Between the findings and the evidence record, the visit is sent back and corrected
        # from another connection, as a coordinator and an observer would.
        def correct():
            try:
                send_back_and_correct(personas, visit, problems=["queue"])
            finally:
                connections.close_all()

        corrector = threading.Thread(target=correct)
        corrector.start()
        corrector.join()
        return compose(**options)

    monkeypatch.setattr(composer_module, "statement_compose", compose_while_the_visit_is_corrected)
    statement = statement_request(mission=mission, kind="final", requested_by=None)

    statement_compile(statement_id=statement.pk)

    visit.refresh_from_db()
    assert visit.review == Visit.Review.SUBMITTED  # corrected meanwhile, and waiting for review
    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY
    assert statement.visit_ids == [visit.pk]
    kept = StatementEvidence.objects.get(statement=statement, visit_ref=visit.pk)
    # What the findings counted, as they counted it.
    assert kept.review == Visit.Review.REVIEWED
    problems = [a["value"] for a in kept.answers if a["value"] in (["secrecy"], ["queue"])]
    assert problems == [["secrecy"]]


def test_a_version_keeps_its_evidence_after_the_visit_is_sent_back(personas, mission):
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    visit = file_visit(mission, checklist, participation, number="1", box_sealed="no")
    statement = statement_request(mission=mission, kind="final", requested_by=None)
    statement_compile(statement_id=statement.pk)
    statement.refresh_from_db()
    paragraph = citing(statement, [visit.answers.get(question__code="box_sealed").pk])
    visit_send_back(visit=visit, reviewer=personas.coordinator, comment="Check the seal.")
    client = Client()
    client.force_login(personas.coordinator)

    page = evidence_page(client, statement, paragraph)

    assert "Was the ballot box sealed? — No" in page
    assert "Reviewed" in page
    assert "now: Sent back for correction" in page


def statement_paragraphs(statement):
    from reports.statements.document import Document

    return list(Document.from_dict(statement.content).paragraphs())


# -- no generated claim without evidence ------------------------------------------------------

# Every template of the composer that claims an absence, and the finding whose zero it needs.
ABSENCE_TEMPLATES = {
    "They noted no violations of national legislation, and no complaints were recorded at the "
    "polling stations visited.": ("grave_stations", "complaints"),
    "They noted no violations of national legislation.": ("grave_stations",),
    "The observers reported no incidents.": ("incidents",),
    "No complaints were filed with the observers at the polling stations visited.": ("complaints",),
}
ABSENCE = re.compile(r"\bno (violations|complaints|incidents)\b|\bnot yet\b", re.IGNORECASE)


def composer_templates() -> list[str]:
    """Every literal message the composer can write (gettext, ngettext, pgettext)."""
    found = []
    package = Path(composer_module.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 5  # the composer, by section
    nodes = [node for module in modules for node in ast.walk(ast.parse(module.read_text()))]
    for node in nodes:
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
            "_",
            "ngettext",
            "pgettext",
        ):
            for argument in node.args:
                if isinstance(argument, ast.Constant | ast.JoinedStr):
                    found.append(getattr(argument, "value", None))
    return [t for t in found if isinstance(t, str)]


def test_every_absence_template_of_the_composer_is_known_and_conditioned_on_a_zero():
    absences = [t for t in composer_templates() if ABSENCE.search(t)]
    known = set(ABSENCE_TEMPLATES) | {
        # Not a claim about the election: says the head has not spoken yet.
        "The head of mission has not yet given the Mission's overall assessment.",
        # A count, not an absence: said only when visits awaiting review were counted.
        "This preliminary statement also counts %(count)s observation report that the "
        "Mission's coordinators had not yet reviewed.",
        "This preliminary statement also counts %(count)s observation reports that the "
        "Mission's coordinators had not yet reviewed.",
    }
    assert set(absences) <= known, set(absences) - known
    # And the map names templates the composer really has.
    assert set(ABSENCE_TEMPLATES) <= set(absences)


@pytest.mark.parametrize(
    "grave, complaint, incidents",
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_absence_sentences_appear_only_from_a_zero_and_carry_their_evidence(
    personas, mission, grave, complaint, incidents
):
    checklist = make_checklist(mission)
    participation = personas.observer_participation
    file_visit(mission, checklist, participation, number="1", box_sealed="no" if grave else "yes")
    file_visit(
        mission,
        checklist,
        participation,
        number="2",
        incidents=[incident("minor", complaint=complaint)] if incidents else [],
    )
    findings = findings_compute(mission=mission)
    for kind in ("final", "preliminary", "briefing"):
        document = statement_compose(
            mission=mission,
            kind=kind,
            language="en",
            findings=findings,
            dated_on=mission.ends_on,
            assessment="no_violations",
        )
        for paragraph in document.paragraphs():
            for template, zeros in ABSENCE_TEMPLATES.items():
                if template not in paragraph.text:
                    continue
                for name in zeros:
                    assert not getattr(findings, name), (kind, template)
                assert paragraph.evidence and paragraph.evidence["visits"], template
        text = document.plain_text()
        assert ("noted no violations" in text) == (not grave), kind
        if complaint:
            assert "no complaints" not in text.lower()


# -- approval warnings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, body, quoted",
    [
        ("en", "Voting was calm. No complaints were received.", "No complaints were received."),
        ("ru", "Голосование прошло спокойно. Жалоб не поступало.", "Жалоб не поступало."),
        ("zh-hans", "投票平静。没有投诉。", "没有投诉。"),
    ],
)
def test_an_authored_sentence_against_the_findings_is_quoted_and_blocks_approval(
    personas, mission, language, body, quoted
):
    checklist = make_checklist(mission)
    file_visit(
        mission,
        checklist,
        personas.observer_participation,
        number="1",
        incidents=[incident("minor", complaint=True)],
    )
    StatementText.objects.create(
        mission=mission, section="conclusions", **{f"body_{language.replace('-', '_')}": body}
    )
    statement = Statement.objects.create(
        mission=mission,
        kind="final",
        language=language,
        version=1,
        dated_on=mission.ends_on,
        status=Statement.Status.READY,
        assessment="minor",
        content={"title": "x"},
        compiled_at=timezone.now(),
    )
    head = UserFactory(username="head-a")
    from missions.models import MissionMembership

    MissionMembership.objects.create(mission=mission, user=head, role="head")

    warnings = authored_warnings(statement=statement, findings=findings_compute(mission=mission))
    assert len(warnings) == 1 and f"“{quoted}”" in warnings[0] and "1 complaint" in warnings[0]
    with pytest.raises(StatementRefused, match="state the opposite of the findings"):
        statement_approve(statement=statement, user=head)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY

    Statement.objects.filter(pk=statement.pk).update(
        override_reason="The complaint was withdrawn the same day."
    )
    statement.refresh_from_db()
    assert statement_approve(statement=statement, user=head)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.APPROVED


def test_the_page_quotes_the_warnings_to_the_approver(personas, mission):
    checklist = make_checklist(mission)
    file_visit(mission, checklist, personas.observer_participation, number="1", box_sealed="no")
    StatementText.objects.create(
        mission=mission,
        section="monitoring",
        body="The voting was **transparent** and orderly.",
    )
    statement = statement_request(mission=mission, kind="final", requested_by=None)
    statement_compile(statement_id=statement.pk)
    coordinator = make_coordinator(mission, "coordinator-w")
    client = Client()
    client.force_login(coordinator)

    page = client.get(reverse("statements:detail", args=[mission.slug, statement.pk]))

    assert "“The voting was transparent and orderly.”" in page.content.decode()
    assert "1 polling station with serious or critical concerns" in page.content.decode()


# -- the demo's record ----------------------------------------------------------------------


def test_the_demo_compiled_by_the_command_states_its_heads_conclusion(db):
    call_command("load_demo", stdout=StringIO())
    mission = Mission.objects.get(slug=DEMO_SLUG)
    recorded = HeadAssessment.objects.get(mission=mission, kind="final")
    assert recorded.given_by.observer.full_name == "Zhang Ming"

    call_command("compile_statement", "--mission", DEMO_SLUG, "--kind", "final", stdout=StringIO())

    statement = Statement.objects.get(mission=mission, kind="final")
    if statement.status != Statement.Status.READY:
        statement_compile(statement_id=statement.pk)
        statement.refresh_from_db()
    from reports.statements.document import Document

    text = normalised(Document.from_dict(statement.content).plain_text())
    assert "They noted no violations of national legislation" in text
    assert statement.assessment == "no_violations"
    assert statement.approved_by is None and statement.status == Statement.Status.READY


# -- figures at their edges -------------------------------------------------------------------


def test_large_figures_are_grouped_as_the_language_writes_them():
    from django.utils import translation

    from reports.statements.composer import figure, spelled

    with translation.override("en"):
        assert (figure(12345), spelled(10), spelled(11)) == ("12,345", "ten", "11")


@pytest.mark.parametrize("official, corresponds", [("43.00", True), ("43.01", False)])
def test_observed_turnout_corresponds_within_three_points_inclusive(
    personas, mission, official, corresponds
):
    from decimal import Decimal

    from missions.models import Election

    Election.objects.filter(mission=mission).update(official_turnout=Decimal(official))
    checklist = make_checklist(mission, code="closing", phase="closing")
    visit = file_visit(mission, checklist, personas.observer_participation, number="1")
    Visit.objects.filter(pk=visit.pk).update(voters_on_list=100, ballots_issued=40)
    mission = Mission.objects.select_related("election").get(pk=mission.pk)

    text = compose(mission, assessment="minor")

    assert "followed the count, 40.00 per cent of the voters" in text
    assert ("corresponds to what the observers saw" in text) == corresponds
    assert (f"announced a turnout of {official} per cent" in text) == (not corresponds)
