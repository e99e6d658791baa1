"""Responses of the SOS 2.0 test server, built in the shapes real servers send (52°North 4.x/5.x, OGC examples).

Capabilities, DescribeSensor (SensorML 2.0 PhysicalSystem or SensorML 1.0.1 System in the swes wrapper, as
52°North answers), GetFeatureOfInterest (EPSG:4326 positions in lat/lon order), GetObservation (the
52°North OM_Measurement member with a `#phenomenonTime` resultTime reference and a gml:MeasureType result
whose prefix is re-bound), GetResultTemplate/GetResult (count-prefixed text block), GetDataAvailability
(sosgda 2.0) and exception reports / SOAP faults.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from .state import Foi, OfferingSpec, ServerState

NS = (
    'xmlns:sos="http://www.opengis.net/sos/2.0" xmlns:swes="http://www.opengis.net/swes/2.0" '
    'xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:gml="http://www.opengis.net/gml/3.2" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:om="http://www.opengis.net/om/2.0" xmlns:swe="http://www.opengis.net/swe/2.0" '
    'xmlns:sams="http://www.opengis.net/samplingSpatial/2.0" xmlns:sf="http://www.opengis.net/sampling/2.0" '
    'xmlns:fes="http://www.opengis.net/fes/2.0"'
)
CONF = "http://www.opengis.net/spec/SOS/2.0/conf/"
SML20 = "http://www.opengis.net/sensorml/2.0"
SML101 = "http://www.opengis.net/sensorML/1.0.1"
OM20 = "http://www.opengis.net/om/2.0"
WML2 = "http://www.opengis.net/waterml/2.0"
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
POINT = "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingPoint"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
ISO = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _e(value: str) -> str:
    return escape(value)


def _values(values: Iterable[str]) -> str:
    return "".join(f"<ows:Value>{_e(v)}</ows:Value>" for v in values)


def _dcp(state: ServerState, operation: str) -> str:
    url = _e(state.url)
    post_only = operation in state.soap_only
    get = "" if post_only else f'<ows:Get xlink:href="{url}?"><ows:Constraint name="Content-Type"><ows:AllowedValues>' \
        "<ows:Value>application/x-kvp</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get>"  # fmt: skip
    types = ["application/soap+xml"] if post_only else ["application/xml", "application/soap+xml", "text/xml"]
    post = (
        f'<ows:Post xlink:href="{url}"><ows:Constraint name="Content-Type"><ows:AllowedValues>{_values(types)}'
        "</ows:AllowedValues></ows:Constraint></ows:Post>"
    )
    return f"<ows:DCP><ows:HTTP>{get}{post}</ows:HTTP></ows:DCP>"


def _operation(state: ServerState, name: str, params: dict[str, Iterable[str]]) -> str:
    body = "".join(
        f'<ows:Parameter name="{p}"><ows:AllowedValues>{_values(v)}</ows:AllowedValues></ows:Parameter>'
        if list(v) else f'<ows:Parameter name="{p}"><ows:AnyValue/></ows:Parameter>'
        for p, v in params.items()
    )  # fmt: skip
    return f'<ows:Operation name="{name}">{_dcp(state, name)}{body}</ows:Operation>'


def _offering(spec: OfferingSpec, state: ServerState) -> str:
    times = [t for key, series in state.data.items() if key[0] == spec.identifier for t, _, _ in series]
    period = ""
    if times:
        period = (
            f'<sos:phenomenonTime><gml:TimePeriod gml:id="pt_{spec.gml_id}"><gml:beginPosition>{iso(min(times))}'
            f"</gml:beginPosition><gml:endPosition>{iso(max(times))}</gml:endPosition></gml:TimePeriod>"
            "</sos:phenomenonTime>"
        )
    lons = [f.lon for f in spec.fois]
    lats = [f.lat for f in spec.fois]
    area = (  # 52°North writes the observed area in lon/lat order even for EPSG:4326 (Q4)
        f'<sos:observedArea><gml:Envelope srsName="{EPSG4326}"><gml:lowerCorner>{min(lons)} {min(lats)}'
        f"</gml:lowerCorner><gml:upperCorner>{max(lons)} {max(lats)}</gml:upperCorner></gml:Envelope>"
        "</sos:observedArea>"
    )
    formats = "".join(f"<swes:procedureDescriptionFormat>{f}</swes:procedureDescriptionFormat>" for f in spec.formats)
    props = "".join(f"<swes:observableProperty>{_e(p)}</swes:observableProperty>" for p in spec.properties)
    name = f"<swes:name>{_e(spec.name)}</swes:name>" if spec.name else ""
    return (
        f"<swes:offering><sos:ObservationOffering><swes:identifier>{_e(spec.identifier)}</swes:identifier>{name}"
        f"<swes:procedure>{_e(spec.procedure)}</swes:procedure>{formats}{props}{area}{period}"
        f"<sos:responseFormat>{WML2 if spec.waterml else OM20}</sos:responseFormat>"
        f"<sos:observationType>{MEASUREMENT}</sos:observationType>"
        f"<sos:featureOfInterestType>{POINT}</sos:featureOfInterestType></sos:ObservationOffering></swes:offering>"
    )


def capabilities(state: ServerState) -> bytes:
    """A 52°North-like Capabilities document for the state's offerings."""
    profiles = [CONF + c for c in ("core", "kvp-core", "pox", "soap", "foiRetrieval")]
    if state.result_retrieval:
        profiles.append(CONF + "resultRetrieval")
    offerings = [o.identifier for o in state.offerings]
    procedures = [o.procedure for o in state.offerings]
    ops = [
        _operation(state, "GetCapabilities", {"AcceptVersions": ["2.0.0"]}),
        _operation(state, "DescribeSensor", {"procedure": procedures, "procedureDescriptionFormat": [SML20, SML101]}),
        _operation(
            state, "GetObservation", {"offering": offerings, "responseFormat": [OM20, WML2], "temporalFilter": []}
        ),
        _operation(state, "GetFeatureOfInterest", {"procedure": procedures, "featureOfInterest": []}),
    ]
    if state.data_availability:
        ops.append(_operation(state, "GetDataAvailability", {"procedure": procedures}))
    if state.result_retrieval:
        ops += [_operation(state, "GetResultTemplate", {}), _operation(state, "GetResult", {})]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sos:Capabilities {NS} version="2.0.0">'
        "<ows:ServiceIdentification><ows:Title>SOS test server</ows:Title><ows:ServiceType>OGC:SOS</ows:ServiceType>"
        "<ows:ServiceTypeVersion>2.0.0</ows:ServiceTypeVersion>"
        f"{''.join(f'<ows:Profile>{p}</ows:Profile>' for p in profiles)}"
        "</ows:ServiceIdentification><ows:ServiceProvider><ows:ProviderName>Test provider</ows:ProviderName>"
        f"</ows:ServiceProvider><ows:OperationsMetadata>{''.join(ops)}</ows:OperationsMetadata>"
        f"<sos:contents><sos:Contents>{''.join(_offering(o, state) for o in state.offerings)}</sos:Contents>"
        "</sos:contents></sos:Capabilities>"
    ).encode()


