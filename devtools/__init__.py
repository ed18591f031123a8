"""Developer tooling for OpenPEP (not shipped with the portal)."""
