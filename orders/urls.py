from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    # POST plan=<Plan.pk>; the treatment page's "Start your visit" form posts here.
    path("cart/add/", views.cart_add, name="cart_add"),
]
