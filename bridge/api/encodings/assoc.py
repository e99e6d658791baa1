"""Links every Part 1 resource carries: self/alternate or canonical, and its associations."""

from __future__ import annotations

from urllib.parse import quote

from bridge.api.links import LinkContext, association, link
from bridge.api.media import GEOJSON, JSON, SML_JSON
from bridge.model.csapi import Feature, Kind
from bridge.model.kinds import PART1_KINDS

F_NAME = {GEOJSON: "geojson", SML_JSON: "sml", JSON: "json"}
_MEDIA = {name: media for media, name in F_NAME.items()}
# The media types of each Part 1 resources endpoint, first = default (from the kinds' descriptors).
FORMATS: dict[Kind, list[str]] = {d.kind: [_MEDIA[name] for name in d.formats] for d in PART1_KINDS}


def resource_links(feature: Feature, ctx: LinkContext, media_type: str, canonical_view: bool) -> list[dict[str, str]]:
    """Links of one resource; `canonical_view` is True only for `GET /{kind}/{id}` itself."""
    kind, rid = feature.kind, feature.id
    href = ctx.canonical(kind, rid)
    out: list[dict[str, str]] = []
    if canonical_view:
        out.append(link(href, "self", media_type, "this resource"))
        out += [
            link(f"{href}?f={F_NAME[m]}", "alternate", m, f"this resource as {m}")
            for m in FORMATS[kind]
            if m != media_type
        ]
    else:
        out.append(link(href, "canonical", media_type, "canonical URL of this resource"))
    out += [link(lnk.href, lnk.rel or "related", lnk.type or guess_type(lnk.href), lnk.title) for lnk in feature.links]
    out += _associations(feature, ctx)
    return out


def guess_type(href: str) -> str:
    """A media type for a stored link that has none (Feat-1 /req/core/fc-rel-type wants one on every link)."""
    lowered = href.lower()
    if "service=sos" in lowered or "service=sps" in lowered or lowered.endswith(".xml"):
        return "application/xml"
    return "application/json"


def _associations(feature: Feature, ctx: LinkContext) -> list[dict[str, str]]:
    rid = feature.id
    out: list[dict[str, str]] = []
    if feature.kind is Kind.SYSTEM:
        base = f"/systems/{rid}"
        out += association(ctx, "subsystems", f"{base}/subsystems", "Subsystems", GEOJSON)
        out += association(ctx, "samplingFeatures", f"{base}/samplingFeatures", "Sampling features", GEOJSON)
        out += association(ctx, "deployments", f"{base}/deployments", "Deployments", GEOJSON)
        out += association(ctx, "datastreams", f"{base}/datastreams", "Datastreams", JSON)
        out += association(ctx, "controlstreams", f"{base}/controlstreams", "Control streams", JSON)
        if feature.parent_id:
            out += association(ctx, "parentSystem", f"/systems/{feature.parent_id}", "Parent system", GEOJSON)
        kind_link = getattr(feature, "system_kind", None)
        if kind_link is not None:  # D19: no path is defined for `procedures`; the system's kind, by id or UID
            ref = kind_link.uid or kind_link.href
            out += association(ctx, "procedures", f"/procedures?id={quote(ref, safe='')}", "Procedures", GEOJSON)
    elif feature.kind is Kind.DEPLOYMENT:
        base = f"/deployments/{rid}"
        out += association(ctx, "subdeployments", f"{base}/subdeployments", "Subdeployments", GEOJSON)
        out += association(ctx, "datastreams", f"{base}/datastreams", "Datastreams", JSON)
        out += association(ctx, "controlstreams", f"{base}/controlstreams", "Control streams", JSON)
        if feature.parent_id:
            out += association(
                ctx, "parentDeployment", f"/deployments/{feature.parent_id}", "Parent deployment", GEOJSON
            )
    elif feature.kind is Kind.PROCEDURE:
        out += association(
            ctx,
            "implementingSystems",
            f"/systems?procedure={rid}&recursive=true",
            "Implementing systems",
            GEOJSON,
        )
    elif feature.kind is Kind.SAMPLING_FEATURE and feature.parent_id:
        out += association(ctx, "parentSystem", f"/systems/{feature.parent_id}", "Parent system", GEOJSON)
    return out
