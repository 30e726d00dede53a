"""Forms (forms/*.json: JSON Schema + ui hints) to HTML fields and posted HTML forms back to JSON.

`build` turns a schema, its ui hints, the current values and the field errors into `Field`s the
template `task/_fields.html` renders; `parse` reads a posted form back into data typed by the
schema. HTML names follow the data: `summary`, `findings-0-severity` (row 0 of `findings`);
error paths follow the API: `findings/0/severity`.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime

from ..engine.calendar import BEIJING

ROW_PLACEHOLDER = "__i__"
TRUE_WORDS = {"true", "on", "1", "yes"}


@dataclass
class Field:
    name: str                   # key in the data (of the form, or of a row)
    input_name: str             # HTML name
    path: str                   # error path, e.g. findings/2/severity
    title: str
    kind: str                   # see _kind()
    help: str = ""
    required: bool = False
    readonly: bool = False
    value: object = None        # text for inputs; bool for checkbox; list for multi-valued
    error: str = ""
    options: list = field(default_factory=list)      # [(value, label)]
    rows: list = field(default_factory=list)         # group: [Row]
    template: object = None                          # group: a Row for new rows
    files: list = field(default_factory=list)        # file: attachment metadata
    references: list = field(default_factory=list)   # file: ids that are no attachment of ours
    input_type: str = "text"
    step: str = ""

    @property
    def id(self):
        return "f-" + self.input_name

    @property
    def described_by(self):
        ids = ([self.id + "-help"] if self.help else []) + ([self.id + "-error"] if self.error else [])
        return " ".join(ids)

    def selected(self, option_value):
        if isinstance(self.value, (list, tuple, set)):
            return option_value in self.value
        return self.value == option_value

    @property
    def display(self):
        """A read-only field's value as text."""
        return display_value(self.value, self.options, self.kind)


@dataclass
class Row:
    index: str
    fields: list
    error: str = ""


@dataclass
class Built:
    fields: list
    unplaced: dict              # errors no rendered field shows (shown above the form)


# -- building ---------------------------------------------------------------------------------

def field_order(schema, ui):
    properties = schema.get("properties", {})
    order = [name for name in (ui.get("order") or []) if name in properties]
    return order + [name for name in properties if name not in order]


def read_only_names(schema, ui):
    hints = ui.get("fields") or {}
    return {name for name, spec in schema.get("properties", {}).items()
            if spec.get("readOnly") or (hints.get(name) or {}).get("readonly")}


def build(schema, ui, data, errors=None, hidden=(), attachments=None, editable=True):
    """Fields for every property the viewer may read, in the ui's order.

    `attachments` maps attachment ids to their metadata (those of this instance); `editable`
    False shows every field read-only (a task claimed by someone else).
    """
    errors = dict(errors or {})
    placed = set()
    hints = ui.get("fields") or {}
    required = set(schema.get("required") or [])
    read_only = read_only_names(schema, ui)
    fields = []
    for name in field_order(schema, ui):
        if name in hidden:
            continue
        spec = schema["properties"][name]
        fields.append(_field(name, name, name, spec, hints.get(name) or {}, name in required,
                             name in read_only or not editable, data.get(name), errors, placed,
                             attachments or {}))
    unplaced = {}
    by_path = {f.path: f for f in _walk(fields)}
    for path, message in errors.items():
        if path in placed:
            continue
        # An error inside a field's value (an item of a list) is shown at the field.
        parts = path.split("/")
        owner = next((by_path[p] for p in ("/".join(parts[:n]) for n in range(len(parts) - 1, 0, -1))
                      if p in by_path), None)
        if owner is not None and not owner.error:
            owner.error = message
        elif owner is None:
            unplaced[path] = message
    return Built(fields, unplaced)


def _walk(fields):
    for f in fields:
        yield f
        for row in f.rows:
            yield from _walk(row.fields)


def _kind(spec, hints):
    widget = hints.get("widget")
    kind_of = spec.get("type")
    items = spec.get("items") or {}
    if kind_of == "array":
        if widget == "file":
            return "file"
        if items.get("type") == "object":
            return "group"
        if "enum" in items:
            return "multiselect"
        return "list"
    if kind_of == "boolean":
        return "radio" if "enum" in spec or widget == "radio" else "checkbox"
    if "enum" in spec:
        return "radio" if widget == "radio" else "select"
    if kind_of in ("integer", "number"):
        return "number"
    if spec.get("format") == "date" or widget == "date":
        return "date"
    if spec.get("format") == "date-time" or widget == "datetime":
        return "datetime"
    if widget == "textarea":
        return "textarea"
    return "text"


INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "number": "number"}


