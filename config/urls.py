from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from missions import views as mission_views

admin.site.site_header = _("Observa")
admin.site.site_title = _("Observa")
admin.site.index_title = _("Missions, observers and polling stations")
# The side list of models takes a quarter of a 1366-pixel screen from every changelist; the
# index and the breadcrumbs lead to the same pages.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", mission_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("missions/<slug:slug>/", include("reports.urls")),
    path("missions/<slug:slug>/statements/", include("reports.statement_urls")),
    path("missions/<slug:slug>/operations/", include("reports.operations.urls")),
    path("press/", include("reports.press_urls")),
]
