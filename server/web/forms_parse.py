"""A posted task form (HTML names, see forms_render) read back into data typed by the schema."""
import re
from datetime import datetime

from ..engine.calendar import BEIJING
from .forms_schema import column_hints, field_order, kind_of

TRUE_WORDS = {"true", "on", "1", "yes"}


def parse(schema, ui, form, skip=(), keep_empty_rows=False):
    """The posted `form` (a MultiDict) as data typed by the schema.

    Fields in `skip` (hidden from the viewer, or read-only) are never read from the form. Empty
    inputs are left out, so a required one is reported as missing; entirely empty rows of a
    repeating group are dropped unless `keep_empty_rows` (while editing, before submitting).
    """
    hints = ui.get("fields") or {}
    data = {}
    required = set(schema.get("required") or [])
    for name in field_order(schema, ui):
        if name in skip:
            continue
        spec = schema["properties"][name]
        present, value = _parse(name, spec, hints.get(name) or {}, form, keep_empty_rows)
        if present:
            if value == [] and name in required:
                continue                  # "此项为必填项" rather than "条目过少"
            data[name] = value
    return data


def _parse(input_name, spec, hints, form, keep_empty_rows):
    """(present, value) of one field."""
    kind = kind_of(spec, hints)
    if kind == "group":
        return True, _parse_rows(input_name, spec, hints, form, keep_empty_rows)
    if kind in ("file", "multiselect"):
        values = [v for v in form.getlist(input_name) if v != ""]
        if kind == "multiselect":
            values = list(dict.fromkeys(_typed(v, (spec.get("items") or {})) for v in values))
        return True, values
    if kind == "list":
        lines = [line.strip() for line in form.get(input_name, "").splitlines()]
        return True, [line for line in lines if line]
    if kind == "checkbox":
        return True, form.get(input_name, "").lower() in TRUE_WORDS
    raw = form.get(input_name)
    if raw is None or raw.strip() == "":
        return False, None
    if kind == "textarea":
        return True, raw.replace("\r\n", "\n")
    return True, _typed(raw.strip(), spec)


def _typed(raw, spec):
    """Text typed by the schema; left as text when it does not convert (the schema says why)."""
    kind_of = spec.get("type")
    if kind_of == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), raw)
    if kind_of == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind_of == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() \
            else number
    if spec.get("format") == "date-time" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?", raw):
        return datetime.fromisoformat(raw).replace(tzinfo=BEIJING).isoformat()
    return raw


def _parse_rows(input_name, spec, hints, form, keep_empty_rows):
    items = spec.get("items") or {}
    properties = items.get("properties") or {}
    pattern = re.compile(re.escape(input_name) + r"-(\d+)-")
    indices = sorted({int(m.group(1)) for key in form.keys() if (m := pattern.match(key))})
    rows = []
    for index in indices:
        row = {}
        for column, column_spec in properties.items():
            present, value = _parse(f"{input_name}-{index}-{column}", column_spec,
                                    column_hints(hints, column), form, keep_empty_rows)
            if present:
                row[column] = value
        if keep_empty_rows or any(v not in (False, [], None) for v in row.values()):
            rows.append(row)
    return rows


def remove_row(form, input_name, index):
    """A copy of the posted form without row `index` of the group `input_name`."""
    prefix = f"{input_name}-{index}-"
    copy = form.copy()
    for key in [k for k in copy.keys() if k.startswith(prefix)]:
        copy.poplist(key)
    return copy
