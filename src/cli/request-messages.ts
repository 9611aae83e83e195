/** JSON <-> protobuf messages of a dynamically loaded method (protobuf-es JSON mapping). */
import {
  type DescMessage,
  fromJson,
  type JsonValue,
  type Message,
  type Registry,
  toJson,
} from "@bufbuild/protobuf";
import { CliError } from "./cli-error.ts";

export function messageFromJson(schema: DescMessage, value: unknown, registry: Registry): Message {
  try {
    return fromJson(schema, value as JsonValue, { registry });
  } catch (e) {
    throw new CliError(`bad -d JSON for ${schema.typeName}: ${(e as Error).message}`);
  }
}

/** One compact JSON line per message (easy to pipe into jq). */
export function messageToJsonLine(schema: DescMessage, message: Message, registry: Registry): string {
  return JSON.stringify(toJson(schema, message, { registry }));
}
