// jest configuration for the embedded-server example (run jest with
// node --experimental-vm-modules so the test file can be an ES module).
import { fileURLToPath } from "node:url";

export default {
  rootDir: fileURLToPath(new URL(".", import.meta.url)),
  testMatch: ["<rootDir>/*.test.js"],
  testEnvironment: "node",
  transform: {},
};
