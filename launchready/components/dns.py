"""Web DNS records: apex and www to the origin, plus the spec's extra records.

Every record is named from its identity key (``launchready.spec.records``), never its list
position, so reordering a stack file changes nothing in the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from launchready.components.naming import TOKEN_PREFIX
from launchready.spec.models import SiteSpec
from launchready.spec.records import HOST_TYPES, PlannedRecord, planned_records, structured_data


@dataclass(frozen=True, kw_only=True)
class RecordSetArgs:
    zone_id: pulumi.Input[str]
    """Zone the records are published in."""
    spec: SiteSpec
    """The site spec; the component picks the records of its own concern from it."""


def record_inputs(record: PlannedRecord) -> dict[str, Any]:
    """DnsRecord keyword arguments (besides zone_id) for one planned record."""
    inputs: dict[str, Any] = {
        "name": record.name,
        "type": record.type,
        # Cloudflare ignores the TTL of proxied records and reports 1 ("auto").
        "ttl": 1 if record.proxied else record.ttl,
        "comment": record.comment or f"launchready: {record.source.split('[')[0]}",
    }
    if record.type in HOST_TYPES:
        inputs["proxied"] = record.proxied
    # CAA/SRV go to Cloudflare as structured data (the spec has validated their content).
    data = record.data or structured_data(record.type, record.content, record.priority)
    if data is not None:
        inputs["data"] = data
    else:
        inputs["content"] = record.content
    if record.priority is not None and record.type == "MX":
        inputs["priority"] = record.priority
    return inputs


def publish_records(
    owner: pulumi.ComponentResource,
    name: str,
    zone_id: pulumi.Input[str],
    records: Sequence[PlannedRecord],
) -> dict[str, pulumi.Output[str]]:
    """Create one DnsRecord per planned record under ``owner``; returns record ids by key."""
    ids: dict[str, pulumi.Output[str]] = {}
    for record in records:
        resource = cloudflare.DnsRecord(
            f"{name}-{record.key}",
            zone_id=zone_id,
            **record_inputs(record),
            opts=pulumi.ResourceOptions(
                parent=owner,
                # A/AAAA/CNAME share a host name: a type change must free the name first.
                delete_before_replace=record.type in HOST_TYPES,
            ),
        )
        ids[record.key] = resource.id
    return ids


def select(spec: SiteSpec, wanted: Callable[[str], bool]) -> list[PlannedRecord]:
    return [r for r in planned_records(spec) if wanted(r.source)]


def is_web_record(source: str) -> bool:
    return source.startswith(("origin", "records["))


class DnsRecords(pulumi.ComponentResource):
    """Apex/www records pointing at the origin and the stack's extra records."""

    record_ids: pulumi.Output[dict[str, str]]
    """Cloudflare record ids by record key."""

    def __init__(
        self, name: str, args: RecordSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}DnsRecords", name, {}, opts)
        ids = publish_records(self, name, args.zone_id, select(args.spec, is_web_record))
        self.record_ids = pulumi.Output.all(**ids) if ids else pulumi.Output.from_input({})
        self.register_outputs({"record_ids": self.record_ids})
