/** Limits of the built-in services (health, reflection): every input path a peer controls is bounded here. */

/**
 * Longest service name Check, Watch and setStatus accept, in UTF-16 code
 * units. A fully qualified protobuf service name is far shorter; a longer
 * request is INVALID_ARGUMENT instead of a map lookup on megabytes.
 */
export const MAX_HEALTH_SERVICE_NAME_CHARS = 1024;

/** Watch streams open at once on one server; more are RESOURCE_EXHAUSTED. */
export const DEFAULT_MAX_HEALTH_WATCHERS = 4096;

/**
 * Health.List answers RESOURCE_EXHAUSTED above this many services, as the
 * proto allows ("if too many services exist"); 100 is grpc-go's and
 * grpc-swift's limit, so clients see the same behaviour from every server.
 */
export const MAX_HEALTH_LIST_SERVICES = 100;

/** Longest symbol or file name a reflection request may ask for, in UTF-16 code units. */
export const MAX_REFLECTION_NAME_CHARS = 4096;

/** Files a reflection client accepts for one schema (a hostile server must not make it fetch forever). */
export const MAX_REFLECTION_FILES = 1024;
