"""Offers with a deadline: a place offered to a person, answered once through a link or by staff, or expiring."""
