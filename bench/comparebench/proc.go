package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// errProcFormat: /proc/<pid>/stat or status did not read as expected.
var errProcFormat = errors.New("unexpected /proc format")

// clockTicks is USER_HZ, the unit of utime and stime: 100 on Linux.
const clockTicks = 100

// cpuSeconds is the user+system CPU time of pid so far, from
// /proc/<pid>/stat (fields 14 and 15, counted after the command name,
// which may hold spaces and parentheses).
func cpuSeconds(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading stat of %d: %w", pid, err)
	}
	return parseStatCPU(string(raw))
}

func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat without a command: %w", errProcFormat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat with %d fields: %w", len(f)+2, errProcFormat)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("parsing utime/stime: %w", err)
	}
	return float64(utime+stime) / clockTicks, nil
}

// peakRSS is the peak resident set (VmHWM) of pid in bytes.
func peakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading status of %d: %w", pid, err)
	}
	return parseHWM(string(raw))
}

func parseHWM(status string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmHWM line %q: %w", line, errProcFormat)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing VmHWM: %w", err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no VmHWM line: %w", errProcFormat)
}
