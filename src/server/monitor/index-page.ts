// The monitoring index page at "/": links to every endpoint, like nats-server's.
import type { MonitorServer } from "./http.js";
import { NATS_VERSION, TSNATS_VERSION } from "../version.js";

const LINKS: ReadonlyArray<[string, string]> = [
  ["varz", "General"],
  ["jsz", "JetStream"],
  ["connz", "Connections"],
  ["accountz", "Accounts"],
  ["accstatz", "Account Stats"],
  ["subsz", "Subscriptions"],
  ["routez", "Routes"],
  ["leafz", "LeafNodes"],
  ["gatewayz", "Gateways"],
  ["healthz", "Health Probe"],
  ["metrics", "Prometheus Metrics"],
  ["dashboard", "Dashboard"],
];

export function indexPage(m: MonitorServer): string {
  // relative like nats-server's, so the page also works behind a proxy with http_base_path
  const links = LINKS.map(([p, t]) => `  <a href=.${m.pathFor(`/${p}`)}>${t}</a>`).join("\n");
  return `<html lang="en">
<head>
<title>tsnats-server monitoring</title>
<style type="text/css">
  body { font-family: ui-sans-serif, system-ui, sans-serif; margin-left: 32px }
  a { display: block; margin-left: 7px; padding-bottom: 6px; color: rgb(72 72 92); text-decoration: none }
  a:hover { font-weight: 600; color: rgb(59 50 202) }
  .version { font-size: 14px; color: rgb(72 72 92) }
</style>
</head>
<body>
  <h1>tsnats-server</h1>
  <p class="version">v${NATS_VERSION} (tsnats ${TSNATS_VERSION})</p>
${links}
  <a href=https://docs.nats.io/running-a-nats-service/nats_admin/monitoring>Help</a>
</body>
</html>
`;
}
