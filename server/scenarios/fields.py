"""Form fields as scenarios name them: by Chinese title, with Chinese option labels.

`resolve` finds a field by title (or name), `convert` turns what an author wrote ("是", "现场巡查结束",
"C1、C5", "2025年9月26日", a table of rows) into the value the form's JSON Schema expects, and
`submission` assembles what a person would submit: the values given, lists the instance already
carries (records, findings, clues), sample data, the schema's defaults, and placeholders for
whatever else is required — so a new field with a default in a draft form needs no step change.
"""
import copy
import re

from ..engine.filler import fill_form, placeholder
from .glossary import DATE_PATTERN, parse_date

TRUE_WORDS = {"是", "有", "存在", "勾选", "同意", "true", "True"}
FALSE_WORDS = {"否", "无", "不存在", "不勾选", "false", "False"}
LIST_SEPARATORS = re.compile(r"[、,，;；]")


class FieldNotFound(LookupError):
    def __init__(self, title, schema):
        titles = [spec.get("title", name) for name, spec in schema.get("properties", {}).items()]
        super().__init__(f"表单“{schema.get('title', '')}”没有名为“{title}”的字段；"
                         f"可用字段：{'、'.join(titles)}")


class _Form:
    """What `fill_form` needs of a form: its schema."""

    def __init__(self, schema):
        self.schema = schema


def resolve(schema, key):
    """The field name of `key` (a title or a name) in an object schema."""
    from .normalize import normalize
    properties = schema.get("properties", {})
    if key in properties:
        return key
    for name, spec in properties.items():
        if normalize(spec.get("title", "")) == normalize(key):
            return name
    raise FieldNotFound(key, schema)


def field_spec(schema, key):
    name = resolve(schema, key)
    return name, schema["properties"][name]


def convert(spec, raw):
    """An author's value for a field with JSON Schema `spec`."""
    if raw is None or not isinstance(raw, str):
        if isinstance(raw, list) and spec.get("type") == "array":
            return [convert_item(spec.get("items", {}), item) for item in raw]
        return raw
    text = raw.strip()
    if "enum" in spec:
        found = _option(spec, text)
        if found is not _MISSING:
            return found
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "boolean":
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        return text
    if kind == "integer":
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if kind == "number":
        return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else text
    if kind == "array":
        if not text:
            return []
        return [convert(spec.get("items", {}), part) for part in LIST_SEPARATORS.split(text)]
    if spec.get("format") == "date" and re.fullmatch(DATE_PATTERN, text):
        return parse_date(text).isoformat()
    return text


_MISSING = object()


def _option(spec, text):
    from .normalize import normalize
    labels = [normalize(label) if isinstance(label, str) else label
              for label in spec.get("x-enumNames") or []]
    text = normalize(text)
    for value, label in zip(spec["enum"], labels):
        if text == label or (isinstance(label, str) and label.startswith(text + " ")):
            return value
    for value in spec["enum"]:
        if text == str(value) or (isinstance(value, bool) and text == ("true" if value else "false")):
            return value
    return _MISSING


def convert_item(spec, raw):
    """One element of an array field; a row of a table (title -> text) for arrays of objects."""
    if isinstance(raw, dict) and spec.get("type") == "object":
        return convert_row(spec, raw)
    return convert(spec, raw)


def convert_row(spec, row, today="2025-01-01"):
    """A table row (column title -> text) as an object of schema `spec`; empty cells are left
    out, and required properties not given get placeholders."""
    item = {}
    for key, text in row.items():
        if text is None or (isinstance(text, str) and not text.strip()):
            continue
        name, sub = field_spec(spec, key)
        item[name] = convert(sub, text)
    for name in spec.get("required", ()):
        if name not in item:
            item[name] = placeholder(spec["properties"].get(name, {}), today)
    return item


def by_name(schema, values, today="2025-01-01"):
    """Values given by title (or name), converted for their fields."""
    out = {}
    for key, raw in (values or {}).items():
        name, spec = field_spec(schema, key)
        if spec.get("type") == "array" and isinstance(raw, list) and raw and isinstance(raw[0], dict):
            out[name] = [convert_row(spec.get("items", {}), row, today) for row in raw]
        else:
            out[name] = convert(spec, raw)
    return out


def submission(schema, given, current, sample, omit=(), today="2025-01-01"):
    """What a person submits: `given` (by name) first; then a list the instance already carries
    (the form shows it and the person appends to it); then the sample; then the schema's default;
    then a placeholder if required. Read-only fields are the process's and are never sent."""
    values = {}
    for name, spec in schema.get("properties", {}).items():
        if spec.get("readOnly") or name in omit:
            continue
        if name in given:
            values[name] = given[name]
        elif spec.get("type") == "array" and isinstance(current.get(name), list) and current[name]:
            values[name] = copy.deepcopy(current[name])
        elif name in sample:
            values[name] = copy.deepcopy(sample[name])
    data = fill_form(_Form(schema), values, today)
    for name in omit:
        data.pop(name, None)
    for name in list(data):
        if schema.get("properties", {}).get(name, {}).get("readOnly"):
            data.pop(name)
    return data


def same_value(spec, expected_text, actual):
    """Whether `actual` (stored) equals what the author wrote, read through the field's schema."""
    from .normalize import normalize
    expected = convert(spec, expected_text)
    if isinstance(expected, list) and isinstance(actual, list):
        return sorted(normalize(str(v)) for v in expected) == sorted(normalize(str(v)) for v in actual)
    if isinstance(expected, str) and isinstance(actual, str):
        return normalize(expected) == normalize(actual)
    return expected == actual


def label(spec, value):
    """A stored value as the form shows it (its Chinese option label where there is one)."""
    labels = spec.get("x-enumNames") or []
    for option, text in zip(spec.get("enum", ()), labels):
        if option == value:
            return text
    return value
