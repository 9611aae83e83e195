/**
 * `pqrpc call -d` input: the text is split into JSON values and each is
 * converted to the request message of a method (protobuf JSON mapping),
 * here the greeter's, the health check's and the reflection request's
 * (strings, enums, oneofs, nested messages). Bad input is a CliError.
 */
import { createRegistry, type DescMessage } from "@bufbuild/protobuf";
import { CliError } from "../../../src/cli/cli-error.ts";
import { parseJsonValues, requestValues } from "../../../src/cli/json-input.ts";
import { messageFromJson, messageToJsonLine } from "../../../src/cli/request-messages.ts";
import { HealthCheckRequestSchema } from "../../../src/gen/grpc/health/v1/health_pb.ts";
import { ServerReflectionRequestSchema } from "../../../src/gen/grpc/reflection/v1/reflection_pb.ts";
import { HelloRequestSchema } from "../../../src/gen/helloworld/greeter_pb.ts";
import { FuzzInput } from "../harness/input.ts";
import { check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

const SCHEMAS: readonly DescMessage[] = [
  HelloRequestSchema,
  HealthCheckRequestSchema,
  ServerReflectionRequestSchema,
];
const registry = createRegistry(...SCHEMAS);

export const target: FuzzTarget = {
  name: "cli-json-input",
  description: "pqrpc call -d text: [schema, streaming] then the JSON text",
  typed: [CliError],
  run(data) {
    const input = new FuzzInput(data);
    const schema = SCHEMAS[input.pick(SCHEMAS.length)]!;
    const streaming = input.bool();
    const text = new TextDecoder().decode(input.rest());
    for (const value of requestValues(parseJsonValues(text), streaming, "fuzz.Service/Method")) {
      const message = messageFromJson(schema, value, registry);
      // What the CLI prints must parse back to the same message.
      const line = messageToJsonLine(schema, message, registry);
      check(
        messageToJsonLine(schema, messageFromJson(schema, JSON.parse(line), registry), registry) === line,
        "JSON output does not round-trip",
      );
    }
  },
};

export const fuzz = jazzerEntry(target);
