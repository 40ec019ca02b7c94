import pytest

from core.request_context import client_ip, current


@pytest.mark.parametrize(
    "trusted, meta, expected",
    [
        ([], {"REMOTE_ADDR": "198.51.100.4", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "198.51.100.4"),
        (["10.0.0.0/8"], {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 10.0.0.9"}, "1.2.3.4"),
        # a client cannot forge its address by prepending to the header
        (["10.0.0.2"], {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"}, "1.2.3.4"),
        (["10.0.0.2"], {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "garbage"}, "10.0.0.2"),
        ([], {"REMOTE_ADDR": ""}, None),
    ],
)
def test_client_ip_trusts_only_configured_proxies(settings, trusted, meta, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(meta) == expected


@pytest.mark.django_db
def test_each_request_gets_an_id_and_its_context_is_bound_only_during_the_request(client, settings):
    # a client's own request id is ignored; one from a trusted proxy is kept
    assert client.get("/healthz", HTTP_X_REQUEST_ID="forged")["X-Request-ID"] != "forged"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    response = client.get("/healthz", HTTP_USER_AGENT="probe/1.0", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    assert client.get("/healthz")["X-Request-ID"] != "abc123"
    assert current().actor is None and current().actor_label == "system"