def _output_sml20(prop: str, uom: str) -> str:
    name = prop.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].replace(" ", "_")
    return (
        f'<sml:output name="{_e(name)}"><swe:Quantity definition={quoteattr(prop)}><swe:label>{_e(name)}</swe:label>'
        f'<swe:uom code="{_e(uom)}"/></swe:Quantity></sml:output>'
    )


def describe_sensor_sml20(spec: OfferingSpec) -> bytes:
    """swes:DescribeSensorResponse with a SensorML 2.0 PhysicalSystem (OGC 12-000 shape)."""
    foi = spec.fois[0]
    outputs = "".join(_output_sml20(p, spec.uoms[p]) for p in spec.properties)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<swes:DescribeSensorResponse {NS} '
        'xmlns:sml="http://www.opengis.net/sensorml/2.0" xmlns:gmd="http://www.isotc211.org/2005/gmd" '
        'xmlns:gco="http://www.isotc211.org/2005/gco">'
        f"<swes:procedureDescriptionFormat>{SML20}</swes:procedureDescriptionFormat><swes:description>"
        f'<swes:SensorDescription><swes:data><sml:PhysicalSystem gml:id="{spec.gml_id}">'
        f"<gml:description>{_e(spec.description)}</gml:description>"
        f'<gml:identifier codeSpace="uniqueID">{_e(spec.procedure)}</gml:identifier>'
        f"<gml:name>{_e(spec.label)}</gml:name>"
        "<sml:identification><sml:IdentifierList><sml:identifier><sml:Term "
        'definition="http://sensorml.com/ont/swe/property/SerialNumber"><sml:label>Serial number</sml:label>'
        f"<sml:value>SN-{spec.gml_id}</sml:value></sml:Term></sml:identifier></sml:IdentifierList></sml:identification>"
        "<sml:classification><sml:ClassifierList><sml:classifier><sml:Term "
        'definition="http://sensorml.com/ont/swe/property/SensorType"><sml:label>Sensor type</sml:label>'
        "<sml:value>weather station</sml:value></sml:Term></sml:classifier></sml:ClassifierList></sml:classification>"
        '<sml:characteristics name="physical"><sml:CharacteristicList><sml:characteristic name="weight">'
        '<swe:Quantity definition="http://qudt.org/vocab/quantitykind/Mass"><swe:label>Weight</swe:label>'
        '<swe:uom code="kg"/><swe:value>12.5</swe:value></swe:Quantity></sml:characteristic></sml:CharacteristicList>'
        "</sml:characteristics><sml:contacts><sml:ContactList><sml:contact><gmd:CI_ResponsibleParty>"
        "<gmd:organisationName><gco:CharacterString>Test operator</gco:CharacterString></gmd:organisationName>"
        '<gmd:role><gmd:CI_RoleCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode"'
        ' codeListValue="pointOfContact">pointOfContact</gmd:CI_RoleCode></gmd:role></gmd:CI_ResponsibleParty>'
        "</sml:contact></sml:ContactList></sml:contacts>"
        f"<sml:outputs><sml:OutputList>{outputs}</sml:OutputList></sml:outputs>"
        f'<sml:position><gml:Point gml:id="pos_{spec.gml_id}" srsName="{EPSG4326}"><gml:pos>{foi.lat} {foi.lon}'
        "</gml:pos></gml:Point></sml:position></sml:PhysicalSystem></swes:data></swes:SensorDescription>"
        "</swes:description></swes:DescribeSensorResponse>"
    ).encode()


