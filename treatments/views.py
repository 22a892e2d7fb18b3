from django.shortcuts import render


def catalog(request):
    return render(request, "treatments/catalog.html", {})
