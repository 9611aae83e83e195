/** gRPC server reflection (v1 and v1alpha) over the registered services' descriptors. */
export { DescriptorIndex } from "./descriptor-index.ts";
export { ReflectionClient, type ReflectionVersion } from "./reflection-client.ts";
export {
  addReflectionService,
  createReflectionHandlers,
  type ReflectionHandlers,
  type ServiceSource,
} from "./reflection-service.ts";
