"""Every JavaScript and CSS file a map needs, served from this installation.

Folium points its pages at public CDNs; bureau intranets have no internet.
The files come from PyPI's XStatic packages at install time (Leaflet 1.9.3,
as folium 0.20 expects; Leaflet.markercluster; jQuery 3.7.1 for folium's
popups) and are never committed. ``localize`` rewrites a map's asset list
per render, on the instances (never folium's shared class lists), and
refuses any asset it does not know, so a CDN URL cannot slip back in.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from branca.element import Element


@dataclass(frozen=True)
class Asset:
    package: str
    """The XStatic module, e.g. ``xstatic.pkg.leaflet``."""
    filename: str

    @property
    def mount(self) -> str:
        return self.package.rsplit(".", 1)[-1]

    def path(self) -> Path:
        return package_dir(self.package) / self.filename


LOCAL_ASSETS: dict[str, Asset] = {
    "leaflet": Asset("xstatic.pkg.leaflet", "leaflet.js"),
    "leaflet_css": Asset("xstatic.pkg.leaflet", "leaflet.css"),
    "jquery": Asset("xstatic.pkg.jquery", "jquery.min.js"),
    "markerclusterjs": Asset("xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js"),
    "markerclustercss": Asset("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": Asset("xstatic.pkg.leaflet_markercluster", "MarkerCluster.Default.css"),
}

# Folium lists these on every map; our maps use none of them (no Bootstrap
# widgets, no awesome-marker icons), so they are left out of the page.
UNUSED_ASSETS = frozenset({
    "bootstrap", "bootstrap_css", "glyphicons_css", "awesome_markers", "awesome_markers_css",
    "awesome_markers_font_css", "awesome_rotate_css",
})


class UnknownAsset(LookupError):
    """A map element asks for a JS/CSS file this installation does not serve."""


@lru_cache(maxsize=None)
def package_dir(package: str) -> Path:
    module = importlib.import_module(package)
    return Path(module.BASE_DIR)  # type: ignore[attr-defined]


def asset_directories() -> list[tuple[str, Path]]:
    """(mount name, directory) for each package to serve under ``/static/vendor/<name>``."""
    seen: dict[str, Path] = {}
    for asset in LOCAL_ASSETS.values():
        seen.setdefault(asset.mount, package_dir(asset.package))
    return sorted(seen.items())


def _walk(element: Element):  # type: ignore[no-untyped-def]
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def _mapped(pairs: list[tuple[str, str]], base_url: str) -> list[tuple[str, str]]:
    out = []
    for name, _url in pairs:
        if name in UNUSED_ASSETS:
            continue
        asset = LOCAL_ASSETS.get(name)
        if asset is None:
            raise UnknownAsset(f"map asset {name!r} is not served locally; add it to maps.assets.LOCAL_ASSETS")
        out.append((name, f"{base_url}/{asset.mount}/{asset.filename}"))
    return out


def localize(root: Element, *, base_url: str = "/static/vendor") -> None:
    """Point every asset of ``root``'s elements at this app (per instance)."""
    for element in _walk(root):
        for attr in ("default_js", "default_css"):
            pairs = getattr(element, attr, None)
            if pairs:
                setattr(element, attr, _mapped(list(pairs), base_url))


def _script_safe(text: str) -> str:
    return text.replace("</script", "<\\/script")


def inline(root: Element) -> None:
    """Embed every asset in the page itself, for a standalone HTML file."""
    js: dict[str, str] = {}
    css: dict[str, str] = {}
    for element in _walk(root):
        for attr, store in (("default_js", js), ("default_css", css)):
            pairs = getattr(element, attr, None)
            if not pairs:
                continue
            for name, _url in _mapped(list(pairs), ""):
                store.setdefault(name, LOCAL_ASSETS[name].path().read_text(encoding="utf-8"))
            setattr(element, attr, [])
    figure = root.get_root()
    styles = "".join(f"<style>/* {name} */\n{text}\n</style>\n" for name, text in css.items())
    # Scripts must not end early on a "</script>" inside their text.
    scripts = "".join(
        f"<script>/* {name} */\n{_script_safe(text)}\n</script>\n" for name, text in js.items()
    )
    figure.header.add_child(Element(styles + scripts), name="inlined_assets", index=0)
