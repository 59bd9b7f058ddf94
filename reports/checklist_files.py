"""Checklist files: one checklist as a readable YAML document, and the standard checklists.

The format is documented in docs/checklists.md. A file describes a checklist's content, never
its version number: loading a file always creates the next version of its code in the mission,
so a file can be imported into any mission, as often as needed, without touching what visits
have already answered.

One reader serves every way a checklist comes in: `checklist_load` (a YAML or JSON file) and
the mission bundle (`missions.bundle`, a dict inside a larger document) both call
`checklist_create_from_data`, which validates every key and value, names the place of the
first mistake (`sections[1].questions[3].type: …`) and writes nothing unless all of it is
valid.
"""

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from audit.services import audit_rows
from missions.content_languages import (
    language_code,
    other_languages,
    translations_of,
    translations_set,
)
from missions.models import Mission, Phase
from reports.models import Checklist, Question, Section, Severity, sentence_problem
from reports.rules import RuleError, rules_read
from reports.services import checklist_next_version

FORMAT = "observa-checklist"
VERSION = 1
STANDARD_DIR = Path(__file__).resolve().parent / "standard_checklists"

CHECKLIST_KEYS = ("code", "title", "phase", "description", "sections", "rules", "translations")
SECTION_KEYS = ("title", "questions", "translations")
# File key → model field, in the order a dump writes them.
QUESTION_KEYS = {
    "code": "code",
    "text": "text",
    "help": "help_text",
    "type": "kind",
    "required": "required",
    "not_observed": "not_observed",
    "choices": "choices",
    "min": "min_value",
    "max": "max_value",
    "concern": "concern_answers",
    "concern_above": "concern_above",
    "severity": "severity",
    "reference": "reference",
    "clear": "clear_sentence",
    "clear_item": "clear_item",
    "concern_sentence": "concern_sentence",
}
QUESTION_FIELDS = {field: key for key, field in QUESTION_KEYS.items()}
# The texts a file carries in other languages, under `translations.<language>`: file key →
# model field. The plain keys hold the English text.
CHECKLIST_TRANSLATED_KEYS = {"title": "title", "description": "description"}
SECTION_TRANSLATED_KEYS = {"title": "title"}
TRANSLATED_KEYS = {
    "text": "text",
    "help": "help_text",
    # {value: label} for the English choices' values; a value left out is labelled in English.
    "choices": "choices",
    "clear": "clear_sentence",
    "clear_item": "clear_item",
    "concern_sentence": "concern_sentence",
}
CHOOSING_KINDS = (Question.Kind.YES_NO, Question.Kind.SINGLE, Question.Kind.MULTIPLE)


class ChecklistFileError(Exception):
    """A checklist that cannot be read, with the place in the document that is wrong."""

    def __init__(self, where: str, message: str, source: str = "") -> None:
        self.where = where
        self.message = message
        self.source = source
        super().__init__(where, message, source)

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.where, self.message) if part)


# ---------------------------------------------------------------------------------------
# YAML dialect