def describe_sensor_sml101(spec: OfferingSpec) -> bytes:
    """swes:DescribeSensorResponse wrapping a SensorML 1.0.1 System (the 52°North ws2500 shape)."""
    foi = spec.fois[0]
    outputs = "".join(
        f'<sml:output name="{_e(p.rsplit("/", 1)[-1].replace(" ", "_"))}"><swe:Quantity definition={quoteattr(p)}>'
        f'<swe:uom code="{_e(spec.uoms[p])}"/></swe:Quantity></sml:output>'
        for p in spec.properties
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<swes:DescribeSensorResponse {NS.replace("swe/2.0", "swe/1.0.1")} '
        'xmlns:sml="http://www.opengis.net/sensorML/1.0.1" xmlns:gml1="http://www.opengis.net/gml">'
        f"<swes:procedureDescriptionFormat>{SML101}</swes:procedureDescriptionFormat><swes:description>"
        '<swes:SensorDescription><swes:data><sml:SensorML version="1.0.1"><sml:member><sml:System>'
        f"<gml1:description>{_e(spec.description)}</gml1:description>"
        "<sml:identification><sml:IdentifierList>"
        '<sml:identifier name="uniqueID"><sml:Term definition="urn:ogc:def:identifier:OGC:1.0:uniqueID">'
        f"<sml:value>{_e(spec.procedure)}</sml:value></sml:Term></sml:identifier>"
        '<sml:identifier name="longName"><sml:Term definition="urn:ogc:def:identifier:OGC:1.0:longName">'
        f"<sml:value>{_e(spec.label)}</sml:value></sml:Term></sml:identifier>"
        "</sml:IdentifierList></sml:identification>"
        '<sml:position name="sensorPosition"><swe:Position referenceFrame="urn:ogc:def:crs:EPSG::4326">'
        '<swe:location><swe:Vector gml1:id="STATION_LOCATION">'
        f'<swe:coordinate name="easting"><swe:Quantity axisID="x"><swe:uom code="degree"/><swe:value>{foi.lon}'
        "</swe:value></swe:Quantity></swe:coordinate>"
        f'<swe:coordinate name="northing"><swe:Quantity axisID="y"><swe:uom code="degree"/><swe:value>{foi.lat}'
        "</swe:value></swe:Quantity></swe:coordinate></swe:Vector></swe:location></swe:Position></sml:position>"
        f"<sml:outputs><sml:OutputList>{outputs}</sml:OutputList></sml:outputs>"
        "</sml:System></sml:member></sml:SensorML></swes:data></swes:SensorDescription></swes:description>"
        "</swes:DescribeSensorResponse>"
    ).encode()


