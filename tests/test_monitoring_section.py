"""Section 8 reads like the mission's own: what every station had in one sentence per checklist,
each concern in its own sentence with its count, out of how many, and where."""

import re
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from missions.demo import DEMO_SLUG
from missions.models import Mission
from reports.composer import statement_compose
from reports.findings import ELECTION_DAY_PHASES, findings_compute
from reports.models import Question, Visit
from reports.services import VisitData, visit_submit
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
        translations={"ru": {"clear_item": "информационные материалы"}}
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
    visit.answers.filter(question__code="waiting").update(value=80, is_concern=True)

    text = section_text(compose(checked), "Monitoring the elections")

    assert (
        "Concerns about “Voters waiting” were noted at 1 of the 1 polling station where this "
        "was observed (of 3 visited), in District 1 of Capital."
    ) in text
    assert "no long queue" not in text


def test_a_statement_in_russian_lists_the_russian_phrase(checked):
    russian = section_text(
        compose(checked, language="ru"), compose(checked, "ru").sections[7].title
    )

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
        .exclude(clear_item="")
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
