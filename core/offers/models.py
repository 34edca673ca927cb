"""The columns every plugin's offer table shares: the deadline, the answer link's digest and the answer."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.db import utcnow


class OfferStatus(str, enum.Enum):
    open = "open"
    accepted = "accepted"
    declined = "declined"
    #: Not answered in time: the due-job closed it and the place went on.
    expired = "expired"
    #: Taken back by staff (the place went away, or was offered by mistake).
    withdrawn = "withdrawn"


class OfferMixin:
    """The common columns of a plugin's own offer model, mixed in beside ``TenantOwned`` and ``Base``.

    The plugin's table (``<key>_offer``) adds what is offered to whom (VIP: an application
    and a group); core's services (:mod:`core.offers.services`) make, answer, withdraw and
    expire the offer, and :mod:`core.offers.pages` serves the page its link opens.
    """

    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The deadline: an offer still open at this moment is expired by the plugin's due-job.
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    #: SHA-256 of the token in the answer link (the token itself is never stored); kept after
    #: the answer, so a used link says "already answered"; the plugin clears it when the link
    #: must stop working at all (VIP: the application withdrawn, the person erased).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    answered_via_link: Mapped[bool] = mapped_column(default=False)

    @declared_attr
    def status(cls) -> Mapped[OfferStatus]:
        return mapped_column(Enum(OfferStatus, native_enum=False, length=30, create_constraint=True,
                                  name=f"{cls.__tablename__}_status"), default=OfferStatus.open)

    #: The staff user who recorded the answer; None when it came through the link.
    @declared_attr
    def answered_by(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
