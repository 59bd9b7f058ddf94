"""Every kind of election the product offers: what each puts to voters travels in the bundle,
and section 6, the title and the briefing say it; no section is ever printed empty."""

import copy
import datetime
import json

import pytest

from missions.bundle import BundleError, mission_export, mission_import
from missions.demo import demo_bundle
from missions.models import Office, Party, ReferendumQuestion
from reports.models import Statement
from reports.statements.composer import statement_compose
from reports.statements.findings import findings_compute
from reports.statements.jobs import statement_compile
from tests.statement_facts import normalised

QUESTION = "Do you approve the amendments to the Constitution of the Republic of Kazakhstan?"
PARTIES = [
    {
        "ballot_position": n,
        "name": f"Party {n}",
        "description": "",
        "candidates": [
            {"list_position": p, "full_name": f"Candidate {n}.{p}", "description": ""}
            for p in range(1, 4)
        ],
    }
    for n in range(1, 15)
]


def bundle_of(kind: str, slug: str, **ballot) -> dict:
    bundle = copy.deepcopy(demo_bundle())
    bundle["mission"]["slug"] = slug
    bundle["election"].update(kind=kind, is_early=False, candidates=[], **ballot)
    return bundle


def compose(mission, kind="final", dated_on=None):
    return statement_compose(
        mission=mission,
        kind=kind,
        language="en",
        findings=findings_compute(mission=mission),
        dated_on=dated_on or mission.ends_on,
        assessment="no_violations",
    )


def headings(document) -> list[str]:
    return [section.heading for section in document.sections]


def section_text(document, title: str) -> str:
    section = next(s for s in document.sections if s.title == title)
    texts = []
    for block in section.blocks:
        items = getattr(block, "items", None)
        texts.append(" ".join(i.text for i in items) if items is not None else block.text)
    return normalised(" ".join(texts))


@pytest.fixture
def referendum(db):
    return mission_import(
        bundle=bundle_of(
            "referendum",
            "kz-referendum",
            has_against_all=False,
            referendum_questions=[
                {
                    "position": 1,
                    "text": QUESTION,
                    "options": [{"position": 1, "text": "Yes"}, {"position": 2, "text": "No"}],
                }
            ],
        )
    )


@pytest.fixture
def parliamentary(db):
    return mission_import(
        bundle=bundle_of("parliamentary", "kz-parliament", parties=PARTIES, has_against_all=True)
    )


def test_a_referendum_states_its_question_and_options(referendum):
    document = compose(referendum)

    assert document.title == (
        "Statement by the SCO Observer Mission on the results of monitoring the referendum in "
        "the Republic of Kazakhstan"
    )
    assert "6. Questions put to voters" in headings(document)
    text = section_text(document, "Questions put to voters")
    assert text == (
        f"The ballot papers put one question to voters: {QUESTION} Voters could answer “Yes” or "
        "“No”."
    )
    assert "candidate" not in text.lower()


def test_a_referendums_briefing_says_what_voters_were_asked(referendum):
    text = normalised(compose(referendum, "briefing", datetime.date(2022, 11, 21)).plain_text())

    assert "SCO Observer Mission to the referendum in the Republic of Kazakhstan" in text
    assert "Voters were asked one question." in text
    assert "candidates stood" not in text


def test_a_parliamentary_election_lists_its_parties_not_candidates(parliamentary):
    document = compose(parliamentary)

    assert "6. Parties and candidates" in headings(document)
    text = section_text(document, "Parties and candidates")
    assert text.startswith(
        "The 14 parties and lists were on the ballot papers in the following order: "
        "Party 1: 3 candidates, led by Candidate 1.1 Party 2: 3 candidates, led by Candidate 2.1"
    )
    assert "The 14 candidates" not in text
    assert text.endswith("did not support any of the parties or lists.")
    assert "the parliamentary elections in the Republic of Kazakhstan" in document.title


def test_a_parliamentary_briefing_counts_the_parties(parliamentary):
    text = normalised(compose(parliamentary, "briefing", datetime.date(2022, 11, 21)).plain_text())

    assert "14 parties and lists stood for election." in text


def test_a_local_election_names_its_offices(db):
    mission = mission_import(
        bundle=bundle_of(
            "local",
            "kz-local",
            offices=[
                {"position": 1, "name": "the Mayor of Astana", "seats": 1},
                {"position": 2, "name": "the Astana City Council", "seats": 45},
            ],
        )
    )

    document = compose(mission)

    assert section_text(document, "Offices and candidates") == (
        "Voters elected two offices: the Mayor of Astana and the Astana City Council (45 seats)."
    )


def test_a_ballot_with_nothing_recorded_prints_no_empty_section(db):
    mission = mission_import(bundle=bundle_of("referendum", "kz-blank", has_against_all=False))

    document = compose(mission)

    assert all(section.blocks for section in document.sections)
    assert [s.number for s in document.sections] == list(range(1, len(document.sections) + 1))
    assert not any("Questions put to voters" in h for h in headings(document))
    assert (
        headings(document)[5] == "6. Guaranteeing the electoral rights of people with disabilities"
    )


def test_the_demo_keeps_its_candidates_section(db):
    mission = mission_import(bundle=copy.deepcopy(demo_bundle()))

    document = compose(mission)

    assert headings(document)[5] == "6. Candidates"
    assert "Six candidates stood for election." in normalised(
        compose(mission, "briefing").plain_text()
    )


def test_parties_questions_and_offices_travel_in_the_bundle(db):
    mission = mission_import(
        bundle=bundle_of(
            "parliamentary",
            "kz-all",
            parties=PARTIES[:2],
            referendum_questions=[
                {"position": 1, "text": QUESTION, "options": [{"position": 1, "text": "Yes"}]}
            ],
            offices=[{"position": 1, "name": "the Mazhilis", "seats": 98}],
        )
    )
    exported = json.loads(json.dumps(mission_export(mission=mission)))

    copied = mission_import(bundle=exported, slug="kz-all-copy")

    again = mission_export(mission=copied)
    again["mission"]["slug"] = "kz-all"
    assert again == exported
    assert exported["election"]["parties"] == PARTIES[:2]
    assert Party.objects.get(election__mission=copied, ballot_position=2).candidates.count() == 3
    assert ReferendumQuestion.objects.get(election__mission=copied).options.get().text == "Yes"
    assert Office.objects.get(election__mission=copied).seats == 98


def test_a_party_without_a_name_is_refused_with_its_place(db):
    parties = copy.deepcopy(PARTIES[:2])
    del parties[1]["name"]

    with pytest.raises(BundleError) as error:
        mission_import(bundle=bundle_of("parliamentary", "kz-bad", parties=parties))

    assert "election.parties[1]" in str(error.value)
    assert not Party.objects.exists()


def test_a_referendum_compiles_to_every_format(referendum, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    statement = Statement.objects.create(
        mission=referendum,
        kind=Statement.Kind.FINAL,
        language="en",
        version=1,
        dated_on=datetime.date(2022, 11, 20),
        assessment=Statement.Assessment.NO_VIOLATIONS,
    )

    statement_compile(statement_id=statement.pk)

    statement.refresh_from_db()
    assert statement.status == Statement.Status.READY, statement.error
    with statement.documents.get(format="html").file.open("rb") as handle:
        html = handle.read().decode()
    assert "Questions put to voters" in html
    assert "Voters could answer “Yes” or “No”." in html
