from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def cart(request):
    return render(request, "orders/cart.html", {})


@require_POST
def cart_add(request):
    # Placeholder until the ordering issue: the cart itself is not built yet.
    return redirect("orders:cart")
