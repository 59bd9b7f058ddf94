import datetime
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from missions.demo import DEMO_SLUG
from missions.models import Mission
from reports.models import StatementText, Visit
from reports.services import IncidentData, VisitData, visit_submit
from reports.statements.composer import compose as compose_inputs
from reports.statements.composer import markdown_blocks, statement_compose
from reports.statements.document import Document, ListBlock
from reports.statements.findings import findings_compute
from reports.statements.selectors import statement_inputs
from tests.factories import AreaFactory, ParticipationFactory, PollingStationFactory
from tests.statement_facts import BRIEFING_FACTS, FINAL_FACTS, missing, normalised
from tests.visits_support import election_day, make_checklist, review_all


@pytest.fixture
def demo(db) -> Mission:
    call_command("load_demo", stdout=StringIO())
    return Mission.objects.select_related("election").get(slug=DEMO_SLUG)


def compose(mission, kind="final", assessment="no_violations", language="en", dated_on=None):
    return statement_compose(
        mission=mission,
        kind=kind,
        language=language,
        findings=findings_compute(mission=mission),
        dated_on=dated_on or mission.ends_on,
        assessment=assessment,
    )


def test_the_demos_final_statement_states_every_fact_of_the_sources(demo):
    document = compose(demo)

    assert missing(FINAL_FACTS, document.plain_text()) == []
    assert document.sections[0].heading == "1. Mission members"
    assert len(document.sections) == 9


def test_the_demos_press_briefing_states_the_facts_of_the_briefing(demo):
    document = compose(demo, kind="briefing", dated_on=datetime.date(2022, 11, 21))

    assert missing(BRIEFING_FACTS, document.plain_text()) == []
    assert "On 21 November 2022" in document.plain_text()


def test_the_members_are_grouped_as_in_the_statement(demo):
    text = normalised(compose(demo).plain_text())

    states = text.index("The SCO member states were represented")
    secretariat = text.index("From the SCO Secretariat:")
    rats = text.index("From the SCO RATS Executive Committee:")
    assert states < text.index("Wang Tao") < text.index("Khudoyor Mamatov") < secretariat
    assert secretariat < text.index("Iskander Baytasov") < rats < text.index("Artur Golovanov")
    # The head is named once, as head, not again among the Secretariat's members.
    members = compose(demo).sections[0]
    assert sum(b.text.count("Zhang Ming") for b in members.blocks) == 1


def test_the_candidates_are_an_ordered_list_in_ballot_order(demo):
    section = compose(demo).sections[5]

    ballot = next(b for b in section.blocks if isinstance(b, ListBlock))
    assert ballot.ordered
    assert ballot.items[4].text == (
        "Kassym-Jomart Tokayev, the incumbent President of Kazakhstan, nominated by the Amanat "
        "and Ak Zhol parties and the People’s Party of Kazakhstan"
    )


def test_generated_monitoring_sentences_carry_the_visits_behind_them(demo):
    document = compose(demo)
    coverage = next(p for p in document.paragraphs() if "22 polling stations in" in p.text)
    election_day_visits = [
        v.pk
        for v in Visit.objects.filter(
            mission=demo, checklist__phase__in=["opening", "voting", "closing"], review="reviewed"
        )
    ]

    assert coverage.id
    assert sorted(coverage.evidence["visits"]) == sorted(election_day_visits)
    visit_19 = next(p for p in document.paragraphs() if "Nos 83, 58, 309, 111 and 314" in p.text)
    assert len(visit_19.evidence["visits"]) == 5


def test_a_statement_stored_as_json_comes_back_the_same(demo):
    document = compose(demo)

    assert Document.from_dict(document.as_dict()) == document


def test_authored_markdown_keeps_lists_and_emphasis_and_never_markup(db):
    blocks = markdown_blocks(
        "The **Constitution** and *laws*:\n\n1. First\n2. Second\n\n<script>alert(1)</script>"
    )

    assert blocks[0].runs[1].text == "Constitution" and blocks[0].runs[1].bold
    assert blocks[0].runs[3].italic
    assert isinstance(blocks[1], ListBlock) and blocks[1].ordered
    assert [item.text for item in blocks[1].items] == ["First", "Second"]
    assert blocks[2].text == "<script>alert(1)</script>"