def _feature(foi: Foi) -> str:
    return (
        f'<sos:featureMember><sams:SF_SpatialSamplingFeature gml:id="ssf_{foi.gml_id}">'
        f'<gml:identifier codeSpace="http://www.opengis.net/def/nil/OGC/0/unknown">{_e(foi.identifier)}</gml:identifier>'
        f'<gml:name>{_e(foi.name)}</gml:name><sf:type xlink:href="{POINT}"/>'
        f'<sf:sampledFeature xlink:href="{_e(foi.sampled)}"/><sams:shape><gml:Point gml:id="p_{foi.gml_id}">'
        f'<gml:pos srsName="{EPSG4326}">{foi.lat} {foi.lon}</gml:pos></gml:Point></sams:shape>'
        "</sams:SF_SpatialSamplingFeature></sos:featureMember>"
    )


def features(fois: Iterable[Foi]) -> bytes:
    """GetFeatureOfInterestResponse (52°North: positions lat/lon under EPSG:4326)."""
    body = "".join(_feature(f) for f in fois)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetFeatureOfInterestResponse {NS}>{body}</sos:GetFeatureOfInterestResponse>'.encode()  # noqa: E501


MEMBER = """<sos:observationData><om:OM_Observation gml:id="o_{n}"><om:type xlink:href="{mtype}"/>\
<om:phenomenonTime><gml:TimeInstant gml:id="phenomenonTime_{n}"><gml:timePosition>{time}</gml:timePosition>\
</gml:TimeInstant></om:phenomenonTime><om:resultTime xlink:href="#phenomenonTime_{n}"/>\
<om:procedure xlink:href={procedure}/><om:observedProperty xlink:href={prop}/>\
<om:featureOfInterest xlink:href={foi} xlink:title={title}/>\
<om:result xmlns:ns="http://www.opengis.net/gml/3.2" uom={uom} xsi:type="ns:MeasureType">{value}</om:result>\
</om:OM_Observation></sos:observationData>
"""


