/**
 * grpc.health.v1.Health served from a HealthRegistry, on the rpc router, so
 * it answers on every protocol the router does (pqrpc/1 and gRPC over h2):
 *
 * - Check: the status, or NOT_FOUND for a service without one (health-checking.md);
 * - List: every status, or RESOURCE_EXHAUSTED above MAX_HEALTH_LIST_SERVICES (health.proto);
 * - Watch: the current status at once (SERVICE_UNKNOWN for an unknown
 *   service, without ending the call), then each change; ends with OK when
 *   the server shuts down, after NOT_SERVING was sent.
 */
import { Health } from "../../gen/grpc/health/v1/health_pb.ts";
import type { HealthHandlers } from "../../gen/grpc/health/v1/health_pqrpc.ts";
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { MAX_HEALTH_LIST_SERVICES, MAX_HEALTH_SERVICE_NAME_CHARS } from "../limits.ts";
import type { ServiceRegistrar } from "../service-registrar.ts";
import { type HealthRegistry, isValidServiceName, TooManyWatchersError } from "./health-registry.ts";

function checkRequestName(service: string): void {
  if (!isValidServiceName(service)) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `service name of ${service.length} chars exceeds ${MAX_HEALTH_SERVICE_NAME_CHARS}`,
    );
  }
}

/** The handlers of grpc.health.v1.Health over `registry`. */
export function createHealthHandlers(registry: HealthRegistry): HealthHandlers {
  return {
    check(request) {
      checkRequestName(request.service);
      const status = registry.lookup(request.service);
      if (status === undefined) {
        throw new RpcError(Code.NOT_FOUND, `unknown service "${request.service}"`);
      }
      return { status };
    },

    list() {
      const all = registry.statuses();
      if (all.size > MAX_HEALTH_LIST_SERVICES) {
        throw new RpcError(
          Code.RESOURCE_EXHAUSTED,
          `${all.size} services exceed the ${MAX_HEALTH_LIST_SERVICES} that List returns`,
        );
      }
      const statuses: Record<string, { status: number }> = {};
      for (const service of all.keys()) statuses[service] = { status: registry.lookup(service)! };
      return { statuses };
    },

    async *watch(request, ctx) {
      checkRequestName(request.service);
      let watch: ReturnType<HealthRegistry["watch"]>;
      try {
        watch = registry.watch(request.service);
      } catch (e) {
        if (e instanceof TooManyWatchersError) throw new RpcError(Code.RESOURCE_EXHAUSTED, e.message);
        throw e;
      }
      try {
        for await (const status of watch.changes(ctx.signal)) yield { status };
      } finally {
        watch.close();
      }
    },
  };
}

/** Registers grpc.health.v1.Health on `router`, answering from `registry`. */
export function addHealthService(router: ServiceRegistrar, registry: HealthRegistry): void {
  router.service(Health, createHealthHandlers(registry));
}
