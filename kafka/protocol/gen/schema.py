"""Karst's protocol schema files (kafka/protocol/schema/*.schema): the parser and the
model (messages, structs, fields with version ranges).
"""
import re
import sys

MAX_VERSION = 32767
PRIMITIVES = {
    "bool": "bool", "int8": "int8_t", "int16": "int16_t", "uint16": "uint16_t",
    "int32": "int32_t", "int64": "int64_t", "float64": "double", "uuid": "Uuid",
}
READERS = {"bool": "Bool", "int8": "Int8", "int16": "Int16", "uint16": "Uint16",
           "int32": "Int32", "int64": "Int64", "float64": "Float64", "uuid": "Uuid"}
KEYWORDS = {"default", "operator", "template", "class", "new", "delete", "namespace",
            "register", "type", "union", "struct", "public", "private", "protected", "this",
            "auto", "case", "char", "const", "do", "double", "else", "enum", "float", "for",
            "goto", "if", "int", "long", "return", "short", "signed", "sizeof", "static",
            "switch", "unsigned", "void", "while", "bool", "true", "false"}


def parse_range(text):
    if text is None or text == "none":
        return None
    if text.endswith("+"):
        return (int(text[:-1]), MAX_VERSION)
    if "-" in text:
        lo, hi = text.split("-")
        return (int(lo), int(hi))
    return (int(text), int(text))


def tokenize(rest):
    attrs = {}
    for m in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', rest):
        v = m.group(2)
        if v.startswith('"'):
            v = bytes(v[1:-1], "utf-8").decode("unicode_escape")
        attrs[m.group(1)] = v
    return attrs


class Field:
    def __init__(self, name, type_, attrs):
        self.name = name
        self.array = type_.startswith("[]")
        self.base = type_[2:] if self.array else type_
        self.versions = parse_range(attrs.get("versions"))
        self.nullable = parse_range(attrs.get("nullable"))
        self.default = attrs.get("default")
        self.tag = int(attrs["tag"]) if "tag" in attrs else None
        self.tagged = parse_range(attrs.get("tagged"))
        self.children = []
        member = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
        self.member = member + "_" if member in KEYWORDS else member

    @property
    def is_struct(self):
        return self.base not in PRIMITIVES and self.base not in ("string", "bytes", "records")


class Struct:
    def __init__(self, name, fields):
        self.name = name
        self.fields = fields


class Message:
    def __init__(self, kind, name, attrs):
        self.kind = kind
        self.name = name
        self.key = int(attrs["key"])
        self.versions = parse_range(attrs["versions"])
        flex = parse_range(attrs.get("flexible"))
        self.flexible_from = flex[0] if flex else -1
        self.fields = []
        self.common = []  # Struct


def parse_schema(path):
    messages, current, stack = [], None, []
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            depth = (len(line) - len(line.lstrip(" "))) // 2
            text = line.strip()
            if depth == 0:
                word, name, rest = (text.split(" ", 2) + [""])[:3]
                attrs = tokenize(rest)
                if word in ("request", "response"):
                    current = Message(word, name, attrs)
                    messages.append(current)
                    stack = [current.fields]
                elif word == "struct":
                    s = Struct(name, [])
                    current.common.append(s)
                    stack = [s.fields]
                else:
                    sys.exit(f"{path}:{number}: expected request, response or struct")
                continue
            m = re.match(r"(\w+): (\S+)\s*(.*)", text)
            if not m or depth > len(stack):
                sys.exit(f"{path}:{number}: malformed field line")
            field = Field(m.group(1), m.group(2), tokenize(m.group(3)))
            del stack[depth:]
            stack[depth - 1].append(field)
            stack.append(field.children)
    return messages


def in_range(r, var="version"):
    if r is None:
        return "false"
    lo, hi = r
    parts = []
    if lo > 0:
        parts.append(f"{var} >= {lo}")
    if hi < MAX_VERSION:
        parts.append(f"{var} <= {hi}")
    return " && ".join(parts) if parts else "true"


def collect_structs(msg):
    """Every struct of a message (inline and common), each after the structs it uses."""
    defs = {}

    def visit(fields):
        for f in fields:
            if f.is_struct and f.children:
                defs[f.base] = Struct(f.base, f.children)
                visit(f.children)

    for c in msg.common:
        defs[c.name] = c
        visit(c.fields)
    visit(msg.fields)
    ordered, done = [], set()

    def place(name, path):
        if name in done:
            return
        if name in path:
            sys.exit(f"{msg.name}: struct {name} contains itself")
        for f in defs[name].fields:
            if f.is_struct:
                place(f.base, path | {name})
        done.add(name)
        ordered.append(defs[name])

    for name in defs:
        place(name, set())
    return ordered