def observations(rows: Iterable[tuple[OfferingSpec, str, datetime, Foi, float]]) -> Iterator[bytes]:
    """GetObservationResponse chunks: one 52°North OM_Measurement member per row (gml:ids restart at 1)."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetObservationResponse {NS}>\n'.encode()
    chunk: list[str] = []
    for n, (spec, prop, when, foi, value) in enumerate(rows, 1):
        chunk.append(
            MEMBER.format(
                n=n,
                mtype=MEASUREMENT,
                time=iso(when),
                procedure=quoteattr(spec.procedure),
                prop=quoteattr(prop),
                foi=quoteattr(foi.identifier),
                title=quoteattr(foi.name),
                uom=quoteattr(spec.uoms[prop]),
                value=repr(value),
            )
        )
        if len(chunk) >= 500:
            yield "".join(chunk).encode()
            chunk = []
    yield ("".join(chunk) + "</sos:GetObservationResponse>\n").encode()


WML_HEAD = """<sos:observationData><om:OM_Observation gml:id="o_{n}" xmlns:wml2="http://www.opengis.net/waterml/2.0">\
<om:phenomenonTime><gml:TimePeriod gml:id="phenomenonTime_{n}"><gml:beginPosition>{begin}</gml:beginPosition>\
<gml:endPosition>{end}</gml:endPosition></gml:TimePeriod></om:phenomenonTime>\
<om:resultTime><gml:TimeInstant gml:id="ti_{n}"><gml:timePosition>{end}</gml:timePosition></gml:TimeInstant>\
</om:resultTime>\
<om:procedure xlink:href={procedure}/><om:parameter><om:NamedValue><om:name xlink:href="offering"/>\
<om:value xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">{offering}</om:value></om:NamedValue>\
</om:parameter><om:observedProperty xlink:href={prop} xlink:title={prop}/>\
<om:featureOfInterest xlink:href={foi} xlink:title={title}/><om:result>\
<wml2:MeasurementTimeseries gml:id="timeseries.{n}"><wml2:metadata><wml2:MeasurementTimeseriesMetadata>\
<wml2:temporalExtent xlink:href="#phenomenonTime_{n}"/></wml2:MeasurementTimeseriesMetadata></wml2:metadata>\
<wml2:defaultPointMetadata><wml2:DefaultTVPMeasurementMetadata><wml2:uom code={uom}/>\
<wml2:interpolationType xlink:href="http://www.opengis.net/def/timeseriesType/WaterML/2.0/continuous" \
xlink:title="Instantaneous"/></wml2:DefaultTVPMeasurementMetadata></wml2:defaultPointMetadata>
"""
WML_POINT = "<wml2:point><wml2:MeasurementTVP><wml2:time>{time}</wml2:time><wml2:value>{value}</wml2:value>\
</wml2:MeasurementTVP></wml2:point>\n"


def waterml(rows: list[tuple[OfferingSpec, str, datetime, Foi, float]]) -> Iterator[bytes]:
    """A WaterML 2.0 GetObservation response (the 52°North hydrology shape): one time series per feature."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetObservationResponse {NS}>\n'.encode()
    series: dict[tuple[str, str, str], list[tuple[OfferingSpec, str, datetime, Foi, float]]] = {}
    for row in rows:
        series.setdefault((row[0].identifier, row[1], row[3].identifier), []).append(row)
    for n, points in enumerate(series.values(), 1):
        spec, prop, _, foi, _ = points[0]
        names = {
            "procedure": quoteattr(spec.procedure),
            "offering": _e(spec.identifier),
            "prop": quoteattr(prop),
            "foi": quoteattr(foi.identifier),
            "title": quoteattr(foi.name),
            "uom": quoteattr(spec.uoms[prop]),
        }
        head = WML_HEAD.format(n=n, begin=iso(points[0][2]), end=iso(points[-1][2]), **names)
        body = "".join(WML_POINT.format(time=iso(t), value=repr(v)) for _, _, t, _, v in points)
        yield (
            head + body + "</wml2:MeasurementTimeseries></om:result></om:OM_Observation></sos:observationData>\n"
        ).encode()
    yield b"</sos:GetObservationResponse>\n"


