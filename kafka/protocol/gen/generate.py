#!/usr/bin/python3
"""Generates the C++ Kafka message codecs from kafka/protocol/schema/*.schema.

Run by Bazel (//kafka/protocol:generated); generated code is never edited. For each schema
file it writes messages/<stem>.h and .cc with one struct per message (nested structs inside)
and Decode/Encode for every version; plus apis.h/.cc (the API table) and, for tests,
random_messages.h/.cc (random values for every field of every version).

usage: generate.py OUT_DIR SCHEMA... ERRORS_TABLE
"""
import json
import os
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

def decode_scalar(f, target, reader, indent, version_nullable):
    """Code that reads one non-array value of field f into `target` (an lvalue)."""
    p = " " * indent
    b = f.base
    if b in PRIMITIVES:
        return [f"{p}KARST_READ({reader}.{READERS[b]}(&{target}), \"{f.name}\");"]
    if b in ("string", "bytes", "records"):
        fn = {"string": "String", "bytes": "Bytes", "records": "Records"}[b]
        if not f.nullable:
            return [f"{p}KARST_READ({reader}.{fn}(&{target}, flexible), \"{f.name}\");"]
        out = [f"{p}if ({version_nullable}) {{",
               f"{p}  KARST_READ({reader}.Nullable{fn}(&{target}, flexible), \"{f.name}\");",
               f"{p}}} else {{",
               f"{p}  {cpp_elem(f)} value;",
               f"{p}  KARST_READ({reader}.{fn}(&value, flexible), \"{f.name}\");",
               f"{p}  {target} = std::move(value);",
               f"{p}}}"]
        return out
    # Struct.
    if f.nullable:
        return [f"{p}{{",
                f"{p}  int8_t present = 1;",
                f"{p}  if ({version_nullable}) KARST_READ({reader}.Int8(&present), \"{f.name}\");",
                f"{p}  if (present < 0) {{",
                f"{p}    {target}.reset();",
                f"{p}  }} else {{",
                f"{p}    KARST_READ({target}.emplace().Decode({reader}, version, flexible), "
                f"\"{f.name}\");",
                f"{p}  }}",
                f"{p}}}"]
    return [f"{p}KARST_READ({target}.Decode({reader}, version, flexible), \"{f.name}\");"]


def decode_field(f, reader, indent):
    p = " " * indent
    target = f.member
    vn = in_range(f.nullable)
    if not f.array:
        return decode_scalar(f, target, reader, indent, vn)
    elem = cpp_elem(f)
    out = [f"{p}{{",
           f"{p}  int32_t count;",
           f"{p}  KARST_READ({reader}.ArrayLength(&count, flexible), \"{f.name}\");",
           f"{p}  if (count < 0) {{"]
    if f.nullable:
        out += [f"{p}    if (!({vn})) return Null(\"{f.name}\");",
                f"{p}    {target}.reset();"]
    else:
        out += [f"{p}    return Null(\"{f.name}\");"]
    vec = f"{target}.emplace()" if f.nullable else target
    out += [f"{p}  }} else {{",
            f"{p}    auto& items = {vec};",
            f"{p}    items.clear();",
            f"{p}    for (int32_t i = 0; i < count; ++i) {{",
            f"{p}      const size_t before = {reader}.position();",
            f"{p}      {elem} item{{}};"]
    elem_field = Field(f.name, f.base, {})
    elem_field.nullable = None
    out += decode_scalar(elem_field, "item", reader, indent + 6, "false")
    out += [f"{p}      if ({reader}.position() == before) return Empty(\"{f.name}\");",
            f"{p}      items.push_back(std::move(item));",
            f"{p}    }}",
            f"{p}  }}",
            f"{p}}}"]
    return out


# ---- encode ----

