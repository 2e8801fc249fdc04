"""Emits each message's C++ struct and its Decode/Encode for every version.
"""
from cpp_types import SCOPE, cpp_default, cpp_elem, cpp_type, is_default_expr
from schema import READERS, PRIMITIVES, Field, collect_structs, in_range

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
                "  // The first flexible version; -1 if none.",
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
