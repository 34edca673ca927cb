"""Sign-in through a tenant's own OpenID Connect provider (authorization code flow with PKCE)."""
