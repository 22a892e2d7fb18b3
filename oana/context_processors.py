from django.conf import settings

from orders.cart import SESSION_KEY as CART_SESSION_KEY
from orders.models import Thread, is_patient


def site(request):
    """Values every page needs: support contact, and the cart count for the header."""
    return {
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "CARE_TEAM_REPLY": settings.CARE_TEAM_REPLY,
        "SITE_URL": settings.SITE_URL,
        "sign_in_code_minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
        "patient_idle_hours": settings.PATIENT_SESSION_IDLE_SECONDS // 3600,
        # The cart is {plan id: quantity} in the session: its length costs no query.
        "cart_count": (
            len(request.session.get(CART_SESSION_KEY, {})) if hasattr(request, "session") else 0
        ),
    }


def patient(request):
    """Her unread messages, for the header: one query, and none for anonymous visitors."""
    user = getattr(request, "user", None)
    if not is_patient(user):
        return {}

    return {
        "unread_messages": Thread.objects.unread_by_patient().filter(order__patient=user).count()
    }
