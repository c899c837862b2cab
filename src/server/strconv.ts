// Go's strconv.ParseBool, shared by the flag parser and the monitoring query parameters.

/** true/false for the strings strconv.ParseBool accepts, null for any other. */
export function parseGoBool(s: string): boolean | null {
  switch (s) {
    case "1":
    case "t":
    case "T":
    case "true":
    case "TRUE":
    case "True":
      return true;
    case "0":
    case "f":
    case "F":
    case "false":
    case "FALSE":
    case "False":
      return false;
    default:
      return null;
  }
}
