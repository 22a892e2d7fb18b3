"""Patients stay out of the admin: a signed-in patient who opens it goes to her account."""

from django.shortcuts import redirect
from django.urls import reverse

from orders.models import is_patient


class PatientsStayOutOfTheAdmin:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if request.path.startswith(reverse("admin:index")) and is_patient(user):
            return redirect("orders:account")
        return self.get_response(request)
