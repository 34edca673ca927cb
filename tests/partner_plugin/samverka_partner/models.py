"""The partner programme's one table."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TenantOwned


class PartnerNote(TenantOwned, Base):
    __tablename__ = "partner_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
