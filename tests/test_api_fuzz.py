"""Schemathesis fuzzes the observer API on the running test server, from its OpenAPI schema.

Whatever it sends: never a server error, every answer a status and a body the schema
documents, and a refused request writes nothing.
"""

import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from reports.models import Answer, Attachment, Incident, Visit, VisitRevision
from tests.visits_support import make_checklist, station_of

# Bounded, so the suite stays quick on CI; raise it by hand to fuzz longer.
EXAMPLES = 60


def session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


@pytest.fixture
def logged_in(personas, transactional_db):
    """The observer's cookies and CSRF header, as the page's own code sends them."""
    make_checklist(personas.mission_a)
    station_of(personas.mission_a, "83")
    token = _get_new_csrf_string()
    return {
        "cookies": {
            settings.SESSION_COOKIE_NAME: session_for(personas.observer),
            settings.CSRF_COOKIE_NAME: token,
        },
        "headers": {"X-CSRFToken": token},
    }


def written() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Visit, Answer, Incident, Attachment, VisitRevision)
    )


def test_the_api_answers_every_request_as_documented_and_a_refusal_writes_nothing(
    live_server, logged_in
):
    cookie = "; ".join(f"{name}={value}" for name, value in logged_in["cookies"].items())
    schema = schemathesis.openapi.from_url(
        live_server.url + "/api/openapi.json", headers={"Cookie": cookie}
    )
    operation = schema["/api/missions/{slug}/visits"]["POST"]
    seen: set[int] = set()

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def fuzz(case):
        case.path_parameters = {"slug": "mission-a"}
        before = written()

        response = case.call(
            base_url=live_server.url, headers=logged_in["headers"], cookies=logged_in["cookies"]
        )

        assert response.status_code < 500, response.text
        # Whether a checklist id or a station number exists is the form's to say (400, with
        # the field named), not something a schema can know: schema-valid data may be refused.
        case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])
        if response.status_code >= 400:
            assert written() == before
        seen.add(response.status_code)

    fuzz()

    # The fuzzing reached the form's own validation, not only the gate in front of it.
    assert 400 in seen
