from django.urls import path

from . import views

app_name = "treatments"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("<slug:category_slug>/", views.category, name="category"),
    path("<slug:category_slug>/<slug:treatment_slug>/", views.detail, name="detail"),
]
