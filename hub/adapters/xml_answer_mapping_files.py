"""Answer mapping files under ``mappings/xml/``: read, parse safely, check, compile, try out.

An answer mapping turns a supplier's XML confirmation or ship notice into the hub's canonical
answer XML (``mappings/xml/README-answers.md``). Every problem becomes a
:class:`~hub.errors.MappingError` naming the file and, where there is one, the line; a mapping
that loads has already read each of its embedded sample documents without a problem.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from lxml import etree

from hub.domain.documents import PoAck
from hub.edi.xml.answers import (ANSWER_NAMESPACE, DOC_TYPES, AnswerMapping,
                                 apply_answer_mapping, describe_path, document_has_path)
from hub.adapters.xml_mapping_files import read_stylesheet
from hub.edi.xml.po import (MAPPING_NAMESPACE, XSL_NAMESPACE, check_stylesheet_shape,
                            compile_stylesheet)
from hub.edi.xml.safe import parse_bytes
from hub.errors import DocumentError, MappingError

_XSL = f"{{{XSL_NAMESPACE}}}"
_META = f"{{{MAPPING_NAMESPACE}}}answer-mapping"
_SAMPLE = f"{{{MAPPING_NAMESPACE}}}sample"
_META_ATTRIBUTES = ("answers", "reads", "description")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


def load_answer_mapping(path: Path) -> AnswerMapping:
    """Load one answer mapping file, check it and run it on each of its sample documents."""
    doc, mapping = read_stylesheet(path, answer_mapping_from_stylesheet, "answer mapping names")
    tried = [_trial_run(mapping, sample) for sample in doc.iterchildren(_SAMPLE)]
    _check_coverage(mapping, next(doc.iterchildren(_META)).sourceline, tried)
    # What each path produced names the document type of a later failure on such a document.
    return dataclasses.replace(mapping, produces=tuple(dict.fromkeys(tried)))


def answer_mapping_from_stylesheet(doc: etree._Element, source: str) -> AnswerMapping:
    """Check a stylesheet's ``<edihub:answer-mapping>`` declaration and compile it."""
    check_stylesheet_shape(doc, source, "an answer mapping")
    meta = _metadata_element(doc, source)
    for out in doc.iterchildren(_XSL + "output"):
        if out.get("method", "xml") != "xml":
            raise MappingError(source, f"line {out.sourceline}",
                               "xsl:output method must be \"xml\": the result is canonical "
                               "answer XML")
    return AnswerMapping(source=source, transform=compile_stylesheet(doc, source),
                         answers=_answers(meta, source), reads=_reads(meta, source),
                         description=meta.get("description", ""))


def _metadata_element(doc: etree._Element, source: str) -> etree._Element:
    """The one top-level ``<edihub:answer-mapping>`` element, with known attributes only."""
    found = list(doc.iterchildren(_META))
    if len(found) != 1:
        outbound = next(doc.iterchildren(f"{{{MAPPING_NAMESPACE}}}mapping"), None)
        hint = (" (this file declares <edihub:mapping>: it is a purchase-order mapping, which "
                "the partner file names under [xml] mapping)" if outbound is not None else "")
        raise MappingError(source, f"line {found[1].sourceline if found else doc.sourceline}",
                           "an answer mapping needs exactly one top-level <edihub:answer-mapping "
                           f"xmlns:edihub=\"{MAPPING_NAMESPACE}\" answers=\"...\" reads=\"...\"/> "
                           f"element, found {len(found)}{hint}")
    meta = found[0]
    for attr in meta.attrib:
        if attr not in _META_ATTRIBUTES:
            raise MappingError(source, f"line {meta.sourceline}", f"edihub:answer-mapping has "
                               f"an unknown attribute '{attr}' (known: "
                               f"{', '.join(_META_ATTRIBUTES)})")
    return meta


