"""How schema types map to C++: member types, defaults and default checks.
"""
from schema import PRIMITIVES

# The message being generated: struct types are emitted at namespace scope as
# <Message>_<Struct> (a nested class with member initialisers is not default-constructible
# until its enclosing class is complete, which clang enforces), and aliased inside.
SCOPE = [""]


def cpp_elem(f):
    if f.base in PRIMITIVES:
        return PRIMITIVES[f.base]
    if f.base in ("string", "bytes"):
        return "std::string"
    if f.base == "records":
        return "absl::string_view"
    return f"{SCOPE[0]}_{f.base}"


def cpp_type(f):
    if f.array:
        t = f"std::vector<{cpp_elem(f)}>"
        return f"std::optional<{t}>" if f.nullable else t
    t = cpp_elem(f)
    if f.nullable and (f.base in ("string", "bytes", "records") or f.is_struct):
        return f"std::optional<{t}>"
    return t


def cpp_default(f):
    d = f.default
    if f.array:
        if f.nullable:
            # `std::optional<T> x = {}` would be nullopt; Kafka's default is an empty array
            # unless the schema says null.
            return "std::nullopt" if d == "null" else f"{cpp_type(f)}(std::in_place)"
        return "{}"
    if f.base in ("string", "bytes"):
        if d == "null" and f.nullable:
            return "std::nullopt"
        return '""' if not d or d == "null" else '"' + d.replace('"', '\\"') + '"'
    if f.base == "records":
        return "std::nullopt" if f.nullable else "{}"
    if f.is_struct:
        if f.nullable:
            return "std::nullopt" if d == "null" else f"{cpp_type(f)}(std::in_place)"
        return "{}"
    if f.base == "bool":
        return "true" if (d or "").lower() == "true" else "false"
    if f.base == "float64":
        return repr(float(d)) if d else "0.0"
    if f.base == "uuid":
        return "{}"
    if d is None or d == "":
        return "0"
    v = int(d, 0)
    if f.base == "int64" and (v > 2**31 - 1 or v < -2**31):
        return f"int64_t{{{v}}}"
    if v == -2**31:
        return "INT32_MIN"
    return str(v)


def is_default_expr(f, expr):
    d = cpp_default(f)
    if d == "std::nullopt":
        return f"!{expr}.has_value()"
    if f.array:
        return f"{expr}.empty()" if not f.nullable else f"({expr}.has_value() && {expr}->empty())"
    if f.is_struct:
        if f.nullable:
            return f"({expr}.has_value() && *{expr} == {cpp_elem(f)}{{}})"
        return f"{expr} == {cpp_elem(f)}{{}}"
    if f.base in ("string", "bytes"):
        if f.nullable:
            return f"{expr} == std::optional<std::string>({d})"
        return f"{expr} == {d}"
    if f.base == "records":
        return f"{expr}.empty()" if not f.nullable else f"!{expr}.has_value()"
    if f.base == "uuid":
        return f"{expr} == Uuid{{}}"
    return f"{expr} == {d}"


# ---- decode ----
