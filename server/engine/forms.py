"""Human task forms: JSON Schema plus UI hints plus rules, validated with field-level errors."""
import copy
import json
from dataclasses import dataclass, field
from functools import cached_property

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

_MESSAGES = {
    "required": "此项为必填项",
    "type": "类型不正确",
    "enum": "取值不在允许范围内",
    "format": "格式不正确",
    "minLength": "内容过短",
    "maxLength": "内容过长",
    "minimum": "数值过小",
    "maximum": "数值过大",
    "minItems": "条目过少",
    "maxItems": "条目过多",
    "pattern": "格式不正确",
    "additionalProperties": "包含未定义的字段",
    "const": "取值不正确",
}


class FormError(ValueError):
    """A form file that cannot be used; `message` says why in Chinese."""


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    schema: dict
    ui: dict = field(default_factory=dict)
    rules: tuple = ()

    @cached_property
    def validator(self):
        return Draft202012Validator(self.schema, format_checker=FormatChecker())

    def field_titles(self):
        return {key: spec.get("title", key) for key, spec in self.schema.get("properties", {}).items()}

    def defaults(self):
        """Fresh copies: the schema is shared by every instance of a version."""
        return {key: copy.deepcopy(spec["default"])
                for key, spec in self.schema.get("properties", {}).items() if "default" in spec}

    def rule_sources(self):
        """Every rule expression, for the sandbox check at load time."""
        for rule in self.rules:
            for key in ("when", "assert"):
                if rule.get(key):
                    yield rule[key]

    def decision_ids(self):
        return [rule["decision"] for rule in self.rules if rule.get("decision")]

    def read_only_fields(self):
        return {key for key, spec in self.schema.get("properties", {}).items()
                if spec.get("readOnly")}

    def validate(self, data, evaluate, known=None, decide=None):
        """Field errors as {"path/like/this": message}.

        `evaluate(expr, names)` runs a rule over the submitted `data` and the process's `known`
        read-only values; `decide(decision_id, names)` evaluates a decision table, whose first
        matching row answers `ok`, and when not ok the `field` and `message` to show.
        """
        errors = {}
        for error in self.validator.iter_errors(data):
            path = "/".join(str(p) for p in error.absolute_path)
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else ""
                path = f"{path}/{missing}" if path else missing
            errors.setdefault(path, _MESSAGES.get(error.validator, error.message))
        if errors:
            return errors
        names = {key: None for key in self.schema.get("properties", {})} | (known or {}) | data
        for rule in self.rules:
            if rule.get("when") and not evaluate(rule["when"], names):
                continue
            if rule.get("decision"):
                verdict = decide(rule["decision"], names)
                if verdict.get("ok") is False:
                    errors.setdefault(verdict.get("field") or rule.get("field", ""),
                                      verdict.get("message") or "不符合规则")
            elif not evaluate(rule["assert"], names):
                errors.setdefault(rule.get("field", ""), rule["message"])
        return errors


def parse_form(name: str, content: bytes) -> Form:
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormError(f"表单 {name} 不是有效的 JSON：{exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), dict):
        raise FormError(f"表单 {name} 缺少 schema")
    try:
        Draft202012Validator.check_schema(doc["schema"])
    except SchemaError as exc:
        raise FormError(f"表单 {name} 的 schema 无效：{exc.message}") from exc
    rules = doc.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) and _is_rule(r) for r in rules):
        raise FormError(f"表单 {name} 的 rules 每项须有 assert 和 message，或引用 decision")
    return Form(name=name, title=doc.get("title", name), schema=doc["schema"],
                ui=doc.get("ui", {}), rules=tuple(rules))


def _is_rule(rule):
    return bool(rule.get("decision")) or ("assert" in rule and "message" in rule)