def encode_scalar(f, expr, writer, indent, version_nullable):
    p = " " * indent
    b = f.base
    if b in PRIMITIVES:
        return [f"{p}{writer}.{READERS[b]}({expr});"]
    if b in ("string", "bytes", "records"):
        fn = {"string": "String", "bytes": "Bytes", "records": "Records"}[b]
        if not f.nullable:
            return [f"{p}{writer}.{fn}({expr}, flexible);"]
        empty = "std::string()" if b != "records" else "absl::string_view()"
        return [f"{p}if ({version_nullable}) {{",
                f"{p}  {writer}.Nullable{fn}({expr}, flexible);",
                f"{p}}} else {{",
                f"{p}  {writer}.{fn}({expr}.has_value() ? absl::string_view(*{expr}) : "
                f"absl::string_view(), flexible);",
                f"{p}}}"]
    if f.nullable:
        return [f"{p}if ({version_nullable}) {writer}.Int8({expr}.has_value() ? 1 : -1);",
                f"{p}if ({expr}.has_value()) {{",
                f"{p}  {expr}->Encode({writer}, version, flexible);",
                f"{p}}} else if (!({version_nullable})) {{",
                f"{p}  {cpp_elem(f)}{{}}.Encode({writer}, version, flexible);",
                f"{p}}}"]
    return [f"{p}{expr}.Encode({writer}, version, flexible);"]


def encode_field(f, writer, indent):
    p = " " * indent
    vn = in_range(f.nullable)
    if not f.array:
        return encode_scalar(f, f.member, writer, indent, vn)
    elem_field = Field(f.name, f.base, {})
    elem_field.nullable = None
    out = []
    if f.nullable:
        out += [f"{p}if (!{f.member}.has_value()) {{",
                f"{p}  if ({vn}) {{",
                f"{p}    {writer}.NullArray(flexible);",
                f"{p}  }} else {{",
                f"{p}    {writer}.ArrayLength(0, flexible);",
                f"{p}  }}",
                f"{p}}} else {{"]
        items = f"*{f.member}"
        inner = indent + 2
    else:
        items = f.member
        inner = indent
    q = " " * inner
    out += [f"{q}{writer}.ArrayLength(({items}).size(), flexible);",
            f"{q}for (const auto& item : {items}) {{"]
    out += encode_scalar(elem_field, "item", writer, inner + 2, "false")
    out += [f"{q}}}"]
    if f.nullable:
        out += [f"{p}}}"]
    return out


# ---- struct bodies ----

def struct_decl(name, fields, indent, top=None):
    p = " " * indent
    out = [f"{p}struct {name} {{"]
    if top is not None:
        out += top
    for f in fields:
        out.append(f"{p}  {cpp_type(f)} {f.member} = {cpp_default(f)};")
    out += [f"{p}  std::vector<TaggedField> unknown_tagged_fields;",
            "",
            f"{p}  absl::Status Decode(Reader& r, int16_t version, bool flexible);",
            f"{p}  void Encode(Writer& w, int16_t version, bool flexible) const;",
            f"{p}  bool operator==(const {name}&) const = default;",
            f"{p}}};"]
    return out


