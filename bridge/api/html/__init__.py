"""HTML pages of the facade: every GET resource rendered for browsers from its JSON representation.

A browser (an `Accept` header whose preferred type is `text/html`) or `f=html` gets a page; every other
client gets the JSON it always got. The routes know nothing of HTML: `HtmlPages` (an ASGI middleware) asks
them for the default JSON representation, then renders it with the Jinja2 templates of this package, reading
related JSON documents (a stream's schema, a command's status reports…) through the same app. Scripts, style
sheets and the map's land outline are package data under `static/` (vendored libraries with their licences,
see `static/vendor/VENDORED.md`): no page loads anything from another server.
"""
