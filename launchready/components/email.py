"""Email-authentication records: MX, SPF, DKIM, DMARC, MTA-STS and TLS-RPT.

The records come from the email section (or its provider preset) through
``launchready.spec.records``; "sends no mail" publishes a null MX, ``v=spf1 -all`` and
DMARC ``p=reject``. The MTA-STS policy file itself needs web hosting at
``mta-sts.<domain>``; only its DNS is published here.
"""

from __future__ import annotations

import pulumi

from launchready.components.dns import RecordSetArgs, publish_records, select
from launchready.components.naming import TOKEN_PREFIX


def is_email_record(source: str) -> bool:
    return source.startswith("email.")


class EmailAuthRecords(pulumi.ComponentResource):
    """The DNS side of a domain's mail: who receives it and how forgeries are rejected."""

    record_ids: pulumi.Output[dict[str, str]]
    """Cloudflare record ids by record key."""

    def __init__(
        self, name: str, args: RecordSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}EmailAuthRecords", name, {}, opts)
        ids = publish_records(self, name, args.zone_id, select(args.spec, is_email_record))
        self.record_ids = pulumi.Output.all(**ids) if ids else pulumi.Output.from_input({})
        self.register_outputs({"record_ids": self.record_ids})
