"""Samverka's shared kernel: tenants, people, sessions and the plugin contract."""

from core.hookspecs import hookimpl

__all__ = ["hookimpl"]
