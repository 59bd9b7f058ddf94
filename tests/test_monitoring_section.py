"""Section 8 reads like the mission's own: what every station had in one sentence per checklist,
each concern in its own sentence with its count, out of how many, and where."""

import re
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from missions.demo import DEMO_SLUG
from missions.models import Mission
from reports.models import Question, Visit
from reports.services import VisitData, visit_submit
from reports.statements.composer import statement_compose
from reports.statements.findings import ELECTION_DAY_PHASES, findings_compute
from tests.factories import AreaFactory, PollingStationFactory
from tests.statement_facts import normalised
from tests.visits_support import election_day, make_checklist


def compose(mission, language="en"):
    return statement_compose(
        mission=mission,
        kind="final",
        language=language,
        findings=findings_compute(mission=mission),
        dated_on=mission.ends_on,
        assessment="no_violations",
    )


def section_text(document, title: str) -> str:
    section = next(s for s in document.sections if s.title == title)
    return normalised(" ".join(block.text for block in section.blocks))


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?=\s|$)", text))


@pytest.fixture
def checked(personas):
    """Three reviewed voting visits: a sealed-box concern in District 1, queues counted at
    one station only, everything else clear."""
    mission = personas.mission_a
    checklist = make_checklist(mission)
    city = AreaFactory(election=mission.election, name="Capital", kind="city")
    one, two = (
        AreaFactory(election=mission.election, parent=city, name=name, kind="district")
        for name in ("District 1", "District 2")
    )
    questions = {q.code: q for q in checklist.questions.all()}
    items = {
        "info_materials": "information materials",
        "evacuation_plan": "an evacuation plan",
        "box_sealed": "sealed ballot boxes",
        "atmosphere": "a calm atmosphere",
        "waiting": "no long queue",
    }
    for code, item in items.items():
        Question.objects.filter(pk=questions[code].pk).update(clear_item=item)
    Question.objects.filter(pk=questions["info_materials"].pk).update(
        clear_item_ru="информационные материалы"
    )
    for number, area, sealed, waiting in (
        ("1", one, "no", 10),
        ("2", two, "yes", None),
        ("3", two, "yes", None),
    ):
        answers = {
            questions["info_materials"].pk: "yes",
            questions["evacuation_plan"].pk: "yes",
            questions["box_sealed"].pk: sealed,
            questions["atmosphere"].pk: "calm",
        }
        if waiting is not None:
            answers[questions["waiting"].pk] = waiting
        visit_submit(
            participation=personas.observer_participation,
            key=uuid.uuid4(),
            data=VisitData(
                station=PollingStationFactory(election=mission.election, number=number, area=area),
                checklist=checklist,
                arrived_at=election_day(mission, 10),
                answers=answers,
            ),
            user=personas.observer,
        )
    Visit.objects.filter(mission=mission).update(review=Visit.Review.REVIEWED)
    return mission


def test_what_every_station_had_is_one_sentence_of_short_phrases(checked):
    text = section_text(compose(checked), "Monitoring the elections")

    assert (
        "During the voting, all polling stations visited had information materials and an "
        "evacuation plan; and a calm atmosphere and, at the 1 of 3 polling stations where this "
        "was observed, no long queue."
    ) in text
    # A check with a concern is not among what every station had.
    assert "sealed ballot boxes" not in text


def test_a_concern_keeps_its_own_sentence_with_its_count_and_where(checked):
    text = section_text(compose(checked), "Monitoring the elections")

    assert (
        "Concerns about “Was the ballot box sealed?” were noted at 1 of the 3 polling stations "
        "visited, in District 1 of Capital."
    ) in text


def test_a_questions_own_concern_sentence_gets_the_areas(checked):
    Question.objects.filter(code="box_sealed").update(
        concern_sentence="Ballot boxes were unsealed at {concerns} of the {stations} polling "
        "stations visited."
    )

    text = section_text(compose(checked), "Monitoring the elections")

    assert (
        "Ballot boxes were unsealed at 1 of the 3 polling stations visited, in District 1 of "
        "Capital."
    ) in text


def test_a_concern_seen_where_few_stations_answered_says_out_of_how_many(checked):
    visit = Visit.objects.get(mission=checked, station__number="1")
    waiting = visit.answers.get(question__code="waiting")
    visit.answers.filter(pk=waiting.pk).update(value=80, is_concern=True)
    # The visit keeps its concern answers for the findings, as filing it would have.
    Visit.objects.filter(pk=visit.pk).update(concerns=[[waiting.question_id, waiting.pk]])

    text = section_text(compose(checked), "Monitoring the elections")

    assert (
        "Concerns about “Voters waiting” were noted at 1 of the 1 polling station where this "
        "was observed (of 3 visited), in District 1 of Capital."
    ) in text
    assert "no long queue" not in text


