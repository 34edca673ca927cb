"""The tenant tree, node membership and per-tenant plugin enablement."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Enum, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, JSONDocument, TenantOwned, Versioned, utcnow


class TenantKind(str, enum.Enum):
    country = "country"
    region = "region"
    node = "node"
    municipality = "municipality"
    organisation = "organisation"


node_membership = Table(
    "node_membership",
    Base.metadata,
    Column("node_id", ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True),
)


#: The clock of each country the platform serves; a tenant elsewhere keeps UTC.
TIMEZONES = {"SE": "Europe/Stockholm", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki",
             "NO": "Europe/Oslo", "IS": "Atlantic/Reykjavik"}


class Tenant(Versioned, Base):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The URL name: /t/<slug>/...; lowercase letters, digits and hyphens.
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TenantKind] = mapped_column(
        Enum(TenantKind, native_enum=False, length=20, create_constraint=True, name="tenant_kind")
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    #: ISO 3166 code (SE, DK, FI), inherited from the country at the top of the tree.
    country: Mapped[str] = mapped_column(String(2))
    #: Interface languages offered to this tenant's users, first is the default.
    languages: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    #: Tenant admins must sign in with a second factor (TOTP) to work here.
    require_admin_totp: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Tenant | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Tenant]] = relationship(back_populates="parent")
    members: Mapped[list[Tenant]] = relationship(
        secondary=node_membership,
        primaryjoin=id == node_membership.c.node_id,
        secondaryjoin=id == node_membership.c.member_id,
        back_populates="nodes",
        order_by="Tenant.name",
    )
    nodes: Mapped[list[Tenant]] = relationship(
        secondary=node_membership,
        primaryjoin=id == node_membership.c.member_id,
        secondaryjoin=id == node_membership.c.node_id,
        back_populates="members",
        order_by="Tenant.name",
    )

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else "en"

    @property
    def timezone(self) -> str:
        """The zone of the tenant's clock (meetings at 13:00 mean 13:00 there), by country."""
        return TIMEZONES.get((self.country or "").upper(), "UTC")

    def __repr__(self) -> str:
        return f"<Tenant {self.slug} ({self.kind.value})>"


class TenantPlugin(Versioned, TenantOwned, Base):
    """A plugin as one tenant has it: on or off, with that tenant's validated settings."""

    __tablename__ = "tenant_plugin"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(63))
    enabled: Mapped[bool] = mapped_column(default=True)
    #: Already validated and serialised by the plugin's settings schema.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