def struct_defs(qualified, fields):
    out = [f"absl::Status {qualified}::Decode(Reader& r, int16_t version, bool flexible) {{",
           "  (void)version;"]
    for f in fields:
        if f.tag is not None:
            continue
        out.append(f"  if ({in_range(f.versions)}) {{")
        out += decode_field(f, "r", 4)
        out.append("  }")
    tagged = [f for f in fields if f.tag is not None]
    out += ["  if (!flexible) return absl::OkStatus();",
            "  uint32_t tag_count;",
            "  KARST_READ(r.UnsignedVarint(&tag_count), \"tagged fields\");",
            "  int64_t last_tag = -1;",
            "  for (uint32_t t = 0; t < tag_count; ++t) {",
            "    uint32_t tag, size;",
            "    absl::string_view data;",
            "    KARST_READ(r.UnsignedVarint(&tag), \"tag\");",
            "    // KIP-482: tags ascend strictly, so each is written once and in order.",
            "    if (static_cast<int64_t>(tag) <= last_tag) return OutOfOrder(tag);",
            "    last_tag = tag;",
            "    KARST_READ(r.UnsignedVarint(&size), \"tag size\");",
            "    KARST_READ(r.Raw(size, &data), \"tagged field\");",
            "    Reader tr(data);",
            "    switch (tag) {"]
    for f in tagged:
        out += [f"      case {f.tag}:",
                f"        if ({in_range(f.tagged)}) {{"]
        out += decode_field(f, "tr", 10)
        out += [f"          if (tr.remaining() != 0) return Trailing(\"{f.name}\");",
                "          continue;",
                "        }",
                "        break;"]
    out += ["      default:",
            "        break;",
            "    }",
            "    unknown_tagged_fields.push_back({tag, std::string(data)});",
            "  }",
            "  return absl::OkStatus();",
            "}",
            "",
            f"void {qualified}::Encode(Writer& w, int16_t version, bool flexible) const {{",
            "  (void)version;"]
    for f in fields:
        if f.tag is not None:
            continue
        out.append(f"  if ({in_range(f.versions)}) {{")
        out += encode_field(f, "w", 4)
        out.append("  }")
    out += ["  if (!flexible) return;",
            "  std::vector<TaggedField> tagged = unknown_tagged_fields;"]
    for f in tagged:
        out += [f"  if (({in_range(f.tagged)}) && !({is_default_expr(f, f.member)})) {{",
                "    TaggedField field{" + str(f.tag) + ", {}};",
                "    Writer tw(&field.data);"]
        out += encode_field(f, "tw", 4)
        out += ["    tagged.push_back(std::move(field));",
                "  }"]
    out += ["  w.TaggedFields(std::move(tagged));",
            "}",
            ""]
    return out


def generate_header(stem, messages):
    guard = f"KARST_KAFKA_PROTOCOL_MESSAGES_{stem.upper()}_H_"
    out = [f"// Generated by kafka/protocol/gen/generate.py from kafka/protocol/schema/{stem}.schema.",
           "// Do not edit.",
           f"#ifndef {guard}",
           f"#define {guard}",
           "",
           "#include <cstdint>",
           "#include <optional>",
           "#include <string>",
           "#include <vector>",
           "",
           "#include \"absl/status/status.h\"",
           "#include \"absl/strings/string_view.h\"",
           "#include \"kafka/protocol/wire.h\"",
           "",
           "namespace karst::kafka::protocol {",
           ""]
    for msg in messages:
        SCOPE[0] = msg.name
        lo, hi = msg.versions
        structs = collect_structs(msg)
        for st in structs:
            out += struct_decl(f"{msg.name}_{st.name}", st.fields, 0)
            out.append("")
        out += [f"// {msg.name}: API key {msg.key}, versions {lo}..{hi}, flexible from "
                f"{msg.flexible_from if msg.flexible_from >= 0 else 'none'}.",
                f"struct {msg.name} {{",
                f"  static constexpr int16_t kApiKey = {msg.key};",
                f"  static constexpr int16_t kMinVersion = {lo};",
                f"  static constexpr int16_t kMaxVersion = {hi};",
                f"  // The first flexible version; -1 if none.",
                f"  static constexpr int16_t kFirstFlexibleVersion = {msg.flexible_from};",
                "  static bool IsFlexible(int16_t version) {",
                "    return kFirstFlexibleVersion >= 0 && version >= kFirstFlexibleVersion;",
                "  }",
                ""]
        for st in structs:
            out.append(f"  using {st.name} = {msg.name}_{st.name};")
        if structs:
            out.append("")
        for f in msg.fields:
            out.append(f"  {cpp_type(f)} {f.member} = {cpp_default(f)};")
        out += ["  std::vector<TaggedField> unknown_tagged_fields;",
                "",
                "  // Decodes the body (after the header). kInvalidArgument naming the message,",
                "  // version and field for a version out of range or malformed bytes. Records stay",
                "  // views into the reader's buffer.",
                "  absl::Status Decode(Reader& r, int16_t version);",
                "  // REQUIRES: kMinVersion <= version <= kMaxVersion. Fields absent in `version` are",
                "  // not written; a null in a version that cannot carry one is written empty.",
                "  void Encode(Writer& w, int16_t version) const;",
                "  absl::Status Decode(Reader& r, int16_t version, bool flexible);",
                "  void Encode(Writer& w, int16_t version, bool flexible) const;",
                f"  bool operator==(const {msg.name}&) const = default;",
                "};",
                ""]
    out += ["}  // namespace karst::kafka::protocol", "", f"#endif  // {guard}", ""]
    return "\n".join(out)


