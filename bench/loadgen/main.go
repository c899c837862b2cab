// Command loadgen is tsnats' neutral load generator. It drives a NATS server with the official
// Go client (Debian's nats.go, never tsnats' own client), so the same load measures tsnats-server
// and nats-server alike. Its semantics follow `nats bench` (core NATS only):
//
//   - every publisher and every subscriber (or responder) has its own connection;
//   - --msgs messages are published in all, split evenly over the publishers; in pubsub mode
//     every subscriber expects all of them, in queue mode the group as a whole expects them once;
//   - a publisher's time runs from its first publish to the end of a flush (PING/PONG) after its
//     last one; a subscriber's time from its first message to the one that completes its share;
//   - rates are messages per second of that time; MB are 1,048,576 bytes.
//
// Beyond counting, every payload of 8 bytes or more carries its sequence number, so the
// subscribers report messages lost, duplicated, out of order per publisher or corrupted.
//
// usage: loadgen MODE [flags]     MODE: pub | pubsub | queue | reqrep     (loadgen -h lists flags)
//
// Output: readable lines, then one JSON line (starting with '{') last. Exit status: 0 when the run
// completed and nothing was lost, duplicated, reordered or corrupted, 1 otherwise, 2 on bad usage.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

const version = 1

var modes = []string{"pub", "pubsub", "queue", "reqrep"}

type options struct {
	mode     string
	url      string
	msgs     int
	size     int
	pubs     int
	subs     int
	conc     int
	concMsgs int
	subject  string
	queue    string
	timeout  time.Duration
	cpuSID   int
	label    string
	caseName string
	round    int
	quiet    bool
	tlsCA    string
	tlsCert  string
	tlsKey   string
}

// ---------------------------------------------------------------------------------------------
// The JSON result: keys in the order they were first put.

type result struct {
	keys []string
	vals map[string]any
}

func newResult() *result { return &result{vals: map[string]any{}} }

func (r *result) put(k string, v any) {
	if _, seen := r.vals[k]; !seen {
		r.keys = append(r.keys, k)
	}
	r.vals[k] = v
}

func (r *result) line() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range r.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		v := r.vals[k]
		if f, isFloat := v.(float64); isFloat {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				v = nil
			} else {
				v = math.Round(f*1000) / 1000
			}
		}
		kj, _ := json.Marshal(k)
		vj, err := json.Marshal(v)
		if err != nil {
			vj = []byte("null")
		}
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return b.String()
}

// ---------------------------------------------------------------------------------------------
// Problems seen on any connection, counted, with the first few described.

type problems struct {
	slow        atomic.Int64 // client-side slow consumer: the client library dropped messages
	disconnects atomic.Int64 // the server closed a connection (server-side slow consumer, failure)
	asyncErrs   atomic.Int64 // other asynchronous errors (-ERR from the server, permissions)
	closing     atomic.Bool  // our own closes are not disconnects

	mu    sync.Mutex
	notes []string
}

const maxNotes = 20

func (p *problems) note(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.notes) < maxNotes {
		p.notes = append(p.notes, fmt.Sprintf(format, a...))
	} else if len(p.notes) == maxNotes {
		p.notes = append(p.notes, "(more problems not listed)")
	}
}

func (p *problems) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string{}, p.notes...)
}

// ---------------------------------------------------------------------------------------------
// One run

type run struct {
	o    options
	res  *result
	bad  problems
	out  io.Writer // readable lines (io.Discard with --quiet)
	tlso []nats.Option
}

func (r *run) say(format string, a ...any) {
	fmt.Fprintf(r.out, format+"\n", a...)
}

