"""Checklists and authored statement texts in each language (docs/languages.md)."""

from modeltranslation.translator import TranslationOptions, register

from reports.models import Checklist, Question, Section, StatementText


@register(Checklist)
class ChecklistTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = ("en",)


@register(Section)
class SectionTranslation(TranslationOptions):
    fields = ("title",)
    required_languages = ("en",)


@register(Question)
class QuestionTranslation(TranslationOptions):
    # `choices` in another language holds [value, label] pairs for the English values; a
    # value it leaves out is labelled in English (Question.choice_labels).
    fields = ("text", "help_text", "choices", "clear_sentence", "clear_item", "concern_sentence")
    required_languages = ("en",)


@register(StatementText)
class StatementTextTranslation(TranslationOptions):
    fields = ("body",)
    # A section a coordinator has not written in a language is left out of that language's
    # statement (and listed as missing on the statement pages), never printed in English.
    fallback_languages = {"default": ()}
