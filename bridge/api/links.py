"""Link building: absolute hrefs under the API root, paging links, association links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from bridge.model.csapi import Kind
from bridge.store.tokens import TOKEN_PARAM

OGC_REL = "ogc-rel:"


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What link builders need to know about the current request."""

    root: str  # public API root without trailing slash, e.g. "http://127.0.0.1:8080"
    path: str  # request path relative to the API root, e.g. "/systems"
    query: tuple[tuple[str, str], ...] = ()

    def href(self, path: str, **params: str) -> str:
        """Absolute URL of `path` (starting with `/`) under the API root."""
        if not params:  # the common case (association links: several per listed item)
            return self.root + path
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.root}{path}" + (f"?{query}" if query else "")

    def canonical(self, kind: Kind, rid: str) -> str:
        """Absolute URL of a resource at its canonical endpoint (`/{kind}/{id}`)."""
        return f"{self.root}/{kind.value}/{rid}"

    def with_params(self, **params: str | None) -> str:
        """The request URL with some query parameters replaced (None removes one)."""
        items = [(k, v) for k, v in self.query if k not in params]
        items += [(k, v) for k, v in params.items() if v is not None]
        return self.root + self.path + (f"?{urlencode(items)}" if items else "")


def link(href: str, rel: str, media_type: str | None = None, title: str | None = None) -> dict[str, str]:
    """A `common/link.json` object."""
    out = {"href": href, "rel": rel}
    if media_type:
        out["type"] = media_type
    if title:
        out["title"] = title
    return out


def association(
    ctx: LinkContext, name: str, path: str, title: str, media_type: str | None = None
) -> list[dict[str, str]]:
    """Links for one association, under both relation forms.

    Checklist D1: the mapping tables say `ogc-rel:<association>` while every example and the ATS
    (A.13, A.23) look for the bare name; emitting both lets clients of either reading find it.
    """
    href = ctx.href(path)
    return [link(href, name, media_type, title), link(href, OGC_REL + name, media_type, title)]


def paging_links(
    ctx: LinkContext,
    next_token: str | None,
    prev_token: str | None,
    media_type: str,
    alternates: dict[str, str],
) -> list[dict[str, str]]:
    """`self`, `alternate` (other formats), `next` and `prev` links of a listing."""
    out = [link(ctx.with_params(), "self", media_type, "this page")]
    for other, f_value in alternates.items():
        if other != media_type:
            out.append(link(ctx.with_params(f=f_value), "alternate", other, f"this page as {other}"))
    if next_token:
        out.append(link(ctx.with_params(**{TOKEN_PARAM: next_token}), "next", media_type, "next page"))
    if prev_token:
        out.append(link(ctx.with_params(**{TOKEN_PARAM: prev_token}), "prev", media_type, "previous page"))
    return out
