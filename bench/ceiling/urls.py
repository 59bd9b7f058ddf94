"""The product's URLs plus the benchmark's ceiling: a bare view that inserts one row.

`bench/insert/` is what a Django view that does the least useful write costs on this stack:
the same middleware as every product page, one INSERT in autocommit, an empty 204. The table
is created (and emptied) by bench/visit_surge.py; no model, no migration.
`bench/insert-logged-in/` is the same view behind login_required (`--login-ceiling`).
`bench/floor/<slug>/visits/new/` is the floor for filing a visit (bench/ceiling/floor.py),
`bench/floor/<slug>/visits/<pk>/` the least page to follow it with.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench.ceiling.floor import visit_floor, visit_floor_page
from config.urls import urlpatterns as product_urlpatterns

CEILING_TABLE = "bench_ceiling"


@csrf_exempt
def insert_one(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CEILING_TABLE} (payload) VALUES (%s)",
            [request.POST.get("n", "")[:100]],
        )
    return HttpResponse(status=204)


# The same insert behind a login: the session and user loads every observer page pays first.
insert_one_logged_in = login_required(insert_one)


def ping(request: HttpRequest) -> HttpResponse:
    """Readiness probe for the benchmark: no database, no session."""
    return HttpResponse(status=204)


urlpatterns = [
    path("bench/insert/", insert_one),
    path("bench/insert-logged-in/", insert_one_logged_in),
    path("bench/ping/", ping),
    path("bench/floor/<slug:slug>/visits/new/", visit_floor),
    path("bench/floor/<slug:slug>/visits/<int:pk>/", visit_floor_page),
    *product_urlpatterns,
]
