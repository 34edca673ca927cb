"""The audit log pages: filter, read, export as CSV."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, Response, g, render_template, request
from sqlalchemy import select

from core.audit import services
from core.audit.services import AuditFilter
from core.auth.models import User
from core.auth.permissions import requires
from core.db import MAX_ID, db
from core.tenants.clock import zone
from core.pagination import paginate, requested_page

bp = Blueprint("audit", __name__, url_prefix="/t/<tenant>/audit")
#: A CSV export holds at most this many events; narrow the filter for more.
EXPORT_LIMIT = 50_000


def _date(name: str, *, end: bool = False) -> datetime | None:
    raw = request.args.get(name, "")
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = datetime.combine(day, time.min, tzinfo=zone(g.tenant))  # the day as the tenant's clock has it
    if end and day == date.max:
        return None  # up to the last day there is: no upper bound (its next day cannot be written)
    return moment + timedelta(days=1) if end else moment


def _user_id(raw: str) -> int | None:
    """The filter's user id; a number no row can have matches no one (0), text is no filter."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if number <= MAX_ID else 0


def _filter() -> tuple[AuditFilter, dict]:
    args = {k: (request.args.get(k) or "").strip()[:63] for k in ("action", "user", "object_type", "object_id", "since", "until")}
    where = AuditFilter(
        action=args["action"] or None,
        user_id=_user_id(args["user"]),
        object_type=args["object_type"] or None,
        object_id=args["object_id"] or None,
        since=_date("since"),
        until=_date("until", end=True),
    )
    return where, {k: v for k, v in args.items() if v}


@bp.get("/")
@requires("core.audit.read")
def index():
    where, args = _filter()
    page = paginate(db.session, services.events(g.tenant.id, where), requested_page(), 100, **args)
    user_ids = {e.user_id for e in page.items if e.user_id}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    services.record(db.session, "audit.read", detail={"filters": sorted(args)})
    db.session.commit()
    return render_template("audit/index.html", page=page, names=names, args=args)


@bp.get("/export.csv")
@requires("core.audit.read")
def export():
    where, args = _filter()
    rows = db.session.scalars(services.events(g.tenant.id, where).limit(EXPORT_LIMIT)).all()
    services.record(db.session, "audit.export", detail={"filters": sorted(args), "rows": len(rows)})
    db.session.commit()
    filename = f"audit-{g.tenant.slug}-{datetime.now(timezone.utc):%Y%m%d}.csv"
    return Response(services.to_csv(rows, g.tenant), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
