"""Cross-tenant aggregates: which tenants a tenant sees, metric figures, suppression."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import tenant_scope
from core.hookspecs import Metric, Rate
from core.tenants.models import Tenant, TenantKind, node_membership

#: Counts from 1 up to this are shown as "<5".
SMALL = 4
#: What a count of 1-4 shows.
SMALL_LABEL = "<5"
#: What a cell hidden only so a small one cannot be recovered from the total shows.
HIDDEN_LABEL = ".."


def visible_tenants(session: Session, tenant: Tenant) -> list[Tenant]:
    """``tenant``, every tenant below it in the parent tree, and the members of the nodes
    among them (a node's members when ``tenant`` is a node). Two queries whatever the size
    of the tree: the tenant table and the node membership are loaded once and walked here.
    The tenant itself comes first, the others follow by name."""
    tenants = {t.id: t for t in session.scalars(select(Tenant))}
    members: dict[int, list[int]] = defaultdict(list)
    for node_id, member_id in session.execute(select(node_membership.c.node_id, node_membership.c.member_id)):
        members[node_id].append(member_id)
    children: dict[int, list[int]] = defaultdict(list)
    for t in tenants.values():
        if t.parent_id is not None:
            children[t.parent_id].append(t.id)

    subtree: set[int] = set()
    stack = [tenant.id]
    while stack:
        current = stack.pop()
        if current in subtree:
            continue
        subtree.add(current)
        stack.extend(children[current])
    seen = set(subtree)
    for tenant_id in subtree:
        if tenants[tenant_id].kind == TenantKind.node:
            seen.update(m for m in members[tenant_id] if m in tenants)
    others = sorted((tenants[i] for i in seen if i != tenant.id), key=lambda t: (t.name, t.id))
    return [tenants[tenant.id], *others]


def compute(session: Session, metric: Metric, tenant_ids: list[int]) -> dict[int, float | Rate]:
    """``metric`` for each of ``tenant_ids``, computed inside the aggregate scope of all of
    them (row-level security shows those tenants and no others). Every tenant gets a value:
    0 where the metric found nothing. A rate or median may come back as a :class:`Rate`."""
    if not tenant_ids:
        return {}
    with tenant_scope(*tenant_ids):
        figures = metric.compute(session, list(tenant_ids)) or {}
    return {tenant_id: figures.get(tenant_id, 0) for tenant_id in tenant_ids}


def suppress(table: dict[int, int], total: int | None) -> dict[int, str]:
    """Each count of ``table`` as shown: 1-4 as "<5", 0 and 5 or more as the number.

    Complementary suppression: when exactly one cell is small and ``total`` is shown (not
    None), the smallest other non-zero cell is hidden too (as ".."), so the small one cannot
    be recovered by subtracting the others from the total. When there is no such cell the
    total is itself 1-4 and :func:`suppress_total` hides it.
    """
    shown = {key: (SMALL_LABEL if 0 < value <= SMALL else str(value)) for key, value in table.items()}
    small = [key for key, value in table.items() if 0 < value <= SMALL]
    if len(small) == 1 and total is not None:
        candidates = sorted((value, key) for key, value in table.items() if value > SMALL)
        if candidates:
            shown[candidates[0][1]] = HIDDEN_LABEL
    return shown


def suppress_total(total: int) -> str:
    return SMALL_LABEL if 0 < total <= SMALL else str(total)


def _rounded(value: float) -> float | int:
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


def show_rates(values: Mapping[int, float | Rate]) -> dict[int, str | float | int]:
    """Rates and medians as shown: a number to one decimal (the page writes it in the
    reader's locale), or ".." in its place. A :class:`Rate` ``(value, base)`` is hidden
    where its base count is below five, so a rate never reveals a handful of people; a bare
    value carries no base and is shown. Rates get no total: they do not add up."""
    shown = {}
    for key, value in values.items():
        if isinstance(value, tuple):  # a Rate, or a plain (value, base) pair
            value, base = value
            if base < SMALL + 1:
                shown[key] = HIDDEN_LABEL
                continue
        shown[key] = _rounded(value)
    return shown


def statistics_table(session: Session, metrics: dict[str, Metric], tenant: Tenant) -> dict:
    """The page's table for ``tenant``: visible tenants as rows, metrics as columns, every
    figure suppressed, and a total row. One query per metric plus two, however many tenants."""
    rows = visible_tenants(session, tenant)
    ids = [t.id for t in rows]
    columns = []
    for metric in sorted(metrics.values(), key=lambda m: m.key):
        values = compute(session, metric, ids)
        if metric.kind == "count":
            counts = {key: int(value) for key, value in values.items()}
            total = sum(counts.values())
            columns.append({"metric": metric, "cells": suppress(counts, total), "total": suppress_total(total)})
        else:
            columns.append({"metric": metric, "cells": show_rates(values), "total": "–"})
    return {"rows": rows, "columns": columns}
