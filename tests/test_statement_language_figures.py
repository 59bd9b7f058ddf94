"""The demo's statements in English, Russian and Chinese state the same figures, one for one.

Each statement (final, preliminary, press briefing) is compiled in the three languages as the
workers compile it. Every figure is read out of each version's page — numbers in figures and
in words, per cents, dates, periods, articles of a law — part by part (the header, the
preamble, each numbered section, the closing) and paragraph by paragraph: the three versions
must have the same paragraphs with the same figures in the same order of paragraphs. Within a
sentence each language keeps its own word order (“22 polling stations in four districts” /
“四个区…共22个投票站”), so a paragraph's figures are compared as a multiset.

The figures each part must state are worked out from the mission's records and its authored
texts in that language, not from the composer; the Word document states the same ones.
"""

import datetime
import io
from collections import Counter
from decimal import Decimal
from io import StringIO

import docx
import pytest
from django.core.management import call_command

from missions.demo import DEMO_SLUG
from missions.models import Mission
from observers.models import Participation
from reports.models import Statement, StatementText, Visit
from reports.statements.findings import ELECTION_DAY_PHASES
from reports.statements.jobs import statement_compile
from tests.statement_figures_support import (
    figures_of,
    html_paragraphs,
    markdown_paragraphs,
    paragraph_figures,
)
from tests.test_statement_truth import stored

LANGUAGES = ["en", "ru", "zh-hans"]
Text = StatementText.Section
DATED = {
    Statement.Kind.FINAL: datetime.date(2022, 11, 20),
    Statement.Kind.PRELIMINARY: datetime.date(2022, 11, 21),
    Statement.Kind.BRIEFING: datetime.date(2022, 11, 21),
}


@pytest.fixture(autouse=True)
def fresh_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def demo(db) -> Mission:
    call_command("load_demo", stdout=StringIO())
    return Mission.objects.get(slug=DEMO_SLUG)


def compiled(mission: Mission, kind: str, language: str) -> Statement:
    statement = Statement.objects.create(
        mission=mission,
        kind=kind,
        language=language,
        version=1,
        dated_on=DATED[kind],
        assessment=Statement.Assessment.NO_VIOLATIONS,
    )
    statement_compile(statement_id=statement.pk)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY, statement.error
    return statement


# -- what the records say ---------------------------------------------------------------------


def authored(mission: Mission, section: str, language: str) -> Counter:
    """The figures of an authored text in the language, read from the database."""
    text = StatementText.objects.filter(mission=mission, section=section).first()
    body = getattr(text, f"body_{language.replace('-', '_')}", "") if text else ""
    return Counter(
        figure
        for paragraph in markdown_paragraphs(body)
        for figure in paragraph_figures(paragraph, language, mission.ends_on.year)
    )


def numbers(*values) -> Counter:
    return Counter(Decimal(value) for value in values)


def per_cent(voters: int, ballots: int) -> tuple[str, Decimal]:
    return ("per cent", (Decimal(ballots) * 100 / Decimal(voters)).quantize(Decimal("0.01")))


def election_day(mission: Mission) -> dict:
    """What the reviewed election-day visits add up to, counted here from the visits."""
    visits = list(
        Visit.objects.filter(
            mission=mission,
            review=Visit.Review.REVIEWED,
            checklist__phase__in=ELECTION_DAY_PHASES,
        )
        .select_related("checklist", "station__area__parent")
        .order_by("arrived_at", "pk")
    )
    stations = {visit.station for visit in visits}
    districts: dict[int, set[int]] = {}
    for station in stations:
        area = station.area
        districts.setdefault((area.parent or area).pk, set()).add(area.pk)
    by_phase = Counter()
    for phase in ELECTION_DAY_PHASES:
        by_phase[phase] = len({v.station_id for v in visits if v.checklist.phase == phase})
    counts = {}  # the latest closing count of each station
    for visit in visits:
        if visit.checklist.phase == "closing" and visit.voters_on_list is not None:
            counts[visit.station_id] = (visit.voters_on_list, visit.ballots_issued)
    return {
        "stations": len(stations),
        "districts": [len(of_area) for of_area in districts.values()],
        "phases": by_phase,
        "counted": len(counts),
        "turnout": per_cent(
            sum(v for v, _b in counts.values()), sum(b for _v, b in counts.values())
        ),
    }


def accessibility_stations(mission: Mission) -> int:
    return (
        Visit.objects.filter(
            mission=mission, review=Visit.Review.REVIEWED, checklist__code="accessibility"
        )
        .values("station")
        .distinct()
        .count()
    )


