"""Restricted language for diagram scripts, conditions, timer expressions and DMN cells.

Diagrams are edited in a browser and SpiffWorkflow runs them with eval/exec, so a source is checked
against an allow-list of syntax (`check_source`, also at deploy time), rewritten so that loops and
value-growing operations go through a per-run `_Budget`, and run with whitelisted builtins only.
Simple limits: no `while`; a run stops after MAX_STEPS `for`/comprehension iterations or
MAX_SECONDS; `range()`, `+ * ** << %`, f-strings and `extend join replace` may not build values
over MAX_LEN items (ints over MAX_INT_BITS), nor over MAX_TOTAL per run. Memory limits on the
worker processes remain the backstop for anything this misses.
"""
import ast
import operator
import re
import time
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

MAX_STEPS = 100_000        # loop/comprehension iterations per run
MAX_SECONDS = 1.0          # wall time per run, checked at every iteration
MAX_LEN = 1_000_000        # items or characters in one value built by a guarded operation
MAX_TOTAL = 10_000_000     # items or characters built by guarded operations in one run
MAX_INT_BITS = 4_096       # about 1,200 decimal digits

ALLOWED_METHODS = frozenset(
    "get keys values items pop update setdefault append extend insert remove index count sort "
    "reverse strip lstrip rstrip split rsplit join startswith endswith lower upper replace find "
    "isdigit".split())
DANGEROUS_NAMES = frozenset(
    "eval exec compile open getattr setattr delattr hasattr globals locals vars dir type object "
    "__import__ breakpoint input help memoryview super classmethod staticmethod property "
    "exit quit".split())
PLAIN_TYPES = (str, list, dict, tuple, set, frozenset)  # values whose methods may be called
_SEQUENCES = (str, bytes, list, tuple)
_BUDGET = "_sandbox_budget"  # starts with "_", so scripts cannot name it
_FORMAT_SPEC = re.compile(r"[<>^=]?[+\- ]?#?0?\d{0,3}[,_]?(\.\d{1,3})?[bcdeEfFgGnosxX%]?")
_OPS = {"add": (operator.add, operator.iadd), "mul": (operator.mul, operator.imul),
        "pow": (operator.pow, operator.ipow), "lshift": (operator.lshift, operator.ilshift),
        "mod": (operator.mod, operator.imod)}  # guarded operators: (plain, in-place)
_OP_NAMES = {ast.Add: "add", ast.Mult: "mul", ast.Pow: "pow", ast.LShift: "lshift", ast.Mod: "mod"}
_ALLOWED_NODES = tuple(getattr(ast, n) for n in (
    "Module Expression Expr Assign AugAssign If For Pass Break Continue "
    "Constant Name Load Store Attribute Call keyword Starred Subscript Slice "
    "List Tuple Dict Set ListComp SetComp DictComp GeneratorExp comprehension "
    "BinOp UnaryOp BoolOp Compare IfExp JoinedStr FormattedValue "
    "Add Sub Mult Div FloorDiv Mod Pow LShift RShift BitOr BitXor BitAnd UAdd USub Not Invert "
    "And Or Eq NotEq Lt LtE Gt GtE Is IsNot In NotIn").split())
_REFUSED = {
    "Import": "import 导入", "ImportFrom": "from … import 导入", "Lambda": "lambda 匿名函数",
    "FunctionDef": "函数定义（def）", "AsyncFunctionDef": "函数定义（async def）",
    "ClassDef": "类定义（class）", "Global": "global 声明", "Nonlocal": "nonlocal 声明",
    "With": "with 语句", "Try": "try 语句", "TryStar": "try 语句",
    "Raise": "raise 语句", "Delete": "del 语句", "Yield": "yield", "YieldFrom": "yield from",
    "Await": "await", "AsyncFor": "async for", "While": "while 循环（请用 for 遍历数据）",
    "NamedExpr": "赋值表达式 :=", "Assert": "assert 语句", "Return": "return 语句",
    "Match": "match 语句"}


