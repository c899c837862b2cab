// Config files for a test file: one temporary directory, made before the tests and removed
// after them, each file in a directory of its own (so its path names only it).
import { before, after } from "node:test";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Registers the directory's before/after hooks (call it at the top level of a test file).
 * `writeConf(text, name = "c.conf", dir)` writes `text` into a fresh subdirectory, or into
 * `dir`, and returns the file's path; `confDir()` is the temporary directory.
 */
export function configFiles(prefix) {
  let tmp;
  let seq = 0;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), prefix));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  return {
    confDir: () => tmp,
    writeConf(text, name = "c.conf", dir) {
      const d = dir ?? path.join(tmp, String(++seq));
      mkdirSync(d, { recursive: true });
      const f = path.join(d, name);
      writeFileSync(f, text);
      return f;
    },
  };
}
