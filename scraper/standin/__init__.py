"""A stand-in of the IndBiz site: WordPress markup, real HTTP, on 127.0.0.1 only."""

from scraper.standin.server import StandinServer
from scraper.standin.site import StandinArticle, StandinSite

__all__ = ["StandinArticle", "StandinServer", "StandinSite"]
