"""The rule table: one row per key type, as data.

Patterns follow gitleaks / trufflehog / nuclei where those are right and close the gaps
the reference notes (OpenAI project keys with a ``-`` after ``T3BlbkFJ``, ``sk_test_`` vs
``sk_live_``, Supabase service-role JWTs and ``sb_secret_``, Cloudflare ``cfut_``/``cfat_``/
``cfk_`` tokens, SMTP URLs and passwords, ``whsec_``/``whsk_``). Each rule names its secret
with the ``secret`` group; keywords are a cheap prefilter (a rule runs only on text that
contains one of them, case-insensitive).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from launchready.secrets.findings import Severity

# A secret never continues into these characters (a key may end in '-' or '_', so not \b); the
# matching check before a key is ``left=KEY_CHARS``.
_END = r"(?![A-Za-z0-9_-])"
WORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
KEY_CHARS = WORD_CHARS + "-"
ALNUM_CHARS = WORD_CHARS.rstrip("_")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str
    regex: re.Pattern[str]
    severity: Severity
    keywords: tuple[str, ...]
    """Lower-case substrings; the rule runs only when the text holds one."""
    min_entropy: float = 0.0
    """Shannon entropy (bits/char) the secret must reach; rejects ``sk_live_aaaa…`` dummies."""
    validator: Callable[[str], bool] | None = None
    """Extra decision on the secret (e.g. decode a JWT); ``False`` drops the match."""
    check_placeholder: bool = True
    left: str = ""
    """Characters that may not stand right before the match (a word boundary without a regex
    look-behind, which would stop Python's re from jumping to the literal prefix)."""
    ignorecase_regex: re.Pattern[str] | None = None
    """Set for case-insensitive rules: ``regex`` is lower-case and runs on the lowered text
    (much faster than IGNORECASE); this one is the fallback when lowering changes offsets."""


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum((n / total) * math.log2(n / total) for n in counts.values())


def jwt_payload(token: str) -> dict[str, object] | None:
    """Decode a JWT's payload without verifying it (we only need its claims)."""
    parts = token.split(".")
    if len(parts) < 2:
        return None
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(body))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


def is_service_role_jwt(token: str) -> bool:
    """Supabase's service-role key bypasses row-level security; the anon key is public by design."""
    payload = jwt_payload(token)
    return payload is not None and payload.get("role") == "service_role"


def _rule(
    id: str,
    description: str,
    pattern: str,
    severity: Severity,
    keywords: tuple[str, ...],
    *,
    min_entropy: float = 0.0,
    validator: Callable[[str], bool] | None = None,
    check_placeholder: bool = True,
    left: str = "",
    case_insensitive: bool = False,
) -> Rule:
    return Rule(
        id=id,
        description=description,
        regex=re.compile(pattern),
        severity=severity,
        keywords=keywords,
        min_entropy=min_entropy,
        validator=validator,
        check_placeholder=check_placeholder,
        left=left,
        ignorecase_regex=re.compile(pattern, re.IGNORECASE) if case_insensitive else None,
    )


_ASSIGN = r"""["'`]?\s*(?:[:=]{1,2}|=>|:=)\s*["'`]?"""

