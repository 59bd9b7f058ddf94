"""The headers a browser gets in production: a strict Content-Security-Policy, a
Permissions-Policy and HSTS, read from the production settings in their own process."""

import json

from django.urls import reverse

from tests.test_settings import run_manage

FETCH = """
import json
from django.test import Client
# A redirect: production serves pages only after collectstatic, which this test skips.
response = Client().get("/admin/", secure=True)
print(json.dumps({"status": response.status_code, **dict(response.headers)}))
"""


def test_production_sends_csp_permissions_policy_and_hsts(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        FETCH,
        DEBUG="false",
        SECRET_KEY="k7#Qv2!mZp9^rT4@xW8&nB3*hJ6(cL1)yF5$dS0%gA-=uE+iO;Lq~Vb",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:6379/15",
    )

    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert headers["status"] == 302
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"


def test_every_page_of_the_test_server_carries_the_policy(client, personas):
    client.force_login(personas.coordinator)

    for url in ("/", reverse("reports:mission_home", args=["mission-a"]), "/admin/", "/press/"):
        response = client.get(url)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url
        assert "Permissions-Policy" in response, url