PRELUDE = """
namespace {

[[maybe_unused]] absl::Status Null(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": null where this version forbids it"));
}

[[maybe_unused]] absl::Status Empty(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": an element of zero bytes"));
}

[[maybe_unused]] absl::Status OutOfOrder(uint32_t tag) {
  return absl::InvalidArgumentError(absl::StrCat("tagged field ", tag, " repeats or is out of order"));
}

[[maybe_unused]] absl::Status Trailing(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": bytes left in a tagged field"));
}

}  // namespace

#define KARST_READ(expr, field)                                                      \\
  do {                                                                               \\
    if (absl::Status karst_read_status = (expr); !karst_read_status.ok()) {          \\
      return absl::InvalidArgumentError(                                             \\
          absl::StrCat(field, ": ", karst_read_status.message()));                   \\
    }                                                                                \\
  } while (false)
"""


def generate_source(stem, messages):
    out = [f"// Generated by kafka/protocol/gen/generate.py from kafka/protocol/schema/{stem}.schema.",
           "// Do not edit.",
           f"#include \"kafka/protocol/messages/{stem}.h\"",
           "",
           "#include \"absl/strings/str_cat.h\"",
           "",
           "namespace karst::kafka::protocol {",
           PRELUDE]
    for msg in messages:
        SCOPE[0] = msg.name
        for st in collect_structs(msg):
            out += struct_defs(f"{msg.name}_{st.name}", st.fields)
        out += struct_defs(msg.name, msg.fields)
        out += [f"absl::Status {msg.name}::Decode(Reader& r, int16_t version) {{",
                "  if (version < kMinVersion || version > kMaxVersion) {",
                f"    return absl::InvalidArgumentError(absl::StrCat(\"{msg.name}: unsupported "
                f"version \", version, \" (serves \", kMinVersion, \"..\", kMaxVersion, \")\"));",
                "  }",
                f"  *this = {msg.name}{{}};  // A reused message starts empty.",
                "  absl::Status s = Decode(r, version, IsFlexible(version));",
                "  if (!s.ok()) {",
                f"    return absl::InvalidArgumentError(absl::StrCat(\"{msg.name} v\", version, "
                "\": \", s.message()));",
                "  }",
                "  return s;",
                "}",
                "",
                f"void {msg.name}::Encode(Writer& w, int16_t version) const {{",
                "  Encode(w, version, IsFlexible(version));",
                "}",
                ""]
    out += ["#undef KARST_READ", "", "}  // namespace karst::kafka::protocol", ""]
    return "\n".join(out)


# ---- API table ----

