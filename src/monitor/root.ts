/** The monitoring index page: links to the endpoints, relative so http_base_path needs no rewriting. */
import { ADVERTISED_VERSION, NATSEDGE_VERSION } from "../version.ts";

const LINKS: [string, string][] = [
  ["varz", "General"],
  ["jsz", "JetStream"],
  ["connz", "Connections"],
  ["accountz", "Accounts"],
  ["subsz", "Subscriptions"],
  ["routez", "Routes"],
  ["leafz", "LeafNodes"],
  ["healthz", "Health Probe"],
  ["metrics", "Prometheus Metrics"],
  ["dashboard", "Dashboard"],
];

export function rootPage(base: string): string {
  const prefix = base === "" ? "." : `${base}`;
  const links = LINKS.map(([p, label]) => `  <a href="${prefix}/${p}">${label}</a><br/>`).join("\n");
  return `<html lang="en">
<head><title>natsedge</title></head>
<body>
  <p>natsedge v${NATSEDGE_VERSION} (nats-server ${ADVERTISED_VERSION} monitoring API)</p>
${links}
</body>
</html>
`;
}