class SandboxViolation(ValueError):
    """A script or expression outside the restricted language, or over a runtime limit."""

    def __init__(self, message, lineno=None, source=None):
        self.message, self.lineno, self.source = message, lineno, source
        super().__init__(message if lineno is None else f"第 {lineno} 行：{message}")


def _check_len(size):
    if size > MAX_LEN:
        raise SandboxViolation(f"结果过长：超过 {MAX_LEN} 个元素或字符")
    return size


def _result_size(name, a, b):
    """Items/characters a guarded operator would build; raises if that is too much."""
    if name == "mod" and isinstance(a, (str, bytes)):
        raise SandboxViolation("不允许用 % 格式化文本，请改用 f-string")
    if isinstance(a, int) and isinstance(b, int):
        bits = {"add": max(a.bit_length(), b.bit_length()) + 1,
                "mul": a.bit_length() + b.bit_length(),
                "pow": a.bit_length() * b if abs(a) > 1 and b > 0 else 0,
                "lshift": a.bit_length() + b if a else 0}.get(name, 0)
        if bits > MAX_INT_BITS:
            raise SandboxViolation(f"数值过大：结果超过 {MAX_INT_BITS} 位二进制")
        return 0
    if name == "add" and isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        return _check_len(len(a) + len(b))
    if name == "mul" and isinstance(b, _SEQUENCES):
        a, b = b, a
    if name == "mul" and isinstance(a, _SEQUENCES) and isinstance(b, int):
        return _check_len(len(a) * max(b, 0))
    return 0


def _fold(node):
    """Value of constant-only guarded arithmetic (raising if too large); None if not constant."""
    if isinstance(node, ast.Constant):
        return node.value
    name = _OP_NAMES.get(type(node.op)) if isinstance(node, ast.BinOp) else None
    left, right = (_fold(node.left), _fold(node.right)) if name else (None, None)
    if left is None or right is None:
        return None
    _result_size(name, left, right)
    try:
        return _OPS[name][0](left, right)
    except (ArithmeticError, TypeError, ValueError):
        return None  # left for run time, where the error reaches the process owner


def _attribute_problem(node, called):
    if node.attr.startswith("_"):
        return f"不允许访问以下划线开头的属性 {node.attr}"
    if node.attr in ("format", "format_map"):
        return f"不允许使用 {node.attr}，请改用 f-string"
    if node.attr not in ALLOWED_METHODS:
        return f"不允许访问属性 {node.attr}；只能调用这些方法：{' '.join(sorted(ALLOWED_METHODS))}"
    if id(node) not in called:
        return f"方法 {node.attr} 只能直接调用，例如 x.{node.attr}(…)"


def _format_spec_ok(spec):
    return spec is None or (all(isinstance(v, ast.Constant) for v in spec.values)
                            and _FORMAT_SPEC.fullmatch("".join(v.value for v in spec.values)))


def _problem(node, called):
    """Why `node` is not allowed (a message for process owners), or None."""
    if not isinstance(node, _ALLOWED_NODES):
        what = _REFUSED.get(type(node).__name__, f"该语法（{type(node).__name__}）")
        return f"不允许使用{' ' if what[0].isascii() else ''}{what}"
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        return f"不允许使用以下划线开头的名称 {node.id}"
    if isinstance(node, ast.Name) and node.id in DANGEROUS_NAMES:
        return f"出于安全考虑，不允许使用 {node.id}"
    if isinstance(node, ast.Attribute):
        return _attribute_problem(node, called)
    if isinstance(node, ast.Call) and not isinstance(node.func, (ast.Name, ast.Attribute)):
        return "只能调用函数名或允许的方法"
    if isinstance(node, ast.keyword) and node.arg is None:
        return "不允许用 ** 展开参数"
    if isinstance(node, ast.Starred) and not isinstance(node.ctx, ast.Store):
        return "不允许用 * 展开；只能在赋值左边使用，例如 a, *rest = items"
    if isinstance(node, ast.comprehension) and node.is_async:
        return "不允许使用 async 推导式"
    if isinstance(node, ast.FormattedValue) and not _format_spec_ok(node.format_spec):
        return "f-string 的格式说明只能是简单的固定写法，例如 {x:.2f}"
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript) \
            and isinstance(node.target.slice, ast.Slice):
        return "不允许对切片使用增量赋值"
    if isinstance(node, ast.BinOp):
        try:
            _fold(node)
        except SandboxViolation as err:
            return err.message


