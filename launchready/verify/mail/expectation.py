"""What the mail checks expect of a domain: from its site spec, or the launch-ready baseline."""

from __future__ import annotations

from dataclasses import dataclass

from launchready.spec.models import SiteSpec
from launchready.spec.records import mta_sts_id

POLICY_RANK = {"none": 0, "quarantine": 1, "reject": 2}
"""DMARC policies, weakest first."""


@dataclass(frozen=True, slots=True)
class DkimSelector:
    selector: str
    cname: str | None = None
    """Provider-hosted key: the CNAME target the spec publishes."""
    public_key: str | None = None
    """The p= value the spec publishes (a different live key is reported as drift)."""


@dataclass(frozen=True, slots=True)
class EmailExpectation:
    sends_mail: bool | None
    """None when unknown (a bare domain): either real MX hosts or a null MX is fine."""
    mx_hosts: tuple[str, ...] = ()
    """Expected MX host names; ``(".",)`` is a null MX; empty = not checked."""
    spf_includes: tuple[str, ...] = ()
    spf_all: str = "~all"
    """The weakest acceptable ending: ``-all`` or ``~all``."""
    dkim_selectors: tuple[DkimSelector, ...] = ()
    dmarc_policy: str = "quarantine"
    """The weakest acceptable p=."""
    dmarc_subdomain_policy: str | None = None
    """The weakest acceptable effective sp= (sp, else p); None = not checked."""
    dmarc_rua: tuple[str, ...] = ()
    """mailto: addresses that must be among rua=."""
    dmarc_rua_required: bool = True
    mta_sts: bool | None = None
    """True: must be published; False: not asked for (skipped when absent); None: advisory."""
    mta_sts_mode: str | None = None
    mta_sts_id: str | None = None
    tls_rpt: bool | None = None
    tls_rpt_rua: tuple[str, ...] = ()
    source: str = "baseline"

    @classmethod
    def baseline(cls, dkim_selectors: tuple[str, ...] = ()) -> EmailExpectation:
        """A domain without a spec: SPF, DMARC quarantine/reject with rua; DKIM only for known selectors."""
        return cls(sends_mail=None, dkim_selectors=tuple(DkimSelector(s) for s in dkim_selectors))

    @classmethod
    def from_spec(cls, spec: SiteSpec) -> EmailExpectation:
        email = spec.email
        dmarc = email.dmarc
        return cls(
            sends_mail=email.sends_mail,
            mx_hosts=tuple(mx.host for mx in email.mx),
            spf_includes=tuple(email.spf.includes),
            spf_all=email.spf.all,
            dkim_selectors=tuple(
                DkimSelector(d.selector, cname=d.cname, public_key=d.public_key) for d in email.dkim
            ),
            dmarc_policy=dmarc.policy,
            dmarc_subdomain_policy=dmarc.subdomain_policy or dmarc.policy,
            dmarc_rua=tuple(dmarc.rua),
            dmarc_rua_required=bool(dmarc.rua),
            mta_sts=email.mta_sts is not None,
            mta_sts_mode=email.mta_sts.mode if email.mta_sts else None,
            # The id the stack publishes (derived from the policy when not given), so a
            # policy edited without a new id is caught.
            mta_sts_id=mta_sts_id(spec) if email.mta_sts else None,
            tls_rpt=email.tls_rpt is not None,
            tls_rpt_rua=tuple(email.tls_rpt.rua) if email.tls_rpt else (),
            source="spec",
        )
