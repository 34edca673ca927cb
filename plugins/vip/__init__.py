"""The VIP course (Eskilstuna, Sweden): applications, waitlist, groups, trained leaders.

A manual-based course of twelve group meetings for young people and adults with
intellectual disabilities, run in gender-separated groups by two trained leaders. The
plugin reaches core only through the hooks in ``plugin.py``.
"""
