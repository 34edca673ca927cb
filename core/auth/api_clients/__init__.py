"""API clients: OAuth2 client credentials bound to one tenant and a set of scopes."""
