from django.conf import settings

from orders.cart import SESSION_KEY as CART_SESSION_KEY


def site(request):
    """Values every page needs: support contact, and the cart count for the header."""
    return {
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "SITE_URL": settings.SITE_URL,
        # The cart is {plan id: quantity} in the session: its length costs no query.
        "cart_count": (
            len(request.session.get(CART_SESSION_KEY, {})) if hasattr(request, "session") else 0
        ),
    }
