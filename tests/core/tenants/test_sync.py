"""Tenants as code: the demo directory, idempotence, and errors that name file and field."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import tenant_scope
from core.tenants.models import Tenant, TenantKind, TenantPlugin
from core.tenants.sync import TenantConfigError, sync_tenants

DEMO = Path(__file__).parents[3] / "tenants"


@pytest.fixture
def registry(app):
    return app.extensions["samverka"].registry


def _write(directory: Path, name: str, body: str) -> None:
    (directory / f"{name}.toml").write_text(body, encoding="utf-8")


def test_the_demo_tenants_load_and_a_second_run_changes_nothing(registry, db_session):
    first = sync_tenants(db_session, registry, DEMO)
    assert "created tenant eskilstuna" in first.changes
    second = sync_tenants(db_session, registry, DEMO)
    assert second.changes == []


def test_the_demo_tree_and_nodes(registry, db_session):
    sync_tenants(db_session, registry, DEMO)
    tenants = {t.slug: t for t in db_session.scalars(select(Tenant))}
    assert tenants["huddinge"].parent.slug == "stockholm-county"
    assert tenants["huddinge"].country == "SE"
    assert {m.slug for m in tenants["vida-sodertorn"].members} == {"huddinge", "botkyrka", "haninge"}
    assert {m.slug for m in tenants["peer-midtjylland"].members} == {"randers", "aarhus", "viborg", "region-midtjylland"}
    assert tenants["vip-area-west"].kind is TenantKind.node and tenants["vaasa"].country == "FI"
    assert tenants["vejle"].parent.parent.slug == "denmark"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ('slug = "x"\nname = "X"\nkind = "village"\nparent = "sweden"\n', "kind", "Must be one of"),
        ('slug = "Bad Slug"\nname = "X"\nkind = "municipality"\nparent = "sweden"\n', "slug", "lowercase"),
        ('slug = "x"\nname = "X"\nkind = "municipality"\n', "parent", "needs a parent"),
        ('slug = "x"\nname = "X"\nkind = "municipality"\nparent = "nowhere"\n', "parent", "no tenant 'nowhere'"),
        ('slug = "x"\nname = "X"\nkind = "municipality"\nparent = "sweden"\nmembers = ["sweden"]\n', "members", "only a node"),
        ('slug = "x"\nname = "X"\nkind = "node"\nparent = "sweden"\nmembers = ["ghost"]\n', "members", "no tenant 'ghost'"),
        ('slug = "x"\nname = "X"\nkind = "municipality"\nparent = "sweden"\n[plugins.nope]\n', "plugins.nope", "no such plugin"),
        ('slug = "x"\nname = "X"\nkind = "municipality"\nparent = "sweden"\n[plugins.sample]\nsettings = { participants_per_group = 99 }\n',
         "plugins.sample.settings.participants_per_group", "less than or equal to 30"),
        ('slug = "x"\nname = "X"\nkind = "municipality"\nparent = "sweden"\nlanguages = ["xx"]\n', "languages.0", "Must be one of"),
        ('slug = "x\nname = 1', "-", "not valid TOML"),
    ],
)
def test_an_invalid_file_names_file_and_field_and_changes_nothing(registry, db_session, tmp_path, body, field, message):
    _write(tmp_path, "sweden", 'slug = "sweden"\nname = "Sverige"\nkind = "country"\ncountry = "SE"\n')
    _write(tmp_path, "x", body)
    before = db_session.scalar(select(func.count()).select_from(Tenant))
    with pytest.raises(TenantConfigError) as err:
        sync_tenants(db_session, registry, tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'x.toml'}: {field}: ")
    assert message in str(err.value)
    assert db_session.scalar(select(func.count()).select_from(Tenant)) == before


def test_a_parent_cycle_is_an_error(registry, db_session, tmp_path):
    _write(tmp_path, "a", 'slug = "a"\nname = "A"\nkind = "region"\nparent = "b"\n')
    _write(tmp_path, "b", 'slug = "b"\nname = "B"\nkind = "region"\nparent = "a"\n')
    with pytest.raises(TenantConfigError, match="cycle"):
        sync_tenants(db_session, registry, tmp_path)


def test_plugins_in_files_are_enabled_with_validated_settings_and_removed_ones_turned_off(registry, db_session, tmp_path):
    _write(tmp_path, "se", 'slug = "se"\nname = "SE"\nkind = "country"\ncountry = "SE"\n')
    _write(tmp_path, "m", 'slug = "m"\nname = "M"\nkind = "municipality"\nparent = "se"\n'
                          '[plugins.sample]\nsettings = { participants_per_group = 8 }\n')
    report = sync_tenants(db_session, registry, tmp_path)
    assert "enabled sample for m" in report.changes
    m = db_session.scalar(select(Tenant).where(Tenant.slug == "m"))
    with tenant_scope(m.id):
        row = db_session.scalar(select(TenantPlugin))
    assert row.enabled and row.settings["participants_per_group"] == 8 and row.settings["greeting"] == "Welcome"
    _write(tmp_path, "m", 'slug = "m"\nname = "M"\nkind = "municipality"\nparent = "se"\n')
    assert sync_tenants(db_session, registry, tmp_path).changes == ["disabled sample for m (not in its file)"]
    with tenant_scope(m.id):
        assert db_session.scalar(select(TenantPlugin.enabled)) is False
