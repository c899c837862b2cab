// Server identities: NKey-encoded public keys made with Node's crypto must decode with the
// official @nats-io/nkeys library as server (N...) and curve (X...) keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromPublic } from "@nats-io/nkeys";
import { createPublicKey } from "node:crypto";
import { newServerIdentity, encodePublicKey } from "../dist/server/ids.js";

test("server id and xkey are valid NKey public keys", () => {
  const seen = new Set();
  for (let i = 0; i < 50; i++) {
    const { id, xkey, signingKey, curveKey } = newServerIdentity();
    assert.match(id, /^N[A-Z2-7]{55}$/);
    assert.match(xkey, /^X[A-Z2-7]{55}$/);
    assert.equal(fromPublic(id).getPublicKey(), id);
    assert.equal(fromPublic(xkey).getPublicKey(), xkey);
    // the advertised keys are the public halves of the keys the server keeps
    const raw = (k) => createPublicKey(k).export({ type: "spki", format: "der" }).subarray(-32);
    assert.equal(encodePublicKey(13 << 3, raw(signingKey)), id);
    assert.equal(encodePublicKey(23 << 3, raw(curveKey)), xkey);
    assert.ok(!seen.has(id), "ids are unique");
    seen.add(id);
  }
});

test("a corrupted key fails the library's checksum", () => {
  const id = encodePublicKey(13 << 3, new Uint8Array(32).fill(7));
  assert.equal(fromPublic(id).getPublicKey(), id);
  const bad = id.slice(0, 10) + (id[10] === "A" ? "B" : "A") + id.slice(11);
  assert.throws(() => fromPublic(bad));
});
