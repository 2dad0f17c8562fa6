"""Email-provider presets: the MX, SPF and DKIM a provider documents, filled into the spec.

A preset only fills keys the stack file leaves out, so a client can override any part.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "google_workspace": {
        "mx": [{"host": "smtp.google.com", "priority": 1}],
        "spf": {"includes": ["_spf.google.com"]},
    },
    "microsoft_365": {
        # MX host and DKIM CNAMEs depend on the domain and tenant; filled below.
        "spf": {"includes": ["spf.protection.outlook.com"]},
    },
    "custom": {},
    "none": {
        # RFC 7505 null MX, no sender allowed, DMARC reject: a parked / non-mail domain.
        "mx": [{"host": ".", "priority": 0}],
        "spf": {"includes": [], "ip4": [], "ip6": [], "all": "-all"},
        "dmarc": {"policy": "reject", "subdomain_policy": "reject"},
    },
}


def apply_email_preset(data: dict[str, Any], domain: str | None) -> dict[str, Any]:
    provider = data.get("provider", "none")
    preset = PRESETS.get(provider) if isinstance(provider, str) else None
    if preset is None:
        return data  # unknown provider: let field validation name the allowed values
    merged: dict[str, Any] = {**preset, **data}
    if isinstance(data.get("spf"), dict) and isinstance(preset.get("spf"), dict):
        merged["spf"] = {**preset["spf"], **data["spf"]}
    if provider == "microsoft_365" and domain:
        dashed = domain.replace(".", "-")
        merged.setdefault("mx", [{"host": f"{dashed}.mail.protection.outlook.com", "priority": 0}])
        tenant = data.get("tenant")
        if tenant and "dkim" not in data:
            merged["dkim"] = [
                {
                    "selector": sel,
                    "cname": f"{sel}-{dashed}._domainkey.{tenant}.onmicrosoft.com",
                }
                for sel in ("selector1", "selector2")
            ]
    return merged
