/** Built-in services on the rpc router: health checking and server reflection. */
export { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.ts";
export * from "./ca/index.ts";
export * from "./health/index.ts";
export * from "./limits.ts";
export * from "./reflection/index.ts";
export type { ServiceRegistrar } from "./service-registrar.ts";
