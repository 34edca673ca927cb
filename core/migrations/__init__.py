"""Alembic environment: the core branch here, one branch per plugin from their hooks."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(registry, url: str) -> Config:
    """A config whose version locations are core's and every installed plugin's."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    for path in registry.hook.samverka_migrations():
        if path is not None:
            locations.append(str(path))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.attributes["url"] = url
    config.attributes["registry"] = registry
    return config
