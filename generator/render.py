"""Stage 5 — render: fill the Word template with the context, safely.

* Jinja runs in an immutable sandbox (templates travel between offices: no
  ``list.append``, no private attributes), with autoescape (``&`` and ``<`` in
  data never delete text) and StrictUndefined (a missing name is an error
  naming it and the template paragraph).
* The sandbox also refuses what would build huge values: ``**`` and ``*`` beyond
  a bound, format and width specifiers above ``MAX_WIDTH`` (``'{:>300000000}'``,
  ``'%300000000s'``), ``center``/``indent``/``wordwrap``/``truncate`` widths.
* Every render runs under a time and a memory limit (``limits``).
* The package is rendered by ``formats.docx_render``: every part parsed
  strictly, checked, never cut short.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
from decimal import Decimal
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateRuntimeError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.compiler import CodeGenerator
from jinja2.environment import TemplateExpression
from jinja2.parser import Parser
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .errors import Problem, UserError
from .formats import codecache, docx_render
from .formats.docx_package import PackageError
from .formats.docx_render import NEUTRALIZE, LeftoverTag, Rendered, place_of
from .formatting import FILTERS
from .limits import LimitExceeded, Limits, bounded
from .messages import msg
from .names import value_kind
from .template import Template, package_message
from .template_lint import MARKUP_FILTERS, jinja_zh

MAX_POWER = 1000  # largest exponent ``**`` may use in a template
MAX_REPEAT = 1_000_000  # longest string or list ``*`` may build in a template
MAX_WIDTH = 10_000  # widest field a format specifier may ask for
MAX_STRING = 4_000_000  # longest text ``~``, ``+``, ``join`` or a filter may build (a report's part is far shorter)
MAX_INT_BITS = 4096  # largest integer arithmetic may build (some 1,200 digits; a report's figures are far smaller)
COMPILED_CACHE_SIZE = 512  # sources kept compiled per environment (template parts, short strings)
_WIDTH = re.compile(r"%[-+ #0]*(\d+|\*)?(?:\.(\d+|\*))?[a-zA-Z%]")


class NotPrintable(TemplateRuntimeError):
    """A ``{{ … }}`` whose value is a group, a list, a yes/no or an object: its repr is not a report's text."""

    def __init__(self, value: Any):
        super().__init__(type(value).__name__)
        self.kind = value_kind(value)


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ … }}`` output before escaping: a blank value prints nothing; braces are marked; only
    a text, a number or a date prints (``NotPrintable`` for anything else)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.translate(NEUTRALIZE)
    if isinstance(value, bool) or not isinstance(value, _PRINTABLE):
        raise NotPrintable(value)
    return value


_PRINTABLE = (int, float, Decimal, dt.date, dt.time)


_DICT_ATTRIBUTES = frozenset(dir(dict))


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def _check_spec(spec: str) -> None:
    """A ``str.format`` field specification (``>300000000``, ``.9999999f``) within bounds."""
    for number in re.findall(r"\d+", spec or ""):
        if int(number) > MAX_WIDTH:
            raise SecurityError(f"format width {number} is too large in '{{:{spec}}}'")


