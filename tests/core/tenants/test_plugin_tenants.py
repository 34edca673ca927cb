"""plugin_tenants: which of several tenants have a plugin, and its settings, in one query."""

from core.db import tenant_scope
from core.tenants.services import disable_plugin, plugin_tenants


def test_the_tenants_with_a_plugin_and_their_settings(app, db_session, make_tenant, query_counter):
    registry = app.extensions["samverka"].registry
    on = make_tenant(plugins={"sample": {"participants_per_group": 8}})
    off = make_tenant(plugins={"sample": {}})
    disable_plugin(db_session, registry, off, "sample")
    never = make_tenant()
    ids = [on.id, off.id, never.id]
    with tenant_scope(*ids):
        with query_counter.counting() as counted:
            every = plugin_tenants(db_session, "sample", ids)
        assert counted.count == 1
        assert set(every) == {on.id, off.id}
        assert every[on.id]["participants_per_group"] == 8 and every[off.id]["participants_per_group"] == 6
        assert set(plugin_tenants(db_session, "sample", ids, enabled=True)) == {on.id}
        assert set(plugin_tenants(db_session, "sample", ids, enabled=False)) == {off.id}
        assert plugin_tenants(db_session, "sample", [never.id]) == {}
        assert plugin_tenants(db_session, "no-such-plugin", ids) == {}
        assert plugin_tenants(db_session, "sample", []) == {}
