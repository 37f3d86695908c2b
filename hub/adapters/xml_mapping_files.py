"""XML mapping files under ``mappings/xml/``: read, parse safely, compile, check, try out.

Every problem becomes a :class:`~hub.errors.MappingError` naming the file and, where there is
one, the line; a mapping that loads has already turned a sample purchase order into
well-formed XML. Secret parameters are resolved here, from the environment, so that
:mod:`hub.edi` never reads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from lxml import etree

from hub.domain.partner import Partner
from hub.edi.xml.po import XmlMapping, mapping_from_stylesheet, trial_run
from hub.edi.xml.safe import MalformedXmlError, parse_bytes
from hub.errors import DocumentError, MappingError, PartnerConfigError

T = TypeVar("T")


def load_xml_mapping(path: Path) -> XmlMapping:
    """Load one XSLT mapping file and check it, including a trial run on a sample PO."""
    _doc, mapping = read_stylesheet(path, mapping_from_stylesheet, "mapping name")
    trial_run(mapping)
    return mapping


def read_stylesheet(path: Path, compile_: Callable[[etree._Element, str], T],
                    named_by: str) -> tuple[etree._Element, T]:
    """Read, safely parse and compile a mapping file; every problem is a MappingError naming it."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MappingError(path, "", f"cannot read the mapping file ({exc.strerror}); check "
                           f"the {named_by} in the partner file") from None
    try:
        doc = parse_bytes(data)
    except MalformedXmlError as exc:
        raise MappingError(path, f"line {exc.line}",
                           f"not well-formed XML: {exc.problem}") from None
    except DocumentError as exc:
        raise MappingError(path, "", str(exc)) from None
    try:
        return doc, compile_(doc, str(path))
    except DocumentError as exc:  # a stylesheet reaching for another file while compiling
        raise MappingError(path, "", str(exc)) from None


def resolve_secrets(partner: Partner, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The values of a partner's secret XSLT parameters, from the environment variables it names."""
    environ = os.environ if environ is None else environ
    if partner.xml is None:
        return {}
    values = {}
    for param, variable in partner.xml.secret_params.items():
        value = environ.get(variable, "")
        if not value:
            raise PartnerConfigError(partner.source, f"xml.secret_params.{param}",
                                     f"environment variable {variable} is not set; set it "
                                     "before starting the hub")
        values[param] = value
    return values
