"""What a form field is, read from its JSON Schema and ui hints: the order of the fields, which
are read-only, and the kind of input each one gets. Shared by forms_render (building the HTML
fields) and forms_parse (reading a posted form back), so both agree on every field."""

# A string this long or longer (`maxLength`) is written as a long text unless a hint says else.
LONG_TEXT_CHARS = 200


def field_order(schema, ui):
    properties = schema.get("properties", {})
    order = [name for name in (ui.get("order") or []) if name in properties]
    return order + [name for name in properties if name not in order]


def read_only_names(schema, ui):
    hints = ui.get("fields") or {}
    return {name for name, spec in schema.get("properties", {}).items()
            if spec.get("readOnly") or (hints.get(name) or {}).get("readonly")}


def column_hints(hints, column):
    """The ui hints of one column of a repeating group: `fields` inside the group's hints, as
    `fields` inside `ui` for the form's own fields."""
    return (hints.get("fields") or {}).get(column) or {}


def kind_of(spec, hints):
    """The input a field gets: group, file, multiselect, list, radio, checkbox, select, number,
    date, datetime, textarea or text."""
    widget = hints.get("widget")
    schema_type = spec.get("type")
    items = spec.get("items") or {}
    if schema_type == "array":
        if widget == "file":
            return "file"
        if items.get("type") == "object":
            return "group"
        if "enum" in items:
            return "multiselect"
        return "list"
    if schema_type == "boolean":
        return "radio" if "enum" in spec or widget == "radio" else "checkbox"
    if "enum" in spec:
        return "radio" if widget == "radio" else "select"
    if schema_type in ("integer", "number"):
        return "number"
    if spec.get("format") == "date" or widget == "date":
        return "date"
    if spec.get("format") == "date-time" or widget == "datetime":
        return "datetime"
    if widget == "textarea" or (widget is None and
                                (spec.get("maxLength") or 0) >= LONG_TEXT_CHARS):
        return "textarea"
    return "text"


def options(spec):
    """[(value, label)] of an enum, labels from x-enumNames."""
    if not spec or "enum" not in spec:
        return []
    names = spec.get("x-enumNames") or []
    return [(as_text(v), names[i] if i < len(names) else as_text(v))
            for i, v in enumerate(spec["enum"])]


def as_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
