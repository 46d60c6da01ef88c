"""newsdelta in Datasette: the archive's metadata (metadata.yaml) and the plugin (plugin.py).

This package is the plugin Datasette registers: its hook implementations are imported here so
Datasette also finds the package's `templates/` and `static/` folders beside them.
"""

from storage.datasette.plugin import extra_css_urls, menu_links, register_routes, render_cell

__all__ = ["extra_css_urls", "menu_links", "register_routes", "render_cell"]
