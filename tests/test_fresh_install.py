"""A new installation is right after one `migrate`: nobody has to run it twice."""

import sqlite3

from tests.test_settings import run_manage


def test_one_migrate_on_an_empty_database_gives_coordinators_every_permission(tmp_path):
    database = tmp_path / "fresh.sqlite3"

    result = run_manage("migrate", "--noinput", DEBUG="true", DATABASE_URL=f"sqlite:///{database}")

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        granted = {
            f"{app}.{codename}"
            for app, codename in db.execute(
                "SELECT ct.app_label, p.codename FROM auth_group g "
                "JOIN auth_group_permissions gp ON gp.group_id = g.id "
                "JOIN auth_permission p ON p.id = gp.permission_id "
                "JOIN django_content_type ct ON ct.id = p.content_type_id "
                "WHERE g.name = 'Mission coordinators'"
            )
        }
        existing = {
            f"{app}.{codename}"
            for app, codename in db.execute(
                "SELECT ct.app_label, p.codename FROM auth_permission p "
                "JOIN django_content_type ct ON ct.id = p.content_type_id "
                "WHERE ct.app_label IN ('missions', 'observers', 'stations', 'reports')"
            )
        }
    # The changelists a coordinator was refused on a fresh database.
    assert {
        "reports.view_visit",
        "reports.change_visit",
        "stations.view_pollingstation",
        "stations.view_assignment",
        "observers.change_participation",
    } <= granted
    assert granted == existing
