"""What the partner plugin adds to Samverka's suite-wide checks (core.testing.PluginTests): its
part of the shared test world, and the URL arguments, bodies and public routes of its pages for
the isolation sweep. Its one page takes no object and no body, so it needs no entry yet; a new
route that does makes the sweep say which table to fill here."""

from core.testing import PluginTests

PLUGIN_TESTS = PluginTests(key="partner")
