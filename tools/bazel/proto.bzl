"""karst_proto_library: C++ protobuf (and optionally gRPC) libraries from .proto files.

Uses Debian's protoc and grpc_cpp_plugin from PATH-independent absolute locations, so the build
needs no protobuf rules from the network. Imports are relative to the workspace root
(`import "proto/raft.proto";`); well-known types come from /usr/include.
"""

PROTOC = "/usr/bin/protoc"
GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def karst_proto_library(name, srcs, deps = [], grpc = False, visibility = None):
    """Declares `name` (a cc_library) and `name + "_protos"` (the .proto files, for importers).

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other karst_proto_library targets whose protos these import.
      grpc: also generate gRPC service stubs.
      visibility: for both targets.
    """
    native.filegroup(
        name = name + "_protos",
        srcs = srcs + [d + "_protos" for d in deps],
        visibility = visibility,
    )
    stems = [s[:-len(".proto")] for s in srcs]
    outs = [s + ".pb.h" for s in stems] + [s + ".pb.cc" for s in stems]
    if grpc:
        outs += [s + ".grpc.pb.h" for s in stems] + [s + ".grpc.pb.cc" for s in stems]
    pkg = native.package_name()
    cmd = "%s -I. -I/usr/include --cpp_out=$(GENDIR)" % PROTOC
    if grpc:
        cmd += " --plugin=protoc-gen-grpc=%s --grpc_out=$(GENDIR)" % GRPC_PLUGIN
    cmd += " " + " ".join([pkg + "/" + s for s in srcs])
    native.genrule(
        name = name + "_gen",
        srcs = [name + "_protos"],
        outs = outs,
        cmd = cmd,
        message = "protoc " + name,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["@system//:protobuf"] + (["@system//:grpcpp"] if grpc else []),
        visibility = visibility,
    )
