"""Request guards that apply to every page."""

from django.http import HttpResponseBadRequest


class RefuseNulInQueryString:
    """A NUL character in a query parameter is never meaningful, and PostgreSQL refuses it
    in any string it is given (a staff list filter or search answered 500). Refused here
    with a 400, once, before any view or admin list builds a query from it. Form fields
    refuse NUL themselves (Django's ``ProhibitNullCharactersValidator``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, value in _pairs(request.GET)):
            return HttpResponseBadRequest(
                "This address has a character that is not allowed (NUL).",
                content_type="text/plain",
            )
        return self.get_response(request)


def _pairs(query):
    for key, values in query.lists():
        for value in values:
            yield key, value