def _field(name, input_name, path, spec, hints, required, readonly, value, errors, placed,
           attachments):
    kind = _kind(spec, hints)
    options = _options(spec.get("items") if kind == "multiselect" else spec)
    built = Field(name=name, input_name=input_name, path=path, title=spec.get("title") or name,
                  kind=kind, help=hints.get("help") or spec.get("description") or "",
                  required=required, readonly=readonly, options=options)
    if path in errors:
        built.error = errors[path]
        placed.add(path)
    if kind == "text":
        fmt, widget = spec.get("format"), hints.get("widget")
        built.input_type = "email" if "email" in (fmt, widget) else \
            "url" if fmt == "uri" or widget == "url" else "text"
    else:
        built.input_type = INPUT_TYPES.get(kind, "text")
    if kind == "number":
        built.step = "1" if spec.get("type") == "integer" else "any"
    if kind == "group":
        _group(built, spec, hints, value, errors, placed, attachments)
    elif kind == "file":
        ids = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        built.files = [attachments[i] for i in ids if i in attachments]
        built.references = [i for i in ids if i not in attachments]
        built.value = ids
    elif kind == "multiselect":
        built.value = [_text(v) for v in value] if isinstance(value, list) else []
    elif kind == "list":
        built.value = "\n".join(_text(v) for v in value) if isinstance(value, list) \
            else _text(value)
    elif kind == "checkbox":
        built.value = value is True
    elif kind == "datetime" and isinstance(value, str) and not readonly:
        built.value = value[:16]                     # what datetime-local shows
    else:
        built.value = _text(value)
    return built


def _group(built, spec, hints, value, errors, placed, attachments):
    items = spec.get("items") or {}
    properties = items.get("properties") or {}
    columns = [c for c in (hints.get("columns") or []) if c in properties]
    columns += [c for c in properties if c not in columns]
    required = set(items.get("required") or [])

    def row(index, item):
        fields = [_field(column, f"{built.input_name}-{index}-{column}",
                         f"{built.path}/{index}/{column}", properties[column], {},
                         column in required, built.readonly,
                         item.get(column) if isinstance(item, dict) else None, errors, placed,
                         attachments) for column in columns]
        error_path = f"{built.path}/{index}"
        error = errors.get(error_path, "")
        if error:
            placed.add(error_path)
        return Row(str(index), fields, error)

    built.rows = [row(i, item) for i, item in enumerate(value if isinstance(value, list) else [])]
    built.template = row(ROW_PLACEHOLDER, {})
    built.value = len(built.rows)


def _options(spec):
    if not spec or "enum" not in spec:
        return []
    names = spec.get("x-enumNames") or []
    return [(_text(v), names[i] if i < len(names) else _text(v))
            for i, v in enumerate(spec["enum"])]


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def display_value(value, options=(), kind=""):
    """A value as a person reads it: enum labels, 是/否, lists joined, Beijing times."""
    labels = dict(options)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return labels.get(_text(value), "是" if value else "否")
    if isinstance(value, list):
        return "、".join(display_value(v, options) for v in value if not isinstance(v, dict)) \
            or f"共 {len(value)} 项"
    if isinstance(value, dict):
        return "；".join(f"{k}：{display_value(v)}" for k, v in value.items())
    text = _text(value)
    if text in labels:
        return labels[text]
    if kind == "datetime" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)",
                                          text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if moment.tzinfo:
            moment = moment.astimezone(BEIJING)
        return moment.strftime("%Y-%m-%d %H:%M")
    return text


# -- parsing ----------------------------------------------------------------------------------

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
    kind = _kind(spec, hints)
    if kind == "group":
        return True, _parse_rows(input_name, spec, form, keep_empty_rows)
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


def _parse_rows(input_name, spec, form, keep_empty_rows):
    items = spec.get("items") or {}
    properties = items.get("properties") or {}
    pattern = re.compile(re.escape(input_name) + r"-(\d+)-")
    indices = sorted({int(m.group(1)) for key in form.keys() if (m := pattern.match(key))})
    rows = []
    for index in indices:
        row = {}
        for column, column_spec in properties.items():
            present, value = _parse(f"{input_name}-{index}-{column}", column_spec, {}, form,
                                    keep_empty_rows)
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


# -- the inspection's data, for reading beside the form --------------------------------------

def describe_data(forms, data, exclude=(), file_fields=(), attachments=None):
    """(title, text, files) for the instance's data fields any form names, in form order.

    Internal values (no form declares them) and fields in `exclude` are left out; lists of
    attachment ids come with the attachments' metadata for download links.
    """
    attachments = attachments or {}
    titles, specs = {}, {}
    for form in forms:
        for name in field_order(form.schema, form.ui):
            spec = form.schema["properties"][name]
            titles.setdefault(name, spec.get("title") or name)
            specs.setdefault(name, spec)
    shown = []
    for name, title in titles.items():
        if name in exclude or name not in data or data[name] in (None, "", []):
            continue
        value, spec = data[name], specs[name]
        if name in file_fields and isinstance(value, list):
            files = [attachments[i] for i in value if i in attachments]
            rest = [i for i in value if i not in attachments]
            shown.append((title, "、".join(map(str, rest)), files))
            continue
        options = _options(spec.get("items") if spec.get("type") == "array" else spec)
        kind = "datetime" if spec.get("format") == "date-time" else ""
        text = _rows_text(spec, value) if _is_rows(value) else display_value(value, options, kind)
        shown.append((title, text, []))
    return shown


def _is_rows(value):
    return isinstance(value, list) and value and all(isinstance(v, dict) for v in value)


def _rows_text(spec, rows):
    """A repeating group as one line a row, "title：value" in the form's words (e.g. a roster
    an approver reads before approving it), not "共 7 项"."""
    properties = (spec.get("items") or {}).get("properties") or {}
    lines = []
    for number, row in enumerate(rows, 1):
        parts = [f"{(properties.get(k) or {}).get('title', k)}："
                 f"{display_value(v, _options(properties.get(k)))}"
                 for k, v in row.items() if v not in (None, "", [], False)]
        lines.append(f"{number}. " + "；".join(parts))
    return "\n".join(lines)