def expected_figures(mission: Mission, kind: str, language: str) -> dict[str, Counter]:
    """Each part's figures, worked out from the mission's records and authored texts."""
    election = mission.election
    dated_on = DATED[kind]
    members = numbers(
        Participation.objects.filter(
            mission=mission, accreditation=Participation.Accreditation.ACCREDITED
        ).count()
    )
    period = Counter([mission.starts_on, mission.ends_on])
    day = election_day(mission)
    coverage = numbers(day["stations"], *day["districts"])
    phases = numbers(*(day["phases"][phase] for phase in ELECTION_DAY_PHASES))
    turnout = numbers(day["counted"]) + Counter(
        [day["turnout"], ("per cent", election.official_turnout)]
    )
    activities = Counter([mission.formed_on])
    for activity in mission.activities.filter(date__lte=dated_on).order_by("date", "pk"):
        activities[activity.date] += 1
        activities += numbers(*(s.station.number for s in activity.station_visits.all()))

    def text(section: str) -> Counter:
        return authored(mission, section, language)

    if kind == Statement.Kind.BRIEFING:
        candidates = election.candidates.count()
        return {
            "header": Counter([dated_on]),
            "preamble": Counter([dated_on])
            + period
            + members
            + numbers(candidates)
            + coverage
            + text(Text.BRIEFING)
            + turnout,
            "closing": Counter([mission.ends_on]),
        }
    monitoring = coverage + phases + text(Text.MONITORING) + turnout
    common = {
        "header": Counter([dated_on]),
        "preamble": period + text(Text.INTRODUCTION),
        "section 1": members,
        "section 2": text(Text.ACTIVITIES) + activities,
        "closing": Counter([dated_on]),
    }
    if kind == Statement.Kind.PRELIMINARY:
        return {**common, "section 3": monitoring, "section 4": text(Text.CONCLUSIONS)}
    nationwide = numbers(
        election.stations_total,
        election.stations_abroad,
        election.stations_abroad_countries,
        election.observers_from_organisations + election.observers_from_states,
        election.observers_from_organisations,
        election.organisations_count,
        election.observers_from_states,
        election.states_count,
        election.registered_voters,
    )
    return {
        **common,
        "section 3": text(Text.LEGAL_BASIS),
        "section 4": text(Text.PUBLIC_AWARENESS),
        "section 5": text(Text.PREPARATIONS) + nationwide,
        "section 6": numbers(election.candidates.count()),
        "section 7": text(Text.DISABILITIES) + numbers(accessibility_stations(mission)),
        "section 8": monitoring,
        "section 9": text(Text.CONCLUSIONS),
    }


def docx_figures(data: bytes, language: str, year: int) -> Counter:
    """Every figure of a Word document's paragraphs, headings (numbered) left out."""
    paragraphs = [
        p.text
        for p in docx.Document(io.BytesIO(data)).paragraphs
        if not p.style.name.startswith("Heading")
    ]
    return sum(figures_of(paragraphs, language, year), Counter())


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DATED), ids=str)
def test_the_three_versions_state_the_same_figures_paragraph_by_paragraph(demo, kind):
    year = demo.ends_on.year
    versions = {}
    for language in LANGUAGES:
        statement = compiled(demo, kind, language)
        parts = html_paragraphs(stored(statement, "html").decode())
        versions[language] = {
            part: figures_of(texts, language, year) for part, texts in parts.items()
        }

    english = versions["en"]
    for language in ("ru", "zh-hans"):
        assert list(versions[language]) == list(english), language
        for part, paragraphs in english.items():
            assert versions[language][part] == paragraphs, (language, part)


@pytest.mark.parametrize("kind", list(DATED), ids=str)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_part_states_the_figures_of_the_records(demo, kind, language):
    year = demo.ends_on.year
    statement = compiled(demo, kind, language)
    parts = html_paragraphs(stored(statement, "html").decode())
    expected = expected_figures(demo, kind, language)

    stated = {
        part: sum(figures_of(texts, language, year), Counter()) for part, texts in parts.items()
    }
    assert set(stated) == set(expected)
    for part, figures in expected.items():
        assert stated[part] == figures, (part, stated[part] - figures, figures - stated[part])
    in_word = docx_figures(stored(statement, "docx"), language, year)
    assert in_word == sum(expected.values(), Counter())


D = datetime.date


@pytest.mark.parametrize(
    ("language", "text", "figures"),
    [
        ("en", "from 17 November to 20 November 2022", [D(2022, 11, 17), D(2022, 11, 20)]),
        ("ru", "с 17 по 20 ноября 2022 года", [D(2022, 11, 17), D(2022, 11, 20)]),
        ("zh-hans", "2022年11月17日至20日", [D(2022, 11, 17), D(2022, 11, 20)]),
        ("zh-hans", "11月17日至2022年11月20日", [D(2022, 11, 17), D(2022, 11, 20)]),
        ("en", "On 18 November, 10,101 stations", [D(2022, 11, 18), Decimal(10101)]),
        ("ru", "18 ноября: 10\xa0101 участок", [D(2022, 11, 18), Decimal(10101)]),
        ("en", "69.16 per cent of six", [("per cent", Decimal("69.16")), Decimal(6)]),
        ("ru", "69,16 % из шести", [("per cent", Decimal("69.16")), Decimal(6)]),
        ("zh-hans", "六名候选人中的69.16%", [Decimal(6), ("per cent", Decimal("69.16"))]),
        ("zh-hans", "60多万残疾人，每一位公民，第一次", [Decimal(600000)]),
        ("ru", "ни одного из кандидатов", []),
        ("en", "Article 33.2 and 33.3", [("article", "33.2"), ("article", "33.3")]),
        ("ru", "пунктов 2 и 3 статьи 33", [("article", "33.2"), ("article", "33.3")]),
        ("zh-hans", "第33条第2款和第3款", [("article", "33.2"), ("article", "33.3")]),
        ("en", "Nos 83, 58 and 309", [Decimal(83), Decimal(58), Decimal(309)]),
        ("ru", "№ 83, 58 и 309", [Decimal(83), Decimal(58), Decimal(309)]),
    ],
)
def test_figures_are_read_as_each_language_writes_them(language, text, figures):
    assert paragraph_figures(text, language, 2022) == figures
