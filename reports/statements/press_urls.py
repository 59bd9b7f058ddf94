"""The press pages, mounted at /press/: published statements for everyone, embargoed ones
for the mission's press officers."""

from django.urls import path

from reports.statements import press as views

app_name = "press"

urlpatterns = [
    path("", views.press_list, name="list"),
    path("statements/<int:pk>/<str:format>/", views.press_download, name="download"),
]
