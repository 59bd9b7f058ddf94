"""Coordinator pages of a mission's statements, mounted at /missions/<slug>/statements/."""

from django.urls import path

from reports.statements import views

app_name = "statements"

urlpatterns = [
    path("", views.statement_list, name="list"),
    path("<int:pk>/", views.statement_detail, name="detail"),
    path("<int:pk>/status.json", views.statement_status, name="status"),
    path("<int:pk>/assessment/", views.statement_assess, name="assess"),
    path("<int:pk>/approve/", views.statement_approve_view, name="approve"),
    path("<int:pk>/publish/", views.statement_publish_view, name="publish"),
    path(
        "<int:pk>/evidence/<str:paragraph_id>/",
        views.statement_evidence,
        name="evidence",
    ),
    path(
        "<int:pk>/download/<str:format>/",
        views.statement_download,
        name="download",
    ),
]
