/** grpc.health.v1.Health: the status registry and the service over it. */
export {
  HealthRegistry,
  type HealthRegistryOptions,
  OVERALL_HEALTH,
  type ServingStatusName,
} from "./health-registry.ts";
export { addHealthService, createHealthHandlers } from "./health-service.ts";
