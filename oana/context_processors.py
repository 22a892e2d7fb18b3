from django.conf import settings


def site(request):
    """Values every page needs: support contact, and the cart count for the header."""
    return {
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "SITE_URL": settings.SITE_URL,
        # The orders app keeps the cart in the session as {plan_id: quantity}; reading its
        # length costs no query.
        "cart_count": len(request.session.get("cart", {})) if hasattr(request, "session") else 0,
    }
