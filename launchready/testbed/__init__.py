"""Real servers on loopback for tests, benchmarks and the demo sandbox.

- ``dns_server``: an authoritative DNS server (UDP + TCP) with injectable delay and faults.
- ``ca``: a local certificate authority built with ``cryptography``.
- ``web``: HTTP/HTTPS servers with SNI virtual hosting and configurable sites.
- ``scenarios``: badssl.com-style sites (``BadSsl``) and the ``Sandbox`` built from a site spec.

Nothing here is used by ``launchready verify`` itself; it is what verify is proven against.
"""

from launchready.testbed.ca import IssuedCert, LocalCA
from launchready.testbed.dns_server import DnsServer, Fault
from launchready.testbed.scenarios import SCENARIOS, BadSsl, Sandbox, SandboxFault, Scenario
from launchready.testbed.web import Route, SilentServer, Site, WebServer

__all__ = [
    "SCENARIOS",
    "BadSsl",
    "DnsServer",
    "Fault",
    "IssuedCert",
    "LocalCA",
    "Route",
    "Sandbox",
    "SandboxFault",
    "Scenario",
    "SilentServer",
    "Site",
    "WebServer",
]
