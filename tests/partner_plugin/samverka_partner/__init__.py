"""A partner region's programme plugin, installed with pip beside Samverka (docs/plugins.md)."""
