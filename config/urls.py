from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from missions import views as mission_views
from missions.languages import set_language
from reports.api import api as observer_api

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
    path("accounts/", include("accounts.urls")),  # password, two-factor (security)
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("missions/<slug:slug>/", include("reports.urls")),
    path("missions/<slug:slug>/statements/", include("reports.statements.urls")),
    path("missions/<slug:slug>/audit/", include("audit.urls")),  # audit trail (security)
    path("missions/<slug:slug>/operations/", include("reports.operations.urls")),
    path("press/", include("reports.statements.press_urls")),
    path("api/", observer_api.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]
