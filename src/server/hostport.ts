// Host and port parsing shared by the server and reload (client_advertise).
/**
 * "host:port", "[v6]:port" or a bare host (then defaultPort), as nats-server's parseHostPort
 * (Go's SplitHostPort, the port appended when missing). Throws with Go's wording.
 */
export function parseHostPort(hostPort: string, defaultPort: number): { host: string; port: number } {
  let h = hostPort.trim();
  let portText: string;
  const split = (v: string): [string, string] | null => {
    if (v.startsWith("[")) {
      const end = v.indexOf("]");
      if (end < 0) throw new Error(`address ${v}: missing ']' in address`);
      if (v.length === end + 1) return null;
      if (v[end + 1] !== ":") throw new Error(`address ${v}: missing port in address`);
      return [v.slice(1, end), v.slice(end + 2)];
    }
    const i = v.lastIndexOf(":");
    if (i < 0) return null;
    if (v.indexOf(":") !== i) throw new Error(`address ${v}: too many colons in address`);
    return [v.slice(0, i), v.slice(i + 1)];
  };
  const parts = split(h) ?? split(`${h}:${defaultPort}`);
  if (parts === null) throw new Error(`address ${hostPort}: missing port in address`);
  [h, portText] = parts;
  portText = portText.trim();
  if (!/^[+-]?\d+$/.test(portText)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(portText)}: invalid syntax`);
  return { host: h.trim(), port: Number(portText) };
}