@pytest.fixture
def troubled(personas):
    """A mission whose observers saw serious and critical concerns and a complaint."""
    mission = personas.mission_a
    checklist = make_checklist(mission)
    city = AreaFactory(election=mission.election, name="Capital", kind="city")
    districts = [
        AreaFactory(election=mission.election, parent=city, name=f"District {n}", kind="district")
        for n in (1, 2)
    ]
    stations = [
        PollingStationFactory(election=mission.election, number=str(n), area=districts[n % 2])
        for n in range(1, 5)
    ]
    questions = {q.code: q for q in checklist.questions.all()}
    participation = personas.observer_participation

    def file(station, *, sealed="yes", atmosphere="calm", incidents=()):
        return visit_submit(
            participation=participation,
            key=uuid.uuid4(),
            data=VisitData(
                station=station,
                checklist=checklist,
                arrived_at=election_day(mission, 10),
                voters_on_list=1000,
                ballots_issued=400,
                answers={
                    questions["info_materials"].pk: "yes",
                    questions["evacuation_plan"].pk: "yes",
                    questions["box_sealed"].pk: sealed,
                    questions["atmosphere"].pk: atmosphere,
                },
                incidents=list(incidents),
            ),
            user=personas.observer,
        )[0]

    file(stations[0], sealed="no")
    file(stations[1], sealed="no", atmosphere="tense")
    file(
        stations[2],
        incidents=[
            IncidentData(
                category="interference",
                severity="serious",
                description="A local official instructed voters",
                complaint_filed=True,
            )
        ],
    )
    file(stations[3])
    review_all(mission)
    return mission


def test_findings_count_concerns_by_question_severity_and_incident(troubled):
    findings = findings_compute(mission=troubled)

    sealed = findings.question("voting", "box_sealed")
    assert (sealed.stations_answered, sealed.stations_with_concern) == (4, 2)
    assert len(sealed.evidence.visit_ids) == 2
    assert findings.question("voting", "atmosphere").stations_with_concern == 1
    assert findings.question("voting", "info_materials").all_clear
    assert findings.stations_with_concern_by_severity == {"minor": 0, "serious": 1, "critical": 2}
    assert findings.complaints == 1
    assert [(i.category, i.severity, i.incidents) for i in findings.incidents] == [
        ("interference", "serious", 1)
    ]
    assert findings.worst_severity == "critical"
    assert findings.election_day_stations == 4
    assert [(c.parent, len(c.districts)) for c in findings.coverage] == [("Capital", 2)]
    assert findings.turnout.observed == 40


@pytest.mark.parametrize("visits", [1, 12])
def test_findings_take_the_same_queries_however_many_visits(
    personas, visits, django_assert_num_queries
):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    answers = {q.pk: "yes" for q in checklist.questions.filter(kind="yes_no")}
    answers[checklist.questions.get(code="atmosphere").pk] = "calm"
    for number in range(visits):
        visit_submit(
            participation=personas.observer_participation,
            key=uuid.uuid4(),
            data=VisitData(
                station=PollingStationFactory(election=mission.election, number=str(number + 1)),
                checklist=checklist,
                arrived_at=election_day(mission, 10),
                answers=answers,
                incidents=[IncidentData("other", "minor", "Note", complaint_filed=number == 0)],
            ),
            user=personas.observer,
        )

    review_all(mission)
    # Checklists, the visits (one row each, with their counts for turnout, their concerns
    # and unobserved questions), the questions, the stations' areas, the incidents, the
    # areas. Never the answers.
    with django_assert_num_queries(6):
        findings = findings_compute(mission=mission)

    assert findings.visits == visits


def test_a_troubled_missions_statement_gives_the_counts_and_never_claims_no_violations(troubled):
    text = normalised(compose(troubled, assessment="serious").plain_text())

    assert "Ballot boxes were not sealed at 2 of the 4 polling stations visited." in text or (
        "“Was the ballot box sealed?” were noted at 2 of the 4 polling stations visited" in text
    )
    assert "“Atmosphere” were noted at 1 of the 4 polling stations visited" in text
    assert "1 complaint was filed at the polling stations visited." in text
    assert "The Mission recorded serious violations at 3 polling stations" in text
    assert "no violations" not in text.lower()
    assert "No complaints" not in text


def test_a_concern_sentence_carries_the_answers_behind_it(troubled):
    document = compose(troubled, assessment="serious")

    sealed = next(p for p in document.paragraphs() if "ballot box sealed" in p.text)
    assert len(sealed.evidence["answers"]) == 2
    assert len(sealed.evidence["visits"]) == 2


def test_a_statement_without_an_assessment_says_so(troubled):
    text = compose(troubled, assessment="").plain_text()

    assert "has not yet given the Mission's overall assessment" in text


