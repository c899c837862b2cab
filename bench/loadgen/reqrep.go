package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// requester sends numbered requests on one connection and checks that every reply echoes its
// request.
type requester struct {
	r      *run
	nc     *nats.Conn
	buf    []byte
	sent   int64 // requests made, answered or not
	failed int64 // no reply within --timeout (or the connection failed)
	wrong  int64 // a reply that is not the request's echo
}

// ask makes one request numbered seq; it returns how long the reply took and whether it came
// and was right.
func (q *requester) ask(seq int) (time.Duration, bool) {
	if len(q.buf) >= seqBytes {
		binary.BigEndian.PutUint64(q.buf, uint64(seq))
	}
	q.sent++
	t := time.Now()
	reply, err := q.nc.Request(q.r.o.subject, q.buf, q.r.o.timeout)
	took := time.Since(t)
	if err != nil {
		q.failed++
		if q.failed <= 3 {
			q.r.bad.note("request %d: %v", seq, err)
		}
		return took, false
	}
	if !bytes.Equal(reply.Data, q.buf) {
		q.wrong++
		if q.wrong <= 3 {
			q.r.bad.note("request %d: the reply (%d bytes) is not the request's echo", seq, len(reply.Data))
		}
		return took, false
	}
	return took, true
}

// gaveUp: a requester stops after this many unanswered requests rather than wait out each.
const gaveUp = 3

func (r *run) newRequester(name string, body []byte) (*requester, error) {
	nc, err := r.dial(name)
	if err != nil {
		return nil, err
	}
	return &requester{r: r, nc: nc, buf: append([]byte(nil), body...)}, nil
}

// percentile by nearest rank of sorted durations, in microseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return float64(sorted[i]) / float64(time.Microsecond)
}

