"""The operations room, mounted at /missions/<slug>/operations/."""

from django.urls import path

from reports.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("feed/", views.feed, name="feed"),
    path("concerns-chart/", views.concern_chart, name="concern_chart"),
    path("stations.json", views.map_stations, name="map_stations"),
    path("exports/<slug:kind>.<str:format>", views.export, name="export"),
    path("exports/jobs/<int:pk>/", views.export_job, name="export_job"),
    path("exports/jobs/<int:pk>/status", views.export_job_status, name="export_job_status"),
    path("exports/jobs/<int:pk>/file", views.export_job_file, name="export_job_file"),
]
