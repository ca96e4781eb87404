import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** One exported data point, flattened: a counter's or gauge's value, or a histogram's count and sum. */
export interface ExportedPoint {
  readonly metric: string;
  readonly unit: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Counter or gauge value; for a histogram, its count. */
  readonly value: number;
  /** Histograms only: sum of the recorded values. */
  readonly sum?: number;
}

/** The real OpenTelemetry SDK, registered globally as an application's NodeSDK would, with in-memory exporters. */
export interface InstalledOtelSdk {
  readonly spanExporter: InMemorySpanExporter;
  readonly metricExporter: InMemoryMetricExporter;
  /** Collects now (forceFlush) and returns the latest export, flattened, with `@dataverk/core`'s scope only. */
  collectMetrics(): Promise<ExportedPoint[]>;
  /** The raw JSON of everything the exporters hold (for the secrets check and the docs excerpt). */
  exportedJson(): string;
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

/**
 * Registers the real SDK: a global tracer provider with a simple in-memory span processor, an
 * AsyncLocalStorage context manager (so parent/child spans across `await` are real), and a global
 * meter provider whose periodic reader exports cumulative metrics into memory.
 */
export function installOtelSdk(): InstalledOtelSdk {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  trace.setGlobalTracerProvider(tracerProvider);
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spanExporter,
    metricExporter,
    async collectMetrics() {
      await reader.forceFlush();
      const latest = metricExporter.getMetrics().at(-1);
      const points: ExportedPoint[] = [];
      for (const scope of latest?.scopeMetrics ?? []) {
        if (scope.scope.name !== '@dataverk/core') continue;
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) {
            const base = { metric: metric.descriptor.name, unit: metric.descriptor.unit, attributes: point.attributes };
            if (metric.dataPointType === DataPointType.HISTOGRAM) {
              const value = point.value as { count: number; sum?: number };
              points.push({ ...base, value: value.count, sum: value.sum ?? 0 });
            } else {
              points.push({ ...base, value: point.value as number });
            }
          }
        }
      }
      return points;
    },
    exportedJson() {
      const spans = spanExporter.getFinishedSpans().map((span) => ({
        name: span.name,
        attributes: span.attributes,
        status: span.status,
        events: span.events,
      }));
      return JSON.stringify({ metrics: metricExporter.getMetrics(), spans });
    },
    spans: () => spanExporter.getFinishedSpans(),
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      metrics.disable();
      trace.disable();
      context.disable();
    },
  };
}

/** The sum of `metric`'s points whose attributes include `match`. */
export function total(points: readonly ExportedPoint[], metric: string, match: Record<string, unknown> = {}): number {
  return points
    .filter((p) => p.metric === metric && Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0);
}

/** The span that `span` is a child of, among `spans`. */
export function parentOf(span: ReadableSpan, spans: readonly ReadableSpan[]): ReadableSpan | undefined {
  const parentId = span.parentSpanContext?.spanId;
  return parentId === undefined ? undefined : spans.find((s) => s.spanContext().spanId === parentId);
}
