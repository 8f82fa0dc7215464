from __future__ import annotations

import pytest

from pydantic import SecretStr
from notify.twilio_sender import TWIML_MEDIA_TYPE, sign, twiml_reply, validate_signature

# Twilio's published example (api-snippets, security/signature_validation): the signature
# belongs to these five POST fields. SMS.md says "no params"; with no params the same token and
# URL give another signature (checked below), so the vector needs its fields.
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilios_known_vector_validates() -> None:
    assert sign(TOKEN, URL, PARAMS) == SIGNATURE
    assert validate_signature(TOKEN, URL, PARAMS, SIGNATURE)
    assert validate_signature(SecretStr(TOKEN), URL, PARAMS, SIGNATURE)


def test_the_known_signature_does_not_belong_to_an_empty_form() -> None:
    assert sign(TOKEN, URL, {}) == "zYQTYrRWXE7LtzbG4PfP7/bkkGo="
    assert not validate_signature(TOKEN, URL, {}, SIGNATURE)


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        ("54321", URL, PARAMS, SIGNATURE),  # another token
        (TOKEN, URL.replace("foo=1", "foo=2"), PARAMS, SIGNATURE),  # another URL
        (TOKEN, "http://mycompany.com/myapp.php?foo=1&bar=2", PARAMS, SIGNATURE),  # another scheme
        (TOKEN, URL, {**PARAMS, "Digits": "1235"}, SIGNATURE),  # a changed field
        (TOKEN, URL, {**PARAMS, "Extra": ""}, SIGNATURE),  # an added blank field counts too
        (TOKEN, URL, PARAMS, SIGNATURE[:-2] + "A="),  # a changed signature
        (TOKEN, URL, PARAMS, None),  # unsigned
        (TOKEN, URL, PARAMS, ""),
        (None, URL, PARAMS, SIGNATURE),  # no token configured: refuse, never accept
        ("", URL, PARAMS, SIGNATURE),
    ],
)
def test_tampered_unsigned_or_unconfigured_requests_are_refused(
    token: str | None, url: str, params: dict[str, str], signature: str | None
) -> None:
    assert not validate_signature(token, url, params, signature)


def test_a_signature_made_with_the_port_validates_with_or_without_it() -> None:
    url = "https://dividends.example.org:443/webhooks/twilio/status"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    signature = sign("secret", url, params)
    assert validate_signature("secret", url, params, signature)
    assert validate_signature(
        "secret", "https://dividends.example.org/webhooks/twilio/status", params, signature
    )


def test_signing_needs_a_token() -> None:
    with pytest.raises(ValueError):
        sign("", URL, PARAMS)


def test_twiml_replies() -> None:
    assert TWIML_MEDIA_TYPE == "application/xml"
    assert twiml_reply(None) == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert twiml_reply("") == twiml_reply(None)
    assert twiml_reply("查询 & <明细>") == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<Response><Message>查询 &amp; &lt;明细&gt;</Message></Response>"
    )
