"""What changed between two sets of procedure files: files added, removed or changed, and in
each diagram the elements (those drawn on the diagram) added, removed or changed.

Elements are compared by meaning, not by text: namespaces by URI, attributes unordered,
whitespace ignored, layout (BPMN DI) left out, so a diagram saved again by the editor without
edits shows no change, while a new timer expression marks its boundary event as changed.
"""
from lxml import etree

from ..engine.parser import read_xml
from .access import require_role
from .versions import version_files

BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"


def diff_files(old, new):
    """{"files": [{path, change}], "elements": [{path, id, type, name, change}]} for two
    {path: bytes} mappings; unchanged files and elements are left out."""
    files, elements = [], []
    for path in sorted(set(old) | set(new)):
        if old.get(path) == new.get(path):
            continue
        change = "added" if path not in old else "removed" if path not in new else "changed"
        files.append({"path": path, "change": change})
        if path.endswith((".bpmn", ".dmn")):
            elements.extend(_element_changes(path, old.get(path), new.get(path)))
    return {"files": files, "elements": elements}


def _element_changes(path, old, new):
    before, after = _elements(old), _elements(new)
    for element_id in sorted(set(before) | set(after)):
        was, now = before.get(element_id), after.get(element_id)
        if was and now and was[2] == now[2]:
            continue
        change = "added" if was is None else "removed" if now is None else "changed"
        kind, name, _ = now or was
        yield {"path": path, "id": element_id, "type": kind, "name": name, "change": change}


def _elements(content):
    """{id: (type, name, canonical form)} of the elements drawn on the diagram (or, for a
    decision table file, of its decisions)."""
    if content is None:
        return {}
    try:
        root = read_xml(content)
    except (ValueError, etree.LxmlError):
        return {}
    drawn = {e.get("bpmnElement") for e in root.iter() if isinstance(e.tag, str)
             and e.tag.startswith(BPMNDI) and e.get("bpmnElement")}
    if not drawn:                                   # DMN: compare each decision as a whole
        drawn = {e.get("id") for e in root if isinstance(e.tag, str) and e.get("id")}
    found = {}
    for element in root.iter():
        element_id = element.get("id") if isinstance(element.tag, str) else None
        if element_id in drawn and not element.tag.startswith(BPMNDI):
            found[element_id] = (_local(element.tag), element.get("name") or "",
                                 _canonical(element, drawn, top=True))
    return found


def _canonical(element, drawn, top=False):
    """The element's meaning; a nested drawn element counts only by its id (it is compared
    on its own)."""
    if not isinstance(element.tag, str):             # comments, processing instructions
        return None
    if not top and element.get("id") in drawn:
        return ("ref", element.get("id"))
    children = tuple(c for c in (_canonical(child, drawn) for child in element) if c)
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(),
            children)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def diff_versions(uow, actor, old_id, new_id):
    """The changes from version `old_id` to version `new_id` (process owners only)."""
    require_role(actor, "process_owner")
    return diff_files(version_files(uow, old_id), version_files(uow, new_id))
