"""Fake but format-valid keys, random per run, so entropy checks and regexes see real shapes."""

from __future__ import annotations

import base64
import json
import secrets
import string

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


def rnd(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def supabase_jwt(role: str) -> str:
    header = _b64url({"alg": "HS256", "typ": "JWT"})
    payload = _b64url({"iss": "supabase", "ref": rnd(20).lower(), "role": role, "iat": 1700000000})
    return f"{header}.{payload}.{rnd(43, URLSAFE)}"


def private_key_block() -> str:
    body = "\n".join(rnd(64, ALNUM + "+/") for _ in range(6))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"


def make_keys() -> dict[str, str]:
    """rule id -> a fresh key that rule must find."""
    return {
        # OpenAI project key with a '-' inside the 20 chars after T3BlbkFJ (detect-secrets misses it)
        "openai-api-key": "sk-proj-" + rnd(74, URLSAFE) + "T3BlbkFJ" + rnd(8) + "-" + rnd(65, URLSAFE),
        "anthropic-api-key": "sk-ant-api03-" + rnd(93, URLSAFE) + "AA",
        "anthropic-admin-key": "sk-ant-admin01-" + rnd(93, URLSAFE) + "AA",
        "anthropic-oauth-token": "sk-ant-oat01-" + rnd(100, URLSAFE),
        "stripe-live-secret-key": "sk_live_" + rnd(99),
        "stripe-live-restricted-key": "rk_live_" + rnd(99),
        "stripe-test-key": "sk_test_" + rnd(99),
        "webhook-signing-secret": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        "standard-webhooks-signing-key": "whsk_" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "supabase-service-role-jwt": supabase_jwt("service_role"),
        "supabase-secret-key": "sb_secret_" + rnd(32, URLSAFE),
        "cloudflare-api-token": "cfut_" + rnd(40) + rnd(8, HEX),
        "cloudflare-global-api-key": "cfk_" + rnd(40) + rnd(8, HEX),
        "cloudflare-origin-ca-key": "v1.0-" + rnd(24, HEX) + "-" + rnd(146, HEX),
        "aws-access-key-id": "AKIA" + rnd(16, string.ascii_uppercase + "234567"),
        "github-token": "ghp_" + rnd(36),
        "github-fine-grained-pat": "github_pat_" + rnd(22) + "_" + rnd(59),
        "slack-token": f"xoxb-{rnd(12, string.digits)}-{rnd(13, string.digits)}-{rnd(24)}",
        "slack-app-token": f"xapp-1-A{rnd(10, string.ascii_uppercase + string.digits)}-"
        f"{rnd(13, string.digits)}-{rnd(64, HEX)}",
        "slack-webhook-url": f"https://hooks.slack.com/services/T{rnd(8).upper()}/B{rnd(8).upper()}/{rnd(24)}",
        "sendgrid-api-key": "SG." + rnd(22, URLSAFE) + "." + rnd(43, URLSAFE),
        "mailgun-api-key": "key-" + rnd(32, HEX),
    }


def make_assigned() -> dict[str, tuple[str, str]]:
    """rule id -> (line template with {v}, secret) for rules that need a variable name around the value."""
    return {
        "cloudflare-api-key-assignment": ('CLOUDFLARE_API_TOKEN="{v}"', rnd(40, URLSAFE)),
        "aws-secret-access-key": ('aws_secret_access_key = "{v}"', rnd(40, ALNUM + "/+")),
        "smtp-url-credentials": ("SMTP_URL=smtps://mailer:{v}@smtp.mail.test:465", rnd(16)),
        "smtp-password": ("SMTP_PASSWORD={v}", rnd(14)),
        "database-url-credentials": ("DATABASE_URL=postgres://app:{v}@db.internal:5432/app", rnd(20)),
        "generic-secret-assignment": ('const dbPassword = "{v}";', rnd(32)),
        "generic-token-assignment": ('const refreshToken = "{v}";', rnd(40, URLSAFE)),
    }