// dial opens one named connection with the run's TLS options and problem accounting. It does
// not reconnect: a dropped connection is a failed run, reported as such.
func (r *run) dial(name string, extra ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.Timeout(r.o.timeout),
		nats.DrainTimeout(r.o.timeout),
		nats.NoReconnect(),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				if r.bad.slow.Add(1) <= 3 {
					r.bad.note("%s: slow consumer in the client library (messages dropped)", name)
				}
				return
			}
			r.bad.asyncErrs.Add(1)
			r.bad.note("%s: %v", name, err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil || r.bad.closing.Load() {
				return
			}
			r.bad.disconnects.Add(1)
			r.bad.note("%s: disconnected by the server: %v", name, err)
		}),
	}
	opts = append(append(opts, r.tlso...), extra...)
	nc, err := nats.Connect(r.o.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot connect to %s: %w", name, r.o.url, err)
	}
	return nc, nil
}

func main() {
	os.Exit(mainWithArgs(os.Args[1:], os.Stdout, os.Stderr))
}

func usageText(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("usage: loadgen MODE [flags]\n")
	b.WriteString("  pub     publishers only\n")
	b.WriteString("  pubsub  publishers and subscribers; every subscriber gets every message\n")
	b.WriteString("  queue   publishers and a queue group; the group gets every message once\n")
	b.WriteString("  reqrep  sequential requests (latency), then --conc concurrent requesters (throughput)\n")
	b.WriteString("flags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

func mainWithArgs(args []string, stdout, stderr io.Writer) int {
	o := options{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.url, "url", "nats://127.0.0.1:4222", "server URL (nats:// or tls://)")
	fs.IntVar(&o.msgs, "msgs", 100000, "messages to publish in all (reqrep: sequential requests)")
	fs.IntVar(&o.size, "size", 128, "payload bytes")
	fs.IntVar(&o.pubs, "pub", 1, "publishers, each on its own connection")
	fs.IntVar(&o.subs, "sub", 1, "subscribers (reqrep: responders in one queue group), each on its own connection")
	fs.IntVar(&o.conc, "conc", 4, "reqrep: concurrent requesters of the throughput phase (0 skips it)")
	fs.IntVar(&o.concMsgs, "conc-msgs", 0, "reqrep: requests of the throughput phase in all (0: as --msgs)")
	fs.StringVar(&o.subject, "subject", "loadgen", "subject")
	fs.StringVar(&o.queue, "queue", "loadgen-q", "queue group (queue and reqrep modes)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "connect, flush and request timeout; also how long receivers may make no progress")
	fs.IntVar(&o.cpuSID, "cpu-sid", 0, "also measure the CPU time of every process in this session id (the server's), from /proc")
	fs.StringVar(&o.label, "label", "", "copied into the JSON line")
	fs.StringVar(&o.caseName, "case", "", "copied into the JSON line")
	fs.IntVar(&o.round, "round", 0, "copied into the JSON line")
	fs.BoolVar(&o.quiet, "quiet", false, "print only the JSON line")
	fs.StringVar(&o.tlsCA, "tlsca", "", "PEM file of the CA that signed the server's certificate (implies TLS)")
	fs.StringVar(&o.tlsCert, "tlscert", "", "PEM file of the client certificate (with --tlskey; implies TLS)")
	fs.StringVar(&o.tlsKey, "tlskey", "", "PEM file of the client certificate's key (with --tlscert)")

	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "loadgen: "+format+"\n", a...)
		fmt.Fprintln(stderr, "usage: loadgen MODE [flags]; loadgen -h lists modes and flags")
		return 2
	}
	if len(args) == 0 {
		return fail("a mode is required (%s)", strings.Join(modes, ", "))
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usageText(fs))
		return 0
	}
	o.mode = args[0]
	known := false
	for _, m := range modes {
		known = known || m == o.mode
	}
	if !known {
		return fail("unknown mode %q (%s)", o.mode, strings.Join(modes, ", "))
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText(fs))
			return 0
		}
		return fail("%v", err)
	}
	if fs.NArg() > 0 {
		return fail("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.msgs < 1:
		return fail("--msgs must be at least 1, got %d", o.msgs)
	case o.size < 0:
		return fail("--size must not be negative, got %d", o.size)
	case o.pubs < 1:
		return fail("--pub must be at least 1, got %d", o.pubs)
	case o.mode != "pub" && o.subs < 1:
		return fail("--sub must be at least 1, got %d", o.subs)
	case o.conc < 0 || o.concMsgs < 0:
		return fail("--conc and --conc-msgs must not be negative")
	case o.timeout <= 0:
		return fail("--timeout must be positive, got %v", o.timeout)
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return fail("--tlscert and --tlskey go together")
	case o.subject == "" || strings.ContainsAny(o.subject, " \t\r\n*>"):
		return fail("--subject must be a literal subject, got %q", o.subject)
	}
	r := &run{o: o, res: newResult(), out: stdout}
	if o.quiet {
		r.out = io.Discard
	}
	for _, f := range []string{o.tlsCA, o.tlsCert, o.tlsKey} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fail("cannot read %s: %v", f, err)
		}
	}
	if o.tlsCA != "" {
		r.tlso = append(r.tlso, nats.RootCAs(o.tlsCA))
	}
	if o.tlsCert != "" {
		r.tlso = append(r.tlso, nats.ClientCert(o.tlsCert, o.tlsKey))
	}
	if o.mode == "pub" {
		r.o.subs = 0
	}
	if o.mode == "reqrep" && r.o.concMsgs == 0 {
		r.o.concMsgs = o.msgs
	}

	res := r.res
	res.put("tool", "loadgen")
	res.put("version", version)
	res.put("mode", o.mode)
	if o.label != "" {
		res.put("label", o.label)
	}
	if o.caseName != "" {
		res.put("case", o.caseName)
	}
	if o.round != 0 {
		res.put("round", o.round)
	}
	res.put("url", o.url)
	res.put("tls", strings.HasPrefix(strings.ToLower(o.url), "tls://") || len(r.tlso) > 0)
	res.put("msgs", o.msgs)
	res.put("size", o.size)
	res.put("pubs", o.pubs)
	res.put("subs", r.o.subs)
	if o.mode == "reqrep" {
		res.put("conc", o.conc)
		res.put("conc_msgs", r.o.concMsgs)
	}
	res.put("ok", false)
	r.say("loadgen %s: %s msgs of %d B, %d pub, %d sub, subject %q, %s", o.mode, grouped(float64(o.msgs)), o.size, o.pubs, r.o.subs, o.subject, o.url)

	var ok bool
	switch o.mode {
	case "pub":
		ok = r.publishOnly()
	case "pubsub":
		ok = r.publishSubscribe(false)
	case "queue":
		ok = r.publishSubscribe(true)
	case "reqrep":
		ok = r.requestReply()
	}
	r.bad.closing.Store(true)

	res.put("slow_consumers", r.bad.slow.Load())
	res.put("disconnects", r.bad.disconnects.Load())
	res.put("async_errors", r.bad.asyncErrs.Load())
	if r.bad.slow.Load() > 0 || r.bad.disconnects.Load() > 0 || r.bad.asyncErrs.Load() > 0 {
		ok = false
	}
	notes := r.bad.list()
	for _, n := range notes {
		r.say("PROBLEM: %s", n)
	}
	res.put("errors", notes)
	res.put("ok", ok)
	fmt.Fprintln(stdout, res.line())
	if !ok {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------------------------
// Small helpers

// share splits total over n parts, the first total%n parts one larger.
func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return math.NaN()
	}
	return float64(n) / d.Seconds()
}

func megabytes(perSec float64, size int) float64 {
	return perSec * float64(size) / (1 << 20)
}

// grouped prints 1234567.8 as "1,234,568".
func grouped(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func closeAll(conns []*nats.Conn) {
	for _, nc := range conns {
		if nc != nil {
			nc.Close()
		}
	}
}
