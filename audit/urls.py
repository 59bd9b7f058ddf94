"""Mounted at /missions/<slug>/audit/."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.mission_audit, name="mission"),
]