def _answers(meta: etree._Element, source: str) -> tuple[str, ...]:
    """The ``answers`` list: canonical answer types the mapping produces."""
    answers = tuple(dict.fromkeys(meta.get("answers", "").split()))
    where = f"line {meta.sourceline}"
    if not answers:
        raise MappingError(source, where, "edihub:answer-mapping needs answers=\"...\": "
                           f"{' and/or '.join(DOC_TYPES)}")
    for name in answers:
        if name not in DOC_TYPES:
            raise MappingError(source, where, f"answers names an unknown answer type '{name}' "
                               f"(known: {', '.join(DOC_TYPES)})")
    return answers


def _reads(meta: etree._Element, source: str) -> tuple[tuple[str, ...], ...]:
    """The ``reads`` list: element paths such as ``cXML/Request/ConfirmationRequest``."""
    where = f"line {meta.sourceline}"
    paths = []
    for text in meta.get("reads", "").split():
        names = tuple(text.strip("/").split("/"))
        bad = next((n for n in names if not _NAME.match(n)), None)
        if bad is not None:
            raise MappingError(source, where, f"reads has '{text}', which is not a path of "
                               "element names separated by '/' (e.g. cXML/Request/"
                               "ConfirmationRequest)")
        paths.append(names)
    if not paths:
        raise MappingError(source, where, "edihub:answer-mapping needs reads=\"...\": the "
                           "element paths of the supplier documents it reads, e.g. "
                           "reads=\"cXML/Request/ConfirmationRequest\"")
    return tuple(dict.fromkeys(paths))


def _sample_document(sample: etree._Element, source: str) -> etree._Element:
    """The one supplier document inside an ``<edihub:sample>``, as a document of its own."""
    where = f"line {sample.sourceline}"
    children = list(sample.iterchildren(etree.Element))
    if len(children) != 1:
        raise MappingError(source, where, "an <edihub:sample> holds exactly one supplier "
                           f"document (one element), found {len(children)}")
    if etree.QName(children[0]).namespace == ANSWER_NAMESPACE:
        raise MappingError(source, where, "the sample document is in the stylesheet's default "
                           f"namespace ({ANSWER_NAMESPACE}); write xmlns=\"\" (or the supplier's "
                           "own namespace) on its root element")
    # Re-parsed on its own so the stylesheet's namespace declarations do not ride along.
    try:
        return parse_bytes(etree.tostring(children[0]))
    except DocumentError as exc:
        raise MappingError(source, where, f"the sample document: {exc}") from None


def _trial_run(mapping: AnswerMapping, sample: etree._Element) -> tuple[tuple[str, ...], str]:
    """Run the mapping on one sample: (the path it matched, the answer type it produced)."""
    where = f"line {sample.sourceline}"
    root = _sample_document(sample, mapping.source)
    path = next((p for p in mapping.reads if document_has_path(root, p)), None)
    if path is None:
        raise MappingError(mapping.source, where, f"the sample document starts "
                           f"{describe_path(root)}, which is not a path listed in reads")
    parsed = apply_answer_mapping(mapping, root)
    if parsed.problems:
        raise MappingError(mapping.source, where, "the sample document does not read cleanly: "
                           + "; ".join(p.message for p in parsed.problems))
    kind = "confirmation" if isinstance(parsed.document, PoAck) else "ship-notice"
    return path, kind


def _check_coverage(mapping: AnswerMapping, meta_line: int,
                    tried: list[tuple[tuple[str, ...], str]]) -> None:
    """Each path in reads and each answer type must be tried by at least one sample."""
    where = f"line {meta_line}"
    for path in mapping.reads:
        if path not in {p for p, _ in tried}:
            raise MappingError(mapping.source, where, "add an <edihub:sample> holding a "
                               f"supplier document {'/'.join(path)}: the hub tries every "
                               "mapping on its samples when it loads it")
    for answer in mapping.answers:
        if answer not in {kind for _, kind in tried}:
            raise MappingError(mapping.source, where, f"no <edihub:sample> produces a {answer} "
                               "answer; add one so the hub can try that part of the mapping")
