/**
 * Telemetry: what a server or a channel instruments itself with. It holds a
 * Meter and a Tracer from @opentelemetry/api (the global ones unless given),
 * so without an OpenTelemetry SDK every instrument is the API's no-op; with
 * one, pqrpc reports as described in ./semconv.ts. A SecurityMonitor and a
 * Logger, when given, receive the server's security events.
 *
 *   createServer({ identity, telemetry: createTelemetry({ security: new SecurityMonitor({ logger }) }) })
 *   connect(addr, { trust, telemetry: createTelemetry() })
 *
 * `telemetry: false` turns it off; leaving it out means `createTelemetry()`
 * with the global providers as they are when the server or channel is made
 * (the OpenTelemetry metrics API has no proxy: register the SDK first).
 */
import {
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type { Crypto } from "../crypto/types.ts";
import type { CertifiedKey, PeerVerifier } from "../pki/types.ts";
import type { CallObserver } from "../rpc/call-observer.ts";
import type { PolicyName } from "../tls/policy.ts";
import type { HandshakeObserver } from "../transport/handshake-observer.ts";
import {
  cryptoDurationHistogram,
  instrumentCrypto,
  instrumentIdentity,
  instrumentVerifier,
} from "./instrumented-crypto.ts";
import type { Logger } from "./logger.ts";
import { type ClientCallTarget, OtelCallObserver } from "./rpc-observer.ts";
import { SecurityMonitor, type SecurityMonitorOptions } from "./security-events.ts";
import { OtelHandshakeObserver, type TlsInstruments, tlsInstruments } from "./tls-observer.ts";

/** The instrumentation scope (meter and tracer name). */
export const INSTRUMENTATION_SCOPE = "pqrpc";
export const INSTRUMENTATION_VERSION = "0.1.0";

export interface TelemetryOptions {
  readonly meterProvider?: MeterProvider;
  readonly tracerProvider?: TracerProvider;
  /**
   * Receives the server's security events (refusals, downgrades, floods...)
   * and holds its block list: a monitor, or its options (its counters then
   * go to this telemetry's meter).
   */
  readonly security?: SecurityMonitor | SecurityMonitorOptions;
  /** For messages about the connection life (the security monitor has its own). */
  readonly logger?: Logger;
}

export class Telemetry {
  readonly meter: Meter;
  readonly tracer: Tracer;
  readonly security: SecurityMonitor | undefined;
  readonly logger: Logger | undefined;
  private serverObserver: OtelCallObserver | undefined;
  private tls: TlsInstruments | undefined;
  private cryptoHistogram: Histogram | undefined;

  constructor(options: TelemetryOptions = {}) {
    this.meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
      INSTRUMENTATION_SCOPE,
      INSTRUMENTATION_VERSION,
    );
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      INSTRUMENTATION_SCOPE,
      INSTRUMENTATION_VERSION,
    );
    const s = options.security;
    this.security =
      s === undefined || s instanceof SecurityMonitor ? s : new SecurityMonitor({ meter: this.meter, ...s });
    this.logger = options.logger;
  }

  /** The router's observer: one per Telemetry, so its instruments are made once. */
  serverCalls(): CallObserver {
    this.serverObserver ??= new OtelCallObserver("server", this.meter, this.tracer, undefined);
    return this.serverObserver;
  }

  /** A channel's observer: its calls go to `target`. */
  clientCalls(target: ClientCallTarget): CallObserver {
    return new OtelCallObserver("client", this.meter, this.tracer, target);
  }

  /** One connection's observer, for the TLS adapter. */
  handshake(
    side: "client" | "server",
    context: { peer?: string | undefined; policy: PolicyName; crypto: Crypto },
  ): HandshakeObserver {
    this.tls ??= tlsInstruments(this.meter);
    return new OtelHandshakeObserver(this.tls, this.tracer, {
      side,
      ...context,
      ...(side === "server" ? { security: this.security } : {}),
    });
  }

  /** `crypto` with KEM and signature operations timed (pqrpc.crypto.operation.duration). */
  crypto(crypto: Crypto): Crypto {
    return instrumentCrypto(crypto, this.cryptoDuration());
  }

  identity(identity: CertifiedKey, crypto: Crypto): CertifiedKey {
    return instrumentIdentity(identity, crypto, this.cryptoDuration());
  }

  verifier(verifier: PeerVerifier, crypto: Crypto): PeerVerifier {
    return instrumentVerifier(verifier, crypto, this.cryptoDuration());
  }

  private cryptoDuration(): Histogram {
    this.cryptoHistogram ??= cryptoDurationHistogram(this.meter);
    return this.cryptoHistogram;
  }
}

export function createTelemetry(options?: TelemetryOptions): Telemetry {
  return new Telemetry(options);
}

/** A server's or channel's telemetry from its options: given, off (false), or over the global providers. */
export function resolveTelemetry(option: Telemetry | false | undefined): Telemetry | undefined {
  if (option === false) return undefined;
  return option ?? new Telemetry();
}
