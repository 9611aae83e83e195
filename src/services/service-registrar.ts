/**
 * Where a built-in service registers: a Router, a Server, or anything else
 * with the same service() method.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceHandlers } from "../rpc/service-types.ts";

export interface ServiceRegistrar {
  service<S extends DescService>(service: S, handlers: Partial<ServiceHandlers<S>>): unknown;
}
