/**
 * A real OpenTelemetry SDK for the tests, in memory: a MeterProvider with a
 * reader we collect from on demand, a tracer provider exporting to memory,
 * and, once per process, the W3C propagator and the AsyncLocalStorage
 * context manager registered globally (what NodeTracerProvider.register() does).
 */
import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let globalsRegistered = false;

export function registerContextGlobals(): void {
  if (globalsRegistered) return;
  globalsRegistered = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

export interface Point {
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  /** Counter/gauge value, or a histogram's count. */
  readonly value: number;
  readonly sum?: number;
}

export class TestSdk {
  readonly reader = new OnDemandReader();
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  readonly spans = new InMemorySpanExporter();
  readonly tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(this.spans)],
  });

  constructor() {
    registerContextGlobals();
  }

  /** Every data point of every metric now. */
  async points(): Promise<Point[]> {
    const { resourceMetrics } = await this.reader.collect();
    const out: Point[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const m of scope.metrics) {
        for (const p of m.dataPoints as DataPoint<number | Histogram>[]) {
          const v = p.value;
          out.push(
            typeof v === "number"
              ? { name: m.descriptor.name, attributes: { ...p.attributes }, value: v }
              : { name: m.descriptor.name, attributes: { ...p.attributes }, value: v.count, sum: v.sum },
          );
        }
      }
    }
    return out;
  }

  /** Points of `name` whose attributes include `match`. */
  async find(name: string, match: Record<string, unknown> = {}): Promise<Point[]> {
    return (await this.points()).filter(
      (p) => p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v),
    );
  }

  finishedSpans(): ReadableSpan[] {
    return this.spans.getFinishedSpans();
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
  }
}
