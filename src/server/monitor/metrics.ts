// /metrics: Prometheus text exposition format 0.0.4.
import type { MonitorServer, Reply } from "./http.js";

export function handleMetrics(_m: MonitorServer): Reply {
  return { kind: "raw", contentType: "text/plain; version=0.0.4; charset=utf-8", body: "" };
}
