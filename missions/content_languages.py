"""Content in each language: the one mechanism behind every translated field.

Models register their translated fields in their app's `translation.py`
(django-modeltranslation). Each gets one column per language in settings.LANGUAGES
(`full_name_en`, `full_name_ru`, `full_name_zh_hans`); the plain attribute reads the active
language and falls back to English, unless the model's options say otherwise. Files and
bundles carry the English text under the plain key and the other languages under
`translations: {ru: {field: text}, zh-hans: {...}}`; these helpers read and write that shape
for any registered model. See docs/languages.md.
"""

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.utils import translation
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname

DEFAULT_LANGUAGE = settings.LANGUAGE_CODE
# What a person may type for a language, beside the codes in settings.LANGUAGES.
ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_hans": "zh-hans", "zh-hans-cn": "zh-hans"}


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def other_languages() -> list[str]:
    """The languages content is translated into: every language but English."""
    return [code for code in languages() if code != DEFAULT_LANGUAGE]


def language_code(code: Any) -> str | None:
    """The installation's code for what was typed (`zh` → `zh-hans`), or None if unknown."""
    if not isinstance(code, str):
        return None
    code = code.strip().lower()
    code = ALIASES.get(code, code)
    return code if code in languages() else None


def translated_fields(model: type[models.Model] | models.Model) -> tuple[str, ...]:
    """The model's translated fields, in the order its translation options list them."""
    try:
        options = translator.get_options_for_model(
            model if isinstance(model, type) else type(model)
        )
    except NotRegistered:
        return ()
    return tuple(options.fields)


def column(field: str, language: str) -> str:
    """The column holding `field` in `language`: column("name", "zh-hans") == "name_zh_hans"."""
    return build_localized_fieldname(field, language)


def columns(field: str) -> list[str]:
    return [column(field, language) for language in languages()]


def in_language(instance: models.Model, field: str, language: str) -> Any:
    """The value written in `language` itself, without any fallback."""
    return getattr(instance, column(field, language))


def translations_of(
    instance: models.Model, fields: Iterable[str] | None = None, keys: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """The instance's texts in the other languages, as a file carries them.

    `{"ru": {"full_name": "Чжан Мин"}, "zh-hans": {...}}`: empty values and languages with
    nothing are left out. `keys` renames fields to a file's keys (help_text → help).
    """
    fields = translated_fields(instance) if fields is None else tuple(fields)
    keys = keys or {}
    found: dict[str, dict[str, Any]] = {}
    for language in other_languages():
        texts = {
            keys.get(field, field): value
            for field in fields
            if (value := in_language(instance, field, language)) not in (None, "", [], {})
        }
        if texts:
            found[language] = texts
    return found


def translations_set(instance: models.Model, translations: dict[str, dict[str, Any]]) -> None:
    """Write texts in other languages (checked already) onto the instance's columns."""
    for language, texts in translations.items():
        for field, value in texts.items():
            setattr(instance, column(field, language), value)


def with_english_columns(model: type[models.Model], fields: Iterable[str]) -> list[str]:
    """The fields to write after setting them in English: a translated field's English
    column besides the field itself (bulk_update writes columns, not what attributes read)."""
    translated = set(translated_fields(model))
    result = []
    for field in fields:
        result.append(field)
        if field in translated:
            result.append(column(field, DEFAULT_LANGUAGE))
    return result


Function = TypeVar("Function", bound=Callable[..., Any])


def in_english(function: Function) -> Function:
    """Run `function` with English active: a file's or a sheet's plain columns are English,
    whatever language the person importing or exporting reads the site in."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with translation.override(DEFAULT_LANGUAGE):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