func (r *run) requestReply() bool {
	body := pattern(r.o.size)
	var served atomic.Int64
	var responders []*nats.Conn
	var drained []chan struct{}
	defer func() { closeAll(responders) }()
	for i := 0; i < r.o.subs; i++ {
		closed := make(chan struct{})
		nc, err := r.dial(fmt.Sprintf("loadgen-responder-%d", i), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
		if err != nil {
			r.bad.note("%v", err)
			return false
		}
		responders = append(responders, nc)
		drained = append(drained, closed)
		name := i
		sub, err := nc.QueueSubscribe(r.o.subject, r.o.queue, func(m *nats.Msg) {
			served.Add(1)
			if err := m.Respond(m.Data); err != nil {
				r.bad.note("responder %d: %v", name, err)
			}
		})
		if err == nil {
			err = sub.SetPendingLimits(-1, -1)
		}
		if err == nil {
			err = nc.FlushTimeout(r.o.timeout)
		}
		if err != nil {
			r.bad.note("responder %d: %v", i, err)
			return false
		}
	}

	clock := r.startCPU()
	ok := true
	var everyone []*requester
	defer func() {
		for _, q := range everyone {
			q.nc.Close()
		}
	}()

	// Phase 1: latency of --msgs sequential requests from one requester, after a short warm-up.
	q, err := r.newRequester("loadgen-requester", body)
	if err != nil {
		r.bad.note("%v", err)
		return false
	}
	everyone = append(everyone, q)
	warm := r.o.msgs / 10
	if warm < 1 {
		warm = 1
	}
	if warm > 100 {
		warm = 100
	}
	for i := 0; i < warm && q.failed+q.wrong <= gaveUp; i++ {
		q.ask(i)
	}
	lats := make([]time.Duration, 0, r.o.msgs)
	t0 := time.Now()
	for i := 0; i < r.o.msgs && q.failed+q.wrong <= gaveUp; i++ {
		if took, good := q.ask(i); good {
			lats = append(lats, took)
		}
	}
	seqRate := perSecond(int64(len(lats)), time.Since(t0))
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	var sum time.Duration
	for _, d := range lats {
		sum += d
	}
	avg := math.NaN()
	if len(lats) > 0 {
		avg = float64(sum) / float64(len(lats)) / float64(time.Microsecond)
	}
	r.res.put("lat_n", len(lats))
	r.res.put("lat_min_us", percentile(lats, 0))
	r.res.put("lat_avg_us", avg)
	for _, p := range []struct {
		key string
		at  float64
	}{{"lat_p50_us", 50}, {"lat_p90_us", 90}, {"lat_p99_us", 99}, {"lat_p999_us", 99.9}, {"lat_max_us", 100}} {
		r.res.put(p.key, percentile(lats, p.at))
	}
	r.res.put("seq_req_per_s", seqRate)
	r.say("latency of %s sequential requests of %d B (%d responder(s)): p50 %.1f µs, p90 %.1f, p99 %.1f, max %.1f; %s req/s",
		grouped(float64(len(lats))), r.o.size, r.o.subs, percentile(lats, 50), percentile(lats, 90), percentile(lats, 99), percentile(lats, 100), grouped(seqRate))
	if len(lats) < r.o.msgs {
		ok = false
	}
	failed := q.failed

	// Phase 2: throughput of --conc requesters, each on its own connection, all at once.
	if r.o.conc > 0 {
		conc := make([]*requester, 0, r.o.conc)
		for i := 0; i < r.o.conc; i++ {
			c, err := r.newRequester(fmt.Sprintf("loadgen-requester-%d", i), body)
			if err != nil {
				r.bad.note("%v", err)
				return false
			}
			everyone = append(everyone, c)
			conc = append(conc, c)
			c.ask(0) // sets up its reply subscription before the clock starts
		}
		var answered, unanswered atomic.Int64
		gate := make(chan struct{})
		var wg sync.WaitGroup
		next := 0
		for i, c := range conc {
			n := share(r.o.concMsgs, r.o.conc, i)
			wg.Add(1)
			go func(c *requester, first, n int) {
				defer wg.Done()
				<-gate
				misses := int64(0)
				for j := 0; j < n && misses <= gaveUp; j++ {
					if _, good := c.ask(first + j); good {
						answered.Add(1)
					} else {
						misses++
						unanswered.Add(1)
					}
				}
			}(c, next, n)
			next += n
		}
		start := time.Now()
		close(gate)
		wg.Wait()
		took := time.Since(start)
		rate := perSecond(answered.Load(), took)
		r.res.put("rr_msgs_per_s", rate)
		r.res.put("rr_ok", answered.Load())
		r.res.put("rr_failed", unanswered.Load())
		r.res.put("rr_duration_s", took.Seconds())
		r.say("throughput of %d concurrent requesters: %s req/s, %.1f MB/s (%d answered, %d not, %.3f s)",
			r.o.conc, grouped(rate), megabytes(rate, r.o.size), answered.Load(), unanswered.Load(), took.Seconds())
		if answered.Load() < int64(r.o.concMsgs) {
			ok = false
		}
		for _, c := range conc {
			failed += c.failed
		}
	}
	r.stopCPU(clock)
	r.res.put("duration_s", time.Since(clock.start).Seconds())

	// every request reached exactly one responder of the group
	var sent, wrong int64
	for _, c := range everyone {
		sent += c.sent
		wrong += c.wrong
	}
	r.bad.closing.Store(true)
	for i, nc := range responders {
		if nc.Drain() != nil {
			nc.Close()
		}
		select {
		case <-drained[i]:
		case <-time.After(r.o.timeout + time.Second):
			r.bad.note("responder %d did not drain within %v", i, r.o.timeout)
		}
	}
	r.res.put("requests", sent)
	r.res.put("served", served.Load())
	r.res.put("req_timeouts", failed)
	r.res.put("bad_replies", wrong)
	if served.Load() > sent {
		r.bad.note("the responders served %d requests, %d were made: some reached two of them", served.Load(), sent)
		ok = false
	}
	return ok && failed == 0 && wrong == 0
}
