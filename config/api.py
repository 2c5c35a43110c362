"""Project-wide plumbing of the JSON API (settings point here; the endpoints live in the apps)."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a 400 for nesting deep enough to exhaust Python's recursion limit.

    ``json`` raises RecursionError (not a ValueError) on ``[[[[…]]]]`` a few thousand levels
    deep, which a 2.5 MB body easily holds; DRF would let it through as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
