"""Paginated lists for pages and the API: a fixed number of queries whatever the row count."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
#: Far past any real list; a larger page number (a page's ``?page=``) would overflow the OFFSET.
MAX_PAGE = 1_000_000


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


@dataclass
class Page(Generic[T]):
    items: list[T]
    number: int
    per_page: int
    total: int
    #: Other query arguments to keep in page links (filters).
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The place in the whole list (1 is the first) of this page's first item."""
        return (self.number - 1) * self.per_page + 1


def requested_page() -> int:
    """The ``?page=`` of the current request for HTML lists; anything unreadable is page 1."""
    from flask import request

    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def paginate(session: Session, stmt: Select, page: int = 1, per_page: int = DEFAULT_PER_PAGE, **args: Any) -> Page:
    """Run ``stmt`` for one page (two queries: the count and the rows)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, number=page, per_page=per_page, total=total, args=args)


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A response schema ``{items, page, per_page, total}`` for ``item_schema``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(attribute="number"),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )
