"""core.toolkit is the one door into core for plugins (issue #8)."""

import core.toolkit as toolkit


def test_every_toolkit_name_is_there_once():
    assert len(toolkit.__all__) == len(set(toolkit.__all__))
    assert [name for name in toolkit.__all__ if not hasattr(toolkit, name)] == []


def test_the_toolkit_exports_only_what_it_lists():
    """Everything public in the module is listed: no name reaches plugins by accident."""
    # (pytest rewrites the installed distribution's modules and adds its "@py_" helpers.)
    public = {name for name in vars(toolkit) if not name.startswith(("__", "@")) and name != "annotations"}
    assert public - set(toolkit.__all__) == set()
