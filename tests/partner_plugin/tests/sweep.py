"""What the partner plugin adds to Samverka's suite-wide checks (core.testing.PluginTests): a note
in each tenant of the shared test world, the body of its API's one mutating route for the
isolation sweep, and its translation catalogs for the i18n checks. Its routes take no object in
the URL, so they need no filler; a new route that does makes the sweep say which to add here."""

from __future__ import annotations

from typing import Any

from core.db import tenant_scope
from core.testing import PluginTests


def build(app, db_session, tenant, make_user, make_person, marker: str) -> dict[str, Any]:
    """A note about a person of the world's tenant, written by the plugin's own service; its
    text carries ``marker``, so another tenant's page or API showing it is caught."""
    from samverka_partner import services

    person = make_person(tenant, first_name=f"Noted{marker}", last_name=f"Person{marker}")
    with tenant_scope(tenant.id):
        note = services.add_note(db_session, person.id, f"Met at the library {marker}")
    db_session.commit()
    return {"partner_note_id": note.id}


PLUGIN_TESTS = PluginTests(
    key="partner",
    build=build,
    bodies={
        ("partner_api.Notes", "POST"): ("json", lambda w: {"person_id": w.person_id, "text": "Met at the library"}),
    },
    # Relative to the repository's root, where Samverka's i18n checks run.
    catalogs=("tests/partner_plugin/samverka_partner", "tests/partner_plugin/samverka_partner/babel.cfg"),
)
