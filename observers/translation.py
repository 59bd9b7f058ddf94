"""People and delegations as statements name them, in each language (docs/languages.md)."""

from modeltranslation.translator import TranslationOptions, register

from observers.models import Delegation, Observer


@register(Observer)
class ObserverTranslation(TranslationOptions):
    fields = ("full_name", "position", "institution", "country")
    required_languages = ("en",)


@register(Delegation)
class DelegationTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)
    # A name is unique within its mission or parent in every language: a translation not
    # yet written is stored as NULL, so two of them never clash.
    empty_values = None