def generate_apis(all_messages):
    reqs = {m.key: m for m in all_messages if m.kind == "request"}
    resps = {m.key: m for m in all_messages if m.kind == "response"}
    h = ["// Generated by kafka/protocol/gen/generate.py. Do not edit.",
         "#ifndef KARST_KAFKA_PROTOCOL_APIS_H_",
         "#define KARST_KAFKA_PROTOCOL_APIS_H_",
         "",
         "#include <cstdint>",
         "#include <vector>",
         "",
         "namespace karst::kafka::protocol {",
         "",
         "// One API of the protocol as the schema defines it.",
         "struct ApiInfo {",
         "  int16_t key;",
         "  const char* name;",
         "  int16_t min_version;",
         "  int16_t max_version;",
         "  int16_t first_flexible_request;   // -1: never flexible.",
         "  int16_t first_flexible_response;",
         "};",
         "",
         "// Every API in the schema, by key.",
         "const std::vector<ApiInfo>& AllApis();",
         "// nullptr for a key the schema lacks.",
         "const ApiInfo* FindApi(int16_t key);",
         "// Request header version: 2 for flexible versions, else 1.",
         "int RequestHeaderVersion(const ApiInfo& api, int16_t version);",
         "// Response header version: 1 for flexible versions, else 0; always 0 for ApiVersions,",
         "// so a client that does not know the broker's versions can still read it (KIP-511).",
         "int ResponseHeaderVersion(const ApiInfo& api, int16_t version);",
         "",
         "#define KARST_FOR_EACH_API(X) \\"]
    names = []
    for key in sorted(reqs):
        name = reqs[key].name[:-len("Request")]
        names.append(f"  X({name}, {key}) \\")
    h += names
    h += ["",
          "}  // namespace karst::kafka::protocol",
          "",
          "#endif  // KARST_KAFKA_PROTOCOL_APIS_H_",
          ""]
    c = ["// Generated by kafka/protocol/gen/generate.py. Do not edit.",
         "#include \"kafka/protocol/apis.h\"",
         "",
         "namespace karst::kafka::protocol {",
         "",
         "const std::vector<ApiInfo>& AllApis() {",
         "  static const auto* apis = new std::vector<ApiInfo>{"]
    for key in sorted(reqs):
        q, r = reqs[key], resps[key]
        name = q.name[:-len("Request")]
        c.append(f"      {{{key}, \"{name}\", {q.versions[0]}, {q.versions[1]}, "
                 f"{q.flexible_from}, {r.flexible_from}}},")
    c += ["  };",
          "  return *apis;",
          "}",
          "",
          "const ApiInfo* FindApi(int16_t key) {",
          "  for (const ApiInfo& api : AllApis()) {",
          "    if (api.key == key) return &api;",
          "  }",
          "  return nullptr;",
          "}",
          "",
          "int RequestHeaderVersion(const ApiInfo& api, int16_t version) {",
          "  return api.first_flexible_request >= 0 && version >= api.first_flexible_request ? 2 : 1;",
          "}",
          "",
          "int ResponseHeaderVersion(const ApiInfo& api, int16_t version) {",
          "  if (api.key == 18) return 0;  // ApiVersions.",
          "  return api.first_flexible_response >= 0 && version >= api.first_flexible_response ? 1 : 0;",
          "}",
          "",
          "}  // namespace karst::kafka::protocol",
          ""]
    return "\n".join(h), "\n".join(c)


# ---- random values, for round-trip tests ----

def random_scalar(f, target, indent, version_nullable):
    p = " " * indent
    b = f.base
    if b == "bool":
        return [f"{p}{target} = rnd.Next() % 2 == 0;"]
    if b in ("int8", "int16", "uint16", "int32", "int64"):
        return [f"{p}{target} = static_cast<{PRIMITIVES[b]}>(rnd.Next());"]
    if b == "float64":
        return [f"{p}{target} = static_cast<double>(static_cast<int32_t>(rnd.Next())) / 8;"]
    if b == "uuid":
        return [f"{p}for (auto& byte : {target}) byte = static_cast<uint8_t>(rnd.Next());"]
    if b in ("string", "bytes", "records"):
        make = "RandomBytes(rnd, arena)" if b == "records" else "RandomString(rnd)"
        if f.nullable:
            return [f"{p}if (({version_nullable}) && rnd.Next() % 4 == 0) {{",
                    f"{p}  {target} = std::nullopt;",
                    f"{p}}} else {{",
                    f"{p}  {target} = {make};",
                    f"{p}}}"]
        return [f"{p}{target} = {make};"]
    if f.nullable:
        return [f"{p}if (({version_nullable}) && rnd.Next() % 4 == 0) {{",
                f"{p}  {target} = std::nullopt;",
                f"{p}}} else {{",
                f"{p}  Randomize({target}.emplace(), version, flexible, rnd, arena);",
                f"{p}}}"]
    return [f"{p}Randomize({target}, version, flexible, rnd, arena);"]


