"""core.pagination: what a page knows of its place in the whole list."""

from __future__ import annotations

from core.pagination import Page


def test_a_page_knows_the_place_of_its_first_item():
    assert Page(items=[], number=1, per_page=50, total=0).first == 1
    assert Page(items=[], number=3, per_page=20, total=100).first == 41
