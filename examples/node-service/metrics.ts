import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { CheckpointEvent } from 'xstate-checkpoint';
import { checkpointMetrics } from 'xstate-checkpoint/otel';

/** Checkpoint metrics of the service, in Prometheus' text format on `GET /metrics`. */
export interface ServiceMetrics {
  /** Pass to every persistActor (`onEvent`). */
  readonly onEvent: (event: CheckpointEvent) => void;
  /** Answers a scrape. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  shutdown(): Promise<void>;
}

/**
 * An OpenTelemetry meter provider whose reader is a Prometheus exporter served by
 * the service's own HTTP server (no second port), and the checkpoint bridge on it.
 */
export function serviceMetrics(): ServiceMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  return {
    onEvent: checkpointMetrics({ meter: provider.getMeter('order-service') }),
    handler: (req, res) => exporter.getMetricsRequestHandler(req, res),
    shutdown: () => provider.shutdown(),
  };
}
