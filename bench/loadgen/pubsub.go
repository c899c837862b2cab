package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// seqBytes: a payload at least this long starts with its message's sequence number (big-endian),
// 0 .. --msgs-1 over all publishers; the rest of every payload is the same known pattern.
const seqBytes = 8

func pattern(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

// ---------------------------------------------------------------------------------------------
// Publishers

type publisher struct {
	nc         *nats.Conn
	first, n   int // it publishes sequence numbers first .. first+n-1
	sent       int
	err        error
	start, end time.Time
}

func (r *run) openPublishers() ([]*publisher, error) {
	pubs := make([]*publisher, 0, r.o.pubs)
	next := 0
	for i := 0; i < r.o.pubs; i++ {
		nc, err := r.dial(fmt.Sprintf("loadgen-pub-%d", i))
		if err != nil {
			for _, p := range pubs {
				p.nc.Close()
			}
			return nil, err
		}
		n := share(r.o.msgs, r.o.pubs, i)
		pubs = append(pubs, &publisher{nc: nc, first: next, n: n})
		next += n
	}
	return pubs, nil
}

func (p *publisher) publish(subject string, body []byte, timeout time.Duration) {
	buf := append([]byte(nil), body...) // nats.go copies it into its write buffer on Publish
	numbered := len(buf) >= seqBytes
	p.start = time.Now()
	for i := 0; i < p.n; i++ {
		if numbered {
			binary.BigEndian.PutUint64(buf, uint64(p.first+i))
		}
		if err := p.nc.Publish(subject, buf); err != nil {
			p.err = fmt.Errorf("publish #%d: %w", p.first+i, err)
			break
		}
		p.sent++
	}
	if p.err == nil {
		if err := p.nc.FlushTimeout(timeout); err != nil {
			p.err = fmt.Errorf("flush after the last publish: %w", err)
		}
	}
	p.end = time.Now()
}

// publishAll lets every publisher go at once and waits for all of them. The returned CPU clock
// started just before they went.
func (r *run) publishAll(pubs []*publisher, body []byte) cpuClock {
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range pubs {
		wg.Add(1)
		go func(p *publisher) {
			defer wg.Done()
			<-gate
			p.publish(r.o.subject, body, r.o.timeout)
		}(p)
	}
	clock := r.startCPU()
	close(gate)
	wg.Wait()
	return clock
}

// putPublished records the publishers' figures; false when any of them failed.
func (r *run) putPublished(pubs []*publisher) (sent int64, start time.Time, ok bool) {
	ok = true
	var end time.Time
	for i, p := range pubs {
		sent += int64(p.sent)
		if i == 0 || p.start.Before(start) {
			start = p.start
		}
		if p.end.After(end) {
			end = p.end
		}
		if p.err != nil {
			ok = false
			r.bad.note("publisher %d: %v", i, p.err)
		}
	}
	rate := perSecond(sent, end.Sub(start))
	r.res.put("pub_sent", sent)
	r.res.put("pub_duration_s", end.Sub(start).Seconds())
	r.res.put("pub_msgs_per_s", rate)
	r.res.put("pub_mb_per_s", megabytes(rate, r.o.size))
	r.say("pub: %s msgs in %.3f s: %s msgs/s, %.1f MB/s", grouped(float64(sent)), end.Sub(start).Seconds(), grouped(rate), megabytes(rate, r.o.size))
	if sent < int64(r.o.msgs) {
		ok = false
	}
	return sent, start, ok
}

func (r *run) publishOnly() bool {
	pubs, err := r.openPublishers()
	if err != nil {
		r.bad.note("%v", err)
		return false
	}
	clock := r.publishAll(pubs, pattern(r.o.size))
	r.stopCPU(clock)
	_, _, ok := r.putPublished(pubs)
	r.bad.closing.Store(true)
	for _, p := range pubs {
		p.nc.Close()
	}
	r.res.put("duration_s", r.res.vals["pub_duration_s"])
	return ok
}

// ---------------------------------------------------------------------------------------------
// Receivers (subscribers, or members of one queue group)

type receiver struct {
	r        *run
	nc       *nats.Conn
	closed   chan struct{}
	body     []byte
	numbered bool

	count atomic.Int64 // messages received
	// completion: alone (pubsub) when count reaches want; in a group (queue) when the group's
	// count reaches want. done is closed once, by the message that completes it.
	want  int64
	group *atomic.Int64
	done  chan struct{}

	// written only by the subscription's callback; read once it has drained
	seen                           []uint64 // bitmap of sequence numbers received
	last                           []int64  // per publisher, the highest sequence number received
	dups, stray, corrupt, disorder int64
	first, end                     time.Time
}

// publisherOf is the index of the publisher that sends sequence number seq.
func (r *run) publisherOf(seq int) int {
	base, rem := r.o.msgs/r.o.pubs, r.o.msgs%r.o.pubs
	big := rem * (base + 1)
	if seq < big {
		return seq / (base + 1)
	}
	return rem + (seq-big)/base
}

func (x *receiver) onMsg(m *nats.Msg) {
	n := x.count.Add(1)
	if n == 1 {
		x.first = time.Now()
	}
	x.check(m.Data)
	if x.group == nil {
		if n == x.want {
			x.end = time.Now()
			close(x.done)
		}
	} else if x.group.Add(1) == x.want {
		x.end = time.Now()
		close(x.done)
	}
}

func (x *receiver) check(d []byte) {
	if len(d) != len(x.body) {
		x.corrupt++
		return
	}
	if !x.numbered {
		if !bytes.Equal(d, x.body) {
			x.corrupt++
		}
		return
	}
	if !bytes.Equal(d[seqBytes:], x.body[seqBytes:]) {
		x.corrupt++
		return
	}
	s := binary.BigEndian.Uint64(d)
	if s >= uint64(x.r.o.msgs) {
		x.stray++
		return
	}
	seq := int(s)
	word, bit := seq/64, uint64(1)<<(seq%64)
	if x.seen[word]&bit != 0 {
		x.dups++
		return
	}
	x.seen[word] |= bit
	p := x.r.publisherOf(seq)
	if int64(seq) < x.last[p] {
		x.disorder++
	} else {
		x.last[p] = int64(seq)
	}
}

func (r *run) openReceivers(queue bool) ([]*receiver, error) {
	body := pattern(r.o.size)
	var group *atomic.Int64
	var groupDone chan struct{}
	if queue {
		group = new(atomic.Int64)
		groupDone = make(chan struct{})
	}
	recv := make([]*receiver, 0, r.o.subs)
	fail := func(err error) ([]*receiver, error) {
		for _, x := range recv {
			x.nc.Close()
		}
		return nil, err
	}
	for i := 0; i < r.o.subs; i++ {
		x := &receiver{r: r, body: body, numbered: r.o.size >= seqBytes, want: int64(r.o.msgs), group: group, done: groupDone, closed: make(chan struct{})}
		if !queue {
			x.done = make(chan struct{})
		}
		if x.numbered {
			x.seen = make([]uint64, (r.o.msgs+63)/64)
			x.last = make([]int64, r.o.pubs)
			for j := range x.last {
				x.last[j] = -1
			}
		}
		closed := x.closed
		nc, err := r.dial(fmt.Sprintf("loadgen-sub-%d", i), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
		if err != nil {
			return fail(err)
		}
		x.nc = nc
		recv = append(recv, x)
		var sub *nats.Subscription
		if queue {
			sub, err = nc.QueueSubscribe(r.o.subject, r.o.queue, x.onMsg)
		} else {
			sub, err = nc.Subscribe(r.o.subject, x.onMsg)
		}
		if err == nil {
			// as nats bench: no client-side limit, so what is measured is the server
			err = sub.SetPendingLimits(-1, -1)
		}
		if err == nil {
			err = nc.FlushTimeout(r.o.timeout)
		}
		if err != nil {
			return fail(fmt.Errorf("subscriber %d: %w", i, err))
		}
	}
	return recv, nil
}

// await waits until every receiver (or the group) is complete; false when the receivers made
// no progress for --timeout first.
func (r *run) await(recv []*receiver) bool {
	all := make(chan struct{})
	go func() {
		for _, x := range recv {
			<-x.done
		}
		close(all)
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last int64 = -1
	since := time.Now()
	for {
		select {
		case <-all:
			return true
		case <-tick.C:
			var n int64
			for _, x := range recv {
				n += x.count.Load()
			}
			if n != last {
				last, since = n, time.Now()
			} else if time.Since(since) >= r.o.timeout {
				r.bad.note("receivers stalled: %s messages received, none for %v", grouped(float64(n)), r.o.timeout)
				return false
			}
		}
	}
}

// drain unsubscribes every receiver and waits until each has processed all it was sent, so
// late duplicates are counted too.
func (r *run) drain(recv []*receiver) {
	for _, x := range recv {
		if err := x.nc.Drain(); err != nil {
			x.nc.Close()
		}
	}
	for i, x := range recv {
		select {
		case <-x.closed:
		case <-time.After(r.o.timeout + time.Second):
			r.bad.note("subscriber %d did not drain within %v", i, r.o.timeout)
			x.nc.Close()
		}
	}
}

func (r *run) publishSubscribe(queue bool) bool {
	recv, err := r.openReceivers(queue)
	if err != nil {
		r.bad.note("%v", err)
		return false
	}
	pubs, err := r.openPublishers()
	if err != nil {
		r.bad.note("%v", err)
		closeAll(receiverConns(recv))
		return false
	}
	clock := r.publishAll(pubs, pattern(r.o.size))
	complete := r.await(recv)
	r.stopCPU(clock)
	r.bad.closing.Store(true)
	for _, p := range pubs {
		p.nc.Close()
	}
	r.drain(recv)
	sent, pubStart, ok := r.putPublished(pubs)
	return r.putDelivered(recv, queue, sent, pubStart, complete) && ok
}

func receiverConns(recv []*receiver) []*nats.Conn {
	conns := make([]*nats.Conn, len(recv))
	for i, x := range recv {
		conns[i] = x.nc
	}
	return conns
}

// putDelivered records what the receivers got; false when anything was lost, duplicated,
// reordered or corrupted, or the run did not complete.
func (r *run) putDelivered(recv []*receiver, queue bool, sent int64, pubStart time.Time, complete bool) bool {
	msgs := int64(r.o.msgs)
	var delivered, lost, extra, disorder, corrupt int64
	perSub := make([]int64, len(recv))
	var first, end time.Time
	var union []uint64
	if queue && len(recv) > 0 && recv[0].numbered {
		union = make([]uint64, len(recv[0].seen))
	}
	var rates []float64
	for i, x := range recv {
		n := x.count.Load()
		perSub[i] = n
		delivered += n
		disorder += x.disorder
		corrupt += x.corrupt
		extra += x.dups + x.stray
		if n > 0 && (first.IsZero() || x.first.Before(first)) {
			first = x.first
		}
		if x.end.After(end) {
			end = x.end
		}
		switch {
		case !x.numbered:
		case queue:
			// a message that two members of the group received is extra too
			for w, bitsSeen := range x.seen {
				extra += int64(bits.OnesCount64(union[w] & bitsSeen))
				union[w] |= bitsSeen
			}
		default:
			var distinct int64
			for _, bitsSeen := range x.seen {
				distinct += int64(bits.OnesCount64(bitsSeen))
			}
			lost += msgs - distinct
		}
		if !queue {
			if !x.numbered {
				if n < msgs {
					lost += msgs - n
				} else {
					extra += n - msgs
				}
			}
			rate := math.NaN()
			if !x.end.IsZero() {
				rate = perSecond(msgs, x.end.Sub(x.first))
			}
			rates = append(rates, rate)
			r.say("sub %d: %s of %s msgs: %s msgs/s", i, grouped(float64(n)), grouped(float64(msgs)), grouped(rate))
		}
	}
	expected := msgs * int64(len(recv))
	if queue {
		expected = msgs
		if union != nil {
			var distinct int64
			for _, w := range union {
				distinct += int64(bits.OnesCount64(w))
			}
			lost = msgs - distinct
		} else if delivered < msgs {
			lost = msgs - delivered
		} else {
			extra = delivered - msgs
		}
	}
	rate := math.NaN()
	if complete {
		rate = perSecond(delivered, end.Sub(first))
	}
	if complete {
		r.res.put("duration_s", end.Sub(pubStart).Seconds())
		r.res.put("sub_duration_s", end.Sub(first).Seconds())
	} else {
		r.res.put("duration_s", nil)
		r.res.put("sub_duration_s", nil)
	}
	if !queue {
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, v := range rates {
			lo, hi, sum = math.Min(lo, v), math.Max(hi, v), sum+v
		}
		r.res.put("sub_msgs_per_s_avg", sum/float64(len(rates)))
		r.res.put("sub_msgs_per_s_min", lo)
		r.res.put("sub_msgs_per_s_max", hi)
	}
	r.res.put("delivered_msgs_per_s", rate)
	r.res.put("delivered_mb_per_s", megabytes(rate, r.o.size))
	total := math.NaN()
	if complete {
		total = perSecond(sent+delivered, end.Sub(pubStart))
	}
	r.res.put("total_msgs_per_s", total)
	r.res.put("expected", expected)
	r.res.put("delivered", delivered)
	r.res.put("lost", lost)
	r.res.put("extra", extra)
	r.res.put("out_of_order", disorder)
	r.res.put("corrupt", corrupt)
	r.res.put("per_sub_delivered", perSub)
	r.res.put("complete", complete)
	what := "subscribers"
	if queue {
		what = "queue group"
	}
	r.say("delivered to the %s: %s of %s (lost %d, extra %d, out of order %d, corrupt %d): %s msgs/s, %.1f MB/s",
		what, grouped(float64(delivered)), grouped(float64(expected)), lost, extra, disorder, corrupt, grouped(rate), megabytes(rate, r.o.size))
	if lost > 0 || extra > 0 || disorder > 0 || corrupt > 0 {
		r.bad.note("delivery: lost %d, extra %d, out of order %d, corrupt %d", lost, extra, disorder, corrupt)
	}
	return complete && lost == 0 && extra == 0 && disorder == 0 && corrupt == 0
}
