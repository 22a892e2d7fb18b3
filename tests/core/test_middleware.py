"""A NUL in a query parameter is a 400 on every page, the admin's lists included."""

import pytest

from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/?q=%00",
        "/admin/orders/order/?status__exact=paid%00",
        "/admin/orders/order/?%00=1",
        "/admin/orders/payment/?q=pi_%00",
    ],
)
def test_a_nul_in_a_staff_list_filter_is_a_400_not_a_500(client, url):
    sign_in(client, staff("support", "sue"))
    response = client.get(url)
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.content.decode()


def test_a_nul_on_a_public_page_is_a_400_and_a_clean_query_passes(client):
    assert client.get("/?utm_source=%00").status_code == 400
    assert client.get("/?utm_source=newsletter").status_code == 200