class _Loader(yaml.SafeLoader):
    """A safe loader that reads `no`, `yes`, `on` and `off` as text, as YAML 1.2 does.

    YAML 1.1 (PyYAML's default) turns a bare `no` into False, so `concern: [no]` would lose
    the answer it names; only `true` and `false` are booleans here.
    """

    def compose_node(self, parent, index):
        # A checklist never needs `*alias` references, and nested ones can make a small upload
        # expand into billions of items.
        if self.check_event(yaml.events.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                _("references (*name) are not allowed in a checklist file"),
                self.peek_event().start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        # A key written twice would silently replace the first one's value.
        seen = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    _("the key “%(key)s” appears twice") % {"key": key},
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; short lists of plain values on one line."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    flat = all(isinstance(item, str | int | float) or item is None for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


# ---------------------------------------------------------------------------------------
# Reading


def _object(data: Any, where: str, required: tuple[str, ...], optional=()) -> dict:
    if not isinstance(data, dict):
        raise ChecklistFileError(where, _("expected a mapping of keys to values."))
    allowed = set(required) | set(optional)
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise ChecklistFileError(
            where,
            _("unknown key “%(key)s”; the keys here are %(allowed)s.")
            % {"key": unknown[0], "allowed": ", ".join(dict.fromkeys((*required, *optional)))},
        )
    for key in required:
        if key not in data:
            raise ChecklistFileError(where, _("the key “%(key)s” is missing.") % {"key": key})
    return data


def _place(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _list(data: Any, where: str) -> list:
    if not isinstance(data, list):
        raise ChecklistFileError(where, _("expected a list."))
    return data


def _text(data: Any, where: str) -> str:
    if data is None:
        return ""
    if not isinstance(data, str):
        raise ChecklistFileError(where, _("expected text, not %(value)r.") % {"value": data})
    return data


def _value_text(data: Any, where: str) -> str:
    """An answer value: text, or a whole number written without quotes."""
    if isinstance(data, int) and not isinstance(data, bool):
        return str(data)
    if not isinstance(data, str) or not data:
        raise ChecklistFileError(
            where, _("expected an answer value, not %(value)r.") % {"value": data}
        )
    return data


def _one_of(data: Any, where: str, allowed: list[str]) -> str:
    if data not in allowed:
        raise ChecklistFileError(
            where,
            _("“%(value)s” is not one of %(allowed)s.")
            % {"value": data, "allowed": ", ".join(allowed)},
        )
    return data


def _boolean(data: Any, where: str) -> bool:
    if not isinstance(data, bool):
        raise ChecklistFileError(
            where, _("expected true or false, not %(value)r.") % {"value": data}
        )
    return data


def _decimal(data: Any, where: str) -> Decimal | None:
    if data is None:
        return None
    if isinstance(data, bool) or not isinstance(data, int | float | str):
        raise ChecklistFileError(where, _("expected a number, not %(value)r.") % {"value": data})
    try:
        number = Decimal(str(data).strip())
    except InvalidOperation:
        raise ChecklistFileError(
            where, _("expected a number, not %(value)r.") % {"value": data}
        ) from None
    if not number.is_finite():
        raise ChecklistFileError(where, _("expected a number, not %(value)r.") % {"value": data})
    return number


def _choices(data: Any, where: str) -> list[list[str]]:
    pairs = []
    seen: set[str] = set()
    for index, pair in enumerate(_list(data, where)):
        p_where = f"{where}[{index}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise ChecklistFileError(p_where, _("expected a pair [value, label]."))
        value = _value_text(pair[0], f"{p_where}[0]")
        label = _text(pair[1], f"{p_where}[1]")
        if not label:
            raise ChecklistFileError(f"{p_where}[1]", _("the label is empty."))
        if value in seen:
            raise ChecklistFileError(
                f"{p_where}[0]", _("the value “%(value)s” appears twice.") % {"value": value}
            )
        seen.add(value)
        pairs.append([value, label])
    return pairs


def _choice_labels(data: Any, where: str) -> dict[str, str]:
    """A translation's choice labels: a mapping of the English choices' values to labels."""
    if not isinstance(data, dict):
        raise ChecklistFileError(where, _("expected a mapping of choice values to labels."))
    labels = {}
    for value, label in data.items():
        value = _value_text(value, where)
        label = _text(label, f"{where}.{value}")
        if label:
            labels[value] = label
    return labels


def _choices_in_languages(question: Question, translations: dict, where: str) -> None:
    """Turn each language's {value: label} into [value, label] pairs in English's order,
    refusing a value the English choices do not have."""
    values = [value for value, _label in question.english_choices]
    for language, texts in translations.items():
        labels = texts.get("choices")
        if labels is None:
            continue
        for value in labels:
            if value not in values:
                raise ChecklistFileError(
                    f"{where}.{language}.choices",
                    _("“%(answer)s” is not one of the answers.") % {"answer": value},
                )
        texts["choices"] = [[value, labels[value]] for value in values if value in labels]


def _concern_answers(data: Any, where: str, kind: str) -> list[str]:
    answers = []
    for index, answer in enumerate(_list(data, where)):
        if isinstance(answer, bool) and kind == Question.Kind.YES_NO:
            # JSON true/false, or a YAML 1.1 file's bare yes/no: a yes/no answer either way.
            answer = "yes" if answer else "no"
        answers.append(_value_text(answer, f"{where}[{index}]"))
    return answers


def _sentence_check(text: str, where: str) -> None:
    """Refuse placeholders the statement cannot fill; the model checks only the originals."""
    problem = sentence_problem(text)
    if problem:
        raise ChecklistFileError(where, problem[:1].lower() + problem[1:])


def translations_read(
    data: Any, where: str, keys: dict[str, str] = TRANSLATED_KEYS
) -> dict[str, dict[str, str]]:
    """Return texts in other languages by model field, from a `translations` mapping.

    `keys` maps the file keys allowed in each language to model fields. A language is one of
    the installation's other than English (`zh` is read as `zh-hans`).
    """
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ChecklistFileError(where, _("expected a mapping of language codes to texts."))
    stored: dict[str, dict[str, str]] = {}
    for language, texts in data.items():
        l_where = f"{where}.{language}"
        code = language_code(language)
        if code is None or code == settings.LANGUAGE_CODE:
            raise ChecklistFileError(
                l_where,
                _("“%(code)s” is not one of the languages texts are translated into: %(codes)s.")
                % {"code": language, "codes": ", ".join(other_languages())},
            )
        if code in stored:
            raise ChecklistFileError(l_where, _("this language is given twice."))
        texts = _object(texts, l_where, (), tuple(keys))
        stored[code] = {}
        for key, text in texts.items():
            if key == "choices":
                if labels := _choice_labels(text, f"{l_where}.{key}"):
                    stored[code][keys[key]] = labels
                continue
            text = _text(text, f"{l_where}.{key}")
            if key in ("clear", "concern_sentence"):
                _sentence_check(text, f"{l_where}.{key}")
            if text:
                stored[code][keys[key]] = text
    return stored


def _translations_data(instance: models.Model, keys: dict[str, str]) -> dict[str, Any]:
    """The `translations` mapping a file writes for an object, or nothing if it has none."""
    fields = {field: key for key, field in keys.items()}
    found = translations_of(instance, fields=list(fields), keys=fields)
    return {"translations": found} if found else {}


def _question(data: Any, where: str) -> Question:
    values = _object(data, where, ("code", "text", "type"), (*QUESTION_KEYS, "translations"))
    kind = _one_of(values["type"], _place(where, "type"), Question.Kind.values)
    question = Question(
        code=_text(values["code"], _place(where, "code")),
        text=_text(values["text"], _place(where, "text")),
        help_text=_text(values.get("help"), _place(where, "help")),
        kind=kind,
        required=_boolean(values.get("required", True), _place(where, "required")),
        not_observed=_boolean(values.get("not_observed", False), _place(where, "not_observed")),
        choices=_choices(values.get("choices", []), _place(where, "choices")),
        concern_answers=_concern_answers(values.get("concern", []), _place(where, "concern"), kind),
        severity=_one_of(
            values.get("severity", Severity.MINOR), _place(where, "severity"), Severity.values
        ),
        reference=_text(values.get("reference"), _place(where, "reference")),
        clear_sentence=_text(values.get("clear"), _place(where, "clear")),
        clear_item=_text(values.get("clear_item"), _place(where, "clear_item")),
        concern_sentence=_text(values.get("concern_sentence"), _place(where, "concern_sentence")),
    )
    translations = translations_read(values.get("translations"), _place(where, "translations"))
    _choices_in_languages(question, translations, _place(where, "translations"))
    translations_set(question, translations)
    for key in ("min", "max", "concern_above"):
        setattr(question, QUESTION_KEYS[key], _decimal(values.get(key), _place(where, key)))
        if key in values and kind != Question.Kind.NUMBER:
            raise ChecklistFileError(
                _place(where, key), _("only number questions have “%(key)s”.") % {"key": key}
            )
    return question


def _parse(data: Any, where: str) -> tuple[Checklist, list[tuple[Section, list[Question]]]]:
    """Check the document's shape and values; return unsaved objects."""
    values = _object(data, where, ("code", "title", "phase", "sections"), CHECKLIST_KEYS)
    checklist = Checklist(
        code=_text(values["code"], _place(where, "code")),
        title=_text(values["title"], _place(where, "title")),
        phase=_one_of(values["phase"], _place(where, "phase"), Phase.values),
        description=_text(values.get("description"), _place(where, "description")),
    )
    translations_set(
        checklist,
        translations_read(
            values.get("translations"), _place(where, "translations"), CHECKLIST_TRANSLATED_KEYS
        ),
    )
    sections = []
    codes: dict[str, str] = {}
    for s_index, section_data in enumerate(_list(values["sections"], _place(where, "sections"))):
        s_where = _place(where, f"sections[{s_index}]")
        section_values = _object(section_data, s_where, ("title", "questions"), SECTION_KEYS)
        section = Section(
            position=s_index, title=_text(section_values["title"], f"{s_where}.title")
        )
        translations_set(
            section,
            translations_read(
                section_values.get("translations"),
                f"{s_where}.translations",
                SECTION_TRANSLATED_KEYS,
            ),
        )
        questions = []
        for q_index, question_data in enumerate(
            _list(section_values["questions"], f"{s_where}.questions")
        ):
            q_where = f"{s_where}.questions[{q_index}]"
            question = _question(question_data, q_where)
            question.position = q_index
            if question.code in codes:
                raise ChecklistFileError(
                    f"{q_where}.code",
                    _("the code “%(code)s” is already used at %(place)s.")
                    % {"code": question.code, "place": codes[question.code]},
                )
            codes[question.code] = q_where
            questions.append(question)
        sections.append((section, questions))
    by_code = {question.code: question for _s, questions in sections for question in questions}
    try:
        checklist.rules = rules_read(values.get("rules"), by_code)
    except RuleError as error:
        raise ChecklistFileError(_place(where, "rules") + error.where, error.message) from None
    return checklist, sections


def _full_clean(
    instance: models.Model, where: str, keys: dict[str, str], exclude: list[str] | None = None
) -> None:
    """Apply the model's own rules, naming the file key of the first field they refuse."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        place = where if field == NON_FIELD_ERRORS else _place(where, keys.get(field, field))
        raise ChecklistFileError(place, " ".join(messages)) from None


@transaction.atomic
def checklist_create_from_data(
    *, mission: Mission, data: Any, where: str = "", version: int | None = None
) -> Checklist:
    """Create a checklist, its sections and questions from a checklist document's body.

    `data` is the file's mapping without its `format` and `version` header. The checklist
    becomes `version` if given (a bundle restores numbers), else the next version of its
    code. Raise ChecklistFileError naming the first wrong place; nothing is written then.
    """
    # The plain keys are the English texts, whatever language the person importing uses.
    with translation.override(settings.LANGUAGE_CODE):
        return _create_from_data(mission=mission, data=data, where=where, version=version)


def _create_from_data(*, mission: Mission, data: Any, where: str, version: int | None):
    checklist, sections = _parse(data, where)
    checklist.mission = mission
    checklist.version = version or checklist_next_version(mission=mission, code=checklist.code)
    _full_clean(checklist, where, {"version": "checklist_version"})
    checklist.save()
    questions = []
    for s_index, (section, section_questions) in enumerate(sections):
        s_where = _place(where, f"sections[{s_index}]")
        section.checklist = checklist
        _full_clean(section, s_where, {}, exclude=["checklist"])
        section.save()
        for q_index, question in enumerate(section_questions):
            question.checklist = checklist
            question.section = section
            _full_clean(
                question,
                f"{s_where}.questions[{q_index}]",
                QUESTION_FIELDS,
                # Set just above; the file's own codes were checked for repeats by _parse.
                exclude=["checklist", "section"],
            )
            questions.append(question)
    Question.objects.bulk_create(questions)
    audit_rows(
        rows=questions,
        changes={"checklist": ["", str(checklist)]},
        action=LogEntry.Action.CREATE,
        note="checklist file",
    )
    return checklist


def checklist_load(*, mission: Mission, text: str, source: str) -> Checklist:
    """Create the next version of a checklist in a mission from a YAML (or JSON) document.

    `source` names the document (a file name) in error messages. Raise ChecklistFileError
    naming the first wrong place; nothing is written then.
    """
    try:
        try:
            data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            if mark is not None:
                message = _(
                    "this is not a YAML or JSON document (line %(line)d, column %(column)d: "
                    "%(problem)s)."
                ) % {"line": mark.line + 1, "column": mark.column + 1, "problem": problem}
            else:
                message = _("this is not a YAML or JSON document (%(problem)s).") % {
                    "problem": problem
                }
            raise ChecklistFileError("", message) from None
        if data is None:
            raise ChecklistFileError("", _("the document is empty."))
        if not isinstance(data, dict):
            raise ChecklistFileError(
                "",
                _("this is not a checklist file (expected “format: %(format)s” at the top).")
                % {"format": FORMAT},
            )
        for key in ("format", "version"):
            if key not in data:
                raise ChecklistFileError("", _("the key “%(key)s” is missing.") % {"key": key})
        if data["format"] != FORMAT:
            raise ChecklistFileError(
                "format",
                _("this is not a checklist file (expected “%(format)s”, found %(found)r).")
                % {"format": FORMAT, "found": data["format"]},
            )
        version = data["version"]
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= VERSION:
            raise ChecklistFileError(
                "version",
                _(
                    "format version %(version)r is not supported; this installation reads 1 to "
                    "%(max)d."
                )
                % {"version": version, "max": VERSION},
            )
        body = {key: value for key, value in data.items() if key not in ("format", "version")}
        return checklist_create_from_data(mission=mission, data=body)
    except ChecklistFileError as error:
        error.source = source
        raise


# ---------------------------------------------------------------------------------------
# Writing


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _question_data(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {"code": question.code, "text": question.text}
    if question.help_text:
        data["help"] = question.help_text
    data["type"] = question.kind
    data["required"] = question.required
    if question.not_observed:
        data["not_observed"] = True
    if question.english_choices:
        data["choices"] = _plain(question.english_choices)
    for key in ("min", "max"):
        value = getattr(question, QUESTION_KEYS[key])
        if value is not None:
            data[key] = _number(value)
    if question.concern_answers:
        data["concern"] = _plain(question.concern_answers)
    if question.concern_above is not None:
        data["concern_above"] = _number(question.concern_above)
    signals = question.concern_answers or question.concern_above is not None
    if signals or question.severity != Severity.MINOR:
        data["severity"] = question.severity
    for key in ("reference", "clear", "clear_item", "concern_sentence"):
        value = getattr(question, QUESTION_KEYS[key])
        if value:
            data[key] = value
    translated = _translations_data(question, TRANSLATED_KEYS)
    for texts in translated.get("translations", {}).values():
        if "choices" in texts:
            texts["choices"] = {str(value): label for value, label in texts["choices"]}
    data.update(translated)
    return data


def _plain(value: Any) -> Any:
    """Copy JSON-like data with tuples as lists, leaving anything odd for the reader to refuse."""
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def question_check(question: Question) -> Question:
    """Return the question as a checklist file would carry it, or raise ChecklistFileError.

    The admin calls this before saving a question, so every question it stores can be
    written to a file and read back unchanged (choice values become text, for example).
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _question(_question_data(question), "")


def checklist_as_data(checklist: Checklist) -> dict[str, Any]:
    """Return a checklist version's content as plain data: the file's body, no header.

    Reads `checklist.sections.all()` and `section.questions.all()`, so a caller that
    prefetched `sections__questions` pays no further query. The plain keys carry the English
    texts, the `translations` mappings the others.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _as_data(checklist)


def _as_data(checklist: Checklist) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": checklist.code,
        "title": checklist.title,
        "phase": checklist.phase,
    }
    if checklist.description:
        data["description"] = checklist.description
    data.update(_translations_data(checklist, CHECKLIST_TRANSLATED_KEYS))
    data["sections"] = [
        {
            "title": section.title,
            **_translations_data(section, SECTION_TRANSLATED_KEYS),
            "questions": [_question_data(question) for question in section.questions.all()],
        }
        for section in checklist.sections.all()
    ]
    if checklist.rules:
        data["rules"] = _plain(checklist.rules)
    return data


def checklist_dump(*, checklist: Checklist) -> str:
    """Return one checklist version as a YAML document that `checklist_load` reads back."""
    document = {"format": FORMAT, "version": VERSION, **checklist_as_data(checklist)}
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=88,
    )


# ---------------------------------------------------------------------------------------
# The standard checklists shipped with Observa


def standard_checklists() -> dict[str, Path]:
    """Return the standard checklist files by name (the file name without `.yaml`)."""
    return {path.stem: path for path in sorted(STANDARD_DIR.glob("*.yaml"))}


def standard_checklist_title(path: Path) -> str:
    """Return the title a standard checklist file gives, for choosing among them."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return str(data.get("title", path.stem)) if isinstance(data, dict) else path.stem
