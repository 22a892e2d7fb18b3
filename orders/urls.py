from django.urls import path

from . import stripe_webhook, views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    # POST plan=<Plan.pk>; the treatment page's "Start your visit" form posts here.
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/test-mode/<str:public_id>/", views.test_mode_payment, name="test_mode"),
    path("orders/<str:public_id>/", views.order_detail, name="detail"),
    path("stripe/webhook/", stripe_webhook.stripe_webhook, name="stripe_webhook"),
]
