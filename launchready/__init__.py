"""launchready: take a client's domain to launch-ready on Cloudflare, and prove it."""

__version__ = "0.1.0"
