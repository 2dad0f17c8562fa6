"""CAA records: which certificate authorities may issue for the domain.

Records carry structured ``data={flags, tag, value}``. Cloudflare adds CAA records for its
own Universal SSL CAs on top of these, which verify tolerates.
"""

from __future__ import annotations

import pulumi

from launchready.components.dns import RecordSetArgs, publish_records, select
from launchready.components.naming import TOKEN_PREFIX


def is_caa_record(source: str) -> bool:
    return source == "caa"


class CaaRecords(pulumi.ComponentResource):
    """The issue / issuewild / iodef records of the zone apex."""

    record_ids: pulumi.Output[dict[str, str]]
    """Cloudflare record ids by record key."""

    def __init__(
        self, name: str, args: RecordSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}CaaRecords", name, {}, opts)
        ids = publish_records(self, name, args.zone_id, select(args.spec, is_caa_record))
        self.record_ids = pulumi.Output.all(**ids) if ids else pulumi.Output.from_input({})
        self.register_outputs({"record_ids": self.record_ids})
