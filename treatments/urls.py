from django.urls import path

from . import views

app_name = "treatments"

urlpatterns = [
    path("", views.catalog, name="catalog"),
]