def result_template(spec: OfferingSpec, prop: str) -> bytes:
    """GetResultTemplateResponse: time, feature of interest and the value, comma/`@@` text encoding."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetResultTemplateResponse {NS}><sos:resultStructure>'
        '<swe:DataRecord><swe:field name="phenomenonTime"><swe:Time '
        'definition="http://www.opengis.net/def/property/OGC/0/PhenomenonTime">'
        f'<swe:uom xlink:href="{ISO}"/></swe:Time></swe:field><swe:field name="featureOfInterest">'
        '<swe:Text definition="http://www.opengis.net/def/featureOfInterest"/></swe:field>'
        f'<swe:field name="value"><swe:Quantity definition={quoteattr(prop)}>'
        f"<swe:uom code={quoteattr(spec.uoms[prop])}/>"
        "</swe:Quantity></swe:field></swe:DataRecord></sos:resultStructure><sos:resultEncoding>"
        '<swe:TextEncoding tokenSeparator="," blockSeparator="@@"/></sos:resultEncoding>'
        "</sos:GetResultTemplateResponse>"
    ).encode()


def result_values(rows: list[tuple[datetime, Foi, float]]) -> bytes:
    """GetResultResponse with the block count first (as the OGC example and 52°North's InsertResult)."""
    blocks = [str(len(rows)), *(f"{iso(t)},{_e(foi.identifier)},{value!r}" for t, foi, value in rows)]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetResultResponse {NS}><sos:resultValues>'
        f"{'@@'.join(blocks)}</sos:resultValues></sos:GetResultResponse>"
    ).encode()


def data_availability(members: Iterable[tuple[OfferingSpec, str, Foi, datetime, datetime]]) -> bytes:
    """GetDataAvailabilityResponse in the sosgda 2.0 namespace (what 52°North answers)."""
    body = "".join(
        f'<gda:dataAvailabilityMember gml:id="dam_{n}"><gda:procedure xlink:href={quoteattr(s.procedure)}/>'
        f"<gda:observedProperty xlink:href={quoteattr(p)}/>"
        f"<gda:featureOfInterest xlink:href={quoteattr(f.identifier)}/>"
        f'<gda:phenomenonTime><gml:TimePeriod gml:id="tp_{n}"><gml:beginPosition>{iso(a)}</gml:beginPosition>'
        f"<gml:endPosition>{iso(b)}</gml:endPosition></gml:TimePeriod></gda:phenomenonTime></gda:dataAvailabilityMember>"
        for n, (s, p, f, a, b) in enumerate(members, 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gda:GetDataAvailabilityResponse {NS} '
        f'xmlns:gda="http://www.opengis.net/sosgda/2.0">{body}</gda:GetDataAvailabilityResponse>'
    ).encode()


def exception_report(code: str, locator: str | None, text: str) -> bytes:
    loc = f' locator="{_e(locator)}"' if locator else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" '
        f'version="2.0.0"><ows:Exception exceptionCode="{code}"{loc}><ows:ExceptionText>{_e(text)}'
        "</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"
    ).encode()


def soap(payload: bytes) -> bytes:
    """A SOAP 1.2 envelope around a response (the XML declaration of the payload dropped)."""
    inner = payload.split(b"?>", 1)[1] if payload.startswith(b"<?xml") else payload
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">'
        b"<soap12:Body>" + inner.strip() + b"</soap12:Body></soap12:Envelope>"
    )


def soap_fault(code: str, locator: str | None, text: str) -> bytes:
    loc = f' locator="{_e(locator)}"' if locator else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">'
        "<soap12:Body><soap12:Fault><soap12:Code><soap12:Value>soap12:Sender</soap12:Value><soap12:Subcode>"
        f'<soap12:Value xmlns:ows="http://www.opengis.net/ows/1.1">ows:{code}</soap12:Value></soap12:Subcode>'
        f'</soap12:Code><soap12:Reason><soap12:Text xml:lang="en">{_e(text)}</soap12:Text></soap12:Reason>'
        f'<soap12:Detail><ows:Exception xmlns:ows="http://www.opengis.net/ows/1.1" exceptionCode="{code}"{loc}>'
        f"<ows:ExceptionText>{_e(text)}</ows:ExceptionText></ows:Exception></soap12:Detail></soap12:Fault>"
        "</soap12:Body></soap12:Envelope>"
    ).encode()
