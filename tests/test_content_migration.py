"""The data written before content had a column per language moves into the new columns:
every text becomes the English one, Question.translations and per-language statement texts
go to their languages."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("reports", "0003_statement_text_activities"),
    ("missions", "0004_activity_description_help"),
]


def migrate(targets=None):
    """Migrate to `targets`, or forward to the newest migration of every app."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_texts_move_into_their_languages_columns():
    old = migrate(BEFORE)
    mission = old.get_model("missions", "Mission").objects.create(
        organisation="Shanghai Cooperation Organisation",
        organisation_acronym="SCO",
        name="SCO mission",
        slug="sco",
        starts_on=datetime.date(2022, 11, 17),
        ends_on=datetime.date(2022, 11, 20),
        inviting_body="Ministry of Foreign Affairs",
    )
    checklist = old.get_model("reports", "Checklist").objects.create(
        mission_id=mission.pk, code="voting", title="Voting", phase="voting"
    )
    section = old.get_model("reports", "Section").objects.create(
        checklist_id=checklist.pk, title="Polling station"
    )
    old.get_model("reports", "Question").objects.create(
        checklist_id=checklist.pk,
        section_id=section.pk,
        code="info",
        text="Were materials on display?",
        kind="yes_no",
        clear_sentence="All had them.",
        translations={
            "ru": {"text": "Были ли вывешены материалы?", "clear_sentence": "У всех были."},
            "zh": {"text": "是否张贴了材料？"},
            "de": {"text": "Hingen Materialien aus?"},
        },
    )
    texts = old.get_model("reports", "StatementText").objects
    texts.create(mission_id=mission.pk, section="introduction", language="ru", body="Введение.")
    texts.create(mission_id=mission.pk, section="introduction", language="en", body="Preface.")
    texts.create(mission_id=mission.pk, section="conclusions", language="zh-hans", body="结论。")

    new = migrate()

    question = new.get_model("reports", "Question").objects.get()
    assert (question.text_en, question.text_ru, question.text_zh_hans) == (
        "Were materials on display?",
        "Были ли вывешены материалы?",
        "是否张贴了材料？",
    )
    assert (question.clear_sentence_en, question.clear_sentence_ru) == (
        "All had them.",
        "У всех были.",
    )
    assert new.get_model("reports", "Section").objects.get().title_en == "Polling station"
    assert new.get_model("reports", "Checklist").objects.get().title_en == "Voting"
    bodies = {
        text.section: (text.body_en, text.body_ru, text.body_zh_hans)
        for text in new.get_model("reports", "StatementText").objects.all()
    }
    assert bodies == {
        "introduction": ("Preface.", "Введение.", None),
        "conclusions": (None, None, "结论。"),
    }
    migrated = new.get_model("missions", "Mission").objects.get()
    assert (migrated.organisation_acronym_en, migrated.organisation_acronym_ru) == ("SCO", None)
