"""The languages as users meet them: the codes they type, and the language each one reads.

A user types en, ru or zh (Django's own code for Simplified Chinese, zh-hans, is accepted as
the same, as are zh_Hans and zh-CN). A signed-in user's choice of language is kept with their
account (UserPreference): it is put in their session when they log in, and every page they
open is in it, whatever their browser asks for.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views import i18n
from django.views.decorators.http import require_POST

from missions.selectors import user_language
from missions.services import user_language_set

# The code a user types and reads for each of settings.LANGUAGES where the two differ.
PUBLIC_CODES = {"zh-hans": "zh"}
_ALIASES = {public: code for code, public in PUBLIC_CODES.items()}
SESSION_KEY = "observa_language"


def language_code(value: str) -> str:
    """settings.LANGUAGES' code for a language a user typed; LookupError if it is not one."""
    typed = (value or "").strip().lower().replace("_", "-")
    typed = _ALIASES.get(typed, typed)
    if not typed:
        raise LookupError(value)
    code = translation.get_supported_language_variant(typed, strict=True)
    if code not in dict(settings.LANGUAGES):
        raise LookupError(value)
    return code


def language_code_or_typed(value):
    """language_code(value), or the value unchanged for the model's validation to refuse."""
    try:
        return language_code(value) if isinstance(value, str) else value
    except LookupError:
        return value


def public_code(code: str) -> str:
    """The code users type for one of settings.LANGUAGES: en, ru, zh."""
    return PUBLIC_CODES.get(code, code)


def public_codes() -> list[str]:
    return [public_code(code) for code, _name in settings.LANGUAGES]


def user_logged_in_language(sender, request, user, **kwargs) -> None:
    """At login: the user's own language for the session (empty: the browser's)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = user_language(user=user)


class UserLanguageMiddleware:
    """Show a signed-in user every page in the language they chose (after LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            language = request.session.get(SESSION_KEY)
            if language is None:
                # A session made without logging in (e.g. by a test); asked once per session.
                language = request.session[SESSION_KEY] = user_language(user=request.user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, taking en/ru/zh, and remembering a signed-in user's choice."""
    try:
        code = language_code(request.POST.get("language", ""))
    except LookupError:
        code = ""
    if code:
        request.POST = request.POST.copy()
        request.POST["language"] = code
        if request.user.is_authenticated:
            user_language_set(user=request.user, language=code)
            request.session[SESSION_KEY] = code
    return i18n.set_language(request)