def random_field(f, indent, scope):
    p = " " * indent
    vn = in_range(f.nullable)
    if not f.array:
        return random_scalar(f, f"m.{f.member}", indent, vn)
    elem_field = Field(f.name, f.base, {})
    elem_field.nullable = None
    out = []
    if f.nullable:
        out += [f"{p}if (({vn}) && rnd.Next() % 4 == 0) {{",
                f"{p}  m.{f.member} = std::nullopt;",
                f"{p}}} else {{",
                f"{p}  auto& items = m.{f.member}.emplace();"]
    else:
        out += [f"{p}{{",
                f"{p}  auto& items = m.{f.member};"]
    out += [f"{p}  items.clear();",
            f"{p}  const int n = static_cast<int>(rnd.Next() % 3);",
            f"{p}  for (int i = 0; i < n; ++i) {{",
            f"{p}    {cpp_elem(f)} item{{}};"]
    out += random_scalar(elem_field, "item", indent + 4, "false")
    out += [f"{p}    items.push_back(std::move(item));",
            f"{p}  }}",
            f"{p}}}"]
    return out


def random_body(qualified, fields, scope):
    out = [f"void Randomize({qualified}& m, int16_t version, bool flexible, RandomSource& rnd,",
           "               std::deque<std::string>& arena) {",
           "  (void)version;",
           "  (void)arena;"]
    for f in fields:
        cond = in_range(f.versions) if f.tag is None else f"flexible && ({in_range(f.tagged)})"
        out.append(f"  if ({cond}) {{")
        out += random_field(f, 4, scope)
        out.append("  }")
    out += ["  if (flexible) m.unknown_tagged_fields = RandomUnknownTags(rnd);",
            "}",
            ""]
    return out