RULES: tuple[Rule, ...] = (
    _rule(
        "openai-api-key",
        "OpenAI API key",
        r"(?P<secret>sk-(?:proj|svcacct|admin|service)-[A-Za-z0-9_-]{40,}"
        r"|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|sk-[A-Za-z0-9]{48})" + _END,
        Severity.CRITICAL,
        ("sk-",),
        min_entropy=3.5,
        left=KEY_CHARS,
    ),
    _rule(
        "anthropic-api-key",
        "Anthropic API key",
        r"(?P<secret>sk-ant-api\d{2}-[A-Za-z0-9_-]{80,})" + _END,
        Severity.CRITICAL,
        ("sk-ant-",),
        min_entropy=3.5,
        left=KEY_CHARS,
    ),
    _rule(
        "anthropic-admin-key",
        "Anthropic Admin API key",
        r"(?P<secret>sk-ant-admin\d{2}-[A-Za-z0-9_-]{80,})" + _END,
        Severity.CRITICAL,
        ("sk-ant-",),
        min_entropy=3.5,
        left=KEY_CHARS,
    ),
    _rule(
        "anthropic-oauth-token",
        "Anthropic OAuth access or refresh token (acts for a Claude.ai account)",
        r"(?P<secret>sk-ant-o(?:at|rt)\d{2}-[A-Za-z0-9_-]{40,})" + _END,
        Severity.CRITICAL,
        ("sk-ant-",),
        min_entropy=3.5,
        left=KEY_CHARS,
    ),
    _rule(
        "stripe-live-secret-key",
        "Stripe live secret key",
        r"(?P<secret>sk_live_[A-Za-z0-9]{20,247})\b",
        Severity.CRITICAL,
        ("sk_live_",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "stripe-live-restricted-key",
        "Stripe live restricted key",
        r"(?P<secret>rk_live_[A-Za-z0-9]{20,247})\b",
        Severity.CRITICAL,
        ("rk_live_",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "stripe-test-key",
        "Stripe test-mode secret or restricted key (no live money, still server-side only)",
        r"(?P<secret>[sr]k_test_[A-Za-z0-9]{20,247})\b",
        Severity.WARNING,
        ("k_test_",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "webhook-signing-secret",
        "Webhook signing secret (Stripe / Standard Webhooks whsec_)",
        r"(?P<secret>whsec_[A-Za-z0-9+/=_-]{24,})",
        Severity.HIGH,
        ("whsec_",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "standard-webhooks-signing-key",
        "Standard Webhooks asymmetric signing key (whsk_)",
        r"(?P<secret>whsk_[A-Za-z0-9+/=_-]{24,})",
        Severity.HIGH,
        ("whsk_",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "supabase-service-role-jwt",
        "Supabase service-role key (JWT with role service_role: bypasses row-level security)",
        r"(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
        Severity.CRITICAL,
        ("eyj",),
        validator=is_service_role_jwt,
        left=WORD_CHARS,
    ),
    _rule(
        "supabase-secret-key",
        "Supabase secret API key (sb_secret_)",
        r"(?P<secret>sb_secret_[A-Za-z0-9_-]{20,})" + _END,
        Severity.CRITICAL,
        ("sb_secret_",),
        min_entropy=3.0,
        left=KEY_CHARS,
    ),
    _rule(
        "supabase-access-token",
        "Supabase personal access token (sbp_)",
        r"(?P<secret>sbp_[a-f0-9]{40})\b",
        Severity.CRITICAL,
        ("sbp_",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "cloudflare-api-token",
        "Cloudflare API token (cfut_/cfat_)",
        r"(?P<secret>cf[ua]t_[A-Za-z0-9]{40}[a-f0-9]{8})\b",
        Severity.CRITICAL,
        ("cfut_", "cfat_"),
        min_entropy=3.5,
        left=WORD_CHARS,
    ),
    _rule(
        "cloudflare-global-api-key",
        "Cloudflare global API key (cfk_)",
        r"(?P<secret>cfk_[A-Za-z0-9]{40}[a-f0-9]{8})\b",
        Severity.CRITICAL,
        ("cfk_",),
        min_entropy=3.5,
        left=WORD_CHARS,
    ),
    _rule(
        "cloudflare-api-key-assignment",
        "Cloudflare API token (40 chars) or global API key (37 hex) assigned to a Cloudflare-named variable",
        r"(?:cloudflare|(?<![a-z0-9])cf_)[\w.-]{0,30}"
        + _ASSIGN
        + r"(?P<secret>[A-Za-z0-9_-]{40}|[a-f0-9]{37})"
        + _END,
        Severity.CRITICAL,
        ("cloudflare", "cf_"),
        min_entropy=3.5,
        case_insensitive=True,
    ),
    _rule(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA key",
        r"(?P<secret>v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        Severity.CRITICAL,
        ("v1.0-",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "aws-access-key-id",
        "AWS access key id",
        r"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        Severity.CRITICAL,
        ("akia", "asia", "abia", "acca"),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "aws-secret-access-key",
        "AWS secret access key",
        r"aws[\w.-]{0,20}?(?:secret|sk)[\w.-]{0,20}"
        + _ASSIGN
        + r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        Severity.CRITICAL,
        ("aws",),
        min_entropy=3.5,
        case_insensitive=True,
    ),
    _rule(
        "github-token",
        "GitHub token (ghp_/gho_/ghu_/ghs_/ghr_)",
        r"(?P<secret>gh[pousr]_[A-Za-z0-9]{36,255})\b",
        Severity.CRITICAL,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        r"(?P<secret>github_pat_[A-Za-z0-9_]{50,255})\b",
        Severity.CRITICAL,
        ("github_pat_",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "slack-token",
        "Slack token (xoxb-/xoxp-/xoxa-/xoxe-/xoxr-/xoxs-)",
        r"(?P<secret>xox[abeprs]-[0-9A-Za-z-]{20,})",
        Severity.CRITICAL,
        ("xox",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "slack-app-token",
        "Slack app-level token (xapp-)",
        r"(?P<secret>xapp-\d-[A-Za-z0-9-]{20,})",
        Severity.CRITICAL,
        ("xapp-",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "slack-webhook-url",
        "Slack incoming webhook URL",
        r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})",
        Severity.HIGH,
        ("hooks.slack.com",),
        min_entropy=3.0,
    ),
    _rule(
        "private-key",
        "Private key block",
        r"(?P<secret>-----BEGIN[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----"
        r"[A-Za-z0-9+/=\s\\:,.-]{64,16384}?-----END[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----)",
        Severity.CRITICAL,
        ("private key",),
        check_placeholder=False,
    ),
    _rule(
        "smtp-url-credentials",
        "SMTP URL with a password",
        r"smtps?://[^:@\s/\"'`]+:(?P<secret>[^@\s/\"'`]+)@",
        Severity.HIGH,
        ("smtp",),
        case_insensitive=True,
        left=WORD_CHARS,
    ),
    _rule(
        "database-url-credentials",
        "Database or queue URL with a password (postgres, mysql, mongodb, redis, amqp)",
        r"(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)://[^:@\s/\"'`]+:"
        r"(?P<secret>[^@\s/\"'`]+)@",
        Severity.HIGH,
        ("postgres", "mysql", "mariadb", "mongodb", "redis", "amqp"),
        case_insensitive=True,
        left=WORD_CHARS,
    ),
    _rule(
        "smtp-password",
        "SMTP / mail password assignment",
        r"(?:smtp|mail|email)[_-]?(?:pass(?:word)?|pwd)" + _ASSIGN + r"(?P<secret>[^\s\"'`,;]{6,})",
        Severity.HIGH,
        ("smtp", "mail"),
        case_insensitive=True,
        left=ALNUM_CHARS,
    ),
    _rule(
        "sendgrid-api-key",
        "SendGrid API key",
        r"(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})" + _END,
        Severity.CRITICAL,
        ("sg.",),
        min_entropy=3.5,
        left=WORD_CHARS,
    ),
    _rule(
        "mailgun-api-key",
        "Mailgun API key",
        r"(?P<secret>key-[a-f0-9]{32})\b",
        Severity.CRITICAL,
        ("key-",),
        min_entropy=3.0,
        left=WORD_CHARS,
    ),
    _rule(
        "generic-token-assignment",
        "High-entropy value assigned to a token / access-key / app-key / credential variable",
        r"(?:token|access[_-]?key|client[_-]?secret|credential|(?:app|master|signing|encryption)[_-]?key)s?"
        r"[\w-]{0,10}"
        + _ASSIGN
        + r"(?:base64:)?(?P<secret>[A-Za-z0-9_./+=~-]{20,256})(?![A-Za-z0-9_./+=~-])",
        Severity.HIGH,
        ("token", "access", "secret", "credential", "app", "master", "signing", "encryption"),
        min_entropy=3.5,
        validator=lambda value: any(c.isdigit() for c in value) and any(c.isalpha() for c in value),
        case_insensitive=True,
    ),
)
"""Specific rules first: a value claimed by an earlier rule is not reported again by a later one."""

PUBLIC_PREFIXES = ("pk_live_", "pk_test_", "sb_publishable_")
"""Keys that are public by design (Stripe publishable, Supabase publishable): never findings."""

_PLACEHOLDER_WORDS = (
    "changeme",
    "change_me",
    "change-me",
    "xxxx",
    "****",
    "example",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "dummy",
    "redacted",
    "replace",
    "insert",
    "process.env",
    "os.environ",
    "getenv",
    "import.meta.env",
    "${",
    "{{",
    "<",
    "%(",
)
_PLACEHOLDER_EXACT = {"password", "pass", "secret", "none", "null", "undefined", "true", "false", "test"}


_IDENTIFIER = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+(?:[_.-][a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+")
"""``CLOUDFLARE_API_TOKEN``, ``auth.session-token``, ``privateKeyUsagePeriod``: names, not secrets."""


def is_placeholder(value: str) -> bool:
    """Skip documentation and template values (``changeme``, ``xxx``, ``${VAR}``, ``<your-key>``)."""
    lowered = value.lower()
    if lowered in _PLACEHOLDER_EXACT or value.startswith(("$", "{")) or _IDENTIFIER.fullmatch(value):
        return True
    if len(set(value)) <= 2:
        return True
    return any(word in lowered for word in _PLACEHOLDER_WORDS)
