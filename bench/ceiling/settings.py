"""Settings for bench/visit_surge.py: the product's own settings, plus the ceiling's URL.

Gunicorn serves the product and the bare insert view (bench/ceiling/urls.py) from the same
workers with these settings, so both are measured under the same middleware, database
connection settings and process count. Two differences from config.settings, neither on the
measured paths (a POST that answers 302 or 204 renders no template):

- ROOT_URLCONF adds the ceiling view to the product's URLs;
- static files use the plain storage, so error pages render without `collectstatic` (which
  the benchmark does not run) and nothing is written into the project.
"""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.ceiling.urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or STATIC_ROOT  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