def generate_random(all_messages, stems):
    h = ["// Generated by kafka/protocol/gen/generate.py. Do not edit.",
         "// Random values for every field of every message version, for round-trip tests.",
         "#ifndef KARST_KAFKA_PROTOCOL_RANDOM_MESSAGES_H_",
         "#define KARST_KAFKA_PROTOCOL_RANDOM_MESSAGES_H_",
         "",
         "#include <cstdint>",
         "#include <deque>",
         "#include <functional>",
         "#include <string>",
         "#include <vector>",
         "",
         "namespace karst::kafka::protocol::testing {",
         "",
         "class RandomSource {",
         " public:",
         "  virtual ~RandomSource() = default;",
         "  virtual uint64_t Next() = 0;",
         "};",
         "",
         "struct RoundTripCase {",
         "  const char* name;",
         "  int16_t min_version;",
         "  int16_t max_version;",
         "  // Fills a message with random values for `version`, encodes it, decodes the bytes,",
         "  // compares, and re-encodes. Returns \"\" or what differed.",
         "  std::function<std::string(int16_t version, RandomSource& rnd)> run;",
         "};",
         "",
         "const std::vector<RoundTripCase>& AllRoundTripCases();",
         "",
         "}  // namespace karst::kafka::protocol::testing",
         "",
         "#endif  // KARST_KAFKA_PROTOCOL_RANDOM_MESSAGES_H_",
         ""]
    c = ["// Generated by kafka/protocol/gen/generate.py. Do not edit.",
         "#include \"kafka/protocol/random_messages.h\"",
         "",
         "#include \"absl/strings/str_cat.h\""]
    c += [f"#include \"kafka/protocol/messages/{s}.h\"" for s in stems]
    c += ["",
          "namespace karst::kafka::protocol::testing {",
          "namespace {",
          "",
          "std::string RandomString(RandomSource& rnd) {",
          "  std::string s(rnd.Next() % 12, '\\0');",
          "  for (char& c : s) c = static_cast<char>('a' + rnd.Next() % 26);",
          "  return s;",
          "}",
          "",
          "absl::string_view RandomBytes(RandomSource& rnd, std::deque<std::string>& arena) {",
          "  std::string s(rnd.Next() % 40, '\\0');",
          "  for (char& c : s) c = static_cast<char>(rnd.Next());",
          "  arena.push_back(std::move(s));",
          "  return arena.back();",
          "}",
          "",
          "std::vector<TaggedField> RandomUnknownTags(RandomSource& rnd) {",
          "  std::vector<TaggedField> tags;",
          "  uint32_t tag = 10000;",
          "  const int n = static_cast<int>(rnd.Next() % 3);",
          "  for (int i = 0; i < n; ++i) {",
          "    tag += 1 + static_cast<uint32_t>(rnd.Next() % 100);",
          "    tags.push_back({tag, RandomString(rnd)});",
          "  }",
          "  return tags;",
          "}",
          ""]
    # Forward declarations so structs may refer to each other in any order.
    for msg in all_messages:
        for st in collect_structs(msg):
            c.append(f"void Randomize({msg.name}_{st.name}& m, int16_t version, bool flexible, "
                     "RandomSource& rnd, std::deque<std::string>& arena);")
    c.append("")
    for msg in all_messages:
        SCOPE[0] = msg.name
        for st in collect_structs(msg):
            c += random_body(f"{msg.name}_{st.name}", st.fields, msg.name)
        c += random_body(msg.name, msg.fields, msg.name)
    c += ["template <typename T>",
          "std::string RoundTrip(int16_t version, RandomSource& rnd) {",
          "  std::deque<std::string> arena;",
          "  T original;",
          "  Randomize(original, version, T::IsFlexible(version), rnd, arena);",
          "  std::string bytes;",
          "  Writer w(&bytes);",
          "  original.Encode(w, version);",
          "  T decoded;",
          "  Reader r(bytes);",
          "  if (absl::Status s = decoded.Decode(r, version); !s.ok()) {",
          "    return absl::StrCat(\"decode failed: \", s.message());",
          "  }",
          "  if (r.remaining() != 0) return absl::StrCat(r.remaining(), \" bytes left over\");",
          "  if (!(decoded == original)) return \"decoded message differs from the original\";",
          "  std::string again;",
          "  Writer w2(&again);",
          "  decoded.Encode(w2, version);",
          "  if (again != bytes) return \"re-encoded bytes differ\";",
          "  return \"\";",
          "}",
          "",
          "}  // namespace",
          "",
          "const std::vector<RoundTripCase>& AllRoundTripCases() {",
          "  static const auto* cases = new std::vector<RoundTripCase>{"]
    for msg in all_messages:
        c.append(f"      {{\"{msg.name}\", {msg.name}::kMinVersion, {msg.name}::kMaxVersion, "
                 f"&RoundTrip<{msg.name}>}},")
    c += ["  };",
          "  return *cases;",
          "}",
          "",
          "}  // namespace karst::kafka::protocol::testing",
          ""]
    return "\n".join(h), "\n".join(c)


def camel(name):
    return "k" + "".join(w.capitalize() for w in name.split("_"))


