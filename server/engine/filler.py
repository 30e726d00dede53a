"""Minimal valid form data: the given values (by field name or Chinese title), the schema's
defaults, and plain placeholders for what is still required. Used by the demo and by scenario
steps, so a legitimate new field with a default does not break them."""


def fill_form(form, values=None, today="2025-01-01"):
    return _fill_object(form.schema, _by_name(form.schema, values or {}), today)


def _by_name(schema, values):
    """Accept fields by name or by title."""
    titles = {spec.get("title"): name for name, spec in schema.get("properties", {}).items()}
    return {titles.get(key, key): value for key, value in values.items()}


def _fill_object(schema, values, today):
    data = {}
    properties = schema.get("properties", {})
    for name, spec in properties.items():
        if name in values:
            data[name] = values[name]
        elif "default" in spec:
            data[name] = spec["default"]
        elif name in schema.get("required", ()):
            data[name] = placeholder(spec, today)
    for name, value in values.items():       # fields the schema does not list are kept as given
        data.setdefault(name, value)
    return data


def placeholder(spec, today):
    if "const" in spec:
        return spec["const"]
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        return _fill_object(spec, {}, today)
    if kind == "array":
        item = spec.get("items", {})
        return [placeholder(item, today) for _ in range(spec.get("minItems", 0))]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return spec.get("minimum", 0)
    if spec.get("format") == "date":
        return today
    if spec.get("format") == "email":
        return "example@heze.gov.cn"
    return "（示例）" * max(1, -(-spec.get("minLength", 1) // 4))