def _check_format(fmt: str) -> None:
    """Every field of a format string within bounds; nested fields (``{:{width}}``) refused outright."""
    try:
        fields = list(string.Formatter().parse(str(fmt)))
    except ValueError:
        return  # Python refuses it itself when it is called
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise SecurityError(f"nested format field in '{{:{spec}}}' is not allowed")
        _check_spec(spec or "")


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``a ~ b`` joined by the environment (``join_checked``), which bounds it."""

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:  # noqa: N802 - Jinja's visitor name
        self.write("environment.join_checked(context, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _length(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


_SIZE_STEPS = 2_000_000  # values looked at to tell a container's size as text (beyond: taken as too large)


def text_size(value: Any, limit: int = MAX_STRING) -> int:
    """About how long ``value`` is as text (``str()`` of a list repeats each item's text), counted without
    making that text; stops as soon as it passes ``limit``."""
    if isinstance(value, str):
        return len(value)
    size, steps, stack = 0, 0, [value]
    while stack:
        item = stack.pop()
        steps += 1
        if isinstance(item, str):
            size += len(item) + 4
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
            size += 2
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
            size += 2
        else:
            size += 24
        if size > limit or steps > _SIZE_STEPS:
            return limit + 1
    return size


def _check_text_size(values: Any, what: str) -> None:
    total = 0
    for value in values:
        if not isinstance(value, (str, int, float, Decimal, bool)) and value is not None:
            total += text_size(value)
        elif isinstance(value, str):
            total += len(value)
        if total > MAX_STRING:
            raise SecurityError(f"{what} would make a text longer than {MAX_STRING} characters")


def _check_int(value: Any, bits: int, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and bits > MAX_INT_BITS:
        raise SecurityError(f"{what} would make an integer of about {bits} bits, more than {MAX_INT_BITS}")


class ReportEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing arithmetic and formatting that would exhaust memory or time: integers beyond
    ``MAX_INT_BITS``, texts and lists beyond ``MAX_STRING`` (so that no single step of a template can allocate
    more than a few tens of MB, and the time and memory watchdog stops it on time)."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _BoundedCodeGenerator

    def join_checked(self, context: Any, values: tuple) -> Any:
        """``a ~ b ~ …``: Jinja's own join, refused when the result would pass ``MAX_STRING``."""
        _check_text_size(values, "text joined with ~")
        return markup_join(values) if context.eval_ctx.autoescape else str_join(values)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``a.b`` on a plain dict whose key ``b`` is not a dict method: the item (the sandbox would find it
        after an AttributeError on every ``预算.执行率``, which costs more than the lookup)."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and not attribute.startswith("_"):
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_POWER:
            raise SecurityError(f"exponent {right} is too large")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            _check_int(left, left.bit_length() * right, "**")
        if operator == "*" and isinstance(left, int) and isinstance(right, int):
            _check_int(left, left.bit_length() + right.bit_length(), "*")
        if operator == "+" and _length(left) + _length(right) > MAX_STRING:
            raise SecurityError(f"text or list joined with + would be longer than {MAX_STRING}")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise SecurityError(f"repetition of {len(seq)} × {n} is too large")
        if operator == "%" and isinstance(left, str):
            _check_text_size((left, right), "% formatting")
            for width, precision in _WIDTH.findall(left):
                for part in (width, precision):
                    if part == "*" or (part and int(part) > MAX_WIDTH):
                        raise SecurityError(f"format width {part} is too large")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Any:
        """``str.format``/``format_map`` as the sandbox wraps them, their field specifications bounded first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        _check_format(value.__self__)

        def checked(*args: Any, **kwargs: Any) -> Any:  # (its arguments, as text, within bounds too)
            _check_text_size((value.__self__, *args, *kwargs.values()), "format()")
            return wrapped(*args, **kwargs)

        return checked

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - as Jinja
        """A call from the template: ``str`` methods that build a string as wide as their argument bounded."""
        name = getattr(__obj, "__name__", None)
        if isinstance(getattr(__obj, "__self__", None), str) and name in ("join", "format", "format_map"):
            _check_text_size((__obj.__self__, *args, *kwargs.values()), f"{name}()")
            if name == "join" and args and isinstance(args[0], (list, tuple)) \
                    and len(__obj.__self__) * len(args[0]) + text_size(args[0]) > MAX_STRING:
                raise SecurityError(f"join() would make a text longer than {MAX_STRING} characters")
        if name in _WIDTH_METHODS and isinstance(getattr(__obj, "__self__", None), str):
            for n in (*args, *kwargs.values()):
                if isinstance(n, int) and n > MAX_WIDTH:
                    raise SecurityError(f"{name}({n}) is too large")
        elif name == "replace" and isinstance(getattr(__obj, "__self__", None), str) and len(args) >= 2 \
                and isinstance(args[0], str) and isinstance(args[1], str):
            text, old, new = __obj.__self__, args[0], args[1]
            count = text.count(old) if old else len(text) + 1
            if len(text) + count * (len(new) - len(old)) > MAX_REPEAT:
                raise SecurityError(f"replace() result of {count} × {len(new)} is too large")
        return super().call(__context, __obj, *args, **kwargs)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        """Compile once per source text, the compiled code kept on disk (``codecache``) between runs."""
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        cache = self.__dict__.setdefault("_compiled", {})
        key = (source, self.autoescape)
        template = cache.pop(key, None)
        if template is None:
            code = codecache.load(self, "template", source)
            if code is None:
                parsed = codecache.take_parsed(self, source)  # (parsed whole by the template's linter)
                code = self.compile(parsed if parsed is not None else source)
                codecache.store(self, "template", source, code)
            template = self.template_class.from_code(self, code, self.make_globals(None), None)
            while len(cache) >= COMPILED_CACHE_SIZE:
                cache.pop(next(iter(cache)))  # least recently used first
        cache[key] = template
        return template

    def compile_expression(self, source: str, undefined_to_none: bool = True) -> Any:
        """Jinja's ``compile_expression``, its code kept on disk like the templates'."""
        code = codecache.load(self, "expression", source)
        if code is None:
            parser = Parser(self, source, state="variable")
            try:
                expr = parser.parse_expression()
                if not parser.stream.eos:
                    raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno, None, None)
                expr.set_environment(self)
            except TemplateSyntaxError:
                self.handle_exception(source=source)
            code = self.compile(nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)],
                                               lineno=1))
            codecache.store(self, "expression", source, code)
        template = self.template_class.from_code(self, code, self.make_globals(None), None)
        return TemplateExpression(template, undefined_to_none)


def _bounded(name: str, filter_func: Any) -> Any:
    """A Jinja filter whose width (or count) arguments cannot build a huge string or list."""

    def bounded_filter(*args: Any, **kwargs: Any) -> Any:
        for n in (*args[1:], *kwargs.values()):  # (the value, or the environment Jinja passes first)
            if isinstance(n, int) and not isinstance(n, bool) and n > MAX_WIDTH:
                raise SecurityError(f"{name}({n}) is too large")
        texts = [a for a in args if isinstance(a, str)]
        widths = [n for n in (*args[1:], *kwargs.values()) if isinstance(n, int) and not isinstance(n, bool)]
        if name == "indent" and texts and widths and (texts[0].count("\n") + 1) * max(widths) > MAX_STRING:
            raise SecurityError(f"indent() result would be longer than {MAX_STRING} characters")
        result = filter_func(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_STRING:
            raise SecurityError(f"{name}() result is longer than {MAX_STRING} characters")
        return result

    return functools.update_wrapper(bounded_filter, filter_func)  # (keeps Jinja's pass_environment mark)


# filters that count or pick, never making text of their value
_COUNTING_FILTERS = frozenset({"length", "count", "first", "last", "list", "sort", "reverse", "unique", "min",
                               "max", "sum", "select", "reject", "selectattr", "rejectattr", "map", "batch", "slice",
                               "groupby", "dictsort", "default", "d", "缺省", "abs", "int", "float", "round",
                               "random", "attr", "items"})


def _sized(name: str, filter_func: Any) -> Any:
    """A filter refused when its arguments, as text, would pass ``MAX_STRING`` (``str()`` of a list of a
    million long texts is made in one step that no time limit can stop)."""

    def sized_filter(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, (list, tuple, set, frozenset, dict)) and text_size(value) > MAX_STRING:
                raise SecurityError(f"{name}() of a value longer than {MAX_STRING} characters as text")
        return filter_func(*args, **kwargs)

    return functools.update_wrapper(sized_filter, filter_func)


def _one_step(name: str, filter_func: Any) -> Any:
    """``sum``, ``list`` and ``sort``, which work in one step of compiled code that no time limit can stop:
    ``sum`` only of numbers (a sum of lists copies them all again at every item), ``list``/``sort`` of a text
    only up to ``MAX_REPEAT`` characters (one object each)."""

    def one_step(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not hasattr(a, "filters")]  # (without the environment Jinja passes first)
        if name == "sum":
            start = kwargs.get("start", values[2] if len(values) > 2 else 0)
            if not isinstance(start, (int, float, Decimal)):
                raise SecurityError("sum() is only for numbers")
        elif values and isinstance(values[0], str) and len(values[0]) > MAX_REPEAT:
            raise SecurityError(f"{name}() of a text of {len(values[0])} characters is too large")
        return filter_func(*args, **kwargs)

    return functools.update_wrapper(one_step, filter_func)


def _bounded_join(join_filter: Any) -> Any:
    """Jinja's ``join`` filter, refused when the joined text would pass ``MAX_STRING``."""

    def bounded_join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        if isinstance(value, (list, tuple)):
            if text_size(value) + len(d) * len(value) > MAX_STRING:
                raise SecurityError(f"join() result would be longer than {MAX_STRING} characters")
        result = join_filter(eval_ctx, value, d, attribute)
        if len(result) > MAX_STRING:
            raise SecurityError(f"join() result is longer than {MAX_STRING} characters")
        return result

    return functools.update_wrapper(bounded_join, join_filter)


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> Any:
    """Jinja's ``format`` filter (``"%s"|format(x)``) with its widths bounded."""
    from jinja2.filters import do_format

    if isinstance(value, str):
        for width, precision in _WIDTH.findall(value):
            for part in (width, precision):
                if part == "*" or (part and int(part) > MAX_WIDTH):
                    raise SecurityError(f"format width {part} is too large")
    return do_format(value, *args, **kwargs)


def make_env() -> ReportEnvironment:
    env = ReportEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=False, finalize=_finalize)
    env.globals.pop("lipsum", None)  # lipsum(n) builds text of any size
    for name in MARKUP_FILTERS:
        env.filters.pop(name, None)
    for name in ("center", "indent", "wordwrap", "truncate", "batch", "slice"):
        env.filters[name] = _bounded(name, env.filters[name])
    env.filters["join"] = _bounded_join(env.filters["join"])
    env.filters["format"] = _format_filter
    for name in ("sum", "list", "sort"):
        env.filters[name] = _one_step(name, env.filters[name])
    env.filters.update(FILTERS)
    for name, function in list(env.filters.items()):  # a filter never makes text of a value too large to print
        if name not in _COUNTING_FILTERS:
            env.filters[name] = _sized(name, function)
    return env