def check_source(source, mode):
    """Raise SandboxViolation unless `source` is in the restricted language; return its tree.

    mode is "eval" for expressions (conditions, timers, DMN cells) or "exec" for scripts."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise SandboxViolation(f"语法错误：{err.msg}", err.lineno, source) from err
    positions = ("lineno", "col_offset", "end_lineno", "end_col_offset")
    nodes = sorted(ast.walk(tree), key=lambda n: [isinstance(n, _ALLOWED_NODES)]  # refused kinds,
                   + [getattr(n, p, 1e9) for p in positions])  # then in the order of the text
    called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    for node in nodes:
        message = _problem(node, called)
        if message:
            raise SandboxViolation(message, getattr(node, "lineno", None), source)
    return tree


def _budget_call(method, node, *args):
    func = ast.Attribute(value=ast.Name(id=_BUDGET, ctx=ast.Load()), attr=method, ctx=ast.Load())
    return ast.copy_location(ast.Call(func=func, args=list(args), keywords=[]), node)


class _Guard(ast.NodeTransformer):
    """Routes loops and the operations that can grow values through the run's _Budget."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        name = _OP_NAMES.get(type(node.op))
        return _budget_call("op", node, ast.Constant(name), node.left, node.right) if name else node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        name, target = _OP_NAMES.get(type(node.op)), node.target
        if name is None:
            return node
        op = (ast.Constant(name), ast.Constant(True))  # in place, as Python's += does
        if isinstance(target, ast.Subscript):  # container and key evaluated once, as in Python
            call = _budget_call("aug_item", node, target.value, target.slice, *op, node.value)
            return ast.copy_location(ast.Expr(call), node)
        value = _budget_call("op", node, op[0], ast.Name(target.id, ast.Load()), node.value, op[1])
        return ast.copy_location(ast.Assign(targets=[target], value=value), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if not isinstance(node.func, ast.Attribute):
            return node
        method = node.func
        call = _budget_call("method", node, method.value, ast.Constant(method.attr), *node.args)
        call.keywords = node.keywords
        return call

    def visit_JoinedStr(self, node):
        for part in node.values:  # format specs stay constant strings
            if isinstance(part, ast.FormattedValue):
                part.value = self.visit(part.value)
        return _budget_call("text", node, node)

    def visit_For(self, node):
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_budget_call("tick", node)), node))
        return node

    def visit_comprehension(self, node):
        self.generic_visit(node)
        node.ifs.insert(0, _budget_call("tick", node.iter))
        return node


@lru_cache(maxsize=4096)
def compile_restricted(source, mode):
    """Check, guard and compile; cached because the same expressions run thousands of times."""
    tree = ast.fix_missing_locations(_Guard().visit(check_source(source, mode)))
    return compile(tree, "<string>", mode)  # the engine finds error lines by this file name


