// Helpers for the nats.js black-box suites.

/** Subscribe with a callback that records messages and errors. */
export function collect(nc, subject, opts = {}) {
  const msgs = [];
  const errs = [];
  const sub = nc.subscribe(subject, {
    ...opts,
    callback: (err, m) => {
      if (err) errs.push(err);
      else msgs.push(m);
    },
  });
  return { sub, msgs, errs };
}