def _undefined_name(exc: UndefinedError) -> str | None:
    text = str(exc)
    m = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text) \
        or re.search(r"no element '?([^']+)'?", text)
    return m.group(1) if m else None


def _security_needle(exc: SecurityError) -> str | None:
    """What of the refused expression the template's text holds: the attribute, or the format, or the number."""
    text = str(exc)
    m = re.search(r"attribute '([^']+)'", text) or re.search(r"in '\{:([^']*)\}'", text) \
        or re.search(r"\((\d+)\)", text) or re.search(r"(\d{5,})", text)
    return m.group(1) if m else None


def render(template: Template, context: dict[str, Any], env: ReportEnvironment | None = None,
           limits: Limits | None = None, visit: Any = None) -> Rendered:
    """The checked .docx of ``template`` filled with ``context``; every failure a UserError naming the
    template and, where it can be found, the paragraph. ``visit``: see ``docx_render.Prepared.render``."""
    path = template.path
    if template.problems:
        raise UserError([Problem(None, str(p)) for p in template.problems],
                        msg("template_has_problems", path=path, count=len(template.problems)))
    env = env or make_env()
    env.autoescape = True
    try:
        with bounded(limits):
            return template.prepared.render(env, context, visit)
    except LimitExceeded as exc:
        key = "template_time_limit" if exc.kind == "time" else "template_memory_limit"
        raise UserError(msg(key, path=path, seconds=f"{limits.seconds:g}", mb=limits.memory_mb,
                            where=template.where(place_of(exc)))) from None
    except PackageError as exc:
        if exc.kind == "too_large":
            raise UserError(msg("template_output_too_large", path=path, part=exc.part,
                                limit=docx_render.MAX_PART_MB)) from None
        if exc.kind == "xml":
            before = getattr(exc, "text_before", "")
            where = (msg("where_near", text=before[-40:], paragraph=template.locate_text(before))
                     if before else msg("where_unknown"))
            raise UserError(msg("template_bad_output", path=path, part=exc.part, detail=exc.detail[:200],
                                where=where)) from None
        raise UserError(package_message(exc, path)) from None
    except LeftoverTag as exc:
        where = msg("where_paragraph", index=exc.index, text=exc.text[:57])
        raise UserError(msg("template_leftover_tag", path=path, tag=exc.tag, where=where)) from None
    except SecurityError as exc:
        raise UserError(msg("template_security", path=path, detail=str(exc),
                            where=template.where(place_of(exc), _security_needle(exc)))) from None
    except UndefinedError as exc:
        name = _undefined_name(exc)
        raise UserError(msg("template_undefined", path=path, name=name or str(exc),
                            where=template.where(place_of(exc), name))) from None
    except NotPrintable as exc:
        raise UserError(msg("template_not_text", path=path, kind=msg(exc.kind),
                            where=template.where(place_of(exc)))) from None
    except TemplateSyntaxError as exc:
        raise UserError(msg("template_syntax", path=path, detail=jinja_zh(exc.message or str(exc)),
                            where=template.where(place_of(exc)))) from None
    except TemplateError as exc:
        raise UserError(msg("template_runtime", path=path, detail=str(exc),
                            where=template.where(place_of(exc)))) from None
    except OverflowError as exc:  # the sandbox's range() limit, huge numbers
        raise UserError(msg("template_security", path=path, detail=str(exc),
                            where=template.where(place_of(exc)))) from None
    except (MemoryError, RecursionError) as exc:
        raise UserError(msg("template_too_costly", path=path, detail=type(exc).__name__,
                            where=template.where(place_of(exc)))) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError) as exc:
        # a template calling a value wrongly (``{{ 财务.资产总额 + '元' }}``)
        raise UserError(msg("template_runtime", path=path, detail=f"{type(exc).__name__}: {exc}"[:200],
                            where=template.where(place_of(exc)))) from None
