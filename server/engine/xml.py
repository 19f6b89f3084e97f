"""Safe XML reading for uploaded BPMN/DMN: no entities, no DTDs, no network."""

from __future__ import annotations

import codecs
import re

from lxml import etree

from server.errors import DeployError

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
}


def parse_xml(content: bytes, file_name: str) -> etree._Element:
    """Parse untrusted XML; any DOCTYPE is refused outright (XXE, entity bombs)."""
    if b"<!DOCTYPE" in content[:4096].upper() or b"<!ENTITY" in content.upper():
        raise DeployError(
            f"{file_name}: DOCTYPE and ENTITY declarations are not allowed in BPMN/DMN files.", file=file_name
        )
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or None
        raise DeployError(f"{file_name}: not well-formed XML: {exc.msg}", file=file_name, line=line) from exc
    if root.getroottree().docinfo.doctype:
        raise DeployError(f"{file_name}: DOCTYPE declarations are not allowed.", file=file_name)
    return root


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


_DECLARED_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*)(["'])[^"']*\2""")


def xml_text(content: bytes, root: etree._Element, file_name: str) -> str:
    """The file as text, decoded as the parser read it (BOM or encoding declaration: UTF-16, ISO-8859-1,
    ...), its declaration rewritten to UTF-8: BOMS stores and re-parses the text as UTF-8."""
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    try:
        codec = codecs.lookup(encoding).name
        # The 'utf-16'/'utf-32' codecs read the byte order mark; 'utf-8-sig' drops UTF-8's.
        codec = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}.get(codec, codec)
        if codec == "utf-16" and not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            codec = "utf-16-le" if content[:1] == b"<" else "utf-16-be"
        text = content.decode(codec)
    except (LookupError, UnicodeDecodeError) as exc:
        raise DeployError(f"{file_name}: cannot be read as {encoding} text ({exc}); save it as UTF-8",
                          file=file_name) from exc
    return _DECLARED_ENCODING.sub(lambda m: f"{m.group(1)}{m.group(2)}UTF-8{m.group(2)}", text.lstrip("\ufeff"), 1)
