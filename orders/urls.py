from django.urls import path

from orders import views
from patients import checkins as checkin_views
from patients import views as account_views
from payments import webhook as stripe_webhook

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    # POST plan=<Plan.pk>; the treatment page's "Start your visit" form posts here.
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/test-mode/<str:public_id>/", views.test_mode_payment, name="test_mode"),
    path("account/", account_views.account, name="account"),
    path("orders/<str:public_id>/", account_views.order_detail, name="detail"),
    path("orders/<str:public_id>/pause/", account_views.pause, name="pause"),
    path("orders/<str:public_id>/resume/", account_views.resume, name="resume"),
    path("orders/<str:public_id>/cancel/", account_views.cancel, name="cancel"),
    path("orders/<str:public_id>/address/", account_views.change_address, name="change_address"),
    path("orders/<str:public_id>/renewal/", account_views.renewal, name="renewal"),
    path("orders/<str:public_id>/report/", account_views.report, name="report"),
    path(
        "orders/<str:public_id>/checkins/<int:checkin_id>/",
        checkin_views.checkin,
        name="checkin",
    ),
    path("orders/<str:public_id>/cards-and-invoices/", account_views.portal, name="portal"),
    path("orders/<str:public_id>/messages/", account_views.threads, name="threads"),
    path(
        "orders/<str:public_id>/messages/<int:thread_id>/",
        account_views.thread,
        name="thread",
    ),
    path("stripe/webhook/", stripe_webhook.stripe_webhook, name="stripe_webhook"),
]
