"""Rules between a checklist's answers, declared in its file and checked when a visit is filed.

A rule says: when one question is answered a certain way, another question must be answered a
certain way, else the observer reads the rule's message beside that other question. For
example, complaints recorded = yes requires a complaint count above 0:

    rules:
      - when: {question: complaints_recorded, answer: ['yes']}
        require: {question: complaints_count, above: 0}
        message: Complaints were recorded: how many?

A condition (`when` or `require`) names a question and one test: `answer` (one of these
values; for a multiple-choice question, any of them chosen), `not` (none of these values),
`above` / `at_most` (number questions), or `answered: true`. A question left empty or marked
"not observed" meets only `not`. The checklist file reader validates rules with `rules_read`,
the form and the service check them with `rules_errors`.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

# The form field of a question's answer, which is also the key of a rule's error.
ANSWER_FIELD = "q_{code}"
TESTS = ("answer", "not", "above", "at_most", "answered")
CHOOSING = ("yes_no", "single", "multiple")


class RuleError(Exception):
    """A rule that cannot be read: `where` names the place, relative to the rule."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(where, message)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def condition_holds(condition: dict[str, Any], value: Any) -> bool:
    """Tell whether an answer (None when empty or not observed) meets a rule's condition."""
    empty = value is None or value == "" or value == []
    if "not" in condition:
        if empty:
            return True
        chosen = value if isinstance(value, list) else [value]
        return not {str(item) for item in chosen} & {str(item) for item in condition["not"]}
    if empty:
        return False
    if "answer" in condition:
        chosen = value if isinstance(value, list) else [value]
        return bool({str(item) for item in chosen} & {str(item) for item in condition["answer"]})
    if "above" in condition or "at_most" in condition:
        number = _number(value)
        if number is None:
            return False
        if "above" in condition and not number > Decimal(str(condition["above"])):
            return False
        return not ("at_most" in condition and number > Decimal(str(condition["at_most"])))
    return True  # answered: true


def rules_errors(
    *, rules: list[dict[str, Any]], values: dict[str, Any], language: str | None = None
) -> dict[str, str]:
    """Return the messages of the rules the answers break, by answer field (`q_<code>`).

    `values` maps question codes to answers, None for a question left empty or not observed.
    """
    errors: dict[str, str] = {}
    for rule in rules:
        when, require = rule["when"], rule["require"]
        if not condition_holds(when, values.get(when["question"])):
            continue
        if condition_holds(require, values.get(require["question"])):
            continue
        message = (rule.get("translations") or {}).get(language or "") or rule["message"]
        errors.setdefault(ANSWER_FIELD.format(code=require["question"]), message)
    return errors


def _condition_read(data: Any, where: str, questions: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise RuleError(where, _("expected a mapping with “question” and one test."))
    unknown = sorted(str(key) for key in data if key != "question" and key not in TESTS)
    if unknown:
        raise RuleError(
            where,
            _("unknown key “%(key)s”; the keys here are question, %(tests)s.")
            % {"key": unknown[0], "tests": ", ".join(TESTS)},
        )
    code = data.get("question")
    if code not in questions:
        raise RuleError(
            f"{where}.question",
            _("“%(code)s” is not a question of this checklist.") % {"code": code},
        )
    question = questions[code]
    tests = [key for key in TESTS if key in data]
    if not tests:
        raise RuleError(where, _("give one test: %(tests)s.") % {"tests": ", ".join(TESTS)})
    # One test, or a range: above and at_most together.
    if len(tests) > 1 and tests != ["above", "at_most"]:
        raise RuleError(where, _("give only one test here."))
    condition: dict[str, Any] = {"question": code}
    for key in tests:
        value = data[key]
        if key in ("answer", "not"):
            if question.kind not in CHOOSING:
                raise RuleError(
                    f"{where}.{key}", _("only yes/no and choice questions have answers to list.")
                )
            values = value if isinstance(value, list) else [value]
            allowed = question.choice_values
            for item in values:
                if isinstance(item, bool) and question.kind == "yes_no":
                    item = "yes" if item else "no"
                if str(item) not in allowed:
                    raise RuleError(
                        f"{where}.{key}",
                        _("“%(value)s” is not one of %(allowed)s.")
                        % {"value": item, "allowed": ", ".join(allowed)},
                    )
            condition[key] = [
                ("yes" if item else "no") if isinstance(item, bool) else str(item)
                for item in values
            ]
        elif key in ("above", "at_most"):
            if question.kind != "number":
                raise RuleError(
                    f"{where}.{key}", _("only number questions have “%(key)s”.") % {"key": key}
                )
            number = _number(value)
            if number is None:
                raise RuleError(
                    f"{where}.{key}", _("expected a number, not %(value)r.") % {"value": value}
                )
            condition[key] = int(number) if number == number.to_integral_value() else float(number)
        elif value is not True:
            raise RuleError(f"{where}.answered", _("expected true."))
        else:
            condition[key] = True
    return condition


def rules_read(data: Any, questions: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a checklist file's `rules` as stored, checked against its questions by code.

    Raise RuleError naming the place (`[0].require.above`) of the first mistake.
    """
    if data is None:
        return []
    if not isinstance(data, list):
        raise RuleError("", _("expected a list."))
    rules = []
    for index, item in enumerate(data):
        where = f"[{index}]"
        if not isinstance(item, dict):
            raise RuleError(where, _("expected a mapping of keys to values."))
        allowed = ("when", "require", "message", "translations")
        unknown = sorted(str(key) for key in item if key not in allowed)
        if unknown:
            raise RuleError(
                where,
                _("unknown key “%(key)s”; the keys here are %(allowed)s.")
                % {"key": unknown[0], "allowed": ", ".join(allowed)},
            )
        for key in ("when", "require", "message"):
            if key not in item:
                raise RuleError(where, _("the key “%(key)s” is missing.") % {"key": key})
        message = item["message"]
        if not isinstance(message, str) or not message.strip():
            raise RuleError(f"{where}.message", _("expected the text the observer reads."))
        rule: dict[str, Any] = {
            "when": _condition_read(item["when"], f"{where}.when", questions),
            "require": _condition_read(item["require"], f"{where}.require", questions),
            "message": message.strip(),
        }
        translations = item.get("translations")
        if translations is not None:
            if not isinstance(translations, dict) or not all(
                isinstance(key, str) and isinstance(text, str) for key, text in translations.items()
            ):
                raise RuleError(
                    f"{where}.translations", _("expected a mapping of language codes to texts.")
                )
            rule["translations"] = dict(translations)
        rules.append(rule)
    return rules
