from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from missions.selectors import missions_of_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "missions/home.html", {"missions": list(missions_of_user(request.user))})