def generate_errors(path):
    rows = []
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            code, name, flag, message = line.rstrip("\n").split(" ", 3)
            rows.append((int(code), name, flag == "retriable", json.loads(message)))
    h = ["// Generated by kafka/protocol/gen/generate.py from kafka/protocol/schema/errors.table.",
         "// Do not edit.",
         "#ifndef KARST_KAFKA_PROTOCOL_ERRORS_H_",
         "#define KARST_KAFKA_PROTOCOL_ERRORS_H_",
         "",
         "#include <cstdint>",
         "",
         "namespace karst::kafka::protocol {",
         "",
         "// Kafka's error codes, as they travel in responses.",
         "enum class ErrorCode : int16_t {"]
    for code, name, _, _ in rows:
        h.append(f"  {camel(name)} = {code},")
    h += ["};",
          "",
          "// \"NOT_LEADER_OR_FOLLOWER\"; \"UNKNOWN\" for a code not in the table.",
          "const char* ErrorName(ErrorCode code);",
          "// Kafka's message for the code; \"\" for NONE and unknown codes.",
          "const char* ErrorMessage(ErrorCode code);",
          "// Whether a client may retry the same request (Kafka's RetriableException).",
          "bool IsRetriable(ErrorCode code);",
          "// Whether `code` is in the table.",
          "bool IsKnownError(int16_t code);",
          "",
          "}  // namespace karst::kafka::protocol",
          "",
          "#endif  // KARST_KAFKA_PROTOCOL_ERRORS_H_",
          ""]
    c = ["// Generated by kafka/protocol/gen/generate.py from kafka/protocol/schema/errors.table.",
         "// Do not edit.",
         "#include \"kafka/protocol/errors.h\"",
         "",
         "namespace karst::kafka::protocol {",
         "namespace {",
         "",
         "struct ErrorInfo {",
         "  int16_t code;",
         "  const char* name;",
         "  bool retriable;",
         "  const char* message;",
         "};",
         "",
         "constexpr ErrorInfo kErrors[] = {"]
    for code, name, retriable, message in rows:
        c.append(f"    {{{code}, \"{name}\", {'true' if retriable else 'false'}, "
                 f"{json.dumps(message)}}},")
    c += ["};",
          "",
          "const ErrorInfo* Find(int16_t code) {",
          "  for (const ErrorInfo& e : kErrors) {",
          "    if (e.code == code) return &e;",
          "  }",
          "  return nullptr;",
          "}",
          "",
          "}  // namespace",
          "",
          "const char* ErrorName(ErrorCode code) {",
          "  const ErrorInfo* e = Find(static_cast<int16_t>(code));",
          "  return e != nullptr ? e->name : \"UNKNOWN\";",
          "}",
          "",
          "const char* ErrorMessage(ErrorCode code) {",
          "  const ErrorInfo* e = Find(static_cast<int16_t>(code));",
          "  return e != nullptr ? e->message : \"\";",
          "}",
          "",
          "bool IsRetriable(ErrorCode code) {",
          "  const ErrorInfo* e = Find(static_cast<int16_t>(code));",
          "  return e != nullptr && e->retriable;",
          "}",
          "",
          "bool IsKnownError(int16_t code) { return Find(code) != nullptr; }",
          "",
          "}  // namespace karst::kafka::protocol",
          ""]
    return "\n".join(h), "\n".join(c)


def main():
    out_dir, inputs = sys.argv[1], sys.argv[2:]
    schemas = [p for p in inputs if p.endswith(".schema")]
    for path in inputs:
        if path.endswith("errors.table"):
            h, c = generate_errors(path)
            with open(os.path.join(out_dir, "errors.h"), "w") as f:
                f.write(h)
            with open(os.path.join(out_dir, "errors.cc"), "w") as f:
                f.write(c)
    all_messages, stems = [], []
    for path in schemas:
        stem = os.path.basename(path)[:-len(".schema")]
        messages = parse_schema(path)
        stems.append(stem)
        all_messages += messages
        os.makedirs(os.path.join(out_dir, "messages"), exist_ok=True)
        with open(os.path.join(out_dir, "messages", stem + ".h"), "w") as f:
            f.write(generate_header(stem, messages))
        with open(os.path.join(out_dir, "messages", stem + ".cc"), "w") as f:
            f.write(generate_source(stem, messages))
    with open(os.path.join(out_dir, "messages", "all.h"), "w") as f:
        f.write("// Generated by kafka/protocol/gen/generate.py: every message header. Do not edit.\n"
                "#ifndef KARST_KAFKA_PROTOCOL_MESSAGES_ALL_H_\n"
                "#define KARST_KAFKA_PROTOCOL_MESSAGES_ALL_H_\n\n" +
                "".join(f"#include \"kafka/protocol/messages/{s}.h\"\n" for s in stems) +
                "\n#endif  // KARST_KAFKA_PROTOCOL_MESSAGES_ALL_H_\n")
    h, c = generate_apis(all_messages)
    with open(os.path.join(out_dir, "apis.h"), "w") as f:
        f.write(h)
    with open(os.path.join(out_dir, "apis.cc"), "w") as f:
        f.write(c)
    h, c = generate_random(all_messages, stems)
    with open(os.path.join(out_dir, "random_messages.h"), "w") as f:
        f.write(h)
    with open(os.path.join(out_dir, "random_messages.cc"), "w") as f:
        f.write(c)


if __name__ == "__main__":
    main()
