from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.mission_home, name="mission_home"),
    path("assignments/", views.assignment_list, name="assignment_list"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("app.webmanifest", views.web_manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline.json", views.offline_pages, name="offline_pages"),
]
