"""Forms (forms/*.json: JSON Schema + ui hints) to HTML fields and posted HTML forms back to JSON.

`build` turns a schema, its ui hints, the current values and the field errors into `Field`s the
template `task/_fields.html` renders; `parse` (forms_parse) reads a posted form back into data
typed by the schema. HTML names follow the data: `summary`, `findings-0-severity` (row 0 of
`findings`); error paths follow the API: `findings/0/severity`.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from ..engine.calendar import BEIJING
from .forms_parse import parse, remove_row  # noqa: F401  (the module's API: build and parse)
from .forms_schema import as_text as _text, column_hints, field_order, kind_of
from .forms_schema import options as _options, read_only_names

ROW_PLACEHOLDER = "__i__"


@dataclass
class Field:
    name: str                   # key in the data (of the form, or of a row)
    input_name: str             # HTML name
    path: str                   # error path, e.g. findings/2/severity
    title: str
    kind: str                   # see forms_schema.kind_of()
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
    input_mode: str = ""        # the on-screen keyboard of a phone (inputmode)
    autocomplete: str = ""
    step: str = ""
    lines: int = 5              # textarea: visible lines

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


INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "number": "number"}


def _field(name, input_name, path, spec, hints, required, readonly, value, errors, placed,
           attachments):
    kind = kind_of(spec, hints)
    options = _options(spec.get("items") if kind == "multiselect" else spec)
    built = Field(name=name, input_name=input_name, path=path, title=spec.get("title") or name,
                  kind=kind, help=hints.get("help") or spec.get("description") or "",
                  required=required, readonly=readonly, options=options)
    if path in errors:
        built.error = errors[path]
        placed.add(path)
    _input_kind(built, spec, hints)
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


def _input_kind(built, spec, hints):
    """The input's type, phone keyboard and autofill: e-mail, URL and telephone fields (widget
    `tel`: `inputmode=tel`, autofill of a telephone number unless the hints name another)."""
    fmt, widget = spec.get("format"), hints.get("widget")
    if built.kind == "text":
        built.input_type = "email" if "email" in (fmt, widget) else \
            "url" if fmt == "uri" or widget == "url" else "tel" if widget == "tel" else "text"
    else:
        built.input_type = INPUT_TYPES.get(built.kind, "text")
    if built.input_type == "tel":
        built.input_mode, built.autocomplete = "tel", "tel"
    elif built.kind == "number":
        built.step = "1" if spec.get("type") == "integer" else "any"
        built.input_mode = "numeric" if built.step == "1" else "decimal"
    built.autocomplete = hints.get("autocomplete", built.autocomplete)


def _group(built, spec, hints, value, errors, placed, attachments):
    items = spec.get("items") or {}
    properties = items.get("properties") or {}
    columns = [c for c in (hints.get("columns") or []) if c in properties]
    columns += [c for c in properties if c not in columns]
    required = set(items.get("required") or [])

    def row(index, item):
        fields = [_field(column, f"{built.input_name}-{index}-{column}",
                         f"{built.path}/{index}/{column}", properties[column],
                         column_hints(hints, column), column in required, built.readonly,
                         item.get(column) if isinstance(item, dict) else None, errors, placed,
                         attachments) for column in columns]
        for cell in fields:
            cell.lines = 3                      # a long text in a row: room, not a page
        error_path = f"{built.path}/{index}"
        error = errors.get(error_path, "")
        if error:
            placed.add(error_path)
        return Row(str(index), fields, error)

    built.rows = [row(i, item) for i, item in enumerate(value if isinstance(value, list) else [])]
    built.template = row(ROW_PLACEHOLDER, {})
    built.value = len(built.rows)






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


# -- the inspection's data, for reading beside the form --------------------------------------

class Shown(NamedTuple):
    """One field of the inspection's data as the task page lists it."""
    title: str
    text: str
    files: list                 # attachments' metadata, for download links
    first: bool = False         # named by the form's `read_first`: read before filling it in


def describe_data(forms, data, exclude=(), file_fields=(), attachments=None, first=()):
    """`Shown` for the instance's data fields any form names: those in `first` (a form's
    `ui.read_first`, e.g. the notice a receipt signs for) in that order, then the rest in
    form order.

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
    names = [n for n in first if n in titles] + [n for n in titles if n not in first]
    shown = []
    for name in names:
        if name in exclude or name not in data or data[name] in (None, "", []):
            continue
        value, spec = data[name], specs[name]
        if name in file_fields and isinstance(value, list):
            files = [attachments[i] for i in value if i in attachments]
            rest = [i for i in value if i not in attachments]
            shown.append(Shown(titles[name], "、".join(map(str, rest)), files, name in first))
            continue
        options = _options(spec.get("items") if spec.get("type") == "array" else spec)
        kind = "datetime" if spec.get("format") == "date-time" else ""
        text = _rows_text(spec, value) if _is_rows(value) else display_value(value, options, kind)
        shown.append(Shown(titles[name], text, [], name in first))
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
