/**
 * Test fixture (not a test itself): a proto2 service whose file declares
 * extensions, which none of the committed .proto files do, built at run
 * time from a FileDescriptorProto as a user's runtime schema would be.
 */
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from "@bufbuild/protobuf/wkt";
import { file_grpc_testing_empty } from "../../gen/grpc/testing/empty_pb.ts";

export const EXT_FILE = "test/ext.proto";
export const EXT_BASE = "test.ext.Base";
/** The extension numbers of Base declared in EXT_FILE. */
export const EXT_NUMBERS = [100, 150];

/** test.ext.ExtService (Get: Base -> grpc.testing.Empty), in a file with extensions of Base. */
export function extensionService(): DescService {
  const proto = create(FileDescriptorProtoSchema, {
    name: EXT_FILE,
    package: "test.ext",
    syntax: "proto2",
    dependency: ["grpc/testing/empty.proto"],
    messageType: [
      {
        name: "Base",
        field: [{ name: "id", number: 1, type: Type.INT32, label: Label.OPTIONAL, jsonName: "id" }],
        extensionRange: [{ start: 100, end: 200 }],
        nestedType: [
          {
            name: "Holder",
            extension: [
              {
                name: "nested_num",
                number: 150,
                type: Type.INT32,
                label: Label.OPTIONAL,
                extendee: ".test.ext.Base",
                jsonName: "nestedNum",
              },
            ],
          },
        ],
      },
    ],
    extension: [
      {
        name: "num",
        number: 100,
        type: Type.INT32,
        label: Label.OPTIONAL,
        extendee: ".test.ext.Base",
        jsonName: "num",
      },
    ],
    service: [
      {
        name: "ExtService",
        method: [{ name: "Get", inputType: ".test.ext.Base", outputType: ".grpc.testing.Empty" }],
      },
    ],
  });
  const registry = createFileRegistry(proto, (name) =>
    name === "grpc/testing/empty.proto" ? file_grpc_testing_empty : undefined,
  );
  return registry.getService("test.ext.ExtService")!;
}
