"""What a parliamentary election, a referendum or a local election puts to voters, in each
language: the ballot's names and texts travel in the bundle under `translations`, statements in
Russian print them in Russian, and a name not written in a language is listed before compiling."""

import copy
import json

import pytest

from missions.bundle import BundleError, mission_export, mission_import
from missions.models import Office, Party, PartyCandidate, ReferendumOption, ReferendumQuestion
from reports.statements.composer import statement_compose
from reports.statements.findings import findings_compute
from reports.statements.missing_translations import missing_translations
from tests.statement_facts import normalised
from tests.test_election_kinds import QUESTION, bundle_of

QUESTION_RU = "Одобряете ли Вы поправки в Конституцию Республики Казахстан?"
QUESTION_ZH = "您是否赞成哈萨克斯坦共和国宪法修正案？"

PARTIES = [
    {
        "ballot_position": 1,
        "name": "Amanat",
        "description": "the governing party",
        "translations": {
            "ru": {"name": "Аманат", "description": "правящая партия"},
            "zh-hans": {"name": "阿马纳特党", "description": "执政党"},
        },
        "candidates": [
            {
                "list_position": 1,
                "full_name": "Yerlan Koshanov",
                "description": "",
                "translations": {
                    "ru": {"full_name": "Ерлан Кошанов"},
                    "zh-hans": {"full_name": "叶尔兰·科沙诺夫"},
                },
            }
        ],
    },
    {
        "ballot_position": 2,
        "name": "Ak Zhol",
        "description": "",
        "translations": {"ru": {"name": "Ак жол"}},
        "candidates": [
            {
                "list_position": 1,
                "full_name": "Azat Peruashev",
                "description": "",
                "translations": {"ru": {"full_name": "Азат Перуашев"}},
            }
        ],
    },
]
REFERENDUM = [
    {
        "position": 1,
        "text": QUESTION,
        "translations": {"ru": {"text": QUESTION_RU}, "zh-hans": {"text": QUESTION_ZH}},
        "options": [
            {
                "position": 1,
                "text": "Yes",
                "translations": {"ru": {"text": "Да"}, "zh-hans": {"text": "赞成"}},
            },
            {
                "position": 2,
                "text": "No",
                "translations": {"ru": {"text": "Нет"}, "zh-hans": {"text": "反对"}},
            },
        ],
    }
]
OFFICES = [
    {
        "position": 1,
        "name": "the Mayor of Astana",
        "seats": 1,
        "translations": {"ru": {"name": "аким Астаны"}, "zh-hans": {"name": "阿斯塔纳市长"}},
    }
]


def compose(mission, language, kind="final", dated_on=None):
    return statement_compose(
        mission=mission,
        kind=kind,
        language=language,
        findings=findings_compute(mission=mission),
        dated_on=dated_on or mission.ends_on,
        assessment="no_violations",
    )


@pytest.fixture
def referendum(db):
    return mission_import(
        bundle=bundle_of(
            "referendum", "kz-referendum", has_against_all=False, referendum_questions=REFERENDUM
        )
    )


@pytest.fixture
def parliamentary(db):
    return mission_import(
        bundle=bundle_of("parliamentary", "kz-parliament", parties=PARTIES, has_against_all=True)
    )


def test_a_referendum_in_russian_prints_the_question_and_options_in_russian(referendum):
    text = normalised(compose(referendum, "ru").plain_text())

    assert QUESTION_RU in text
    assert "«Да»" in text or "“Да”" in text
    assert "Нет" in text
    assert QUESTION not in text
    assert "“Yes”" not in text


def test_a_referendum_in_chinese_prints_the_question_in_chinese(referendum):
    text = normalised(compose(referendum, "zh-hans").plain_text())

    assert QUESTION_ZH in text
    assert "赞成" in text
    assert QUESTION not in text


def test_a_parliamentary_election_in_russian_prints_the_parties_in_russian(parliamentary):
    text = normalised(compose(parliamentary, "ru").plain_text())

    assert "Аманат" in text
    assert "Ерлан Кошанов" in text
    assert "Ак жол" in text
    assert "Азат Перуашев" in text
    assert "Amanat" not in text
    assert "Yerlan Koshanov" not in text


def test_a_name_not_written_in_chinese_falls_back_to_english_and_is_listed(parliamentary):
    text = normalised(compose(parliamentary, "zh-hans").plain_text())

    assert "阿马纳特党" in text
    assert "Ak Zhol" in text
    missing = {
        item.label for item in missing_translations(mission=parliamentary, language="zh-hans")
    }
    assert "party or list: Ak Zhol — name" in missing
    assert "candidate on a list: Azat Peruashev — full name" in missing
    assert not any("Amanat" in label for label in missing)
    assert not any(
        "Ak Zhol" in item.label or "Peruashev" in item.label
        for item in missing_translations(mission=parliamentary, language="ru")
    )


def test_a_ballot_in_every_language_round_trips_through_the_bundle(db):
    mission = mission_import(
        bundle=bundle_of(
            "parliamentary",
            "kz-all",
            parties=PARTIES,
            referendum_questions=REFERENDUM,
            offices=OFFICES,
        )
    )
    exported = json.loads(json.dumps(mission_export(mission=mission)))

    copied = mission_import(bundle=exported, slug="kz-all-copy")

    again = mission_export(mission=copied)
    again["mission"]["slug"] = "kz-all"
    assert again == exported
    assert exported["election"]["parties"] == PARTIES
    assert exported["election"]["referendum_questions"] == REFERENDUM
    assert exported["election"]["offices"] == OFFICES
    party = Party.objects.get(election__mission=copied, ballot_position=1)
    assert (party.name_en, party.name_ru, party.name_zh_hans) == ("Amanat", "Аманат", "阿马纳特党")
    assert PartyCandidate.objects.get(party=party).full_name_ru == "Ерлан Кошанов"
    assert ReferendumQuestion.objects.get(election__mission=copied).text_zh_hans == QUESTION_ZH
    assert (
        ReferendumOption.objects.get(question__election__mission=copied, position=2).text_ru
        == "Нет"
    )
    assert Office.objects.get(election__mission=copied).name_ru == "аким Астаны"


def test_a_ballot_translation_in_an_unknown_language_is_refused_with_its_place(db):
    offices = copy.deepcopy(OFFICES)
    offices[0]["translations"] = {"fr": {"name": "le maire d'Astana"}}

    with pytest.raises(BundleError) as error:
        mission_import(bundle=bundle_of("local", "kz-bad", offices=offices))

    assert "election.offices[0].translations" in str(error.value)
    assert not Office.objects.exists()