def test_singular_counts_read_as_singular(personas):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    questions = {q.code: q for q in checklist.questions.all()}
    city = AreaFactory(election=mission.election, name="Capital", kind="city")
    district = AreaFactory(election=mission.election, parent=city, name="North", kind="district")
    visit_submit(
        participation=personas.observer_participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=PollingStationFactory(election=mission.election, area=district),
            checklist=checklist,
            arrived_at=election_day(mission, 10),
            answers={q.pk: "yes" for q in questions.values() if q.kind == "yes_no"}
            | {questions["atmosphere"].pk: "calm"},
        ),
        user=personas.observer,
    )

    review_all(mission)
    text = normalised(compose(mission).plain_text())

    assert "worked at 1 polling station in one district of Capital." in text


def test_the_statement_is_written_in_the_language_asked_for(demo):
    introduction, _created = StatementText.objects.get_or_create(
        mission=demo, section="introduction"
    )
    introduction.body_ru = "Текст."
    introduction.save()

    document = compose(demo, language="ru")

    assert document.language == "ru"
    assert "20 ноября 2022" in document.place_line
    assert "Текст." in document.plain_text()


def test_turnout_counts_each_station_once_with_its_latest_count(personas):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    questions = {q.code: q for q in checklist.questions.all()}
    station = PollingStationFactory(election=mission.election)
    answers = {q.pk: "yes" for q in questions.values() if q.kind == "yes_no"}
    answers[questions["atmosphere"].pk] = "calm"
    for hour, ballots in ((10, 400), (16, 600)):
        visit_submit(
            participation=personas.observer_participation,
            key=uuid.uuid4(),
            data=VisitData(
                station=station,
                checklist=checklist,
                arrived_at=election_day(mission, hour),
                voters_on_list=1000,
                ballots_issued=ballots,
                answers=answers,
            ),
            user=personas.observer,
        )

    review_all(mission)
    turnout = findings_compute(mission=mission).turnout

    assert (turnout.stations, turnout.voters, turnout.ballots) == (1, 1000, 600)
    assert turnout.observed == 60


def test_a_statement_in_russian_uses_the_questions_russian_sentences(personas):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    questions = {q.code: q for q in checklist.questions.all()}
    info = questions["info_materials"]
    info.clear_sentence = "Every station displayed its information materials."
    info.clear_sentence_ru = "На всех участках были информационные материалы."
    info.save()
    visit_submit(
        participation=personas.observer_participation,
        key=uuid.uuid4(),
        data=VisitData(
            station=PollingStationFactory(election=mission.election),
            checklist=checklist,
            arrived_at=election_day(mission, 10),
            answers={q.pk: "yes" for q in questions.values() if q.kind == "yes_no"}
            | {questions["atmosphere"].pk: "calm"},
        ),
        user=personas.observer,
    )

    review_all(mission)
    russian = compose(mission, language="ru").plain_text()
    english = compose(mission, language="en").plain_text()

    assert "На всех участках были информационные материалы." in russian
    assert "Every station displayed its information materials." not in russian
    assert "Every station displayed its information materials." in english


# -- composing is a pure function of its inputs ----------------------------------------------


@pytest.mark.parametrize("language", ["en", "ru", "zh-hans"])
def test_composing_asks_the_database_nothing(demo, language, django_assert_num_queries):
    """One selector reads what a statement prints; the composer then makes no query, in any
    kind or language, and composes the same statement as the reading-and-composing call."""
    findings = findings_compute(mission=demo)
    inputs = statement_inputs(mission=demo)
    documents = {}

    with django_assert_num_queries(0):
        for kind in ("preliminary", "final", "briefing"):
            documents[kind] = compose_inputs(
                inputs,
                kind=kind,
                language=language,
                findings=findings,
                dated_on=demo.ends_on,
                assessment="no_violations",
            )

    for kind, document in documents.items():
        assert document.plain_text() == (
            statement_compose(
                mission=demo,
                kind=kind,
                language=language,
                findings=findings,
                dated_on=demo.ends_on,
                assessment="no_violations",
            ).plain_text()
        )
    # The demo's statement names its head and its members, read by the selector.
    assert len(inputs.members) == 18
    assert inputs.candidates and inputs.activities and inputs.texts


def test_the_selector_reads_a_fixed_number_of_queries_whatever_the_mission_s_size(
    demo,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        statement_inputs(mission=demo)
    # More of what a statement reads: members (each with an observer and a delegation).
    mission = Mission.objects.get(pk=demo.pk)
    for _ in range(5):
        ParticipationFactory(mission=mission, accredited=True)

    with CaptureQueriesContext(connection) as after:
        inputs = statement_inputs(mission=mission)

    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(inputs.members) == 23
