"""A mission's audit trail, for its coordinators, its head and superusers."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.selectors import audit_entries_of_mission
from reports.statements.views import StaffAccess, coordinator_page

PAGE_SIZE = 100


@coordinator_page
def mission_audit(request: HttpRequest, access: StaffAccess) -> HttpResponse:
    page = Paginator(audit_entries_of_mission(mission_id=access.mission.pk), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "audit/mission_audit.html",
        {"mission": access.mission, "page": page, "entries": page.object_list},
    )