def test_a_statement_in_russian_lists_the_russian_phrase(checked):
    with translation.override("ru"):
        title = gettext("Monitoring the elections")

    russian = section_text(compose(checked, language="ru"), title)

    assert "информационные материалы" in russian
    assert "information materials" not in russian


@pytest.fixture
def demo(db) -> Mission:
    call_command("load_demo", stdout=StringIO())
    return Mission.objects.select_related("election").get(slug=DEMO_SLUG)


def test_the_demos_monitoring_section_is_short_and_names_every_clear_check(demo):
    text = section_text(compose(demo), "Monitoring the elections")
    checks = (
        Question.objects.filter(checklist__mission=demo, checklist__phase__in=ELECTION_DAY_PHASES)
        .exclude(checklist__code="accessibility")
        .filter(clear_item__gt="")  # written (a language column may be NULL, not "")
    )

    assert sentences(text) <= 15, text
    assert len(text.split()) <= 500, text
    assert checks.count() == 60
    assert [q.clear_item for q in checks if q.clear_item not in text] == []
    # The seed's own wording of what every station had.
    assert (
        "all polling stations visited had the required information and reference materials, "
        "documents and materials provided by district commissions, emergency evacuation plans "
        "and diagrams, sanitary and hygienic requirements met"
    ) in text


# --- A property: the counts and areas section 8 prints, derived here from the answers ----------

# Per station: its district, and the "voters waiting" answers of its visits (None: not observed).
STATIONS = st.lists(
    st.tuples(
        st.sampled_from(["District 1", "District 2", "District 3"]),
        st.lists(st.one_of(st.none(), st.integers(0, 100)), min_size=1, max_size=2),
    ),
    min_size=1,
    max_size=5,
)


@pytest.fixture
def waiting_checklist(personas):
    mission = personas.mission_a
    checklist = make_checklist(mission)
    Question.objects.filter(checklist=checklist, code="waiting").update(clear_item="no long queue")
    Question.objects.filter(checklist=checklist, code="atmosphere").update(
        clear_item="a calm atmosphere"
    )
    city = AreaFactory(election=mission.election, name="Capital", kind="city")
    areas = {
        name: AreaFactory(election=mission.election, parent=city, name=name, kind="district")
        for name in ("District 1", "District 2", "District 3")
    }
    return mission, checklist, areas


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stations=STATIONS)
def test_section_8_counts_observed_and_concerned_stations_and_names_their_areas(
    personas, waiting_checklist, stations
):
    mission, checklist, areas = waiting_checklist
    Visit.objects.filter(mission=mission).delete()
    mission.election.stations.all().delete()
    questions = {q.code: q for q in checklist.questions.all()}
    for number, (district, answers) in enumerate(stations, start=1):
        station = PollingStationFactory(
            election=mission.election, number=str(number), area=areas[district]
        )
        for hour, waiting in enumerate(answers, start=9):
            values = {questions["atmosphere"].pk: "calm"}
            if waiting is not None:
                values[questions["waiting"].pk] = waiting
            visit_submit(
                participation=personas.observer_participation,
                key=uuid.uuid4(),
                data=VisitData(
                    station=station,
                    checklist=checklist,
                    arrived_at=election_day(mission, hour),
                    answers=values,
                ),
                user=personas.observer,
            )
    Visit.objects.filter(mission=mission).update(review=Visit.Review.REVIEWED)
    visited = len(stations)
    observed = sum(1 for _district, answers in stations if any(a is not None for a in answers))
    concerned = [
        district for district, answers in stations if any(a is not None and a > 50 for a in answers)
    ]

    text = section_text(compose(mission), "Monitoring the elections")

    if concerned:
        names = sorted(set(concerned))
        where = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        out_of = (
            f"of the {visited} polling station{'s' if visited > 1 else ''} visited"
            if observed == visited
            else f"of the {observed} polling station{'s' if observed > 1 else ''} where this "
            f"was observed (of {visited} visited)"
        )
        assert (
            f"Concerns about “Voters waiting” were noted at {len(concerned)} {out_of}, in "
            f"{where} of Capital."
        ) in text
        assert "no long queue" not in text
    elif observed == visited:
        assert (
            "During the voting, all polling stations visited had a calm atmosphere and no long "
            "queue."
        ) in text
    elif observed:
        assert (
            f"a calm atmosphere and, at the {observed} of {visited} polling stations where this "
            "was observed, no long queue."
        ) in text
    else:
        assert "no long queue" not in text and "Voters waiting" not in text
