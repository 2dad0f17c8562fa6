"""TLS and HTTPS zone settings: Full (strict), minimum TLS version, TLS 1.3, HTTPS only, HSTS.

``security_header`` takes a free-form value, so its keys are passed through untranslated:
they must be snake_case, or every preview shows a diff (pulumi/pulumi-cloudflare#1579).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from launchready.components.naming import TOKEN_PREFIX
from launchready.spec.models import Tls


@dataclass(frozen=True, kw_only=True)
class TlsSettingsArgs:
    zone_id: pulumi.Input[str]
    """Zone whose settings are managed."""
    tls: Tls
    """The spec's TLS section."""


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"


def setting_values(tls: Tls) -> dict[str, Any]:
    """Zone setting id -> value, exactly as the Cloudflare API stores it."""
    hsts = tls.hsts
    return {
        "ssl": tls.ssl_mode,
        "min_tls_version": tls.min_version,
        "tls_1_3": tls.tls_1_3,
        "always_use_https": _on_off(tls.always_use_https),
        "automatic_https_rewrites": _on_off(tls.automatic_https_rewrites),
        "security_header": {
            "strict_transport_security": {
                "enabled": hsts.enabled,
                "max_age": hsts.max_age,
                "include_subdomains": hsts.include_subdomains,
                "nosniff": hsts.nosniff,
                "preload": hsts.preload,
            }
        },
    }


class TlsSettings(pulumi.ComponentResource):
    """One ZoneSetting per TLS/HTTPS setting, named after the setting id."""

    setting_ids: pulumi.Output[list[str]]
    """The zone settings this component manages."""

    def __init__(
        self, name: str, args: TlsSettingsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}TlsSettings", name, {}, opts)
        values = setting_values(args.tls)
        for setting_id, value in values.items():
            cloudflare.ZoneSetting(
                f"{name}-{setting_id.replace('_', '-')}",
                zone_id=args.zone_id,
                setting_id=setting_id,
                value=value,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.setting_ids = pulumi.Output.from_input(sorted(values))
        self.register_outputs({"setting_ids": self.setting_ids})
