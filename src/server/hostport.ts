// Host and port parsing shared by the server and reload (client_advertise).
/**
 * "host:port", "[v6]:port" or a bare host (then defaultPort), as nats-server's parseHostPort
 * (Go's SplitHostPort, the port appended when missing). Throws with Go's wording.
 */
export function parseHostPort(hostPort: string, defaultPort: number): { host: string; port: number } {
  const r = splitHostPort(hostPort);
  return { host: r.host, port: r.port ?? defaultPort };
}

/**
 * client_advertise as the server keeps it: parsed once, the port null when not given (it is
 * then the port listened on, known only once listening). Null for an empty value. Throws
 * as parseHostPort does.
 */
export function parseAdvertise(hostPort: string): { host: string; port: number | null } | null {
  return hostPort === "" ? null : splitHostPort(hostPort);
}

/** parseHostPort, with a null port where the default would go. */
function splitHostPort(hostPort: string): { host: string; port: number | null } {
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
  const parts = split(h);
  if (parts === null) {
    // Go appends ":<default port>" and splits again: that can still fail ("::1", say)
    const again = split(`${h}:0`);
    if (again === null) throw new Error(`address ${hostPort}: missing port in address`);
    return { host: again[0].trim(), port: null };
  }
  [h, portText] = parts;
  portText = portText.trim();
  if (!/^[+-]?\d+$/.test(portText))
    throw new Error(`strconv.Atoi: parsing ${JSON.stringify(portText)}: invalid syntax`);
  return { host: h.trim(), port: Number(portText) };
}
