"""Patients stay out of the admin: a signed-in patient who opens it goes to her account."""

from django.shortcuts import redirect
from django.urls import reverse


class PatientsStayOutOfTheAdmin:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_staff
            and request.path.startswith(reverse("admin:index"))
        ):
            return redirect("orders:account")
        return self.get_response(request)
