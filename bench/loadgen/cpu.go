package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ticksPerSecond is Linux's USER_HZ, the unit of utime and stime in /proc/PID/stat.
const ticksPerSecond = 100

// ownCPU is the user plus system CPU time this process has used.
func ownCPU() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// sessionCPU adds up the CPU time of every process whose session id is sid (a server started in
// a session of its own, with its children). found is false when no such process exists.
func sessionCPU(sid int) (total time.Duration, found bool) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, file := range stats {
		raw, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		// the command name, in parentheses, may hold spaces: the fields start after its ')'
		text := string(raw)
		end := strings.LastIndexByte(text, ')')
		if end < 0 {
			continue
		}
		fields := strings.Fields(text[end+1:])
		// fields[0] is field 3 of stat (state); session is field 6, utime 14, stime 15
		if len(fields) < 13 {
			continue
		}
		if s, err := strconv.Atoi(fields[3]); err != nil || s != sid {
			continue
		}
		user, _ := strconv.ParseInt(fields[11], 10, 64)
		system, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += user + system
		found = true
	}
	return time.Duration(ticks) * time.Second / ticksPerSecond, found
}

// cpuClock measures the CPU used by this process and by the server's session over a window.
type cpuClock struct {
	start     time.Time
	own       time.Duration
	server    time.Duration
	serverSet bool
}

func (r *run) startCPU() cpuClock {
	c := cpuClock{start: time.Now(), own: ownCPU()}
	if r.o.cpuSID > 0 {
		c.server, c.serverSet = sessionCPU(r.o.cpuSID)
	}
	return c
}

// stopCPU puts the window's figures into the result.
func (r *run) stopCPU(c cpuClock) {
	wall := time.Since(c.start).Seconds()
	own := (ownCPU() - c.own).Seconds()
	r.res.put("cpu_window_s", wall)
	r.res.put("client_cpu_s", own)
	r.res.put("client_cpu_pct", 100*own/wall)
	if r.o.cpuSID <= 0 {
		return
	}
	now, found := sessionCPU(r.o.cpuSID)
	if !found || !c.serverSet {
		r.res.put("server_cpu_s", nil)
		r.res.put("server_cpu_pct", nil)
		return
	}
	used := (now - c.server).Seconds()
	r.res.put("server_cpu_s", used)
	r.res.put("server_cpu_pct", 100*used/wall)
}
