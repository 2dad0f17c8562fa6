"""Cloudflare API access: the SDK client, the live-state reader, adopt, backup and restore."""
