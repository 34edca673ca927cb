"""Metric registry and cross-tenant aggregates with small-count suppression."""
