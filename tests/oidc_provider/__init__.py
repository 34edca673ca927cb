"""A real OpenID Connect provider for the tests, on authlib's authorization server (see app.py)."""