class _Budget:
    """Per-run counters behind the calls that _Guard inserts."""

    def __init__(self):
        self.steps, self.built, self.deadline = 0, 0, time.monotonic() + MAX_SECONDS

    def tick(self):
        self.steps += 1
        if self.steps > MAX_STEPS or time.monotonic() > self.deadline:
            raise SandboxViolation(f"循环次数或运行时间超过限制（{MAX_STEPS} 次、{MAX_SECONDS} 秒）")
        return True

    def charge(self, size):
        self.built += size
        if self.built > MAX_TOTAL:
            raise SandboxViolation(f"生成的数据总量超过限制（{MAX_TOTAL} 个元素或字符）")

    def op(self, name, a, b, inplace=False):
        self.charge(_result_size(name, a, b))
        return _OPS[name][inplace](a, b)

    def aug_item(self, container, key, name, inplace, value):
        container[key] = self.op(name, container[key], value, inplace)

    def text(self, value):
        self.charge(_check_len(len(value)))
        return value

    def method(self, obj, name, *args, **kwargs):
        if not isinstance(obj, PLAIN_TYPES):  # e.g. str.join(...) would bypass the size checks
            raise SandboxViolation(f"方法 {name} 只能用于文本、列表、字典等普通数据，"
                                   f"不能用于 {type(obj).__name__}")
        if name == "join" and args:
            args = (list(args[0]),) + args[1:]  # materialise once to measure, then join
        self.charge(_method_size(obj, name, args))
        return getattr(obj, name)(*args, **kwargs)


def _method_size(obj, name, args):
    if name == "extend" and args and hasattr(args[0], "__len__"):
        return _check_len(len(obj) + len(args[0]))
    if name == "join" and isinstance(obj, str) and args:
        texts = [s for s in args[0] if isinstance(s, str)]
        return _check_len(sum(map(len, texts)) + len(obj) * max(len(args[0]) - 1, 0))
    if name == "replace" and isinstance(obj, str) and len(args) >= 2 \
            and isinstance(args[0], str) and isinstance(args[1], str):
        return _check_len(len(obj) + obj.count(args[0]) * (len(args[1]) - len(args[0])))
    return 0


def _safe_range(*args):
    values = range(*args)
    try:
        _check_len(len(values))
    except OverflowError:  # longer than sys.maxsize
        _check_len(MAX_LEN + 1)
    return values


def _safe_sum(items, start=0):
    if not isinstance(start, (int, float)):  # sum(lists, []) is quadratic and unguarded
        raise SandboxViolation("sum 只能用于数字")
    return sum(items, start)


def count_where(items, key, value):
    """How many objects in `items` have item[key] == value."""
    return sum(1 for item in items or [] if isinstance(item, dict) and item.get(key) == value)


SAFE_BUILTINS = {
    "len": len, "min": min, "max": max, "sum": _safe_sum, "any": any, "all": all,
    "sorted": sorted, "str": str, "int": int, "float": float, "bool": bool, "list": list,
    "dict": dict, "set": set, "tuple": tuple, "round": round, "abs": abs, "range": _safe_range,
    "enumerate": enumerate, "zip": zip, "isinstance": isinstance,
    "True": True, "False": False, "None": None}
DEFAULT_FUNCTIONS = {"count_where": count_where}


class SandboxedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that runs only the restricted language, with our functions."""

    def __init__(self, functions=None):
        super().__init__({**DEFAULT_FUNCTIONS, **(functions or {})})

    def evaluate(self, expression, context, external_context=None):
        code = compile_restricted(expression, "eval")
        return eval(code, self._scope(context, external_context or {}))

    def execute(self, script, context, external_context=None):
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        scope = self._scope(context, external_context)
        exec(compile_restricted(script, "exec"), scope)
        # As in the base class, the task data becomes the script's globals minus builtins,
        # functions, external context and callables; here only once the script has succeeded.
        kept = {k: v for k, v in scope.items() if k not in ("__builtins__", _BUDGET)
                and k not in self.globals and k not in external_context and not callable(v)}
        context.clear()
        context.update(kept)
        return True

    def _scope(self, context, external_context):
        self._prepare_context(context)
        scope = {**self.globals, **external_context, **context}  # base precedence: data wins
        scope.update({"__builtins__": SAFE_BUILTINS, _BUDGET: _Budget()})
        return scope


def make_script_engine(functions=None):
    """PythonScriptEngine over a SandboxedEnvironment; re-attach it after every deserialization."""
    return PythonScriptEngine(environment=SandboxedEnvironment(functions))
