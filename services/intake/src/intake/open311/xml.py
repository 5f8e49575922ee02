"""Open311 answers in the two formats of the standard: XML (mandatory) and JSON, from one value.

A list answer is ``<services><service>…</service></services>`` in XML and a bare array in JSON; an
object answer (discovery, service definition) is one root element or one JSON object. Nested lists
take the singular element names of the specification (attributes/attribute, values/value,
endpoints/endpoint, formats/format). ``None`` is an empty element in XML and ``null`` in JSON.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

FORMATS = ("json", "xml")
MEDIA = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
_ITEM = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
         "services": "service", "service_requests": "request", "errors": "error"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = _ITEM.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def render(fmt: str, root: str, value: Any, status_code: int = 200) -> Response:
    """``root`` names the XML root element (``services``, ``service_requests``, ``discovery``, …)."""
    if fmt == "xml":
        return Response(to_xml(root, value), status_code=status_code, media_type=MEDIA["xml"])
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode(), status_code=status_code, media_type=MEDIA["json"])


class Open311Error(Exception):
    """An error answered as the standard says: ``[{code, description}]`` / ``<errors><error>…``."""

    def __init__(self, status: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.status, self.description, self.fmt = status, description, fmt if fmt in FORMATS else "json"


def error_response(exc: Open311Error) -> Response:
    return render(exc.fmt, "errors", [{"code": exc.status, "description": exc.description}], exc.status)
